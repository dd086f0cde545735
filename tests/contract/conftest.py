# ruff: noqa: E501 - long literal tables read better on one line
"""Contract tests read DigitalOcean's OpenAPI spec (found by tests/openapi_spec.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.openapi_spec import load_spec, skip_unless_available


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    skip_unless_available()
    return load_spec()


@pytest.fixture(scope="session")
def openapi(spec: dict[str, Any]) -> Any:
    from openapi_core import Config, OpenAPI

    # The spec is DigitalOcean's published one; skip re-validating the 3 MB document itself.
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """Follow local $refs."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 50:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        cur: Any = spec
        for part in ref[2:].split("/"):
            cur = cur[part.replace("~1", "/").replace("~0", "~")]
        node = cur
        seen += 1
    return node


def flatten(spec: dict[str, Any], schema: Any) -> tuple[dict[str, Any], set[str]]:
    """Properties and required names of a schema, merging allOf (and anyOf/oneOf members)."""
    schema = resolve(spec, schema)
    props: dict[str, Any] = {}
    required: set[str] = set()
    if not isinstance(schema, dict):
        return props, required
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, []):
            p, r = flatten(spec, sub)
            props.update(p)
            if key == "allOf":
                required |= r
    for name, sub in (schema.get("properties") or {}).items():
        props[name] = resolve(spec, sub)
    required |= set(schema.get("required") or [])
    return props, required


def synthesize(spec: dict[str, Any], schema: Any, depth: int = 0) -> Any:
    """An instance of ``schema`` built from its (and its properties') ``example`` values."""
    schema = resolve(spec, schema)
    if not isinstance(schema, dict) or depth > 12:
        return None
    if "example" in schema:
        return schema["example"]
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return synthesize(spec, schema[key][0], depth + 1)
    if schema.get("type") == "array":
        item = synthesize(spec, schema.get("items", {}), depth + 1)
        return [] if item is None else [item]
    if schema.get("allOf") or schema.get("properties") or schema.get("type") == "object":
        out: dict[str, Any] = {}
        for sub in schema.get("allOf", []):
            part = synthesize(spec, sub, depth + 1)
            if isinstance(part, dict):
                out.update(part)
            elif part is not None and not schema.get("properties"):
                return part  # allOf of an array or scalar schema (e.g. existing_tags_array)
        for name, sub in (schema.get("properties") or {}).items():
            value = synthesize(spec, sub, depth + 1)
            if value is not None or resolve(spec, sub).get("nullable"):
                out[name] = value
        return out
    if schema.get("type") == "array":
        item = synthesize(spec, schema.get("items", {}), depth + 1)
        return [] if item is None else [item]
    if "enum" in schema:
        return schema["enum"][0]
    return {"string": "x", "integer": 1, "number": 1.0, "boolean": True}.get(schema.get("type", ""))
