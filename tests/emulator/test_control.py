from __future__ import annotations

import time

import httpx
import pytest

from ocean.emulator.pytest_plugin import RunningEmulator

from .conftest import create_droplet


def test_status_fault_fires_times_then_stops(api: httpx.Client, emulator: RunningEmulator) -> None:
    emulator.control.fault(method="POST", path="/v2/droplets", status=500, times=2)
    for _ in range(2):
        failed = api.post("/v2/droplets", json={"name": "x"})
        assert failed.status_code == 500
        assert set(failed.json()) == {"id", "message", "request_id"}
    create_droplet(api)
    assert api.get("/v2/droplets").status_code == 200


def test_delay_fault(api: httpx.Client, emulator: RunningEmulator) -> None:
    emulator.control.fault(path="/v2/actions/*", delay_s=0.3, times=1)
    started = time.monotonic()
    assert api.get("/v2/actions/1").status_code == 404
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    api.get("/v2/actions/1")
    assert time.monotonic() - started < 0.3


def test_drop_connection_fault(api: httpx.Client, emulator: RunningEmulator) -> None:
    droplet = create_droplet(api)
    emulator.control.fault(path="/v2/droplets/*", drop_connection=True, times=1)
    with pytest.raises(httpx.TransportError):
        api.get(f"/v2/droplets/{droplet['id']}")
    assert api.get(f"/v2/droplets/{droplet['id']}").status_code == 200


def test_fault_rules_are_validated_and_cleared(emulator: RunningEmulator) -> None:
    bad = httpx.post(f"{emulator.base_url}/_emulator/faults", json={"path": "/v2/*"})
    assert bad.status_code == 400
    emulator.control.fault(path="/v2/account", status=503, times=None)
    assert len(httpx.get(f"{emulator.base_url}/_emulator/faults").json()["faults"]) == 1
    emulator.control.clear_faults()
    with emulator.client() as api:
        assert api.get("/v2/account").status_code == 200


def test_request_log_counts_by_template(api: httpx.Client, emulator: RunningEmulator) -> None:
    droplet = create_droplet(api)
    api.get(f"/v2/droplets/{droplet['id']}")
    api.get(f"/v2/droplets/{droplet['id']}")
    log = emulator.control.requests()
    assert log["counts"]["GET /v2/droplets/{droplet_id}"] == 2
    assert log["counts"]["POST /v2/droplets"] == 1
    assert log["requests"][-1]["path"] == f"/v2/droplets/{droplet['id']}"
    assert log["requests"][-1]["status"] == 200


def test_reset_and_clock(api: httpx.Client, emulator: RunningEmulator) -> None:
    create_droplet(api)
    before = emulator.control.now()
    assert emulator.control.advance(100) == pytest.approx(before + 100)
    emulator.control.reset()
    assert api.get("/v2/droplets").json()["droplets"] == []
    assert emulator.control.requests()["total"] == 1
    emulator.control.set_clock("scaled", scale=1000)
    t0 = emulator.control.now()
    time.sleep(0.05)
    assert emulator.control.now() - t0 >= 20
    emulator.control.set_clock("manual")
    t1 = emulator.control.now()
    time.sleep(0.02)
    assert emulator.control.now() == t1
    state = emulator.control.state()
    assert state["clock_mode"] == "manual" and "droplets" in state


def test_backend_exposes_control_operations(emulator: RunningEmulator) -> None:
    backend = emulator.backend
    droplets, _ = backend.droplets.create(
        {"name": "inproc", "region": "ams3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}
    )
    backend.advance(30)
    assert backend.droplets.get(droplets[0]["id"])["status"] == "active"
    backend.add_fault({"path": "/v2/account", "status": 500})
    with emulator.client() as api:
        assert api.get("/v2/account").status_code == 500
    backend.clear_faults()
    backend.reset()
    assert backend.droplets.list() == []


def test_rate_limit_headers_and_429(emulator_factory) -> None:  # type: ignore[no-untyped-def]
    emu = emulator_factory(rate_limit_per_minute=3, rate_limit_per_hour=8)
    emu.clock.advance(3600 - emu.clock.now() % 3600 + 1)  # budgets are per clock hour: start one
    with emu.client() as api:
        first = api.get("/v2/account")
        assert first.headers["ratelimit-limit"] == "8"
        assert first.headers["ratelimit-remaining"] == "7"
        reset = int(first.headers["ratelimit-reset"])
        assert reset > emu.clock.now()
        api.get("/v2/account")
        api.get("/v2/account")
        limited = api.get("/v2/account")
        assert limited.status_code == 429
        assert limited.json()["id"] == "too_many_requests"
        assert limited.json()["message"] == "API Rate limit exceeded."
        retry_after = int(limited.headers["retry-after"])
        assert 1 <= retry_after <= 60
        # Another token has its own budget.
        with httpx.Client(base_url=emu.base_url, headers={"Authorization": "Bearer other"}) as other:
            assert other.get("/v2/account").status_code == 200
        emu.control.advance(retry_after)
        assert api.get("/v2/account").status_code == 200
        api.get("/v2/account")
        api.get("/v2/account")
        emu.control.advance(60)
        api.get("/v2/account")
        api.get("/v2/account")
        hourly = api.get("/v2/account")
        assert hourly.status_code == 429 and hourly.headers["ratelimit-remaining"] == "0"
