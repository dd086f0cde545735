"""VPC and VPC peering rules beyond the happy path: a peering sent to an error status (or held in one)
by a fault, members that DigitalOcean still lists after they are gone, members of kinds the emulator does
not run, the ``ip_range`` sizes the spec allows, and 403 or 409 for a VPC that still has members. Answers
are checked against DigitalOcean's spec wherever the spec can describe them."""

from __future__ import annotations

import ipaddress
import time
from typing import Any

import httpx
import pytest

from ocean.emulator.pytest_plugin import RunningEmulator

from .conftest import active_droplet
from .spec_check import SpecChecker

PEERING = "/v2/vpc_peerings/{vpc_peering_id}"


def vpc(api: httpx.Client, name: str, **body: Any) -> str:
    created = api.post("/v2/vpcs", json={"name": name, "region": "nyc1", **body})
    assert created.status_code == 201, created.text
    return str(created.json()["vpc"]["id"])


def peer(api: httpx.Client, name: str = "ab") -> str:
    a, b = vpc(api, f"{name}-a"), vpc(api, f"{name}-b")
    created = api.post("/v2/vpc_peerings", json={"name": name, "vpc_ids": [a, b]})
    assert created.status_code == 202, created.text
    return str(created.json()["vpc_peering"]["id"])


def status(api: httpx.Client, peering_id: str) -> str | None:
    got = api.get(f"/v2/vpc_peerings/{peering_id}")
    return None if got.status_code == 404 else str(got.json()["vpc_peering"]["status"])


def test_a_peering_fault_sends_the_next_peering_to_an_error_status_and_it_can_be_deleted(
    api: httpx.Client, ocean_emulator: RunningEmulator
) -> None:
    config = ocean_emulator.config
    ocean_emulator.control.fault(vpc_peering_status="FAILED", times=1)
    failing = peer(api, "one")
    ocean_emulator.control.advance(config.vpc_peering_create_s - 1)
    assert status(api, failing) == "PROVISIONING", "the fault strikes when provisioning is up, not before"
    ocean_emulator.control.advance(1)
    # FAILED is not in the spec's enum (PROVISIONING, ACTIVE, DELETING): it stands for an error state.
    assert status(api, failing) == "FAILED"
    fine = peer(api, "two")
    ocean_emulator.control.advance(config.vpc_peering_create_s)
    assert status(api, fine) == "ACTIVE", "times=1: only the next peering"
    deleting = api.delete(f"/v2/vpc_peerings/{failing}")
    assert deleting.status_code == 202 and deleting.json()["vpc_peering"]["status"] == "DELETING"
    ocean_emulator.control.advance(config.vpc_peering_delete_s)
    assert status(api, failing) is None


def test_a_provisioning_fault_holds_a_peering_even_on_a_scaled_clock(
    ocean_emulator_factory: Any, checker: SpecChecker
) -> None:
    emu = ocean_emulator_factory(time_scale=1000.0, clock_mode="scaled")
    emu.control.fault(vpc_peering_status="PROVISIONING", times=1)
    with emu.client() as api:
        stuck = peer(api, "stuck")
        start = emu.control.now()
        while emu.control.now() - start < 5 * emu.config.vpc_peering_create_s:
            time.sleep(0.02)
        got = api.get(f"/v2/vpc_peerings/{stuck}")
        checker.response(got, PEERING, vpc_peering_id=stuck)
        assert got.json()["vpc_peering"]["status"] == "PROVISIONING"
        assert emu.control.state()["faults"] == [], "the rule fired"


@pytest.mark.parametrize("held", ["DELETING", "ACTIVE"])
def test_a_deletion_fault_holds_a_peering_or_sends_it_back(
    api: httpx.Client, ocean_emulator: RunningEmulator, checker: SpecChecker, held: str
) -> None:
    config = ocean_emulator.config
    peering = peer(api)
    ocean_emulator.control.advance(config.vpc_peering_create_s)
    ocean_emulator.control.fault(vpc_peering_status=held, vpc_peering_phase="deleting", times=1)
    assert api.delete(f"/v2/vpc_peerings/{peering}").status_code == 202
    ocean_emulator.control.advance(config.vpc_peering_delete_s * 10)
    got = api.get(f"/v2/vpc_peerings/{peering}")
    checker.response(got, PEERING, vpc_peering_id=peering)
    assert got.json()["vpc_peering"]["status"] == held
    assert api.delete(f"/v2/vpc_peerings/{peering}").status_code == 202
    ocean_emulator.control.advance(config.vpc_peering_delete_s)
    if held == "DELETING":
        assert status(api, peering) == "DELETING", "a stuck deletion stays stuck"
    else:
        assert status(api, peering) is None, "sent back to ACTIVE, then deleted again (the rule fired)"


def test_a_gone_droplet_stays_a_member_for_the_configured_lag(ocean_emulator_factory: Any) -> None:
    emu = ocean_emulator_factory(vpc_member_lag_s=30.0, droplet_delete_s=2.0)
    with emu.client() as api:
        vpc_id = vpc(api, "lagging")
        droplet = active_droplet(api, emu, region="nyc1", vpc_uuid=vpc_id)
        assert api.delete(f"/v2/droplets/{droplet['id']}").status_code == 204
        emu.control.advance(2.0)
        assert api.get(f"/v2/droplets/{droplet['id']}").status_code == 404
        emu.control.advance(29.0)
        assert [m["name"] for m in api.get(f"/v2/vpcs/{vpc_id}/members").json()["members"]] == ["web-1"]
        assert api.delete(f"/v2/vpcs/{vpc_id}").status_code == 403
        emu.control.advance(1.0)
        assert api.get(f"/v2/vpcs/{vpc_id}/members").json()["members"] == []
        assert api.delete(f"/v2/vpcs/{vpc_id}").status_code == 204
    without = ocean_emulator_factory(vpc_member_lag_s=0.0)
    with without.client() as api:
        vpc_id = vpc(api, "prompt")
        droplet = active_droplet(api, without, region="nyc1", vpc_uuid=vpc_id)
        api.delete(f"/v2/droplets/{droplet['id']}")
        without.control.advance(without.config.droplet_delete_s)
        assert api.delete(f"/v2/vpcs/{vpc_id}").status_code == 204


