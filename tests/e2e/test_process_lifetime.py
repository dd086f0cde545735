"""Nothing left running: after `pulumi import --out`, `up`, `preview` and an `up` killed mid-create, no
provider or emulator process this test started remains. The test's processes are told apart from
everything else on the machine by a marker in their environment (harness.marked_processes).

`pulumi import --out` runs under both engines; under the newest it fails at code generation
(`method GenerateProgram not implemented`, README "Pulumi version") after importing, and must leave
nothing behind all the same.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from tests.e2e.harness import (
    REPO,
    VENV,
    Engine,
    Stack,
    emulator_droplet,
    marked_processes,
    new_marker,
    wait_until,
)

pytestmark = pytest.mark.engines("newest", "oldest")

PROGRAM = """
import pulumi
import pulumi_ocean as ocean

config = pulumi.Config()
ocean.Droplet("adopted", name="made-elsewhere", region="ams3", size="s-1vcpu-1gb", image="debian-12-x64",
              opts=pulumi.ResourceOptions(protect=False))
if config.get_bool("more"):
    ocean.Droplet("more", region="ams3", size="s-1vcpu-1gb", image="debian-12-x64")
"""


def _providers(marker: str) -> dict[int, str]:
    return {
        pid: cmd
        for pid, cmd in marked_processes(marker).items()
        if "ocean.provider" in cmd or str(REPO / "provider") in cmd
    }


def _emulators(marker: str) -> dict[int, str]:
    return {pid: cmd for pid, cmd in marked_processes(marker).items() if "emulator serve" in cmd}


def _none_left(what: Any, marker: str, after: str, within: float = 5.0) -> None:
    end = time.monotonic() + within
    while (left := what(marker)) and time.monotonic() < end:
        time.sleep(0.1)
    assert not left, f"still running {within:.0f}s after {after}: {left}"


def test_no_provider_or_emulator_outlives_import_up_preview_and_a_killed_up(
    new_stack: Any, engine: Engine
) -> None:
    marker = new_marker()
    env = {**os.environ, "OCEAN_E2E_MARKER": marker}
    ocean_emulator = subprocess.Popen(
        [str(VENV / "bin" / "ocean"), "emulator", "serve", "--port", "0", "--time-scale", "100"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert ocean_emulator.stdout is not None
        base_url = ocean_emulator.stdout.readline().strip()
        assert base_url.startswith("http://"), base_url
        api = httpx.Client(base_url=base_url, headers={"Authorization": "Bearer lifetime"}, timeout=10)
        made = api.post(
            "/v2/droplets",
            json={
                "name": "made-elsewhere",
                "region": "ams3",
                "size": "s-1vcpu-1gb",
                "image": "debian-12-x64",
            },
        ).json()["droplet"]
        emu = SimpleNamespace(base_url=base_url)
        wait_until(lambda: emulator_droplet(emu, made["id"])["status"] == "active")

        stack: Stack = new_stack(
            "import pulumi\n",
            marker=marker,
            extra_env={"DIGITALOCEAN_API_URL": base_url, "DIGITALOCEAN_TOKEN": "lifetime-token"},
        )
        imported = stack.import_(
            "ocean:index:Droplet", "adopted", str(made["id"]), "--protect=false", check=False
        )
        if engine.name == "oldest":
            assert imported.returncode == 0, imported.output
            assert "made-elsewhere" in (stack.workdir / "import_program.py").read_text()
        elif imported.returncode != 0:
            # Our newest engine's v3.79.0 language host cannot generate code (a full Pulumi install can).
            assert "GenerateProgram not implemented" in imported.output, imported.output
        assert [r["id"] for r in stack.resources("ocean:index:Droplet")] == [str(made["id"])]
        _none_left(_providers, marker, "pulumi import --out")

        stack.write_program(PROGRAM)
        stack.up()
        _none_left(_providers, marker, "pulumi up")
        stack.preview()
        _none_left(_providers, marker, "pulumi preview")

        # An `up` killed outright (SIGKILL: the engine cannot stop anything) while a create waits on an
        # action that cannot finish.
        api.post("/_emulator/clock", json={"mode": "manual"}).raise_for_status()
        stack.set_config("more", "true")
        proc, log = stack.start("up", "--yes", "--skip-preview")
        try:
            wait_until(lambda: len(api.get("/v2/droplets").json()["droplets"]) == 2, timeout=120)
            wait_until(lambda: bool(_providers(marker)), timeout=30)
        finally:
            proc.kill()
            proc.wait(timeout=30)
        _none_left(_providers, marker, "pulumi up was killed")
        api.post("/_emulator/clock", json={"mode": "scaled", "scale": 100}).raise_for_status()
        stack.destroy(check=False)
    finally:
        ocean_emulator.send_signal(signal.SIGTERM)
        try:
            ocean_emulator.wait(timeout=10)
        except subprocess.TimeoutExpired:
            ocean_emulator.kill()
    _none_left(_emulators, marker, "the emulator was told to stop")
