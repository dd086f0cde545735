"""Ctrl-C during `pulumi up` loses nothing: SIGINT while droplets are being created stops the CLI
promptly, every droplet that exists is in the state, and the next `up` converges without duplicates.

Newest engine only: Pulumi v3.79.0 kills its providers before it sends them Cancel (an engine bug,
fixed in later releases), so the droplets being created are orphaned there (README "Pulumi version").
"""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest

from tests.e2e.harness import Stack, emulator_api, wait_until

PROGRAM = """
import pulumi
import pulumi_ocean as ocean

for name in ("a", "b"):
    d = ocean.Droplet(name, region="nyc3", size="s-1vcpu-1gb", image="ubuntu-24-04-x64", tags=["ctrl-c"])
    pulumi.export(name, d.droplet_id)
"""


def _droplet_ids(emu: Any) -> list[int]:
    with emulator_api(emu) as api:
        return sorted(d["id"] for d in api.get("/v2/droplets", params={"per_page": 200}).json()["droplets"])


def _polls(emu: Any) -> int:
    """The provider's GETs of single droplets and actions (the test's own are of the droplet list)."""
    requests = emu.control.requests()["requests"]
    return sum(1 for r in requests if r["method"] == "GET" and r.get("template") != "/v2/droplets")


@pytest.mark.engines("newest")
def test_sigint_during_create_waits_records_every_droplet_and_the_next_up_converges(
    new_stack: Any, ocean_emulator_factory: Any, record_property: Any
) -> None:
    emu = ocean_emulator_factory(time_scale=1.0, clock_mode="manual")  # creates wait until the clock moves
    stack: Stack = new_stack(
        PROGRAM, extra_env={"DIGITALOCEAN_API_URL": emu.base_url, "DIGITALOCEAN_TOKEN": "ctrl-c-token"}
    )
    proc, log = stack.start("up", "--yes", "--skip-preview")
    try:
        wait_until(lambda: len(_droplet_ids(emu)) == 2, timeout=120)
        # Both creates are now polling, waiting for actions that cannot finish (the clock stands still).
        wait_until(lambda: _polls(emu) >= 4, timeout=60)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        stopped_in = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
    record_property("cli_stopped_after_sigint_s", round(stopped_in, 3))
    output = log.read_text()
    assert proc.returncode != 0, output
    assert stopped_in < 2.0, f"the CLI took {stopped_in:.2f}s to stop after SIGINT\n{output}"

    existing = _droplet_ids(emu)
    recorded = sorted(int(r["id"]) for r in stack.resources("ocean:index:Droplet") if r.get("id"))
    assert len(existing) == 2
    assert set(existing) <= set(recorded), f"droplets {existing} exist, the state has {recorded}\n{output}"

    emu.control.set_clock("scaled", scale=100.0)
    stack.up()
    assert _droplet_ids(emu) == existing, "the next up finished the same droplets, created none"
    outputs = stack.outputs()
    assert sorted([outputs["a"], outputs["b"]]) == existing
    assert sorted(int(r["id"]) for r in stack.resources("ocean:index:Droplet")) == existing
    assert stack.preview()["changeSummary"] == {"same": 3}
