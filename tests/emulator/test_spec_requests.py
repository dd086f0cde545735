"""Request-side fidelity, table-driven from DigitalOcean's OpenAPI spec.

Every operation the emulator serves is found by matching the app's routes against the spec's paths and
methods. For each one:

- every request-body example the spec gives (``requestBody.content.application/json.example``,
  ``.examples.*.value`` and ``example`` on the body's schemas) is sent with real ids in the path, and must
  get a documented success status and a response the spec allows;
- a body that is not JSON, a body missing each required property and a body with each property of the
  wrong type must get DigitalOcean's ``{id, message, request_id}`` envelope: 400 where the operation
  documents a 400 with that envelope (and always for a body that is not JSON), else 422.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS30Validator
from starlette.routing import Route

from ocean.emulator.app import create_app
from ocean.emulator.config import EmulatorConfig
from ocean.emulator.pytest_plugin import RunningEmulator
from ocean.emulator.server import EmulatorServer
from tests.openapi_spec import HOW_TO_GET, SKIP_REASON

from .conftest import DROPLET, seed_spec_ssh_keys
from .spec_check import SPEC_PATH, SpecChecker, load_spec

pytestmark = pytest.mark.timeout(120)

HTTP_METHODS = ("get", "put", "post", "delete", "patch")
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQ1eJ7o3QpM0pW4xvXq8z2V5s5d3h0h9Yk4yQ0n8a1b ci@example"
# Droplet ids the spec's firewall examples name; the world creates droplets with exactly these ids.
EXAMPLE_DROPLET_IDS = (8043964, 49696269)


# ---------------------------------------------------------------------- reading the spec


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def served_operations() -> list[tuple[str, str]]:
    """(method, spec path) for every ``/v2`` route of the app, in route order."""
    ops: list[tuple[str, str]] = []
    for route in create_app().routes:
        if not isinstance(route, Route) or not route.path.startswith("/v2/"):
            continue
        template = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            ops.append((method.lower(), template))
    return ops


def _json_body(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    body = _resolve(spec, op.get("requestBody"))
    if not body:
        return None
    media: dict[str, Any] | None = body.get("content", {}).get("application/json")
    return media


def _schema_examples(spec: dict[str, Any], schema: Any, where: str) -> Iterator[tuple[str, Any]]:
    """``example`` on the body schema and on the schemas it is composed of ($ref, allOf/oneOf/anyOf)."""
    if isinstance(schema, dict) and "$ref" in schema:
        where = schema["$ref"].rsplit("/", 1)[-1]
    schema = _resolve(spec, schema)
    if not isinstance(schema, dict):
        return
    if "example" in schema:
        yield f"schema {where}", schema["example"]
    for key in ("allOf", "oneOf", "anyOf"):
        for i, sub in enumerate(schema.get(key, [])):
            yield from _schema_examples(spec, sub, f"{where}.{key}[{i}]")


def request_examples(spec: dict[str, Any], media: dict[str, Any]) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if "example" in media:
        found.append(("example", media["example"]))
    for name, example in media.get("examples", {}).items():
        found.append((f"examples.{name}", _resolve(spec, example)["value"]))
    found.extend(_schema_examples(spec, media.get("schema"), "body"))
    return found


def _flatten(spec: dict[str, Any], schema: Any) -> tuple[dict[str, Any], list[str]]:
    """Top-level properties and required names of a body schema: allOf merged, the first alternative of
    a oneOf/anyOf that declares properties (alternatives that only name required properties add none)."""
    schema = _resolve(spec, schema)
    props: dict[str, Any] = {}
    required: list[str] = []
    for sub in schema.get("allOf", []):
        p, r = _flatten(spec, sub)
        props.update(p)
        required += r
    for key in ("oneOf", "anyOf"):
        for sub in schema.get(key, []):
            resolved = _resolve(spec, sub)
            if any(k in resolved for k in ("properties", "allOf", "oneOf", "anyOf")):
                p, r = _flatten(spec, resolved)
                props.update(p)
                required += r
                break
    props.update(schema.get("properties", {}))
    required += schema.get("required", [])
    return props, list(dict.fromkeys(required))


def _required_alternatives(spec: dict[str, Any], schema: Any) -> list[list[str]]:
    """Groups of properties of which at least one is required: an anyOf/oneOf whose alternatives only name
    ``required`` properties (the firewall paths' "inbound_rules or outbound_rules")."""
    schema = _resolve(spec, schema)
    groups: list[list[str]] = []
    for sub in schema.get("allOf", []):
        groups += _required_alternatives(spec, sub)
    for key in ("oneOf", "anyOf"):
        alternatives = [_resolve(spec, sub) for sub in schema.get(key, [])]
        if alternatives and all(set(alt) <= {"title", "required"} for alt in alternatives):
            groups.append([name for alt in alternatives for name in alt["required"]])
    return groups


def _types(spec: dict[str, Any], prop: Any) -> set[str]:
    prop = _resolve(spec, prop)
    if "type" in prop:
        return {prop["type"], "null"} if prop.get("nullable") else {prop["type"]}
    found: set[str] = set()
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in prop.get(key, []):
            found |= _types(spec, sub)
    return found


def _example_value(spec: dict[str, Any], prop: Any) -> Any:
    prop = _resolve(spec, prop)
    if "example" in prop:
        return prop["example"]
    for sub in prop.get("allOf", []) + prop.get("oneOf", []) + prop.get("anyOf", []):
        value = _example_value(spec, sub)
        if value is not None:
            return value
    if "properties" in prop:
        return {k: v for k, p in prop["properties"].items() if (v := _example_value(spec, p)) is not None}
    return {"string": "example", "integer": 1, "number": 1, "boolean": True, "array": [], "object": {}}.get(
        prop.get("type", ""), None
    )


WRONG_VALUES: list[tuple[str, Any]] = [
    ("string", "not-the-right-type"),
    ("integer", 12345),
    ("boolean", True),
    ("array", ["not", "the", "right", "type"]),
    ("object", {"not": "the right type"}),
]


def _wrong_value(types: set[str]) -> Any:
    allowed = set(types)
    if "number" in allowed:
        allowed.add("integer")
    return next(value for kind, value in WRONG_VALUES if kind not in allowed)


# ---------------------------------------------------------------------- the cases


@dataclass
class Case:
    method: str
    template: str
    body: Any
    raw: bytes | None = None
    expect: int = 422
    prop: str | None = None
    successes: list[int] = field(default_factory=list)


def _error_status(spec: dict[str, Any], op: dict[str, Any]) -> int:
    """400 where the operation documents a 400 answered with DigitalOcean's error envelope, else 422."""
    documented = _resolve(spec, op["responses"].get("400"))
    if documented:
        schema = documented.get("content", {}).get("application/json", {}).get("schema", {})
        if schema.get("$ref") == "#/components/schemas/error":
            return 400
    return 422


# Examples the emulator cannot accept for a reason outside its control: (method, template, example) → why.
# Empty: the ids the examples name (droplets 8043964 and 49696269, tags "gateway" and "frontend") are
# created by build_world, so are the SSH keys (289794 and the fingerprint 3b:16:e4:...), the VPC id is
# nyc3's seeded default VPC, and the emulator does not check load balancer uids against the account.
EXAMPLE_XFAILS: dict[tuple[str, str, str], str] = {}
# Forbidden requests whose answer the spec documents with a body other than DigitalOcean's error envelope.
FORBIDDEN_XFAILS: dict[tuple[str, str, str], str] = {
    ("post", "/v2/tags", "not-json"): (
        "the spec documents POST /v2/tags 400 with the error_with_root_causes body {error, messages, "
        "root_causes}, not the {id, message, request_id} envelope the emulator (like the rest of the API) "
        "answers a body that is not JSON with"
    ),
}


def _build() -> tuple[list[Any], list[Any], list[tuple[str, str]]]:
    if not SPEC_PATH.exists():
        missing = [pytest.param(None, marks=pytest.mark.skip(reason=f"{SKIP_REASON}; {HOW_TO_GET}"))]
        return missing, missing, []
    spec = load_spec()
    checker = SpecChecker(spec)
    served = served_operations()
    examples: list[Any] = []
    forbidden: list[Any] = []
    for method, template in served:
        op = spec["paths"].get(template, {}).get(method)
        if op is None:
            continue
        media = _json_body(spec, op)
        if media is None:
            continue
        successes = sorted(int(code) for code in op["responses"] if code.isdigit() and int(code) < 300)
        for where, example in request_examples(spec, media):
            case = Case(method, template, example, successes=successes)
            reason = EXAMPLE_XFAILS.get((method, template, where))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            examples.append(pytest.param(case, id=f"{method.upper()} {template} {where}", marks=marks))

        status = _error_status(spec, op)
        found = request_examples(spec, media)
        props, required = _flatten(spec, media.get("schema", {}))
        required = [name for name in required if name in props]
        if found:
            base = found[0][1]
        else:
            base = {
                name: value
                for name, prop in props.items()
                if not _resolve(spec, prop).get("readOnly")
                and (value := _example_value(spec, prop)) is not None
            }
        params = {p: "x" for p in re.findall(r"\{(\w+)\}", template)}
        candidates: list[tuple[str, Case]] = [
            ("not-json", Case(method, template, None, raw=b'{"name": "oops",', expect=400))
        ]
        for name in required:
            if name in base:
                body = {k: v for k, v in base.items() if k != name}
                candidates.append((f"missing-{name}", Case(method, template, body, expect=status, prop=name)))
        for group in _required_alternatives(spec, media.get("schema", {})):
            body = {k: v for k, v in base.items() if k not in group}
            label = "missing-" + "-and-".join(group)
            candidates.append((label, Case(method, template, body, expect=status, prop=group[0])))
        for name in base:
            types = _types(spec, props.get(name, {}))
            if types:
                body = {**base, name: _wrong_value(types)}
                candidates.append(
                    (f"wrong-type-{name}", Case(method, template, body, expect=status, prop=name))
                )
        for label, case in candidates:
            # Only bodies the spec itself refuses are "forbidden".
            if case.raw is None and not checker.request_body(method, template, case.body, **params):
                continue
            reason = FORBIDDEN_XFAILS.get((method, template, label))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            forbidden.append(pytest.param(case, id=f"{method.upper()} {template} {label}", marks=marks))
    return examples, forbidden, served


EXAMPLES, FORBIDDEN, SERVED = _build()


# ---------------------------------------------------------------------- the world the requests refer to


@pytest.fixture(scope="module")
def shared() -> Iterator[RunningEmulator]:
    server = EmulatorServer(config=EmulatorConfig(clock_mode="manual")).start()
    running = RunningEmulator(server)
    try:
        yield running
    finally:
        running.stop()


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, (response.request.url, response.status_code, response.text)
    return response.json() if response.content else None


def build_world(ocean_emulator: RunningEmulator, api: httpx.Client) -> dict[str, str]:
    """Fresh state with one of everything a path parameter can name; returns parameter name → value."""
    ocean_emulator.control.reset()
    seed_spec_ssh_keys(ocean_emulator.backend)
    for tag in ("gateway", "frontend", "env:prod", "web"):
        _ok(api.post("/v2/tags", json={"name": tag}))
    droplets = []
    for droplet_id in EXAMPLE_DROPLET_IDS:
        # The spec's examples name these droplets; start the id sequence just before each.
        ocean_emulator.backend.core.s["seq"]["droplet"] = droplet_id - 1
        body = {**DROPLET, "name": f"example-{droplet_id}", "tags": ["web"]}
        droplets.append(_ok(api.post("/v2/droplets", json=body))["droplet"])
    ocean_emulator.control.advance(ocean_emulator.config.droplet_create_s)
    droplet_id = droplets[-1]["id"]
    snapshot = _ok(api.post(f"/v2/droplets/{droplet_id}/actions", json={"type": "snapshot", "name": "snap"}))
    ocean_emulator.control.advance(ocean_emulator.config.action_s["snapshot"])
    image_id = _ok(api.get(f"/v2/droplets/{droplet_id}/snapshots"))["snapshots"][0]["id"]
    assert snapshot["action"]["resource_id"] == droplet_id
    vpcs = [
        _ok(
            api.post(
                "/v2/vpcs", json={"name": f"world-{i}", "region": "nyc3", "ip_range": f"10.{60 + i}.0.0/20"}
            )
        )
        for i in range(2)
    ]
    vpc_ids = [v["vpc"]["id"] for v in vpcs]
    peering = _ok(api.post("/v2/vpc_peerings", json={"name": "world-peering", "vpc_ids": vpc_ids}))
    ocean_emulator.control.advance(30)
    rule = {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["0.0.0.0/0"]}}
    firewall = _ok(api.post("/v2/firewalls", json={"name": "world-fw", "inbound_rules": [rule]}))
    key = _ok(api.post("/v2/account/keys", json={"name": "world-key", "public_key": PUBLIC_KEY}))
    registry = _ok(
        api.post(
            "/v2/registries", json={"name": "world", "region": "nyc3", "subscription_tier_slug": "basic"}
        )
    )
    gc = _ok(api.post("/v2/registries/world/garbage-collection", json={"type": "untagged manifests only"}))
    return {
        "droplet_id": str(droplet_id),
        "image_id": str(image_id),
        "snapshot_id": str(image_id),
        "vpc_id": vpc_ids[0],
        "vpc_peering_id": peering["vpc_peering"]["id"],
        "firewall_id": firewall["firewall"]["id"],
        "ssh_key_identifier": str(key["ssh_key"]["id"]),
        "tag_id": "web",
        "tag_name": "web",
        "registry_name": registry["registry"]["name"],
        "garbage_collection_uuid": gc["garbage_collection"]["uuid"],
    }


