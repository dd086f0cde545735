"""Validation DigitalOcean does at create and in actions: SSH keys must be the account's (by id or
fingerprint), a backup policy's settings must be ones DigitalOcean offers, snapshot and image names must be
names."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ocean.emulator.pytest_plugin import RunningEmulator

from .conftest import DROPLET, active_droplet, create_droplet
from .test_godo_bodies import public_key


def _refused(response: httpx.Response) -> str:
    assert response.status_code == 422, response.text
    assert response.json()["id"] == "unprocessable_entity"
    message: str = response.json()["message"]
    return message


def test_droplet_create_takes_only_the_accounts_ssh_keys(
    api: httpx.Client, ocean_emulator: RunningEmulator
) -> None:
    key = api.post("/v2/account/keys", json={"name": "ci", "public_key": public_key(7)}).json()["ssh_key"]
    for refs in (["not a key!"], [""], [999999], [key["id"], "00:11"]):
        message = _refused(api.post("/v2/droplets", json={**DROPLET, "ssh_keys": refs}))
        bad = ", ".join(str(r) for r in refs if r not in (key["id"],))
        # DigitalOcean's own wording.
        assert message == f"{bad} are invalid key identifiers for Droplet creation."
    assert ocean_emulator.backend.droplets.list() == []
    for refs in ([key["id"]], [str(key["id"])], [key["fingerprint"]], [key["id"], key["fingerprint"]], []):
        droplet = create_droplet(api, ssh_keys=refs)
        stored = ocean_emulator.backend.core.s["droplets"][str(droplet["id"])]["_ssh_keys"]
        assert stored == ([key["id"]] if refs else [])
    assert _refused(api.post("/v2/droplets", json={**DROPLET, "ssh_keys": [True]})).startswith("ssh_keys")


BAD_POLICIES: list[tuple[Any, str]] = [
    ({"plan": "hourly"}, "backup_policy.plan"),
    ({"weekday": "FUNDAY"}, "backup_policy.weekday"),
    ({"weekday": 1}, "backup_policy.weekday"),
    ({"hour": 3}, "backup_policy.hour"),
    ({"hour": "4"}, "backup_policy.hour"),
    ({"hour": False}, "backup_policy.hour"),
    ("weekly", "backup_policy"),
]


@pytest.mark.parametrize(("policy", "field"), BAD_POLICIES, ids=[str(p) for p, _ in BAD_POLICIES])
def test_backup_policy_contents_are_checked(
    api: httpx.Client, ocean_emulator: RunningEmulator, policy: Any, field: str
) -> None:
    assert field in _refused(
        api.post("/v2/droplets", json={**DROPLET, "backups": True, "backup_policy": policy})
    )
    droplet = active_droplet(api, ocean_emulator)
    for action in ("enable_backups", "change_backup_policy"):
        body = {"type": action, "backup_policy": policy}
        assert field in _refused(api.post(f"/v2/droplets/{droplet['id']}/actions", json=body))


def test_a_valid_backup_policy_is_kept(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    policy = {"plan": "daily", "hour": 20, "window_length_hours": 4}  # a read-only setting is ignored
    droplet = active_droplet(api, ocean_emulator, backups=True, backup_policy=policy)
    kept = api.get(f"/v2/droplets/{droplet['id']}/backups/policy").json()["policy"]["backup_policy"]
    assert (kept["plan"], kept["hour"], kept["weekday"]) == ("daily", 20, "SUN")


@pytest.mark.parametrize(
    "name", ["bad\x00name", "tab\there", "new\nline", "x" * 256, "   ", "\u202eevil"], ids=repr
)
def test_snapshot_and_image_names_are_names(
    api: httpx.Client, ocean_emulator: RunningEmulator, name: str
) -> None:
    droplet = active_droplet(api, ocean_emulator)
    assert "name" in _refused(
        api.post(f"/v2/droplets/{droplet['id']}/actions", json={"type": "snapshot", "name": name})
    )
    assert (
        api.post(f"/v2/droplets/{droplet['id']}/actions", json={"type": "snapshot", "name": "ok"}).status_code
        == 201
    )
    ocean_emulator.control.advance(ocean_emulator.config.action_s["snapshot"])
    (image_id,) = api.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]["snapshot_ids"]
    assert "name" in _refused(api.put(f"/v2/images/{image_id}", json={"name": name}))
    assert api.get(f"/v2/images/{image_id}").json()["image"]["name"] == "ok"
    unicode_name = "Nifty New Snapshot \u2014 caf\u00e9"
    assert (
        api.put(f"/v2/images/{image_id}", json={"name": unicode_name}).json()["image"]["name"] == unicode_name
    )
