"""Droplets under the real `pulumi` CLI and Python language host, against the emulator over HTTP."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.harness import Stack, emulator_api, emulator_droplet, planned_op, status_lines, wait_until

PROGRAM = """
import pulumi
import pulumi_ocean as ocean

config = pulumi.Config()
web = ocean.Droplet(
    "web",
    name=config.get("name") or "web-e2e",
    region="nyc3",
    size="s-1vcpu-1gb",
    image="ubuntu-24-04-x64",
    tags=["web", "e2e"],
    user_data="#cloud-config\\nruncmd: [echo e2e-user-data-secret]\\n",
)
pulumi.export("id", web.droplet_id)
pulumi.export("name", web.name)
pulumi.export("ip", web.ipv4_address)
pulumi.export("status", web.status)
"""


@pytest.fixture
def emu(ocean_emulator_factory: Any) -> Any:
    return ocean_emulator_factory(time_scale=100.0, clock_mode="scaled")


def _stack(new_stack: Any, emu: Any, program: str = PROGRAM) -> Stack:
    return new_stack(  # type: ignore[no-any-return]
        program, extra_env={"DIGITALOCEAN_API_URL": emu.base_url, "DIGITALOCEAN_TOKEN": "e2e-token"}
    )


def test_up_preview_rename_refresh_destroy(new_stack: Any, emu: Any) -> None:
    stack = _stack(new_stack, emu)
    # `--json` streams the engine's events, the provider's status lines among them.
    up = stack.up("--json")
    out = stack.outputs()
    assert out["status"] == "active" and out["name"] == "web-e2e"
    assert isinstance(out["id"], int) and out["ip"]
    lines = status_lines(up.stdout, "web")
    progress = re.compile(rf"^waiting for droplet {out['id']} create \(action \d+\)")
    assert any(progress.match(line) for line in lines), f"no create progress in the display: {lines}"

    # The secret user data is encrypted in the state, never in plain text.
    state_text = str(stack.export())
    assert "e2e-user-data-secret" not in state_text
    assert "e2e-token" not in state_text

    # Nothing changed: preview says so.
    preview = stack.preview()
    assert planned_op(preview, "web") == "same", preview
    assert set(preview["changeSummary"]) == {"same"}

    # Rename through the program: an in-place update, not a replacement.
    stack.set_config("name", "web-renamed")
    preview = stack.preview()
    assert planned_op(preview, "web") == "update", preview
    stack.up()
    assert stack.outputs()["name"] == "web-renamed"
    assert stack.outputs()["id"] == out["id"], "a rename keeps the droplet"

    # Drift: renamed outside Pulumi, seen by refresh, then planned back.
    with emulator_api(emu) as api:
        r = api.post(f"/v2/droplets/{out['id']}/actions", json={"type": "rename", "name": "renamed-by-hand"})
        assert r.status_code == 201, r.text
    wait_until(lambda: emulator_droplet(emu, out["id"])["name"] == "renamed-by-hand")
    refresh = stack.refresh()
    assert "[diff: ~name]" in refresh.stdout, refresh.output
    [res] = stack.resources("ocean:index:Droplet")
    assert res["outputs"]["name"] == "renamed-by-hand"
    preview = stack.preview()
    assert planned_op(preview, "web") == "update"
    stack.up()
    assert emulator_droplet(emu, out["id"])["name"] == "web-renamed"

    stack.destroy()
    with emulator_api(emu) as api:
        assert api.get(f"/v2/droplets/{out['id']}").status_code == 404


def test_deleted_out_of_band_leaves_the_state_on_refresh(new_stack: Any, emu: Any) -> None:
    stack = _stack(new_stack, emu)
    stack.up()
    droplet_id = stack.outputs()["id"]
    with emulator_api(emu) as api:
        assert api.delete(f"/v2/droplets/{droplet_id}").status_code == 204
    wait_until(lambda: emulator_droplet(emu, droplet_id) is None)
    stack.refresh()
    assert stack.resources("ocean:index:Droplet") == []
    preview = stack.preview()
    assert planned_op(preview, "web") == "create"


def test_missing_token_fails_before_any_api_call(new_stack: Any, emu: Any) -> None:
    stack = new_stack(PROGRAM, extra_env={"DIGITALOCEAN_API_URL": emu.base_url})
    result = stack.run("preview", check=False)
    assert result.returncode != 0
    text = result.stdout + result.stderr
    assert "ocean:token" in text and "DIGITALOCEAN_TOKEN" in text
    assert emu.control.requests()["total"] == 0


def test_explicit_provider_with_its_own_token_and_endpoint(new_stack: Any, emu: Any) -> None:
    program = f"""
import pulumi
import pulumi_ocean as ocean

account = ocean.Provider("account", token="explicit-provider-token", api_endpoint="{emu.base_url}")
d = ocean.Droplet("web", region="sfo3", size="s-1vcpu-1gb", image="ubuntu-22-04-x64",
                  opts=pulumi.ResourceOptions(provider=account))
pulumi.export("status", d.status)
"""
    # No DIGITALOCEAN_* in the environment: only the explicit provider knows where to go.
    stack = new_stack(program)
    stack.up()
    assert stack.outputs()["status"] == "active"
    state = str(stack.export())
    assert "explicit-provider-token" not in state, "the provider's token is stored as a secret"
    assert planned_op(stack.preview(), "web") == "same"
    stack.destroy()


def test_custom_timeouts_are_honoured_and_the_droplet_is_still_recorded(
    new_stack: Any, ocean_emulator_factory: Any
) -> None:
    slow = ocean_emulator_factory(time_scale=1.0, clock_mode="scaled")  # a create takes 30 real seconds
    program = """
import pulumi
import pulumi_ocean as ocean

d = ocean.Droplet("slow", region="nyc3", size="s-1vcpu-1gb", image="ubuntu-24-04-x64",
                  opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="3s")))
"""
    stack = _stack(new_stack, slow, program)
    import time

    started = time.monotonic()
    result = stack.up(check=False)
    elapsed = time.monotonic() - started
    assert result.returncode != 0
    text = result.stdout + result.stderr
    assert "timed out" in text and "customTimeouts" in text
    assert elapsed < 25, f"gave up after {elapsed:.0f}s instead of at the 3 s timeout"
    [res] = stack.resources("ocean:index:Droplet")
    assert res["id"].isdigit(), "the droplet DigitalOcean created is recorded, not orphaned"
    stack.destroy()
    assert emulator_droplet(slow, int(res["id"])) is None
