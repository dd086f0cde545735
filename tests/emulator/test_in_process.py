"""The emulator without a socket: ``create_app(config)`` behind ``httpx.ASGITransport``, driven by the real
``ocean.api.DigitalOceanClient``, with a manual clock the test advances in process (the waiters' injected
sleep moves it)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from ocean.api import DigitalOceanClient, RateGovernor, errors, waiters
from ocean.emulator.app import create_app
from ocean.emulator.backend import Backend
from ocean.emulator.config import EmulatorConfig

CREATE = {"name": "in-process", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}


class ManualTime:
    """The waiters' clock and sleep: sleeping moves the emulator's manual clock, nothing waits for real."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.now = 0.0
        self.slept = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds
        self.backend.advance(seconds)
        await asyncio.sleep(0)


def test_the_real_client_against_the_app_in_process() -> None:
    app = create_app(EmulatorConfig(clock_mode="manual"))
    backend: Backend = app.state.backend
    t = ManualTime(backend)

    async def go() -> None:
        client = DigitalOceanClient(
            "in-process-token", "http://emulator.invalid", transport=httpx.ASGITransport(app=app),
            governor=RateGovernor.unlimited(), sleep=t.sleep, clock=t.clock,
        )  # fmt: skip
        async with client as c:
            created = await c.droplets.create(dict(CREATE))
            assert (await c.droplets.get(created.droplet.id)).status == "new"
            action = await waiters.wait_for_action(
                c, created.action_ids[0], clock=t.clock, sleep=t.sleep, timeout=600
            )
            assert action.status == "completed"
            # The waiter slept about as long as a create takes, in emulated time only.
            assert backend.config.droplet_create_s <= t.slept <= backend.config.droplet_create_s + 5
            droplet = await c.droplets.get(created.droplet.id)
            assert droplet.status == "active" and droplet.public_ipv4

            # The test moves the clock itself, too.
            off = await c.droplet_actions.post(droplet.id, "power_off")
            backend.advance(backend.config.action_duration("power_off"))
            assert (await c.actions.get(off.id)).status == "completed"
            assert (await c.droplets.get(droplet.id)).status == "off"

            # Faults work in process: a dropped connection is a transport error for the client.
            backend.add_fault(
                {"method": "POST", "path": "/v2/tags", "drop_connection": True, "when": "after"}
            )
            with pytest.raises(errors.AmbiguousRequestError):
                await c.tags.create("kept")
            assert (await c.tags.get("kept")).name == "kept"  # carried out, then the answer was lost

            # The request log counts every call, as over a socket.
            counts = backend.requests()["counts"]
            assert counts["POST /v2/droplets"] == 1 and counts["POST /v2/tags"] == 1

    asyncio.run(go())
