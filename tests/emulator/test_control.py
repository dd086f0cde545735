from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocean.emulator.clock import MAX_EPOCH
from ocean.emulator.config import EmulatorConfig
from ocean.emulator.pytest_plugin import RunningEmulator
from ocean.emulator.server import EmulatorServer
from ocean.emulator.store import SqliteStore

from .conftest import DROPLET, create_droplet

BAD_RULES: list[tuple[Any, str]] = [
    ({"method": 5, "path": "/v2/regions", "status": 500, "times": 1}, "method"),
    ({"method": "FETCH", "status": 500}, "method"),
    ({"path": "/v2/*", "delay_s": "abc"}, "delay_s"),
    ({"path": "/v2/*", "delay_s": -5}, "delay_s"),
    ({"path": "/v2/*", "delay_s": 1e9}, "delay_s"),
    ({"path": "/v2/*", "delay_s": True}, "delay_s"),
    ({"status": 200}, "status"),
    ({"status": "500"}, "status"),
    ({"status": True}, "status"),
    ({"status": 500, "times": 0}, "times"),
    ({"status": 500, "times": "1"}, "times"),
    ({"status": 500, "colour": "red"}, "colour"),
    ({"status": 500, "when": "later"}, "when"),
    ({"status": 500, "drop_connection": "yes"}, "drop_connection"),
    ({"status": 500, "drop_connection": True}, "drop_connection"),
    ({"status": 500, "path": "v2/droplets"}, "path"),
    ({"status": 500, "message": 7}, "message"),
    ({"path": "/v2/*"}, "status, delay_s or drop_connection"),
    ({"action_type": "resize"}, "outcome"),
    ({"action_type": "resize", "outcome": "errored", "when": "after"}, "when"),
    ({"garbage_collection": "maybe"}, "garbage_collection"),
    ({"action_type": "resize", "outcome": "ignored"}, "shutdown"),
    ({"action_type": "shutdown", "outcome": "skipped"}, "outcome"),
    ({"vpc_peering_status": "failed"}, "vpc_peering_status"),
    ({"vpc_peering_status": 3}, "vpc_peering_status"),
    ({"vpc_peering_status": "FAILED", "vpc_peering_phase": "later"}, "vpc_peering_phase"),
    ({"vpc_peering_phase": "deleting"}, "vpc_peering_status"),
    ({"vpc_peering_status": "FAILED", "garbage_collection": "failed"}, "exactly one kind"),
    ({"vpc_peering_status": "FAILED", "path": "/v2/vpc_peerings"}, "HTTP faults"),
    ("status", "JSON object"),
    ([], "at least one"),
    ({"rules": [{"status": 500}], "extra": 1}, "extra"),
]


@pytest.mark.parametrize(("rule", "field"), BAD_RULES, ids=[str(r) for r, _ in BAD_RULES])
def test_fault_rules_are_typed(ocean_emulator: RunningEmulator, rule: Any, field: str) -> None:
    refused = httpx.post(f"{ocean_emulator.base_url}/_emulator/faults", json=rule)
    assert refused.status_code == 422, refused.text
    error = refused.json()
    assert set(error) == {"id", "message", "request_id"} and error["id"] == "unprocessable_entity"
    assert error["request_id"] == refused.headers["x-request-id"]
    assert field in error["message"]
    # Nothing was added: every /v2 request still answers normally.
    assert ocean_emulator.control.requests()["total"] == 0
    assert httpx.get(f"{ocean_emulator.base_url}/_emulator/faults").json() == {"faults": []}
    with ocean_emulator.client() as api:
        assert api.get("/v2/regions").status_code == 200


def test_a_batch_with_one_bad_rule_adds_none(ocean_emulator: RunningEmulator) -> None:
    batch = [{"path": "/v2/account", "status": 503}, {"path": "/v2/account", "status": 503, "times": -1}]
    assert httpx.post(f"{ocean_emulator.base_url}/_emulator/faults", json=batch).status_code == 422
    assert httpx.get(f"{ocean_emulator.base_url}/_emulator/faults").json() == {"faults": []}
    added = httpx.post(f"{ocean_emulator.base_url}/_emulator/faults", json={"rules": batch[:1]})
    assert added.status_code == 201
    assert added.json()["faults"] == [
        {"id": 1, "path": "/v2/account", "status": 503, "when": "before", "times": 1, "fired": 0}
    ]
    ocean_emulator.control.fault(path="/v2/account", status=503, times=None)
    assert len(httpx.get(f"{ocean_emulator.base_url}/_emulator/faults").json()["faults"]) == 2
    ocean_emulator.control.clear_faults()
    with ocean_emulator.client() as api:
        assert api.get("/v2/account").status_code == 200


