from __future__ import annotations

import httpx

from ocean.emulator.pytest_plugin import RunningEmulator

from .conftest import create_droplet

RULE = {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["0.0.0.0/0"]}}


def test_firewall_settles_from_waiting_to_succeeded(
    api: httpx.Client, ocean_emulator: RunningEmulator
) -> None:
    droplet = create_droplet(api)
    created = api.post(
        "/v2/firewalls", json={"name": "fw", "inbound_rules": [RULE], "droplet_ids": [droplet["id"]]}
    )
    assert created.status_code == 202
    fw = created.json()["firewall"]
    assert fw["status"] == "waiting"
    assert fw["pending_changes"] == [{"droplet_id": droplet["id"], "removing": False, "status": "waiting"}]
    ocean_emulator.control.advance(ocean_emulator.config.firewall_settle_s)
    settled = api.get(f"/v2/firewalls/{fw['id']}").json()["firewall"]
    assert settled["status"] == "succeeded" and settled["pending_changes"] == []
    replaced = api.put(f"/v2/firewalls/{fw['id']}", json={"name": "fw2", "inbound_rules": [RULE]})
    assert replaced.json()["firewall"]["droplet_ids"] == [] and replaced.json()["firewall"]["name"] == "fw2"
    assert api.delete(f"/v2/firewalls/{fw['id']}").status_code == 204
    assert api.get(f"/v2/firewalls/{fw['id']}").status_code == 404


def test_firewall_validation(api: httpx.Client) -> None:
    # A body the spec forbids (no rules at all) is a 400 on the firewall paths, as the spec documents;
    # a well-formed body naming things that do not exist or do not fit is a 422.
    empty = api.post("/v2/firewalls", json={"name": "empty"})
    assert empty.status_code == 400 and empty.json()["id"] == "bad_request"
    unknown = api.post("/v2/firewalls", json={"name": "fw", "inbound_rules": [RULE], "droplet_ids": [424242]})
    assert unknown.status_code == 422 and "424242" in unknown.json()["message"]
    bad_port = {**RULE, "ports": "99999"}
    assert api.post("/v2/firewalls", json={"name": "fw", "inbound_rules": [bad_port]}).status_code == 422


def test_vpcs(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    defaults = [v for v in api.get("/v2/vpcs", params={"per_page": 200}).json()["vpcs"] if v["default"]]
    assert len(defaults) == 10
    vpc = api.post("/v2/vpcs", json={"name": "app", "region": "fra1", "ip_range": "10.20.0.0/20"})
    assert vpc.status_code == 201
    vpc_id = vpc.json()["vpc"]["id"]
    assert api.post("/v2/vpcs", json={"name": "app", "region": "fra1"}).status_code == 422
    overlap = api.post("/v2/vpcs", json={"name": "app2", "region": "fra1", "ip_range": "10.20.8.0/24"})
    assert overlap.status_code == 422
    droplet = create_droplet(api, region="fra1", vpc_uuid=vpc_id)
    ocean_emulator.control.advance(30)
    fresh = api.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]
    private = next(n for n in fresh["networks"]["v4"] if n["type"] == "private")
    assert private["ip_address"].startswith("10.20.0.")
    members = api.get(f"/v2/vpcs/{vpc_id}/members").json()["members"]
    assert members == [
        {"urn": f"do:droplet:{droplet['id']}", "name": "web-1", "created_at": fresh["created_at"]}
    ]
    assert api.delete(f"/v2/vpcs/{vpc_id}").status_code == 403
    api.delete(f"/v2/droplets/{droplet['id']}")
    config = ocean_emulator.config
    ocean_emulator.control.advance(config.droplet_delete_s)
    # Gone (404), but DigitalOcean's VPC service still counts it for vpc_member_lag_s.
    assert api.get(f"/v2/droplets/{droplet['id']}").status_code == 404
    assert api.get(f"/v2/vpcs/{vpc_id}/members").json()["members"] == members
    assert api.delete(f"/v2/vpcs/{vpc_id}").status_code == 403
    ocean_emulator.control.advance(config.vpc_member_lag_s - 0.5)
    assert api.delete(f"/v2/vpcs/{vpc_id}").status_code == 403
    ocean_emulator.control.advance(0.5)
    assert api.get(f"/v2/vpcs/{vpc_id}/members").json()["members"] == []
    assert api.delete(f"/v2/vpcs/{vpc_id}").status_code == 204
    assert api.delete(f"/v2/vpcs/{defaults[0]['id']}").status_code == 403


def test_vpc_peering_lifecycle(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    a = api.post("/v2/vpcs", json={"name": "a", "region": "nyc1"}).json()["vpc"]["id"]
    b = api.post("/v2/vpcs", json={"name": "b", "region": "nyc1"}).json()["vpc"]["id"]
    assert api.post("/v2/vpc_peerings", json={"name": "self", "vpc_ids": [a, a]}).status_code == 422
    created = api.post("/v2/vpc_peerings", json={"name": "ab", "vpc_ids": [a, b]})
    assert created.status_code == 202 and created.json()["vpc_peering"]["status"] == "PROVISIONING"
    peering_id = created.json()["vpc_peering"]["id"]
    assert api.post("/v2/vpc_peerings", json={"name": "ab", "vpc_ids": [b, a]}).status_code == 422
    ocean_emulator.control.advance(ocean_emulator.config.vpc_peering_create_s)
    assert api.get(f"/v2/vpc_peerings/{peering_id}").json()["vpc_peering"]["status"] == "ACTIVE"
    renamed = api.patch(f"/v2/vpc_peerings/{peering_id}", json={"name": "ab2"})
    assert renamed.json()["vpc_peering"]["name"] == "ab2"
    deleting = api.delete(f"/v2/vpc_peerings/{peering_id}")
    assert deleting.status_code == 202 and deleting.json()["vpc_peering"]["status"] == "DELETING"
    ocean_emulator.control.advance(ocean_emulator.config.vpc_peering_delete_s)
    assert api.get(f"/v2/vpc_peerings/{peering_id}").status_code == 404