@pytest.fixture(scope="module")
def world(shared: RunningEmulator) -> Iterator[tuple[RunningEmulator, httpx.Client, dict[str, str]]]:
    with shared.client(timeout=10) as api:
        yield shared, api, build_world(shared, api)


def _send(api: httpx.Client, case: Case, spec: dict[str, Any], ids: dict[str, str]) -> httpx.Response:
    params = {p: ids[p] for p in re.findall(r"\{(\w+)\}", case.template)}
    path = case.template.format(**params)
    op = spec["paths"][case.template][case.method]
    query = {
        p["name"]: ids[p["name"]]
        for p in (_resolve(spec, p) for p in op.get("parameters", []))
        if p["in"] == "query" and p["name"] in ids
    }
    content = case.raw if case.raw is not None else json.dumps(case.body).encode()
    headers = {"content-type": "application/json"}
    return api.request(case.method.upper(), path, params=query, content=content, headers=headers)


# ---------------------------------------------------------------------- the tests


def test_every_served_operation_is_in_the_spec(spec: dict[str, Any]) -> None:
    assert SERVED, "no /v2 routes found"
    assert EXAMPLES and FORBIDDEN, "no request cases derived from the spec"
    missing = [(m, t) for m, t in SERVED if m not in spec["paths"].get(t, {})]
    assert missing == []