def test_clock_values_are_finite_and_bounded(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    clock = f"{ocean_emulator.base_url}/_emulator/clock"
    before = ocean_emulator.control.now()
    for body, field in [
        ({"advance_s": 1e308}, "advance_s"),
        ({"advance_s": MAX_EPOCH}, "advance_s"),
        ({"advance_s": -1}, "advance_s"),
        ({"advance_s": "30"}, "advance_s"),
        ({"advance_s": True}, "advance_s"),
        ({"scale": 0}, "scale"),
        ({"scale": 1e12}, "scale"),
        ({"mode": "scaled", "scale": -2}, "scale"),
        ({"mode": "fast"}, "mode"),
        ({"speed": 2}, "speed"),
        ([1, 2], "JSON object"),
    ]:
        refused = httpx.post(clock, json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert field in refused.json()["message"] and refused.json()["id"] == "unprocessable_entity"
    for raw in (b'{"advance_s": NaN}', b'{"advance_s": Infinity}', b'{"advance_s": 1', b"[" * 100_000):
        refused = httpx.post(clock, content=raw, headers={"content-type": "application/json"})
        assert refused.status_code == 400 and refused.json()["id"] == "bad_request", raw[:20]
    # Nothing moved, and everything still works.
    assert ocean_emulator.control.now() == before
    create_droplet(api)
    assert httpx.post(f"{ocean_emulator.base_url}/_emulator/reset").status_code == 200
    # The furthest the clock goes is the year 3000: dates still render, reset still works.
    ocean_emulator.control.advance(MAX_EPOCH - before)
    droplet = create_droplet(api)
    assert droplet["created_at"] == "3000-01-01T00:00:00Z"
    assert httpx.post(clock, json={"advance_s": 1}).status_code == 422
    assert httpx.post(f"{ocean_emulator.base_url}/_emulator/reset").status_code == 200
    assert api.get("/v2/droplets").json()["droplets"] == []


def test_a_state_file_with_an_impossible_clock_still_loads(tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")
    with EmulatorServer(config=EmulatorConfig(clock_mode="manual", state_file=path)):
        pass
    store = SqliteStore(path)
    doc = store.load()
    assert doc is not None
    doc["clock"] = 1e18  # what an unbounded advance_s used to leave behind (year 33715 and beyond)
    store.save(doc)
    store.close()
    with EmulatorServer(config=EmulatorConfig(clock_mode="manual", state_file=path)) as server:
        assert server.clock.now() < MAX_EPOCH
        with httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer t"}) as api:
            assert api.post("/v2/droplets", json=DROPLET).status_code == 202
        assert httpx.post(f"{server.base_url}/_emulator/reset").status_code == 200


def test_control_api_wants_the_token(ocean_emulator_factory: Any) -> None:
    emu = ocean_emulator_factory(token="s3cret")
    for method, path in [("POST", "/reset"), ("GET", "/state"), ("POST", "/clock"), ("GET", "/requests")]:
        refused = httpx.request(method, f"{emu.base_url}/_emulator{path}", json={})
        assert refused.status_code == 401, path
        assert refused.json()["id"] == "unauthorized" and refused.json()["request_id"]
        wrong = httpx.request(
            method, f"{emu.base_url}/_emulator{path}", json={}, headers={"Authorization": "Bearer nope"}
        )
        assert wrong.status_code == 401
    assert httpx.get(f"{emu.base_url}/_emulator/state", headers=emu.headers).status_code == 200
    emu.control.advance(5)  # the fixture's control client sends the token

    separate = ocean_emulator_factory(token="api-token", control_token="ops-token")
    state = f"{separate.base_url}/_emulator/state"
    assert httpx.get(state, headers={"Authorization": "Bearer api-token"}).status_code == 401
    assert httpx.get(state, headers={"Authorization": "Bearer ops-token"}).status_code == 200
    account = f"{separate.base_url}/v2/account"
    assert httpx.get(account, headers={"Authorization": "Bearer ops-token"}).status_code == 401
    assert httpx.get(account, headers={"Authorization": "Bearer api-token"}).status_code == 200
    separate.control.reset()


def test_state_never_shows_user_data(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    secret = "#!/bin/sh\necho do-not-show-me"
    droplet = create_droplet(api, user_data=secret)
    raw = httpx.get(f"{ocean_emulator.base_url}/_emulator/state")
    assert raw.status_code == 200
    assert "do-not-show-me" not in raw.text
    record = raw.json()["droplets"][str(droplet["id"])]["_user_data"]
    assert record == {
        "redacted": True,
        "bytes": len(secret.encode()),
        "sha256": hashlib.sha256(secret.encode()).hexdigest(),
    }
    # The emulator itself still holds it (a droplet's user data is kept, as DigitalOcean keeps it).
    assert ocean_emulator.backend.core.s["droplets"][str(droplet["id"])]["_user_data"] == secret


def test_request_log_counts_by_template(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    droplet = create_droplet(api)
    api.get(f"/v2/droplets/{droplet['id']}")
    api.get(f"/v2/droplets/{droplet['id']}")
    log = ocean_emulator.control.requests()
    assert log["counts"]["GET /v2/droplets/{droplet_id}"] == 2
    assert log["counts"]["POST /v2/droplets"] == 1
    assert log["requests"][-1]["path"] == f"/v2/droplets/{droplet['id']}"
    assert log["requests"][-1]["status"] == 200


def test_reset_and_clock(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    create_droplet(api)
    before = ocean_emulator.control.now()
    assert ocean_emulator.control.advance(100) == pytest.approx(before + 100)
    ocean_emulator.control.reset()
    assert api.get("/v2/droplets").json()["droplets"] == []
    assert ocean_emulator.control.requests()["total"] == 1
    ocean_emulator.control.set_clock("scaled", scale=1000)
    t0 = ocean_emulator.control.now()
    time.sleep(0.05)
    assert ocean_emulator.control.now() - t0 >= 20
    ocean_emulator.control.set_clock("manual")
    t1 = ocean_emulator.control.now()
    time.sleep(0.02)
    assert ocean_emulator.control.now() == t1
    state = ocean_emulator.control.state()
    assert state["clock_mode"] == "manual" and "droplets" in state


def test_backend_exposes_control_operations(ocean_emulator: RunningEmulator) -> None:
    backend = ocean_emulator.backend
    droplets, _ = backend.droplets.create(
        {"name": "inproc", "region": "ams3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}
    )
    backend.advance(30)
    assert backend.droplets.get(droplets[0]["id"])["status"] == "active"
    backend.add_fault({"path": "/v2/account", "status": 500})
    with ocean_emulator.client() as api:
        assert api.get("/v2/account").status_code == 500
    backend.clear_faults()
    backend.reset()
    assert backend.droplets.list() == []
