"""Vpc and VpcPeering create/read/update/delete against the emulator in process (``emulated.py``):
waits, timeouts, cancel, unexpected statuses (the emulator's ``vpc_peering_status`` faults), resumed
waits, members going away (DigitalOcean lists a deleted droplet for a while: ``vpc_member_lag_s``),
members of other kinds, 403 or 409 refusals, the default VPC."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ocean.api import errors
from ocean.api.models import durations
from ocean.resources.base import PartialFailure, ResourceError
from ocean.resources.vpc import Vpc
from ocean.resources.vpc_peering import VpcPeering
from tests.resources.emulated import Emulated

VURN = "urn:pulumi:dev::proj::ocean:index:Vpc::net"
PURN = "urn:pulumi:dev::proj::ocean:index:VpcPeering::link"
PROVISION_S = durations.VPC_PEERING_CREATE_S
DELETING_S = durations.VPC_PEERING_DELETE_S


def pair(do: Emulated) -> list[str]:
    return [do.make_vpc("a"), do.make_vpc("b")]


def peering(do: Emulated, ids: list[str], **kw: Any) -> tuple[str, dict[str, Any]]:
    return do.run(VpcPeering.create(do.ctx(PURN, **kw), {"name": "p", "vpcIds": ids}))


def status_of(do: Emulated, peering_id: str) -> str | None:
    found = do.backend.vpc_peerings.list()
    return next((p["status"] for p in found if p["id"] == peering_id), None)


def vpc_exists(do: Emulated, vpc_id: str) -> bool:
    return any(v["id"] == vpc_id for v in do.backend.vpcs.list())


# ------------------------------------------------------------------------------------------ peering


def test_peering_create_waits_from_provisioning_to_active_showing_the_status(do: Emulated) -> None:
    ids = pair(do)
    rid, state = peering(do, ids)
    assert state["status"] == "ACTIVE" and state["peeringId"] == rid and state["vpcIds"] == ids
    assert PROVISION_S <= do.now <= PROVISION_S + 2, "returned within a poll of ACTIVE"
    assert len(do.requests("POST", "/v2/vpc_peerings")) == 1
    assert do.seen.said("last status PROVISIONING") and do.seen.said("to be ACTIVE")


def test_peering_still_provisioning_fails_at_the_timeout_keeping_it_and_the_next_up_resumes(
    emulated: Any,
) -> None:
    do = emulated(vpc_peering_create_s=45.0)  # DigitalOcean is slow today
    ids = pair(do)
    with pytest.raises(PartialFailure) as info:
        peering(do, ids, timeout=30)
    e = info.value
    assert 30.0 <= do.now <= 31.0, f"gave up after {do.now}s, not at the 30 s timeout"
    assert status_of(do, e.resource_id) == "PROVISIONING" and e.state["status"] == "PROVISIONING"
    assert e.state["peeringId"] == e.resource_id and e.state["vpcIds"] == ids
    text = str(e)
    assert "'p'" in text and ids[0] in text and ids[1] in text and "PROVISIONING" in text
    assert "next `pulumi up` resumes" in text and "customTimeouts" in text
    # Next `up`: the diff plans an update, which resumes the wait.
    assert VpcPeering.diff(e.state, {"name": "p", "vpcIds": ids}).changes
    state = do.run(VpcPeering.update(do.ctx(PURN), e.resource_id, e.state, {"name": "p", "vpcIds": ids}))
    assert state["status"] == "ACTIVE" and 45.0 <= do.now <= 47.0
    assert len(do.requests("POST", "/v2/vpc_peerings")) == 1, "never created twice"


def test_peering_error_state_names_the_peering_its_vpcs_and_the_status(do: Emulated) -> None:
    do.backend.add_fault({"vpc_peering_status": "FAILED"})
    ids = pair(do)
    with pytest.raises(PartialFailure) as info:
        peering(do, ids)
    text = str(info.value)
    assert "VpcPeering 'link'" in text and "'p'" in text and ids[0] in text and ids[1] in text
    assert "went to status FAILED" in text and "replaces it" in text
    assert info.value.state["status"] == "FAILED" and status_of(do, info.value.resource_id) == "FAILED"
    assert do.now <= PROVISION_S + 2, "an error state ends the wait at once"
    assert VpcPeering.diff(info.value.state, {"name": "p", "vpcIds": ids}).replaces == ["status"]
    # The replacement deletes it first: a FAILED peering can be deleted.
    do.run(VpcPeering.delete(do.ctx(PURN), info.value.resource_id, info.value.state))
    assert status_of(do, info.value.resource_id) is None


def test_peering_that_disappears_while_provisioning_is_an_error(do: Emulated) -> None:
    ids = pair(do)

    def deleted_elsewhere() -> None:
        [p] = do.backend.vpc_peerings.list()
        do.backend.vpc_peerings.delete(p["id"])
        do.backend.advance(DELETING_S)

    do.before("GET", "/v2/vpc_peerings/", deleted_elsewhere)
    with pytest.raises(PartialFailure) as info:
        peering(do, ids)
    text = str(info.value)
    assert "disappeared from DigitalOcean (404) while PROVISIONING" in text and ids[1] in text
    assert "pulumi refresh" in text
    # The next `up` (update) says what to do rather than waiting on nothing.
    with pytest.raises(ResourceError) as again:
        do.run(VpcPeering.update(do.ctx(PURN), info.value.resource_id, info.value.state, info.value.inputs))
    assert "no longer exists" in str(again.value) and "pulumi refresh" in str(again.value)


def test_peering_cancel_stops_the_wait_and_keeps_it(do: Emulated) -> None:
    ids, cancel = pair(do), asyncio.Event()
    cancel.set()
    with pytest.raises(PartialFailure) as info:
        peering(do, ids, cancel=cancel)
    assert "cancelled" in str(info.value) and status_of(do, info.value.resource_id) == "PROVISIONING"
    assert do.now < 1.0


def test_peering_rename_and_delete_waits_for_deleting_to_end(do: Emulated) -> None:
    ids = pair(do)
    rid, state = peering(do, ids)
    mark = do.mark()
    renamed = do.run(VpcPeering.update(do.ctx(PURN), rid, state, {"name": "q", "vpcIds": ids[::-1]}))
    assert renamed["name"] == "q" and renamed["vpcIds"] == ids[::-1]
    assert [(s.method, s.body) for s in do.sent[mark:] if s.method != "GET"] == [("PATCH", {"name": "q"})]
    start = do.now
    do.run(VpcPeering.delete(do.ctx(PURN), rid, renamed))
    assert DELETING_S <= do.now - start <= DELETING_S + 2, "returned within a poll of the peering's end"
    assert do.seen.said("last status DELETING")
    assert do.run(VpcPeering.read(do.ctx(PURN), rid, renamed, {})) is None


def test_peering_delete_that_goes_to_another_status_fails_naming_it(do: Emulated) -> None:
    ids = pair(do)
    rid, state = peering(do, ids)
    do.backend.add_fault({"vpc_peering_status": "ACTIVE", "vpc_peering_phase": "deleting"})
    with pytest.raises(ResourceError) as info:
        do.run(VpcPeering.delete(do.ctx(PURN), rid, state))
    assert "went to status ACTIVE while being deleted" in str(info.value) and ids[0] in str(info.value)


def test_peering_delete_timeout(do: Emulated) -> None:
    ids = pair(do)
    rid, state = peering(do, ids)
    do.backend.add_fault({"vpc_peering_status": "DELETING", "vpc_peering_phase": "deleting"})
    start = do.now
    with pytest.raises(errors.WaitTimeout) as info:
        do.run(VpcPeering.delete(do.ctx(PURN, timeout=20), rid, state))
    assert 20 <= do.now - start <= 21
    assert "DELETING" in str(info.value) and ids[0] in str(info.value)


def test_peering_import_read_gives_the_inputs(do: Emulated) -> None:
    ids = pair(do)
    rid, _ = peering(do, ids)
    outputs, inputs = do.run(VpcPeering.read(do.ctx(PURN), rid, {}, {}))
    assert inputs == {"name": "p", "vpcIds": ids} and outputs["status"] == "ACTIVE"
    with pytest.raises(ResourceError, match="not a VPC peering id"):
        do.run(VpcPeering.read(do.ctx(PURN), "nope", {}, {}))


# ---------------------------------------------------------------------------------------------- VPC

VPC_INPUTS = {"name": "net", "region": "nyc3", "ipRange": "10.10.10.0/24"}


def default_of(do: Emulated, region: str) -> str:
    [vpc] = [v["id"] for v in do.backend.vpcs.list() if v["region"] == region and v["default"]]
    return str(vpc)


def test_vpc_create_with_default_makes_it_the_region_default(do: Emulated) -> None:
    old_default = default_of(do, "nyc3")
    rid, state = do.run(Vpc.create(do.ctx(VURN), {**VPC_INPUTS, "default": True}))
    assert state["default"] is True and state["vpcUrn"] == f"do:vpc:{rid}"
    assert default_of(do, "nyc3") == rid != old_default
    # Looked for first (a VPC an interrupted create of this resource made would be adopted).
    assert [(s.method, s.path, s.body) for s in do.sent] == [
        ("GET", "/v2/vpcs", None),
        ("POST", "/v2/vpcs", {"name": "net", "region": "nyc3", "ip_range": "10.10.10.0/24"}),
        ("PATCH", f"/v2/vpcs/{rid}", {"default": True}),
    ]


def test_vpc_create_then_default_fails_keeps_the_vpc(do: Emulated) -> None:
    do.backend.add_fault({"method": "PATCH", "path": "/v2/vpcs/*", "status": 500, "times": None})
    with pytest.raises(PartialFailure) as info:
        do.run(Vpc.create(do.ctx(VURN), {**VPC_INPUTS, "default": True}))
    assert vpc_exists(do, info.value.resource_id) and info.value.state["default"] is False
    assert "could not be made the default VPC of nyc3" in str(info.value)


def test_vpc_update_renames_describes_and_makes_default(do: Emulated) -> None:
    rid, state = do.run(Vpc.create(do.ctx(VURN), {**VPC_INPUTS, "description": "x"}))
    out = do.run(Vpc.update(do.ctx(VURN), rid, state, {**VPC_INPUTS, "name": "net2", "default": True}))
    assert out["name"] == "net2" and out["description"] == "" and out["default"] is True
    assert do.sent[-1].method == "PATCH" and sorted(do.sent[-1].body) == ["default", "description", "name"]
    assert do.backend.vpcs.get(rid)["name"] == "net2"
    with pytest.raises(ResourceError, match="cannot be turned off"):
        do.run(Vpc.update(do.ctx(VURN), rid, out, {**VPC_INPUTS, "default": False}))


def test_vpc_import_read(do: Emulated) -> None:
    vpc_id = do.make_vpc("legacy", "ams3", ip_range="10.20.0.0/16", description="old")
    do.backend.vpcs.update(vpc_id, {"default": True}, partial=True)
    outputs, inputs = do.run(Vpc.read(do.ctx(VURN), vpc_id, {}, {}))
    assert inputs == {
        "name": "legacy",
        "region": "ams3",
        "ipRange": "10.20.0.0/16",
        "description": "old",
        "default": True,
    }
    assert not Vpc.diff(outputs, inputs).changes


def test_vpc_delete_waits_for_members_going_away(emulated: Any) -> None:
    # A droplet deleted (404) a moment ago that DigitalOcean still lists for 40 s.
    do = emulated(vpc_member_lag_s=40.0)
    vpc_id = do.make_vpc("net")
    droplet_id = do.make_droplet("web-1", vpc_uuid=vpc_id)
    do.backend.droplets.delete(droplet_id)
    do.advance(do.config.droplet_delete_s)
    start = do.now
    do.run(Vpc.delete(do.ctx(VURN), vpc_id, {}))
    assert not vpc_exists(do, vpc_id)
    assert 40 - do.config.droplet_delete_s <= do.now - start <= 40 + 5, do.now - start
    assert [s.status for s in do.requests("DELETE", "/v2/vpcs/")] == [403, 204], "refused, then deleted"
    assert do.seen.said(f"'web-1' (do:droplet:{droplet_id}, being deleted)")


def test_vpc_delete_waits_while_members_keep_leaving(do: Emulated) -> None:
    vpc_id = do.make_vpc("net")
    # Nothing says they are being deleted, but one leaves every 10 s: progress, so the wait goes on.
    for i in range(4):
        do.backend.vpcs.add_member(
            vpc_id, {"urn": f"do:loadbalancer:lb{i}", "name": f"lb-{i}", "leaves_after_s": 10 * (i + 1)}
        )
    do.run(Vpc.delete(do.ctx(VURN), vpc_id, {}))
    assert not vpc_exists(do, vpc_id) and 40 <= do.now <= 50


@pytest.mark.parametrize("status", [403, 409])
def test_vpc_delete_with_members_not_going_away_fails_listing_them(emulated: Any, status: int) -> None:
    do = emulated(vpc_delete_refusal_status=status)
    vpc_id = do.make_vpc("net")
    droplet_id = do.make_droplet("db-1", vpc_uuid=vpc_id)
    do.backend.vpcs.add_member(vpc_id, {"urn": "do:kubernetes:k1", "name": "k8s-1"})
    start = do.now
    with pytest.raises(ResourceError) as info:
        do.run(Vpc.delete(do.ctx(VURN, timeout=600), vpc_id, {}))
    assert do.requests("DELETE", "/v2/vpcs/")[0].status == status
    text = str(info.value)
    assert f"droplet 'db-1' (do:droplet:{droplet_id})" in text
    assert "kubernetes 'k8s-1' (do:kubernetes:k1)" in text
    assert "none of these is being deleted" in text and "Delete them or move them" in text
    assert vpc_id in text and "'net'" in text
    assert do.now - start < 60, "did not sit out the 10-minute delete timeout"
    assert vpc_exists(do, vpc_id)


def test_vpc_delete_with_members_still_going_at_the_timeout(emulated: Any) -> None:
    do = emulated(vpc_member_lag_s=3600.0)
    vpc_id = do.make_vpc("net")
    droplet_id = do.make_droplet("web-9", vpc_uuid=vpc_id)
    do.backend.droplets.delete(droplet_id)
    do.advance(do.config.droplet_delete_s)
    start = do.now
    with pytest.raises(ResourceError) as info:
        do.run(Vpc.delete(do.ctx(VURN, timeout=30), vpc_id, {}))
    text = str(info.value)
    assert "after 30s (the delete timeout)" in text and "web-9" in text and "being deleted" in text
    assert "customTimeouts" in text
    assert 30 <= do.now - start <= 32


def test_vpc_delete_waits_for_a_peering_being_deleted(do: Emulated) -> None:
    ids = pair(do)
    rid, _ = peering(do, ids)
    do.backend.vpc_peerings.delete(rid)
    do.run(Vpc.delete(do.ctx(VURN), ids[0], {}))
    assert not vpc_exists(do, ids[0]) and status_of(do, rid) is None


def test_the_default_vpc_is_never_deleted_and_the_user_is_told(do: Emulated) -> None:
    vpc_id = default_of(do, "nyc3")
    do.run(Vpc.delete(do.ctx(VURN), vpc_id, {}))
    assert vpc_exists(do, vpc_id) and do.requests("DELETE") == []
    assert len(do.seen.warnings) == 1
    assert "default VPC of nyc3" in do.seen.warnings[0] and "never deletes" in do.seen.warnings[0]


def test_vpc_delete_of_a_vpc_already_gone_and_cancel(emulated: Any) -> None:
    do = emulated(vpc_member_lag_s=3600.0)
    do.run(Vpc.delete(do.ctx(VURN), "5a4981aa-9653-4bd1-bef5-d6bff52042e4", {}))
    vpc_id, cancel = do.make_vpc("net"), asyncio.Event()
    droplet_id = do.make_droplet("web-9", vpc_uuid=vpc_id)
    do.backend.droplets.delete(droplet_id)
    do.advance(do.config.droplet_delete_s)
    start = do.now
    cancel.set()
    with pytest.raises(errors.WaitCancelled):
        do.run(Vpc.delete(do.ctx(VURN, cancel=cancel), vpc_id, {}))
    assert do.now - start < 1
