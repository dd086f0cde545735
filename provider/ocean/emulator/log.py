"""The emulator's log: structlog on the stdlib logger ``ocean.emulator`` (silent unless a handler is
attached; ``ocean emulator serve`` attaches one on stderr). Error answers are logged with their request id;
unexpected exceptions with their traceback."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

LOGGER_NAME = "ocean.emulator"

_PROCESSORS: list[Any] = [
    structlog.stdlib.filter_by_level,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.format_exc_info,
    structlog.processors.KeyValueRenderer(key_order=["timestamp", "level", "event"], sort_keys=True),
]


def get_logger() -> Any:
    return structlog.wrap_logger(
        logging.getLogger(LOGGER_NAME), processors=_PROCESSORS, wrapper_class=structlog.stdlib.BoundLogger
    )


def log_to_stderr(level: int = logging.INFO) -> logging.Handler:
    """Send the emulator's log to stderr (stdout carries the base URL)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger(LOGGER_NAME)
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler
