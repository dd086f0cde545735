"""Bulk actions by tag, backups, kernels, backup policies, neighbors, image updates and the VPC-scoped
peering paths, each response checked against DigitalOcean's spec."""

from __future__ import annotations

from typing import Any

import httpx

from ocean.emulator.pytest_plugin import RunningEmulator

from .conftest import active_droplet, create_droplet
from .spec_check import SpecChecker


def ok(checker: SpecChecker, response: httpx.Response, template: str, **params: Any) -> Any:
    assert response.status_code < 300, (template, response.status_code, response.text)
    checker.response(response, template, **params)
    return response.json() if response.content else None


def test_bulk_actions_by_tag(
    api: httpx.Client, ocean_emulator: RunningEmulator, checker: SpecChecker
) -> None:
    web = [active_droplet(api, ocean_emulator, name=f"web-{i}", tags=["web"]) for i in range(2)]
    other = active_droplet(api, ocean_emulator, name="db", tags=["db"])
    started = api.post("/v2/droplets/actions", params={"tag_name": "WEB"}, json={"type": "power_off"})
    actions = ok(checker, started, "/v2/droplets/actions")["actions"]
    assert started.status_code == 201
    assert sorted(a["resource_id"] for a in actions) == sorted(d["id"] for d in web)
    assert {a["status"] for a in actions} == {"in-progress"}
    busy = api.post("/v2/droplets/actions", params={"tag_name": "web"}, json={"type": "power_on"})
    assert busy.status_code == 422
    ocean_emulator.control.advance(ocean_emulator.config.action_s["power_off"])
    assert {api.get(f"/v2/droplets/{d['id']}").json()["droplet"]["status"] for d in web} == {"off"}
    assert api.get(f"/v2/droplets/{other['id']}").json()["droplet"]["status"] == "active"
    snap = api.post(
        "/v2/droplets/actions", params={"tag_name": "web"}, json={"type": "snapshot", "name": "s"}
    )
    assert snap.status_code == 201 and len(snap.json()["actions"]) == 2
    # Not every action type can be applied by tag, and the tag is required.
    resize = api.post("/v2/droplets/actions", params={"tag_name": "db"}, json={"type": "resize", "size": "x"})
    assert resize.status_code == 422
    assert api.post("/v2/droplets/actions", json={"type": "power_on"}).status_code == 400
    none = api.post("/v2/droplets/actions", params={"tag_name": "nobody"}, json={"type": "power_on"})
    assert none.status_code == 201 and none.json()["actions"] == []


def test_backups_kernels_policies_and_neighbors(
    api: httpx.Client, ocean_emulator: RunningEmulator, checker: SpecChecker
) -> None:
    droplet = active_droplet(api, ocean_emulator, backups=True)
    plain = create_droplet(api, name="plain")
    d = {"droplet_id": droplet["id"]}
    backups = ok(
        checker, api.get(f"/v2/droplets/{droplet['id']}/backups"), "/v2/droplets/{droplet_id}/backups", **d
    )
    assert backups["backups"] == [] and backups["meta"]["total"] == 0
    kernels = ok(
        checker,
        api.get(f"/v2/droplets/{droplet['id']}/kernels", params={"per_page": 1}),
        "/v2/droplets/{droplet_id}/kernels",
        **d,
    )
    assert len(kernels["kernels"]) == 1 and "next" in kernels["links"]["pages"]
    policy = ok(
        checker,
        api.get(f"/v2/droplets/{droplet['id']}/backups/policy"),
        "/v2/droplets/{droplet_id}/backups/policy",
        **d,
    )["policy"]
    assert policy["backup_enabled"] is True and policy["backup_policy"]["plan"] == "weekly"
    policies = ok(checker, api.get("/v2/droplets/backups/policies"), "/v2/droplets/backups/policies")
    assert policies["policies"][str(plain["id"])]["backup_enabled"] is False
    supported = ok(
        checker, api.get("/v2/droplets/backups/supported_policies"), "/v2/droplets/backups/supported_policies"
    )
    assert {p["name"] for p in supported["supported_policies"]} == {"daily", "weekly"}
    neighbors = ok(
        checker,
        api.get(f"/v2/droplets/{droplet['id']}/neighbors"),
        "/v2/droplets/{droplet_id}/neighbors",
        **d,
    )
    assert neighbors == {"droplets": []}
    ok(checker, api.get("/v2/reports/droplet_neighbors_ids"), "/v2/reports/droplet_neighbors_ids")
    assert api.get("/v2/droplets/999/backups").status_code == 404
    assert api.get("/v2/droplets/999/kernels").status_code == 404


