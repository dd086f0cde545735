"""The droplet's whole life under the real `pulumi` CLI, using examples/droplet-lifecycle as the program:
create → resize with disk → power off → drift on refresh → import round trip → snapshot → destroy,
and faults injected through the emulator's control API."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.harness import (
    REPO,
    PulumiError,
    Stack,
    emulator_api,
    emulator_droplet,
    planned_op,
    wait_until,
)

LIFECYCLE = (REPO / "examples" / "droplet-lifecycle" / "__main__.py").read_text()
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQ1eJ7o3QpM0pW4xvXq8z2V5s5d3h0h9Yk4yQ0n8a1b ci@example"


@pytest.fixture
def emu(ocean_emulator_factory: Any) -> Any:
    return ocean_emulator_factory(time_scale=200.0, clock_mode="scaled")


def _stack(new_stack: Any, emu: Any, program: str = LIFECYCLE) -> Stack:
    return new_stack(  # type: ignore[no-any-return]
        program, extra_env={"DIGITALOCEAN_API_URL": emu.base_url, "DIGITALOCEAN_TOKEN": "lifecycle-token"}
    )


def _actions(emu: Any, droplet_id: int) -> list[str]:
    with emulator_api(emu) as api:
        actions = api.get(f"/v2/droplets/{droplet_id}/actions", params={"per_page": 200}).json()["actions"]
    return [a["type"] for a in sorted(actions, key=lambda a: a["id"])]


def test_create_resize_power_off_drift_snapshot_destroy(new_stack: Any, emu: Any) -> None:
    stack = _stack(new_stack, emu)
    stack.up()
    out = stack.outputs()
    droplet_id = out["droplet_id"]
    assert out["status"] == "active" and out["size"] == "s-1vcpu-1gb" and out["disk_gb"] == 25
    assert out["cheapest_size_in_region"], "lookups ran during the program"

    # Resize with disk: shutdown → resize → power_on, in place.
    stack.set_config("size", "s-2vcpu-2gb")
    stack.set_config("resizeDisk", "true")
    assert planned_op(stack.preview(), "app") == "update"
    stack.up()
    out = stack.outputs()
    assert out["droplet_id"] == droplet_id and out["size"] == "s-2vcpu-2gb" and out["disk_gb"] == 60
    assert out["status"] == "active"
    assert _actions(emu, droplet_id)[-3:] == ["shutdown", "resize", "power_on"]

    # Resizing back down to a smaller disk is refused at preview, before anything is touched.
    stack.set_config("size", "s-1vcpu-1gb")
    refused = stack.run("preview", check=False)
    assert refused.returncode != 0
    assert "smaller than the droplet's 60 GB disk" in refused.stdout + refused.stderr
    stack.set_config("size", "s-2vcpu-2gb")

    # Power off, declaratively.
    stack.set_config("running", "false")
    stack.up()
    assert stack.outputs()["status"] == "off"

    # Drift: renamed outside Pulumi; refresh records it; the next up renames it back.
    [res] = stack.resources("ocean:index:Droplet")
    name = res["outputs"]["name"]
    with emulator_api(emu) as api:
        assert (
            api.post(
                f"/v2/droplets/{droplet_id}/actions", json={"type": "rename", "name": "by-hand"}
            ).status_code
            == 201
        )
    wait_until(lambda: emulator_droplet(emu, droplet_id)["name"] == "by-hand")
    stack.refresh()
    [res] = stack.resources("ocean:index:Droplet")
    assert res["outputs"]["name"] == "by-hand"
    preview = stack.preview()
    assert planned_op(preview, "app") == "update"
    stack.up()
    assert emulator_droplet(emu, droplet_id)["name"] == name

    # Snapshot of the stopped droplet.
    stack.set_config("snapshot", "true")
    stack.up()
    out = stack.outputs()
    with emulator_api(emu) as api:
        snap = api.get(f"/v2/snapshots/{out['snapshot_id']}")
    assert snap.status_code == 200 and snap.json()["snapshot"]["resource_id"] == str(droplet_id)
    assert out["snapshot_size_gb"] > 0

    stack.destroy()
    with emulator_api(emu) as api:
        assert api.get(f"/v2/snapshots/{out['snapshot_id']}").status_code == 404
        assert api.get(f"/v2/droplets/{droplet_id}").status_code == 404


@pytest.mark.engines("oldest")  # `pulumi import --out` (code generation): see Stack.import_
def test_import_of_an_existing_droplet_round_trips_with_no_changes(new_stack: Any, emu: Any) -> None:
    with emulator_api(emu) as api:
        # DigitalOcean installs only keys of the account: add one first.
        key = api.post("/v2/account/keys", json={"name": "ci", "public_key": PUBLIC_KEY}).json()["ssh_key"]
        made = api.post(
            "/v2/droplets",
            json={
                "name": "made-elsewhere",
                "region": "ams3",
                "size": "s-1vcpu-2gb",
                "image": "debian-12-x64",
                "tags": ["Legacy"],
                "ipv6": True,
                "user_data": "#cloud-config",
                "ssh_keys": [key["id"]],
            },
        ).json()["droplet"]
    wait_until(lambda: emulator_droplet(emu, made["id"])["status"] == "active")

    stack = _stack(new_stack, emu, "import pulumi\n")
    stack.import_("ocean:index:Droplet", "imported", str(made["id"]), "--protect=false")
    generated = (stack.workdir / "import_program.py").read_text()
    assert "made-elsewhere" in generated and "user_data" not in generated and "ssh_keys" not in generated
    stack.write_program(generated)
    preview = stack.preview()
    assert planned_op(preview, "imported") == "same", preview
    assert set(preview["changeSummary"]) == {"same"}

    # Saying user data and SSH keys in the program never replaces an imported droplet.
    source = generated.replace(
        'name="made-elsewhere",',
        'name="made-elsewhere",\n    user_data="#cloud-config",\n    ssh_keys=["123"],',
    )
    assert source != generated
    stack.write_program(source)
    preview = stack.preview()
    assert planned_op(preview, "imported") in ("same", "update"), preview
    stack.destroy()


def test_an_action_that_errors_mid_update_is_recorded_and_rerun_converges(new_stack: Any, emu: Any) -> None:
    stack = _stack(new_stack, emu)
    stack.up()
    droplet_id = stack.outputs()["droplet_id"]
    emu.control.fault(action_type="power_on", outcome="errored", times=1)
    stack.set_config("size", "s-1vcpu-2gb")
    with pytest.raises(PulumiError) as info:
        stack.up()
    assert "power_on" in str(info.value) and "errored" in str(info.value)
    # The resize itself succeeded and is recorded.
    [res] = stack.resources("ocean:index:Droplet")
    assert res["outputs"]["size"] == "s-1vcpu-2gb"
    assert emulator_droplet(emu, droplet_id)["status"] == "off"
    stack.up()
    assert emulator_droplet(emu, droplet_id)["status"] == "active"
    assert stack.outputs()["status"] == "active"


def test_429_bursts_during_up_are_absorbed(new_stack: Any, emu: Any) -> None:
    emu.control.fault(path="/v2/actions/*", status=429, times=4)
    emu.control.fault(method="GET", path="/v2/droplets/*", status=429, times=2)
    stack = _stack(new_stack, emu)
    stack.up()
    assert stack.outputs()["status"] == "active"
    counts = emu.control.requests()["requests"]
    assert sum(1 for r in counts if r["status"] == 429) == 6, "every injected 429 was met, and retried"