@pytest.mark.parametrize("case", EXAMPLES)
def test_spec_request_examples_are_accepted(
    case: Case, shared: RunningEmulator, spec: dict[str, Any], checker: SpecChecker
) -> None:
    with shared.client(timeout=10) as api:
        ids = build_world(shared, api)
        params = {p: ids[p] for p in re.findall(r"\{(\w+)\}", case.template)}
        assert checker.request_body(case.method, case.template, case.body, **params) == []
        response = _send(api, case, spec, ids)
        assert response.status_code in case.successes, response.text
        checker.response(response, case.template, **params)


@pytest.mark.parametrize("case", FORBIDDEN)
def test_requests_the_spec_forbids_get_the_error_envelope(
    case: Case,
    world: tuple[RunningEmulator, httpx.Client, dict[str, str]],
    spec: dict[str, Any],
    checker: SpecChecker,
) -> None:
    _, api, ids = world
    response = _send(api, case, spec, ids)
    assert response.status_code == case.expect, response.text
    error = response.json()
    assert set(error) == {"id", "message", "request_id"}
    assert error["id"] == {400: "bad_request", 422: "unprocessable_entity"}[case.expect]
    assert error["request_id"] == response.headers["x-request-id"]
    if case.prop is not None:
        assert case.prop in error["message"], error["message"]
    OAS30Validator(spec["components"]["schemas"]["error"]).validate(error)
    params = {p: ids[p] for p in re.findall(r"\{(\w+)\}", case.template)}
    checker.response(response, case.template, **params)
