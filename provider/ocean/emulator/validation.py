"""Request-body shapes, as DigitalOcean's OpenAPI spec declares them, checked by the handlers before the
backend sees a body.

A :class:`Body` names each top-level property's JSON type and which properties are required. A body that
breaks its shape is refused with DigitalOcean's error envelope and a message naming the property: ``422
unprocessable_entity`` by default, ``400 bad_request`` for the operations whose spec documents a 400
instead (the firewall paths). A body that is not JSON at all is refused with 400 by the pipeline.

An explicit ``null`` for an optional property means "not given", as the live API takes it (and as Go
clients such as godo send it: ``"ssh_keys": null``, ``"tags": null``), even where the spec does not mark
the property nullable; services never see those nulls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ocean.emulator.errors import EmulatorError, bad_request, unprocessable
from ocean.emulator.pipeline import Call, Json

_ARTICLES = {
    "string": "a string",
    "integer": "an integer",
    "boolean": "a boolean",
    "object": "an object",
    "array": "a list",
}


def _is(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    raise ValueError(f"unknown kind {kind!r}")  # pragma: no cover - a typo in a shape


def _matches(value: Any, spec: str) -> bool:
    """``spec`` is ``kind[|kind...]`` or ``array[kind|kind...]`` (a list whose items are of those kinds)."""
    if spec.startswith("array[") and spec.endswith("]"):
        items = spec[len("array[") : -1].split("|")
        return isinstance(value, list) and all(any(_is(v, k) for k in items) for v in value)
    return any(_is(value, k) for k in spec.split("|"))


def _describe(spec: str) -> str:
    if spec.startswith("array[") and spec.endswith("]"):
        items = spec[len("array[") : -1].split("|")
        return "a list of " + " or ".join(k + "s" for k in items)
    return " or ".join(_ARTICLES[k] for k in spec.split("|"))


@dataclass(frozen=True)
class Body:
    """The shape of one operation's JSON request body."""

    fields: Mapping[str, str]
    required: tuple[str, ...] = ()
    #: At least one of these must be given (the spec's ``anyOf`` of ``required`` lists).
    one_of_required: tuple[str, ...] = ()
    status: int = 422

    def _error(self, message: str) -> EmulatorError:
        return bad_request(message) if self.status == 400 else unprocessable(message)

    def check(self, body: Json) -> Json:
        body = {k: v for k, v in body.items() if v is not None or k in self.required}
        for name in self.required:
            if body.get(name) is None:
                raise self._error(f"{name} is required")
        if self.one_of_required and all(body.get(n) is None for n in self.one_of_required):
            raise self._error(f"{' or '.join(self.one_of_required)} is required")
        for name, spec in self.fields.items():
            if name not in body:
                continue
            if not _matches(body[name], spec):
                raise self._error(f"{name} must be {_describe(spec)}")
        return body

    def parse(self, call: Call) -> Json:
        """The request's body, checked against this shape."""
        return self.check(call.json())
