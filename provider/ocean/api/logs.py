"""Logging for the API client.

The library logs through structlog bound loggers that sit on the stdlib logger ``ocean.api``, so it never
writes anywhere by itself (a Pulumi provider's stdout is its handshake channel). ``configure_logging()``
attaches one stderr handler: JSON lines when stderr is not a terminal, readable console output when it is.
"""

from __future__ import annotations

import logging
import sys
from typing import IO, Any

import structlog

_PROCESSORS: list[Any] = [
    structlog.stdlib.filter_by_level,
    # Context the caller bound for the current task (the provider binds `urn` and `resource`).
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
]


def get_logger(name: str = "ocean.api", **initial: Any) -> Any:
    """A structlog logger on the stdlib logger ``name``, with ``initial`` context bound."""
    return structlog.wrap_logger(
        logging.getLogger(name),
        processors=_PROCESSORS,
        wrapper_class=structlog.stdlib.BoundLogger,
        **initial,
    )


_HANDLER_MARK = "_ocean_handler"


def configure_logging(
    level: int | str = logging.INFO,
    *,
    stream: IO[str] | None = None,
    json: bool | None = None,
    logger_name: str = "ocean",
) -> logging.Handler:
    """Send the ``ocean`` loggers to ``stream`` (stderr by default).

    ``json`` defaults to "stream is not a terminal". Calling it again replaces the handler it installed.
    """
    out = stream if stream is not None else sys.stderr
    use_json = json if json is not None else not (hasattr(out, "isatty") and out.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer(sort_keys=True)
        if use_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if use_json else _identity,
            renderer,
        ],
        foreign_pre_chain=[structlog.stdlib.add_log_level, structlog.processors.TimeStamper(fmt="iso")],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    setattr(handler, _HANDLER_MARK, True)
    target = logging.getLogger(logger_name)
    for old in list(target.handlers):
        if getattr(old, _HANDLER_MARK, False):
            target.removeHandler(old)
    target.addHandler(handler)
    target.setLevel(level)
    target.propagate = False
    return handler


def _identity(_logger: Any, _name: str, event_dict: Any) -> Any:
    return event_dict


# A library stays silent until the application configures logging.
logging.getLogger("ocean").addHandler(logging.NullHandler())
