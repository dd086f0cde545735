"""Shared base for every DigitalOcean model.

DigitalOcean adds fields and enum values over time. A model must keep parsing when that happens, so:
unknown fields are kept (``extra="allow"``) and logged once per (model, field); enums are plain ``str``
annotated with the values the spec knows, and a value outside that set is logged once and accepted.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator

from ..logs import get_logger

_log = get_logger("ocean.api.models")
_seen_lock = threading.Lock()
_seen: set[tuple[str, str, str]] = set()


def _once(kind: str, owner: str, value: str) -> bool:
    key = (kind, owner, value)
    with _seen_lock:
        if key in _seen:
            return False
        _seen.add(key)
        return True


def open_enum(owner: str, values: Iterable[str]) -> Any:
    """An ``AfterValidator`` that accepts any string but logs, once, a value the spec does not list."""
    known = frozenset(values)

    def check(value: str | None) -> str | None:
        if value is not None and value not in known and _once("enum", owner, str(value)):
            _log.info("unknown_enum_value", field=owner, value=value, known=sorted(known))
        return value

    return AfterValidator(check)


class OceanModel(BaseModel):
    """Base model: tolerant of new fields, populated by field name, immutable-ish by convention."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=())

    @model_validator(mode="after")
    def _log_unknown_fields(self) -> OceanModel:
        extra = self.__pydantic_extra__
        if extra:
            owner = type(self).__name__
            for name in extra:
                if _once("field", owner, name):
                    _log.info("unknown_field", model=owner, field=name)
        return self
