"""Injected faults: HTTP-level (status, delay, dropped connection) and lifecycle-level (action outcome,
garbage collection outcome). A rule fires at most ``times`` times (``None`` = forever)."""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from ocean.emulator.errors import bad_request

_HTTP_KEYS = {"status", "delay_s", "drop_connection"}


@dataclass
class FaultRule:
    """One fault rule. ``path`` and ``action_type`` take ``*`` wildcards."""

    id: int = 0
    method: str | None = None
    path: str | None = None
    status: int | None = None
    error_id: str | None = None
    message: str | None = None
    delay_s: float | None = None
    drop_connection: bool = False
    action_type: str | None = None
    outcome: str | None = None
    garbage_collection: str | None = None
    times: int | None = 1
    fired: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_http(self) -> bool:
        return self.status is not None or self.delay_s is not None or self.drop_connection

    def matches_request(self, method: str, path: str) -> bool:
        if not self.is_http:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or fnmatch.fnmatchcase(path, self.path)

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if v is not None and k != "extra"}
        if not self.drop_connection:
            data.pop("drop_connection", None)
        return data


def parse_rule(raw: dict[str, Any]) -> FaultRule:
    """Build a rule from its JSON form, refusing rules that would never fire."""
    known = set(FaultRule.__dataclass_fields__) - {"id", "fired", "extra"}
    unknown = set(raw) - known
    if unknown:
        raise bad_request(f"unknown fault rule keys: {sorted(unknown)}")
    try:
        rule = FaultRule(**{k: v for k, v in raw.items() if k in known})
    except TypeError as exc:  # pragma: no cover - guarded by the key check
        raise bad_request(str(exc)) from exc
    if rule.status is not None and not (isinstance(rule.status, int) and 400 <= rule.status <= 599):
        raise bad_request("status must be an HTTP error status (400-599)")
    if rule.times is not None and (not isinstance(rule.times, int) or rule.times < 1):
        raise bad_request("times must be a positive integer or null")
    if rule.action_type is not None and rule.outcome not in ("errored",):
        raise bad_request('an action_type rule needs "outcome": "errored"')
    if rule.garbage_collection is not None and rule.garbage_collection not in ("failed",):
        raise bad_request('garbage_collection rules support "failed" only')
    if not rule.is_http and rule.action_type is None and rule.garbage_collection is None:
        raise bad_request(
            "a fault rule needs one of status, delay_s, drop_connection, action_type or garbage_collection"
        )
    return rule


class FaultBook:
    """The active fault rules; thread-safe, first matching rule wins."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._next_id = 1

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            rule.id = self._next_id
            self._next_id += 1
            self._rules.append(rule)
            return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def __bool__(self) -> bool:
        return bool(self._rules)

    def _fire(self, rule: FaultRule) -> None:
        rule.fired += 1
        if rule.times is not None:
            rule.times -= 1
            if rule.times <= 0:
                self._rules.remove(rule)

    def take_http(self, method: str, path: str) -> FaultRule | None:
        if not self._rules:
            return None
        with self._lock:
            for rule in self._rules:
                if rule.matches_request(method, path):
                    self._fire(rule)
                    return rule
        return None

    def take_action_outcome(self, action_type: str) -> str | None:
        if not self._rules:
            return None
        with self._lock:
            for rule in self._rules:
                if rule.action_type is not None and fnmatch.fnmatchcase(action_type, rule.action_type):
                    self._fire(rule)
                    return rule.outcome
        return None

    def take_gc_outcome(self) -> str | None:
        if not self._rules:
            return None
        with self._lock:
            for rule in self._rules:
                if rule.garbage_collection is not None:
                    self._fire(rule)
                    return rule.garbage_collection
        return None
