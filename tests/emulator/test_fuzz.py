"""A bounded fuzz of the control API and of every ``/v2`` route: random ids, bodies, types and methods.

It ends with the emulator up, every answer either a success with a JSON body (or none) or an error in
DigitalOcean's envelope with the request id of ``x-request-id`` (never a 5xx: nothing the fuzz sends may
raise inside the emulator), and ``reset`` working. The seed is fixed (``OCEAN_FUZZ_SEED`` picks another);
the counts are printed with ``-s``.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections import Counter
from typing import Any

import httpx

from ocean.emulator import handlers
from ocean.emulator.pytest_plugin import RunningEmulator

from .conftest import DROPLET
from .test_godo_bodies import public_key

SEED = int(os.environ.get("OCEAN_FUZZ_SEED", "20240609"))
V2_REQUESTS = 1600
CONTROL_REQUESTS = 700

FIELDS = [
    "name", "names", "region", "size", "image", "ssh_keys", "backups", "backup_policy", "ipv6", "monitoring",
    "tags", "user_data", "private_networking", "volumes", "vpc_uuid", "with_droplet_agent",
    "public_networking", "type", "disk", "kernel", "description", "ip_range", "default", "vpc_ids", "vpc_id",
    "inbound_rules", "outbound_rules", "droplet_ids", "protocol", "ports", "sources", "destinations",
    "addresses", "resources", "resource_id", "resource_type", "public_key", "subscription_tier_slug",
    "tier_slug", "cancel", "plan", "weekday", "hour", "repository", "tag", "size_bytes", "blobs",
]  # fmt: skip
FAULT_KEYS = [
    "method", "path", "status", "error_id", "message", "delay_s", "drop_connection", "when", "action_type",
    "outcome", "garbage_collection", "times", "rules",
]  # fmt: skip
STRINGS = [
    "", " ", "web-1", "nyc3", "fra1", "s-1vcpu-1gb", "ubuntu-24-04-x64", "tcp", "icmp", "22", "all",
    "0.0.0.0/0", "::/0", "10.10.0.0/16", "weekly", "SUN", "basic", "professional", "after", "before", "POST",
    "/v2/*", "manual", "scaled", "droplet", "errored", "failed", "\x00", "\u202e", "caf\u00e9", "\U0001f600",
    "../../etc/passwd", "%00", "a" * 300, "9" * 40, "NaN", "null", "true", "{}",
]  # fmt: skip
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
QUERY_KEYS = ["page", "per_page", "tag_name", "name", "type", "private", "resource_type", "expiry_seconds"]
NUMBERS = [0, 1, -1, 2, 20, 30, 255, 256, 65536, 2**31, 2**63, 2**64, 10**30, 0.5, -0.0, 1e308, -1e308, 3.7]


def random_json(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.choice(
        ["str", "num", "bool", "null", "list", "obj", "obj"] if depth < 4 else ["str", "num", "null"]
    )
    if kind == "str":
        return (
            rng.choice(STRINGS)
            if rng.random() < 0.8
            else "".join(chr(rng.randint(0, 0x2FFF)) for _ in range(8))
        )
    if kind == "num":
        return rng.choice(NUMBERS) if rng.random() < 0.7 else rng.randint(-(10**6), 10**6)
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "list":
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = FIELDS + FAULT_KEYS + ["x", "id", "advance_s", "scale", "mode"]
    return {rng.choice(keys): random_json(rng, depth + 1) for _ in range(rng.randint(0, 6))}


def mutated(rng: random.Random, body: dict[str, Any]) -> dict[str, Any]:
    """A plausible body with one or two properties replaced, removed or added."""
    out = dict(body)
    for _ in range(rng.randint(1, 2)):
        roll = rng.random()
        if roll < 0.5 and out:
            out[rng.choice(list(out))] = random_json(rng, 2)
        elif roll < 0.7 and out:
            out.pop(rng.choice(list(out)))
        else:
            out[rng.choice(FIELDS)] = random_json(rng, 2)
    return out


def raw_body(
    rng: random.Random, plausible: list[dict[str, Any]], fitting: dict[str, Any] | None = None
) -> bytes | None:
    """A body for a request: none, one that fits the route, a mutation of a plausible one, random JSON, or
    bytes that are not (good) JSON."""
    if fitting is not None and rng.random() < 0.3:
        return json.dumps(fitting if rng.random() < 0.5 else mutated(rng, fitting)).encode()
    roll = rng.random()
    if roll < 0.1:
        return None
    if roll < 0.3:
        return json.dumps(rng.choice(plausible)).encode()
    if roll < 0.6:
        return json.dumps(mutated(rng, rng.choice(plausible))).encode()
    if roll < 0.85:
        return json.dumps(random_json(rng)).encode()
    return rng.choice(
        [
            b"{", b"[]", b"null", b'"text"', b"{\"name\": NaN}", b"\xff\xfe\x00", b"[" * 5000,
            b'{"name": ' + b"1" * 5000 + b"}", b'{"a":' * 50 + b"1" + b"}" * 50, os.urandom(64),
        ]
    )  # fmt: skip


def path_value(rng: random.Random, ids: dict[str, list[str]], name: str) -> str:
    known = ids.get(name, [])
    roll = rng.random()
    if known and roll < 0.5:
        return rng.choice(known)
    return rng.choice(
        ["0", "1", "-1", "9" * 25, "9" * 5000, "abc", "web", "%2F", "..", "\u00b2", "caf%C3%A9", "a" * 300,
         "00000000-0000-0000-0000-000000000000", "sha256:abc", str(rng.randint(1, 10**9))]
    )  # fmt: skip


def check_answer(response: httpx.Response, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code, response.text[:300])
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"id", "message", "request_id"}, (what, body)
        assert isinstance(body["id"], str) and isinstance(body["message"], str)
        assert body["request_id"] == response.headers["x-request-id"], what
    elif response.content:
        response.json()


def test_fuzz_control_api_and_v2(ocean_emulator_factory: Any) -> None:
    rng = random.Random(SEED)
    emu: RunningEmulator = ocean_emulator_factory(rate_limit_per_minute=0, rate_limit_per_hour=0)
    statuses: Counter[int] = Counter()
    sent = {"v2": 0, "control": 0}
    with emu.client(timeout=30) as api:
        # Something for random ids to hit now and then.
        droplet = api.post("/v2/droplets", json=DROPLET).json()["droplet"]
        vpc = api.post("/v2/vpcs", json={"name": "fuzz", "region": "nyc3"}).json()["vpc"]
        key = api.post("/v2/account/keys", json={"name": "k", "public_key": public_key(3)}).json()["ssh_key"]
        rule = {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["0.0.0.0/0"]}}
        fw = api.post("/v2/firewalls", json={"name": "fuzz-fw", "inbound_rules": [rule]}).json()["firewall"]
        api.post("/v2/registries", json={"name": "fuzz", "subscription_tier_slug": "professional"})
        ids = {
            "droplet_id": [str(droplet["id"])],
            "vpc_id": [vpc["id"]],
            "firewall_id": [fw["id"]],
            "ssh_key_identifier": [str(key["id"]), key["fingerprint"]],
            "tag_id": ["web"],
            "registry_name": ["fuzz"],
            "repository_name": ["web", "team/web"],
            "image_id": ["debian-12-x64"],
            "action_id": ["2000000001"],
        }
        plausible = [
            DROPLET,
            {"name": "t"},
            {"type": "power_off"},
            {"type": "resize", "size": "s-2vcpu-4gb", "disk": True},
            {"name": "v", "region": "nyc3", "ip_range": "10.20.0.0/20"},
            {"name": "p", "vpc_ids": [vpc["id"]]},
            {"name": "f", "inbound_rules": [rule], "droplet_ids": [droplet["id"]], "tags": ["web"]},
            {"name": "r", "subscription_tier_slug": "basic", "region": "fra1"},
            {"tier_slug": "starter"},
            {"resources": [{"resource_id": str(droplet["id"]), "resource_type": "droplet"}]},
            {"type": "untagged manifests only"},
            {"cancel": True},
        ]
        routes = [(m, p) for m, p, _ in handlers.ROUTES]
        fitting: dict[str, dict[str, Any]] = {
            "/v2/droplets": DROPLET, "/v2/droplets/{droplet_id}/actions": {"type": "power_cycle"},
            "/v2/droplets/actions": {"type": "power_off"}, "/v2/tags": {"name": "fuzz-tag"},
            "/v2/tags/{tag_id}/resources": plausible[9], "/v2/vpcs": plausible[4],
            "/v2/vpcs/{vpc_id}": {"name": "renamed", "description": "d"}, "/v2/vpc_peerings": plausible[5],
            "/v2/firewalls": plausible[6], "/v2/firewalls/{firewall_id}": plausible[6],
            "/v2/firewalls/{firewall_id}/rules": {"inbound_rules": [rule]},
            "/v2/registries": plausible[7], "/v2/registry": plausible[7],
            "/v2/registries/subscription": plausible[8],
            "/v2/account/keys": {"name": "k2", "public_key": public_key(9)},
            "/v2/registries/{registry_name}/garbage-collection": plausible[10],
        }  # fmt: skip
        control = [
            ("POST", "/_emulator/clock"), ("GET", "/_emulator/clock"), ("POST", "/_emulator/faults"),
            ("GET", "/_emulator/faults"), ("DELETE", "/_emulator/faults"), ("GET", "/_emulator/requests"),
            ("GET", "/_emulator/state"), ("POST", "/_emulator/registry/{registry_name}/push"),
            ("POST", "/_emulator/reset"), ("PUT", "/_emulator/clock"), ("POST", "/_emulator/nothing"),
        ]  # fmt: skip
        control_bodies = [
            {"advance_s": 1},
            {"mode": "scaled", "scale": 20},
            {"mode": "manual"},
            {"status": 503, "times": 1},
            {"repository": "web", "tag": "v1", "size_bytes": 10},
        ]
        jobs = ["v2"] * V2_REQUESTS + ["control"] * CONTROL_REQUESTS
        rng.shuffle(jobs)
        for job in jobs:
            if job == "v2":
                method, template = rng.choice(routes)
                if rng.random() < 0.1:
                    method = rng.choice(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
                path = PARAM.sub(lambda m: path_value(rng, ids, m.group(1)), template)
                query = None
                if rng.random() < 0.3:
                    query = {rng.choice(QUERY_KEYS): str(random_json(rng, 4))}
                body = raw_body(rng, plausible, fitting.get(template))
                content = body if method in ("POST", "PUT", "PATCH", "DELETE") else None
                response = api.request(
                    method, path, content=content, params=query, headers={"content-type": "application/json"}
                )
                if method == "HEAD":
                    assert response.status_code < 500
                else:
                    check_answer(response, f"{method} {path[:80]}")
            else:
                method, template = rng.choice(control)
                path = template.replace("{registry_name}", rng.choice(["fuzz", "nope", "%2F"]))
                content = raw_body(rng, control_bodies) if method == "POST" else None
                response = api.request(
                    method, path, content=content, headers={"content-type": "application/json"}
                )
                check_answer(response, f"{method} {path}")
                if path == "/_emulator/faults" and response.status_code == 201:
                    # A rule the fuzz made stays only for the one request after it (a delay or a drop
                    # would otherwise stall it): note how it answers, then clear it.
                    emu.control.clear_faults()
                if path == "/_emulator/clock" and emu.clock.mode == "scaled":
                    emu.control.set_clock("manual")
            sent[job] += 1
            statuses[response.status_code] += 1

        # Up, consistent, and reset works.
        assert api.get("/v2/account").status_code == 200
        assert httpx.post(f"{emu.base_url}/_emulator/reset").status_code == 200
        assert api.get("/v2/droplets").json()["droplets"] == []
        assert api.post("/v2/droplets", json=DROPLET).status_code == 202
    total = sent["v2"] + sent["control"]
    print(f"fuzz seed={SEED}: {total} requests ({sent}), statuses {dict(sorted(statuses.items()))}")
    assert total >= 2000
    # The fuzz reaches past validation too: some requests succeed.
    assert sum(n for s, n in statuses.items() if s < 300) > 100
