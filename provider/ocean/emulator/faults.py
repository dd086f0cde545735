"""Injected faults: HTTP-level (status, delay, dropped connection) and lifecycle-level (action outcome,
garbage collection outcome, VPC peering status, a firewall change that ends ``failed``). A rule fires at
most ``times`` times (``None`` = until cleared).

Lifecycle faults:

- ``{"action_type": "resize", "outcome": "errored"}``: the next such action ends ``errored`` (the droplet
  is left as it was);
- ``{"action_type": "shutdown", "outcome": "ignored"}``: the droplet's OS ignores the next shutdown signal:
  the action ends ``completed`` and the droplet stays ``active``, as DigitalOcean's does
  (digitalocean/api-v2#79: "The action was issued, took place, completed with success, however the
  droplet did not shutdown. The droplet ``shutdown`` action is a best effort attempt");
- ``{"garbage_collection": "failed"}``: the next garbage collection fails;
- ``{"firewall": "failed"}``: the next firewall change settles as ``failed``;
- ``{"vpc_peering_status": "FAILED"}``: the next VPC peering whose provisioning time is up goes to that
  status instead of ``ACTIVE`` (``"PROVISIONING"``: it stays provisioning, whatever the clock does); with
  ``"vpc_peering_phase": "deleting"``, the next peering whose deletion time is up goes to that status
  instead of being gone (``"DELETING"``: it stays deleting). The spec knows ``PROVISIONING``, ``ACTIVE`` and
  ``DELETING``; any other upper-case status stands for an error state DigitalOcean may report.

An HTTP rule strikes ``"when": "before"`` the request is carried out (the default: nothing happens, the
client sees the fault) or ``"after"`` it (the emulator does the work and commits it, then the answer is
lost: replaced by the given status, delayed by ``delay_s``, or the connection dropped) — the failure that
leaves a resource behind at DigitalOcean while the client believes the create failed.

Rules are typed: :func:`parse_rule` refuses unknown keys, wrong types and rules that could never fire with
a 422 that names the field.
"""

from __future__ import annotations

import fnmatch
import math
import re
import threading
from dataclasses import asdict, dataclass
from typing import Any, Literal

from ocean.emulator.errors import unprocessable

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
#: The longest delay a rule may ask for (seconds): longer than any sensible client timeout.
MAX_DELAY_S = 600.0
MAX_TIMES = 1_000_000
MAX_TEXT = 2048
When = Literal["before", "after"]
ACTION_OUTCOMES = ("errored", "ignored")
PEERING_PHASES = ("provisioning", "deleting")
PEERING_STATUS_RE = re.compile(r"^[A-Z][A-Z_]{1,31}$")


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
    when: When = "before"
    action_type: str | None = None
    outcome: str | None = None
    garbage_collection: str | None = None
    firewall: str | None = None
    vpc_peering_status: str | None = None
    vpc_peering_phase: str | None = None
    times: int | None = 1
    fired: int = 0

    @property
    def is_http(self) -> bool:
        return self.status is not None or self.delay_s is not None or self.drop_connection

    def matches_request(self, method: str, path: str) -> bool:
        if not self.is_http:
            return False
        if self.method is not None and self.method != method.upper():
            return False
        return self.path is None or fnmatch.fnmatchcase(path, self.path)

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if v is not None}
        if not self.drop_connection:
            data.pop("drop_connection", None)
        if not self.is_http:
            data.pop("when", None)
        return data


