"""Shared pollers under the real engine: six droplets created at once wait on their create actions through
one poller (list requests), against the same program with `OCEAN_POLLING=per-resource` (every droplet
polls its own action) in the same test. Requests are counted from the emulator's request log."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.harness import Stack

N = 6
PROGRAM = f"""
import pulumi
import pulumi_ocean as ocean

for i in range({N}):
    ocean.Droplet(f"web{{i}}", region="nyc3", size="s-1vcpu-1gb", image="ubuntu-24-04-x64", tags=["web"])
"""
LIST = "GET /v2/actions"
ONE = "GET /v2/actions/{action_id}"


def _up(new_stack: Any, emu: Any, mode: str) -> tuple[Stack, dict[str, int]]:
    env = {"DIGITALOCEAN_API_URL": emu.base_url, "DIGITALOCEAN_TOKEN": "e2e-token", "OCEAN_POLLING": mode}
    stack: Stack = new_stack(PROGRAM, extra_env=env)
    emu.control.reset()
    stack.up()
    counts: dict[str, int] = emu.control.requests()["counts"]
    return stack, counts


@pytest.fixture
def emu(ocean_emulator_factory: Any) -> Any:
    # Slow enough (a create takes 6 s) that the waits overlap and poll several times each.
    return ocean_emulator_factory(time_scale=5.0, clock_mode="scaled")


def test_six_droplets_wait_on_one_list_of_actions(new_stack: Any, emu: Any) -> None:
    shared, got = _up(new_stack, emu, "shared")
    droplets = shared.resources("ocean:index:Droplet")
    assert len(droplets) == N and all(d["outputs"]["status"] == "active" for d in droplets)
    assert got["POST /v2/droplets"] == N
    listed, own = got.get(LIST, 0), got.get(ONE, 0)
    assert listed >= 1, got
    shared.destroy()

    baseline, old = _up(new_stack, emu, "per-resource")
    assert len(baseline.resources("ocean:index:Droplet")) == N
    assert old.get(LIST, 0) == 0 and old[ONE] >= 2 * N, old
    per_droplet = old[ONE] / N
    # Action polls are list requests, far fewer than six droplets polling their own actions.
    assert own <= per_droplet, (got, old)
    assert listed + own <= 2 * per_droplet, (got, old)