def test_members_the_emulator_does_not_run_keep_a_vpc_until_they_leave(
    api: httpx.Client, ocean_emulator: RunningEmulator, checker: SpecChecker
) -> None:
    vpc_id = vpc(api, "busy")
    lb = ocean_emulator.control.add_vpc_member(vpc_id, "do:loadbalancer:lb-1", "lb-1", leaves_after_s=10)
    ocean_emulator.control.add_vpc_member(vpc_id, "do:kubernetes:k8s-1", "k8s-1")
    assert lb["urn"] == "do:loadbalancer:lb-1" and lb["name"] == "lb-1"
    listed = api.get(f"/v2/vpcs/{vpc_id}/members")
    checker.response(listed, "/v2/vpcs/{vpc_id}/members", vpc_id=vpc_id)
    assert [m["name"] for m in listed.json()["members"]] == ["lb-1", "k8s-1"]
    only_lbs = api.get(f"/v2/vpcs/{vpc_id}/members", params={"resource_type": "loadbalancer"})
    assert [m["name"] for m in only_lbs.json()["members"]] == ["lb-1"]
    refused = api.delete(f"/v2/vpcs/{vpc_id}")
    checker.response(refused, "/v2/vpcs/{vpc_id}", vpc_id=vpc_id)
    assert refused.status_code == 403 and refused.json()["message"] == "Can not delete VPC with members"
    ocean_emulator.control.advance(10)
    assert [m["name"] for m in api.get(f"/v2/vpcs/{vpc_id}/members").json()["members"]] == ["k8s-1"]
    assert api.delete(f"/v2/vpcs/{vpc_id}").status_code == 403, "the cluster never leaves"
    for bad, field in [
        ({"urn": "do:droplet:5", "name": "d"}, "urn"),
        ({"urn": "do:loadbalancer:x", "name": ""}, "name"),
        ({"urn": "do:loadbalancer:y", "name": "y", "leaves_after_s": -1}, "leaves_after_s"),
        ({"urn": "do:loadbalancer:z", "name": "z", "colour": "red"}, "colour"),
    ]:
        answer = httpx.post(f"{ocean_emulator.base_url}/_emulator/vpcs/{vpc_id}/members", json=bad)
        assert answer.status_code == 422 and field in answer.json()["message"], answer.text
    missing = httpx.post(
        f"{ocean_emulator.base_url}/_emulator/vpcs/5a4981aa-9653-4bd1-bef5-d6bff52042e4/members",
        json={"urn": "do:loadbalancer:x", "name": "x"},
    )
    assert missing.status_code == 404


def test_a_refusal_can_answer_409_as_the_live_api_does(ocean_emulator_factory: Any) -> None:
    emu = ocean_emulator_factory(vpc_delete_refusal_status=409)
    with emu.client() as api:
        vpc_id = vpc(api, "net")
        emu.control.add_vpc_member(vpc_id, "do:dbaas:db-1", "db-1")
        refused = api.delete(f"/v2/vpcs/{vpc_id}")
        assert refused.status_code == 409 and refused.json()["id"] == "conflict"
        default = next(v for v in api.get("/v2/vpcs").json()["vpcs"] if v["default"])
        assert api.delete(f"/v2/vpcs/{default['id']}").status_code == 403, "the default VPC: always 403"


@pytest.mark.parametrize(
    ("ip_range", "accepted"),
    [
        ("10.30.0.0/16", True),
        ("10.31.0.0/24", True),
        ("10.32.0.0/25", True),
        ("10.33.0.16/28", True),
        ("10.34.0.0/29", False),
        ("10.0.0.0/15", False),
        ("8.8.8.0/24", False),
    ],
)
def test_ip_ranges_from_16_to_28_as_the_spec_says(
    api: httpx.Client, checker: SpecChecker, ip_range: str, accepted: bool
) -> None:
    body = {"name": "sized", "region": "nyc1", "ip_range": ip_range}
    assert (checker.request_body("post", "/v2/vpcs", body) == []) is True
    created = api.post("/v2/vpcs", json=body)
    checker.response(created, "/v2/vpcs")
    assert (created.status_code == 201) is accepted, created.text
    if not accepted:
        assert "ip_range" in created.json()["message"]


def test_a_small_range_hands_out_addresses_inside_it(
    api: httpx.Client, ocean_emulator: RunningEmulator
) -> None:
    vpc_id = vpc(api, "tiny", ip_range="10.40.0.0/28")
    addresses = []
    for i in range(15):
        d = active_droplet(api, ocean_emulator, name=f"d{i}", region="nyc1", vpc_uuid=vpc_id)
        addresses += [n["ip_address"] for n in d["networks"]["v4"] if n["type"] == "private"]
    network = ipaddress.ip_network("10.40.0.0/28")
    assert all(ipaddress.ip_address(a) in network for a in addresses)
    assert all(a not in (str(network.network_address), str(network.broadcast_address)) for a in addresses)