def _text(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
        raise unprocessable(f"{key} must be a non-empty string of at most {MAX_TEXT} characters")
    return value


def _integer(raw: dict[str, Any], key: str, low: int, high: int) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise unprocessable(f"{key} must be an integer from {low} to {high}")
    return value


def parse_rule(raw: Any) -> FaultRule:
    """Build a rule from its JSON form; 422 naming the field for anything it can not use."""
    if not isinstance(raw, dict):
        raise unprocessable("a fault rule must be a JSON object")
    known = set(FaultRule.__dataclass_fields__) - {"id", "fired"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise unprocessable(f"unknown fault rule key {unknown[0]!r}; known keys: {', '.join(sorted(known))}")
    method = _text(raw, "method")
    if method is not None:
        method = method.upper()
        if method not in HTTP_METHODS:
            raise unprocessable(f"method must be one of {', '.join(HTTP_METHODS)}")
    path = _text(raw, "path")
    if path is not None and not path.startswith("/"):
        raise unprocessable('path must be a URL path (wildcards allowed), e.g. "/v2/droplets/*"')
    delay = raw.get("delay_s")
    if delay is not None and (
        not isinstance(delay, (int, float))
        or isinstance(delay, bool)
        or not math.isfinite(delay)
        or not 0 < delay <= MAX_DELAY_S
    ):
        raise unprocessable(f"delay_s must be a number of seconds above 0 and at most {MAX_DELAY_S:g}")
    drop = raw.get("drop_connection", False)
    if not isinstance(drop, bool):
        raise unprocessable("drop_connection must be a boolean")
    when = raw.get("when", "before")
    if when not in ("before", "after"):
        raise unprocessable('when must be "before" (the request is not carried out) or "after" (it is)')
    outcome = raw.get("outcome")
    action_type = _text(raw, "action_type")
    if (action_type is None) != (outcome is None) or outcome not in (None, *ACTION_OUTCOMES):
        raise unprocessable(
            'an action fault needs both action_type and an outcome: "errored", or "ignored" for a shutdown'
        )
    if outcome == "ignored" and action_type != "shutdown":
        raise unprocessable(
            'outcome "ignored" applies to action_type "shutdown" only: the OS ignores the shutdown signal'
        )
    gc = raw.get("garbage_collection")
    if gc is not None and gc != "failed":
        raise unprocessable('garbage_collection must be "failed"')
    firewall = raw.get("firewall")
    if firewall is not None and firewall != "failed":
        raise unprocessable('firewall must be "failed" (the next firewall changes end `failed`)')
    peering_status = raw.get("vpc_peering_status")
    if peering_status is not None and (
        not isinstance(peering_status, str) or not PEERING_STATUS_RE.match(peering_status)
    ):
        raise unprocessable(
            'vpc_peering_status must be an upper-case status such as "FAILED" or "PROVISIONING"'
        )
    peering_phase = raw.get("vpc_peering_phase")
    if peering_phase is not None:
        if peering_status is None:
            raise unprocessable("vpc_peering_phase goes with vpc_peering_status")
        if peering_phase not in PEERING_PHASES:
            raise unprocessable('vpc_peering_phase must be "provisioning" (the default) or "deleting"')
    rule = FaultRule(
        method=method,
        path=path,
        status=_integer(raw, "status", 400, 599),
        error_id=_text(raw, "error_id"),
        message=_text(raw, "message"),
        delay_s=float(delay) if delay is not None else None,
        drop_connection=drop,
        when=when,
        action_type=action_type,
        outcome=outcome,
        garbage_collection=gc,
        firewall=firewall,
        vpc_peering_status=peering_status,
        vpc_peering_phase=(peering_phase or "provisioning") if peering_status is not None else None,
        times=1 if "times" not in raw else _integer(raw, "times", 1, MAX_TIMES),
    )
    kinds = [
        rule.is_http,
        rule.action_type is not None,
        rule.garbage_collection is not None,
        rule.firewall is not None,
        rule.vpc_peering_status is not None,
    ]
    if sum(kinds) != 1:
        raise unprocessable(
            "a fault rule needs exactly one kind of fault: status, delay_s or drop_connection (HTTP), "
            "action_type with outcome, garbage_collection, firewall, or vpc_peering_status"
        )
    if rule.status is not None and rule.drop_connection:
        raise unprocessable(
            "status and drop_connection can not both be set: a dropped connection answers nothing"
        )
    if not rule.is_http and ("when" in raw or "method" in raw or "path" in raw):
        raise unprocessable(
            "method, path and when apply to HTTP faults (status, delay_s, drop_connection) only"
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

    def take_peering_status(self, phase: str) -> str | None:
        """The status a peering goes to when its ``phase`` ends, if a rule says so."""
        if not self._rules:
            return None
        with self._lock:
            for rule in self._rules:
                if rule.vpc_peering_status is not None and rule.vpc_peering_phase == phase:
                    self._fire(rule)
                    return rule.vpc_peering_status
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

    def take_firewall_outcome(self) -> str | None:
        """How the firewall change being made now will settle: ``"failed"`` while a rule lasts."""
        if not self._rules:
            return None
        with self._lock:
            for rule in self._rules:
                if rule.firewall is not None:
                    self._fire(rule)
                    return rule.firewall
        return None
