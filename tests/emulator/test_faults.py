"""Faults that strike before a request is carried out, and after: the emulator does the work, commits it,
and then the answer is lost (an error status, a dropped connection, or an answer slower than the client's
timeout). The real ``ocean.api`` client must see a failure while the emulator holds the resource."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from ocean.api import DigitalOceanClient, RateGovernor, errors
from ocean.emulator.backend import Backend
from ocean.emulator.pytest_plugin import RunningEmulator

from .conftest import DROPLET, create_droplet

RULE = {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["0.0.0.0/0"]}}
#: The client's timeout in the "answer too slow" case, and the fault's delay past it.
CLIENT_TIMEOUT_S = 0.5
DELAY_S = 2.0


def test_status_fault_fires_times_then_stops(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    ocean_emulator.control.fault(method="POST", path="/v2/droplets", status=500, times=2)
    for _ in range(2):
        failed = api.post("/v2/droplets", json=DROPLET)
        assert failed.status_code == 500
        assert set(failed.json()) == {"id", "message", "request_id"}
    # "before": nothing was created.
    assert ocean_emulator.backend.droplets.list() == []
    create_droplet(api)
    assert api.get("/v2/droplets").status_code == 200


def test_delay_fault(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    ocean_emulator.control.fault(path="/v2/actions/*", delay_s=0.3, times=1)
    started = time.monotonic()
    assert api.get("/v2/actions/1").status_code == 404
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    api.get("/v2/actions/1")
    assert time.monotonic() - started < 0.3


def test_drop_connection_fault(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    droplet = create_droplet(api)
    ocean_emulator.control.fault(path="/v2/droplets/*", drop_connection=True, times=1)
    with pytest.raises(httpx.TransportError):
        api.get(f"/v2/droplets/{droplet['id']}")
    assert api.get(f"/v2/droplets/{droplet['id']}").status_code == 200


def test_an_after_fault_answers_its_status_once_the_work_is_committed(
    api: httpx.Client, ocean_emulator: RunningEmulator
) -> None:
    ocean_emulator.control.fault(method="POST", path="/v2/droplets", status=502, when="after")
    lost = api.post("/v2/droplets", json=DROPLET)
    assert lost.status_code == 502
    assert lost.json() == {
        "id": "bad_gateway",
        "message": "Injected fault",
        "request_id": lost.headers["x-request-id"],
    }
    (held,) = ocean_emulator.backend.droplets.list()
    assert held["name"] == DROPLET["name"]
    (entry,) = ocean_emulator.control.requests()["requests"]
    assert (entry["template"], entry["status"]) == ("/v2/droplets", 502)
    # The rule is used up: the next create answers normally.
    assert api.post("/v2/droplets", json={**DROPLET, "name": "web-2"}).status_code == 202


# ---------------------------------------------------------------------- lost answers, with the real client


def _seed_vpcs(backend: Backend) -> list[str]:
    return [
        backend.vpcs.create({"name": f"lost-{i}", "region": "nyc3", "ip_range": f"10.{40 + i}.0.0/20"})["id"]
        for i in range(2)
    ]


Create = Callable[[DigitalOceanClient, Backend], Awaitable[Any]]
Held = Callable[[Backend], list[Any]]

CREATES: dict[str, tuple[str, Create, Held]] = {
    "droplet": (
        "/v2/droplets",
        lambda c, b: c.droplets.create(dict(DROPLET)),
        lambda b: [d["name"] for d in b.droplets.list()],
    ),
    "firewall": (
        "/v2/firewalls",
        lambda c, b: c.firewalls.create({"name": "web-fw", "inbound_rules": [RULE]}),
        lambda b: [f["name"] for f in b.firewalls.list()],
    ),
    "vpc": (
        "/v2/vpcs",
        lambda c, b: c.vpcs.create({"name": "lost-vpc", "region": "nyc3"}),
        lambda b: [v["name"] for v in b.vpcs.list() if not v["default"]],
    ),
    "vpc_peering": (
        "/v2/vpc_peerings",
        lambda c, b: c.vpc_peerings.create("lost-peering", _seed_vpcs(b)),
        lambda b: [p["name"] for p in b.vpc_peerings.list()],
    ),
    "registry": (
        "/v2/registries",
        lambda c, b: c.registries.create("lost-registry", region="fra1", subscription_tier_slug="basic"),
        lambda b: [r["name"] for r in b.registries.list()],
    ),
}
LOSSES: dict[str, dict[str, Any]] = {
    "5xx": {"status": 502},
    "dropped": {"drop_connection": True},
    "too-slow": {"delay_s": DELAY_S},
}


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("kind", list(CREATES))
def test_a_create_whose_answer_is_lost_leaves_the_resource_behind(
    ocean_emulator: RunningEmulator, kind: str, loss: str
) -> None:
    path, create, held = CREATES[kind]
    backend = ocean_emulator.backend
    ocean_emulator.control.fault(method="POST", path=path, when="after", **LOSSES[loss])

    async def go() -> None:
        client = DigitalOceanClient(
            ocean_emulator.token, ocean_emulator.base_url, timeout=CLIENT_TIMEOUT_S,
            governor=RateGovernor.unlimited(),
        )  # fmt: skip
        async with client as c:
            with pytest.raises(errors.AmbiguousRequestError) as failure:
                await create(c, backend)
            assert failure.value.method == "POST" and failure.value.path == path

    asyncio.run(go())
    # The client saw a failure; the emulator holds exactly one of what it asked for.
    assert len(held(backend)) == 1, held(backend)
    # One POST, carried out once. (A delayed answer is logged when it is finally sent.)
    deadline = time.monotonic() + DELAY_S + 5
    while f"POST {path}" not in ocean_emulator.control.requests()["counts"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ocean_emulator.control.requests()["counts"][f"POST {path}"] == 1