def test_update_and_delete_own_images(
    api: httpx.Client, ocean_emulator: RunningEmulator, checker: SpecChecker
) -> None:
    droplet = active_droplet(api, ocean_emulator)
    api.post(f"/v2/droplets/{droplet['id']}/actions", json={"type": "snapshot", "name": "snap"})
    ocean_emulator.control.advance(60)
    image_id = api.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]["snapshot_ids"][0]
    i = {"image_id": image_id}
    updated = ok(
        checker,
        api.put(f"/v2/images/{image_id}", json={"name": "renamed", "description": "d"}),
        "/v2/images/{image_id}",
        **i,
    )["image"]
    assert updated["name"] == "renamed" and updated["description"] == "d"
    assert api.put("/v2/images/debian-12-x64", json={"name": "x"}).status_code == 403
    assert api.delete("/v2/images/136243410").status_code == 403
    ok(checker, api.delete(f"/v2/images/{image_id}"), "/v2/images/{image_id}", **i)
    assert api.get(f"/v2/images/{image_id}").status_code == 404
    assert api.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]["snapshot_ids"] == []


def test_vpc_scoped_peering_paths(
    api: httpx.Client, ocean_emulator: RunningEmulator, checker: SpecChecker
) -> None:
    a = api.post("/v2/vpcs", json={"name": "a", "region": "nyc1"}).json()["vpc"]["id"]
    b = api.post("/v2/vpcs", json={"name": "b", "region": "nyc1"}).json()["vpc"]["id"]
    c = api.post("/v2/vpcs", json={"name": "c", "region": "nyc1"}).json()["vpc"]["id"]
    created = api.post(f"/v2/vpcs/{a}/peerings", json={"name": "ab", "vpc_id": b})
    assert created.status_code == 202
    peering = ok(checker, created, "/v2/vpcs/{vpc_id}/peerings", vpc_id=a)["peering"]
    assert peering["status"] == "PROVISIONING" and peering["vpc_ids"] == [a, b]
    template = "/v2/vpcs/{vpc_id}/peerings/{vpc_peering_id}"
    renamed = api.patch(f"/v2/vpcs/{b}/peerings/{peering['id']}", json={"name": "ab2"})
    assert ok(checker, renamed, template, vpc_id=b, vpc_peering_id=peering["id"])["peering"]["name"] == "ab2"
    assert api.patch(f"/v2/vpcs/{c}/peerings/{peering['id']}", json={"name": "x"}).status_code == 404
    assert api.post(f"/v2/vpcs/{a}/peerings", json={"name": "aa", "vpc_id": a}).status_code == 422
    assert api.post("/v2/vpcs/nope/peerings", json={"name": "x", "vpc_id": b}).status_code == 404


PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQ1eJ7o3QpM0pW4xvXq8z2V5s5d3h0h9Yk4yQ0n8a1b ci@example"


def test_ssh_keys(api: httpx.Client, checker: SpecChecker) -> None:
    created = api.post("/v2/account/keys", json={"name": "ci", "public_key": PUBLIC_KEY})
    assert created.status_code == 201
    key = ok(checker, created, "/v2/account/keys")["ssh_key"]
    assert key["fingerprint"].count(":") == 15
    template = "/v2/account/keys/{ssh_key_identifier}"
    by_fp = ok(
        checker, api.get(f"/v2/account/keys/{key['fingerprint']}"), template, ssh_key_identifier=key["id"]
    )
    assert by_fp["ssh_key"]["id"] == key["id"]
    renamed = api.put(f"/v2/account/keys/{key['id']}", json={"name": "ci-2"})
    assert ok(checker, renamed, template, ssh_key_identifier=key["id"])["ssh_key"]["name"] == "ci-2"
    assert ok(checker, api.get("/v2/account/keys"), "/v2/account/keys")["meta"]["total"] == 1
    assert api.post("/v2/account/keys", json={"name": "dup", "public_key": PUBLIC_KEY}).status_code == 422
    assert api.post("/v2/account/keys", json={"name": "bad", "public_key": "nope"}).status_code == 422
    ok(checker, api.delete(f"/v2/account/keys/{key['id']}"), template, ssh_key_identifier=key["id"])
    assert api.get(f"/v2/account/keys/{key['id']}").status_code == 404
