# ruff: noqa: E501 - long literal tables read better on one line
"""The client against the local emulator over real HTTP (the emulator's manual clock driven by the waiters'
injected sleep)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ocean.api import DigitalOceanClient, RateGovernor, errors, waiters

pytest.importorskip("ocean.emulator.pytest_plugin", reason="the emulator is not available")

CREATE = {
    "name": "web-1",
    "region": "nyc3",
    "size": "s-1vcpu-1gb",
    "image": "ubuntu-24-04-x64",
    "tags": ["web"],
}


class EmulatedTime:
    """A clock/sleep pair that moves the emulator's manual clock along with the waiter's."""

    def __init__(self, ocean_emulator: Any) -> None:
        self.emulator = ocean_emulator
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.emulator.clock.advance(seconds)
        await asyncio.sleep(0)


def _client(ocean_emulator: Any, t: EmulatedTime | None = None) -> DigitalOceanClient:
    kw: dict[str, Any] = {"governor": RateGovernor.unlimited()}
    if t is not None:
        kw.update(sleep=t.sleep, clock=t.clock)
    return DigitalOceanClient(ocean_emulator.token, ocean_emulator.base_url, **kw)


def test_droplet_lifecycle(ocean_emulator: Any) -> None:
    async def go() -> None:
        t = EmulatedTime(ocean_emulator)
        async with _client(ocean_emulator, t) as c:
            created = await c.droplets.create(CREATE)
            assert created.droplet.name == "web-1" and created.action_ids
            progress: list[waiters.WaitProgress] = []
            action = await waiters.wait_for_action(
                c,
                created.action_ids[0],
                clock=t.clock,
                sleep=t.sleep,
                on_progress=progress.append,
                timeout=600,
            )
            assert action.status == "completed" and progress[-1].status == "completed"
            d = await c.droplets.get(created.droplet.id)
            assert d.status == "active" and d.public_ipv4
            listed = c.droplets.list(tag_name="web")
            ids = [x.id async for x in listed]
            assert d.id in ids and listed.total is not None and listed.total >= 1
            await c.droplets.delete(d.id)
            await waiters.wait_until_gone(
                lambda: c.droplets.get(d.id),
                what="droplet deleted",
                clock=t.clock,
                sleep=t.sleep,
                timeout=600,
            )
            with pytest.raises(errors.NotFound) as ei:
                await c.droplets.get(d.id)
            assert ei.value.status == 404 and ei.value.path == f"/v2/droplets/{d.id}"

    asyncio.run(go())


def test_droplet_action_rename_and_catalogue(ocean_emulator: Any) -> None:
    async def go() -> None:
        t = EmulatedTime(ocean_emulator)
        async with _client(ocean_emulator, t) as c:
            created = await c.droplets.create(CREATE)
            await waiters.wait_for_action(c, created.action_ids[0], clock=t.clock, sleep=t.sleep, timeout=600)
            a = await c.droplet_actions.post(created.droplet.id, "rename", name="web-2")
            assert a.type == "rename"
            await waiters.wait_for_action(c, a.id, clock=t.clock, sleep=t.sleep, timeout=600)
            assert (await c.droplets.get(created.droplet.id)).name == "web-2"
            regions = await c.regions.list()
            sizes = await c.sizes.list()
            assert any(r.slug == "nyc3" for r in regions)
            assert any(s.slug == "s-1vcpu-1gb" and s.price_monthly > 0 for s in sizes)
            image = await c.images.get("ubuntu-24-04-x64")
            assert image.slug == "ubuntu-24-04-x64"

    asyncio.run(go())


def test_tags(ocean_emulator: Any) -> None:
    async def go() -> None:
        t = EmulatedTime(ocean_emulator)
        async with _client(ocean_emulator, t) as c:
            created = await c.droplets.create({**CREATE, "tags": []})
            tag = await c.tags.create("db")
            assert tag.name == "db"
            await c.tags.tag_resources("db", [(str(created.droplet.id), "droplet")])
            assert "db" in (await c.droplets.get(created.droplet.id)).tags
            await c.tags.untag_resources("db", [(str(created.droplet.id), "droplet")])
            assert "db" not in (await c.droplets.get(created.droplet.id)).tags
            assert (await c.tags.get("db")).name == "db"

    asyncio.run(go())


def test_post_5xx_is_ambiguous_and_get_5xx_is_retried(ocean_emulator: Any) -> None:
    async def go() -> None:
        async with _client(ocean_emulator) as c:
            ocean_emulator.control.fault(method="POST", path="/v2/droplets", status=500, times=1)
            with pytest.raises(errors.AmbiguousRequestError):
                await c.droplets.create(CREATE)
            ocean_emulator.control.clear_faults()
            counts = ocean_emulator.control.requests()["counts"]
            assert counts.get("POST /v2/droplets") == 1
            ocean_emulator.control.fault(method="GET", path="/v2/regions", status=503, times=2)
            regions = await c.regions.list()
            assert regions
            # Retried until it succeeded: two 503s, then the answer — as DigitalOcean saw it.
            log = ocean_emulator.control.requests()
            assert log["counts"].get("GET /v2/regions") == 3
            statuses = [
                r["status"] for r in log["requests"] if r["method"] == "GET" and r["path"] == "/v2/regions"
            ]
            assert statuses == [503, 503, 200]

    asyncio.run(go())
