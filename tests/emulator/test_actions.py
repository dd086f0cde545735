from __future__ import annotations

import httpx

from ocean.emulator.pytest_plugin import RunningEmulator

from .conftest import active_droplet


def act(api: httpx.Client, droplet_id: int, **body: object) -> httpx.Response:
    return api.post(f"/v2/droplets/{droplet_id}/actions", json=body)


def test_action_locks_droplet_until_complete(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    droplet = active_droplet(api, ocean_emulator)
    started = act(api, droplet["id"], type="power_off")
    assert started.status_code == 201
    action = started.json()["action"]
    assert action["status"] == "in-progress" and action["region_slug"] == "nyc3"
    assert api.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]["locked"] is True
    busy = act(api, droplet["id"], type="reboot")
    assert busy.status_code == 422
    assert busy.json()["message"] == "Droplet already has a pending event."
    ocean_emulator.control.advance(ocean_emulator.config.action_s["power_off"])
    fresh = api.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]
    assert fresh["status"] == "off" and fresh["locked"] is False
    done = api.get(f"/v2/droplets/{droplet['id']}/actions/{action['id']}").json()["action"]
    assert done["status"] == "completed"
    listed = api.get(f"/v2/droplets/{droplet['id']}/actions").json()
    assert [a["type"] for a in listed["actions"]] == ["power_off", "create"]
    assert act(api, droplet["id"], type="power_on").status_code == 201
    ocean_emulator.control.advance(10)
    assert api.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]["status"] == "active"


def test_pending_create_blocks_actions(api: httpx.Client) -> None:
    droplet = api.post(
        "/v2/droplets", json={"name": "x", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "debian-12-x64"}
    ).json()["droplet"]
    assert act(api, droplet["id"], type="reboot").status_code == 422


def test_rename_applies_on_completion(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    droplet = active_droplet(api, ocean_emulator)
    assert act(api, droplet["id"], type="rename", name="renamed").status_code == 201
    assert api.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]["name"] == "web-1"
    ocean_emulator.control.advance(3)
    assert api.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]["name"] == "renamed"
    assert act(api, droplet["id"], type="rename", name="bad name").status_code == 422


def test_resize_rules(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    droplet = active_droplet(api, ocean_emulator, size="s-1vcpu-2gb")
    on = act(api, droplet["id"], type="resize", size="s-2vcpu-4gb")
    assert on.status_code == 422 and "powered off" in on.json()["message"]
    act(api, droplet["id"], type="power_off")
    ocean_emulator.control.advance(10)
    smaller = act(api, droplet["id"], type="resize", size="s-1vcpu-1gb")
    assert smaller.status_code == 422 and "smaller disk" in smaller.json()["message"]
    assert act(api, droplet["id"], type="resize", size="nope").status_code == 422
    # CPU/RAM only: the disk stays.
    assert act(api, droplet["id"], type="resize", size="s-2vcpu-2gb", disk=False).status_code == 201
    ocean_emulator.control.advance(60)
    fresh = api.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]
    assert fresh["size_slug"] == "s-2vcpu-2gb" and fresh["vcpus"] == 2 and fresh["disk"] == 50
    assert fresh["status"] == "off"
    # Disk too: grows for good, so going back to a smaller disk is refused.
    assert act(api, droplet["id"], type="resize", size="s-2vcpu-4gb", disk=True).status_code == 201
    ocean_emulator.control.advance(60)
    fresh = api.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]
    assert fresh["disk"] == 80 and fresh["memory"] == 4096
    assert act(api, droplet["id"], type="resize", size="s-2vcpu-2gb").status_code == 422


def test_snapshot_action_creates_snapshot(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    droplet = active_droplet(api, ocean_emulator)
    assert act(api, droplet["id"], type="snapshot", name="before-upgrade").status_code == 201
    assert api.get("/v2/snapshots").json()["snapshots"] == []
    ocean_emulator.control.advance(60)
    (snapshot,) = api.get("/v2/snapshots").json()["snapshots"]
    assert snapshot["name"] == "before-upgrade" and snapshot["resource_id"] == str(droplet["id"])
    assert api.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]["snapshot_ids"] == [int(snapshot["id"])]
    assert api.get(f"/v2/snapshots/{snapshot['id']}").json()["snapshot"] == snapshot
    assert len(api.get(f"/v2/droplets/{droplet['id']}/snapshots").json()["snapshots"]) == 1
    image = api.get(f"/v2/images/{snapshot['id']}").json()["image"]
    assert image["type"] == "snapshot" and image["public"] is False
    assert api.delete(f"/v2/snapshots/{snapshot['id']}").status_code == 204
    assert api.get(f"/v2/snapshots/{snapshot['id']}").status_code == 404


def test_backups_ipv6_and_misc_actions(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    droplet = active_droplet(api, ocean_emulator)
    for body, advance in [
        ({"type": "enable_backups"}, 5),
        ({"type": "change_backup_policy", "backup_policy": {"plan": "daily", "hour": 4}}, 5),
        ({"type": "enable_ipv6"}, 10),
        ({"type": "password_reset"}, 5),
        ({"type": "reboot"}, 20),
        ({"type": "power_cycle"}, 20),
        ({"type": "rebuild", "image": "ubuntu-22-04-x64"}, 60),
    ]:
        response = act(api, droplet["id"], **body)
        assert response.status_code == 201, (body, response.text)
        ocean_emulator.control.advance(advance)
        assert (
            api.get(f"/v2/actions/{response.json()['action']['id']}").json()["action"]["status"]
            == "completed"
        )
    fresh = api.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]
    assert "backups" in fresh["features"] and fresh["next_backup_window"] is not None
    assert "ipv6" in fresh["features"] and fresh["networks"]["v6"]
    assert fresh["image"]["slug"] == "ubuntu-22-04-x64"
    act(api, droplet["id"], type="disable_backups")
    ocean_emulator.control.advance(5)
    assert "backups" not in api.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]["features"]
    assert act(api, droplet["id"], type="teleport").status_code == 422
    assert act(api, 999, type="reboot").status_code == 404


def test_errored_action_fault_leaves_droplet_alone(
    api: httpx.Client, ocean_emulator: RunningEmulator
) -> None:
    droplet = active_droplet(api, ocean_emulator)
    ocean_emulator.control.fault(action_type="power_off", outcome="errored", times=1)
    action = act(api, droplet["id"], type="power_off").json()["action"]
    ocean_emulator.control.advance(10)
    assert api.get(f"/v2/actions/{action['id']}").json()["action"]["status"] == "errored"
    assert api.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]["status"] == "active"
    action = act(api, droplet["id"], type="power_off").json()["action"]
    ocean_emulator.control.advance(10)
    assert api.get(f"/v2/actions/{action['id']}").json()["action"]["status"] == "completed"


def test_actions_list_paginates(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    active_droplet(api, ocean_emulator)
    body = api.get("/v2/actions", params={"per_page": 1}).json()
    assert body["meta"]["total"] == 1 and body["actions"][0]["type"] == "create"
    assert api.get("/v2/actions/12345").status_code == 404
