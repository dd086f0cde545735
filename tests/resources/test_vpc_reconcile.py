"""Vpc and VpcPeering create/read/update/delete against a fake DigitalOcean on a fake clock: waits,
timeouts, cancel, unexpected statuses, resumed waits, members going away, the default VPC."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ocean.api import errors
from ocean.resources.base import Context, PartialFailure, ResourceError
from ocean.resources.vpc import Vpc
from ocean.resources.vpc_peering import VpcPeering
from tests.resources.fake_networking import FakeMember, FakeNetworking
from tests.resources.fakes import FakeClock

VURN = "urn:pulumi:dev::proj::ocean:index:Vpc::net"
PURN = "urn:pulumi:dev::proj::ocean:index:VpcPeering::link"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def do(clock: FakeClock) -> FakeNetworking:
    return FakeNetworking(clock)


class Seen:
    def __init__(self) -> None:
        self.reports: list[str] = []
        self.warnings: list[str] = []


def ctx(
    do: FakeNetworking,
    clock: FakeClock,
    urn: str = PURN,
    *,
    timeout: float | None = None,
    cancel: asyncio.Event | None = None,
    seen: Seen | None = None,
) -> Context:
    seen = seen or Seen()

    async def report(message: str) -> None:
        seen.reports.append(message)

    async def warn(message: str) -> None:
        seen.warnings.append(message)

    return Context(
        api=do.api,
        urn=urn,
        timeout=timeout,
        cancel=cancel or asyncio.Event(),
        report=report,
        warn=warn,
        clock=clock,
        sleep=clock.sleep,
    )


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def pair(do: FakeNetworking) -> list[str]:
    return [do.add_vpc("a"), do.add_vpc("b")]


# ------------------------------------------------------------------------------------------ peering


def test_peering_create_waits_from_provisioning_to_active_showing_the_status(
    do: FakeNetworking, clock: FakeClock
) -> None:
    ids, seen = pair(do), Seen()
    rid, state = run(VpcPeering.create(ctx(do, clock, seen=seen), {"name": "p", "vpcIds": ids}))
    assert state["status"] == "ACTIVE" and state["peeringId"] == rid and state["vpcIds"] == ids
    assert clock() - 1000.0 >= 10.0, "returned only once the 10 s provisioning was over"
    assert do.log.count("POST peering") == 1
    assert any("last status PROVISIONING" in r and "to be ACTIVE" in r for r in seen.reports), seen.reports


def test_peering_stuck_provisioning_fails_at_the_timeout_keeping_it_and_the_next_up_resumes(
    do: FakeNetworking, clock: FakeClock
) -> None:
    do.peering_outcome = None  # stays PROVISIONING
    ids = pair(do)
    with pytest.raises(PartialFailure) as info:
        run(VpcPeering.create(ctx(do, clock, timeout=30), {"name": "p", "vpcIds": ids}))
    e = info.value
    waited = clock() - 1000.0
    assert 30.0 <= waited <= 31.0, f"gave up after {waited}s, not at the 30 s timeout"
    assert e.resource_id in do.peerings and e.state["status"] == "PROVISIONING"
    assert e.state["peeringId"] == e.resource_id and e.state["vpcIds"] == ids
    text = str(e)
    assert "'p'" in text and ids[0] in text and ids[1] in text and "PROVISIONING" in text
    assert "next `pulumi up` resumes" in text and "customTimeouts" in text
    # Next `up`: the diff plans an update, which resumes the wait.
    assert VpcPeering.diff(e.state, {"name": "p", "vpcIds": ids}).changes
    do.peerings[e.resource_id].outcome = "ACTIVE"
    state = run(VpcPeering.update(ctx(do, clock), e.resource_id, e.state, {"name": "p", "vpcIds": ids}))
    assert state["status"] == "ACTIVE"
    assert do.log.count("POST peering") == 1, "never created twice"


def test_peering_error_state_names_the_peering_its_vpcs_and_the_status(
    do: FakeNetworking, clock: FakeClock
) -> None:
    do.peering_outcome = "FAILED"
    ids = pair(do)
    with pytest.raises(PartialFailure) as info:
        run(VpcPeering.create(ctx(do, clock), {"name": "p", "vpcIds": ids}))
    text = str(info.value)
    assert "VpcPeering 'link'" in text and "'p'" in text and ids[0] in text and ids[1] in text
    assert "went to status FAILED" in text and "replaces it" in text
    assert info.value.state["status"] == "FAILED"
    assert clock() - 1000.0 < 30, "an error state ends the wait at once"
    assert VpcPeering.diff(info.value.state, {"name": "p", "vpcIds": ids}).replaces == ["status"]


def test_peering_that_disappears_while_provisioning_is_an_error(do: FakeNetworking, clock: FakeClock) -> None:
    do.peering_outcome = "vanish"
    ids = pair(do)
    with pytest.raises(PartialFailure) as info:
        run(VpcPeering.create(ctx(do, clock), {"name": "p", "vpcIds": ids}))
    text = str(info.value)
    assert "disappeared from DigitalOcean (404) while PROVISIONING" in text and ids[1] in text
    assert "pulumi refresh" in text
    # The next `up` (update) says what to do rather than waiting on nothing.
    with pytest.raises(ResourceError) as again:
        run(VpcPeering.update(ctx(do, clock), info.value.resource_id, info.value.state, info.value.inputs))
    assert "no longer exists" in str(again.value) and "pulumi refresh" in str(again.value)


def test_peering_cancel_stops_the_wait_and_keeps_it(do: FakeNetworking, clock: FakeClock) -> None:
    ids, cancel = pair(do), asyncio.Event()
    cancel.set()
    with pytest.raises(PartialFailure) as info:
        run(VpcPeering.create(ctx(do, clock, cancel=cancel), {"name": "p", "vpcIds": ids}))
    assert "cancelled" in str(info.value) and info.value.resource_id in do.peerings
    assert clock() - 1000.0 < 1.0


def test_peering_rename_and_delete_waits_for_deleting_to_end(do: FakeNetworking, clock: FakeClock) -> None:
    ids, seen = pair(do), Seen()
    rid, state = run(VpcPeering.create(ctx(do, clock), {"name": "p", "vpcIds": ids}))
    renamed = run(VpcPeering.update(ctx(do, clock), rid, state, {"name": "q", "vpcIds": ids[::-1]}))
    assert renamed["name"] == "q" and renamed["vpcIds"] == ids[::-1]
    assert "PATCH peering" in do.log
    start = clock()
    run(VpcPeering.delete(ctx(do, clock, seen=seen), rid, renamed))
    assert clock() - start >= 5.0, "returned only when the peering was gone"
    assert any("last status DELETING" in r for r in seen.reports), seen.reports
    assert run(VpcPeering.read(ctx(do, clock), rid, renamed, {})) is None


def test_peering_delete_that_goes_to_another_status_fails_naming_it(
    do: FakeNetworking, clock: FakeClock
) -> None:
    ids = pair(do)
    rid, state = run(VpcPeering.create(ctx(do, clock), {"name": "p", "vpcIds": ids}))
    do.peerings[rid].delete_outcome = "ACTIVE"
    with pytest.raises(ResourceError) as info:
        run(VpcPeering.delete(ctx(do, clock), rid, state))
    assert "went to status ACTIVE while being deleted" in str(info.value) and ids[0] in str(info.value)


def test_peering_delete_timeout(do: FakeNetworking, clock: FakeClock) -> None:
    ids = pair(do)
    rid, state = run(VpcPeering.create(ctx(do, clock), {"name": "p", "vpcIds": ids}))
    do.peerings[rid].delete_s = 3600
    start = clock()
    with pytest.raises(errors.WaitTimeout) as info:
        run(VpcPeering.delete(ctx(do, clock, timeout=20), rid, state))
    assert 20 <= clock() - start <= 21
    assert "DELETING" in str(info.value) and ids[0] in str(info.value)


def test_peering_import_read_gives_the_inputs(do: FakeNetworking, clock: FakeClock) -> None:
    ids = pair(do)
    rid, _ = run(VpcPeering.create(ctx(do, clock), {"name": "p", "vpcIds": ids}))
    outputs, inputs = run(VpcPeering.read(ctx(do, clock), rid, {}, {}))
    assert inputs == {"name": "p", "vpcIds": ids} and outputs["status"] == "ACTIVE"
    with pytest.raises(ResourceError, match="not a VPC peering id"):
        run(VpcPeering.read(ctx(do, clock), "nope", {}, {}))


# ---------------------------------------------------------------------------------------------- VPC

VPC_INPUTS = {"name": "net", "region": "nyc3", "ipRange": "10.10.10.0/24"}


def test_vpc_create_with_default_makes_it_the_region_default(do: FakeNetworking, clock: FakeClock) -> None:
    old_default = do.add_vpc("default-nyc3", default=True)
    rid, state = run(Vpc.create(ctx(do, clock, VURN), {**VPC_INPUTS, "default": True}))
    assert state["default"] is True and state["vpcUrn"] == f"do:vpc:{rid}"
    assert do.vpcs[old_default]["default"] is False
    # Looked for first: a VPC an interrupted create of this resource made would be adopted.
    assert do.log == ["GET vpcs", "POST vpc", "PATCH vpc ['default']"]


def test_vpc_create_then_default_fails_keeps_the_vpc(do: FakeNetworking, clock: FakeClock) -> None:
    do.fail_patch = True
    with pytest.raises(PartialFailure) as info:
        run(Vpc.create(ctx(do, clock, VURN), {**VPC_INPUTS, "default": True}))
    assert info.value.resource_id in do.vpcs and info.value.state["default"] is False
    assert "could not be made the default VPC of nyc3" in str(info.value)


def test_vpc_update_renames_describes_and_makes_default(do: FakeNetworking, clock: FakeClock) -> None:
    rid, state = run(Vpc.create(ctx(do, clock, VURN), {**VPC_INPUTS, "description": "x"}))
    out = run(Vpc.update(ctx(do, clock, VURN), rid, state, {**VPC_INPUTS, "name": "net2", "default": True}))
    assert out["name"] == "net2" and out["description"] == "" and out["default"] is True
    assert do.log[-1] == "PATCH vpc ['default', 'description', 'name']"
    with pytest.raises(ResourceError, match="cannot be turned off"):
        run(Vpc.update(ctx(do, clock, VURN), rid, out, {**VPC_INPUTS, "default": False}))


def test_vpc_import_read(do: FakeNetworking, clock: FakeClock) -> None:
    vpc_id = do.add_vpc("legacy", "ams3", default=True, ip_range="10.20.0.0/16")
    do.vpcs[vpc_id]["description"] = "old"
    outputs, inputs = run(Vpc.read(ctx(do, clock, VURN), vpc_id, {}, {}))
    assert inputs == {
        "name": "legacy",
        "region": "ams3",
        "ipRange": "10.20.0.0/16",
        "description": "old",
        "default": True,
    }
    assert not Vpc.diff(outputs, inputs).changes


def test_vpc_delete_waits_for_members_going_away(do: FakeNetworking, clock: FakeClock) -> None:
    vpc_id, seen = do.add_vpc("net"), Seen()
    # A droplet already deleted (404) that DigitalOcean still lists for 40 s.
    do.members[vpc_id].append(FakeMember("do:droplet:7", "web-1", leaves_at=clock() + 40, deleted=True))
    run(Vpc.delete(ctx(do, clock, VURN, seen=seen), vpc_id, {}))
    assert vpc_id not in do.vpcs
    assert clock() - 1000.0 >= 40
    assert do.log.count("DELETE vpc") == 2, "refused once, then deleted when empty"
    assert any("'web-1' (do:droplet:7, being deleted)" in r for r in seen.reports), seen.reports


def test_vpc_delete_waits_while_members_keep_leaving(do: FakeNetworking, clock: FakeClock) -> None:
    vpc_id = do.add_vpc("net")
    # Nothing marks them as deleted, but one leaves every 10 s: progress, so the wait goes on.
    for i in range(4):
        do.members[vpc_id].append(
            FakeMember(f"do:loadbalancer:lb{i}", f"lb-{i}", leaves_at=clock() + 10 * (i + 1))
        )
    run(Vpc.delete(ctx(do, clock, VURN), vpc_id, {}))
    assert vpc_id not in do.vpcs and clock() - 1000.0 >= 40


@pytest.mark.parametrize("status", [403, 409])
def test_vpc_delete_with_members_not_going_away_fails_listing_them(
    do: FakeNetworking, clock: FakeClock, status: int
) -> None:
    do.refusal_status = status
    vpc_id = do.add_vpc("net")
    do.members[vpc_id].append(FakeMember("do:droplet:8", "db-1"))
    do.members[vpc_id].append(FakeMember("do:kubernetes:k1", "k8s-1"))
    with pytest.raises(ResourceError) as info:
        run(Vpc.delete(ctx(do, clock, VURN, timeout=600), vpc_id, {}))
    text = str(info.value)
    assert "droplet 'db-1' (do:droplet:8)" in text and "kubernetes 'k8s-1' (do:kubernetes:k1)" in text
    assert "none of these is being deleted" in text and "Delete them or move them" in text
    assert vpc_id in text and "'net'" in text
    assert clock() - 1000.0 < 60, "did not sit out the 10-minute delete timeout"
    assert vpc_id in do.vpcs


def test_vpc_delete_with_members_still_going_at_the_timeout(do: FakeNetworking, clock: FakeClock) -> None:
    vpc_id = do.add_vpc("net")
    do.members[vpc_id].append(FakeMember("do:droplet:9", "web-9", leaves_at=clock() + 3600, deleted=True))
    with pytest.raises(ResourceError) as info:
        run(Vpc.delete(ctx(do, clock, VURN, timeout=30), vpc_id, {}))
    text = str(info.value)
    assert "after 30s (the delete timeout)" in text and "web-9" in text and "being deleted" in text
    assert "customTimeouts" in text
    assert 30 <= clock() - 1000.0 <= 32


def test_vpc_delete_waits_for_a_peering_being_deleted(do: FakeNetworking, clock: FakeClock) -> None:
    ids = pair(do)
    rid, _ = run(VpcPeering.create(ctx(do, clock), {"name": "p", "vpcIds": ids}))
    run(do.delete_peering(rid))
    run(Vpc.delete(ctx(do, clock, VURN), ids[0], {}))
    assert ids[0] not in do.vpcs


def test_the_default_vpc_is_never_deleted_and_the_user_is_told(do: FakeNetworking, clock: FakeClock) -> None:
    vpc_id, seen = do.add_vpc("default-nyc3", default=True), Seen()
    run(Vpc.delete(ctx(do, clock, VURN, seen=seen), vpc_id, {}))
    assert vpc_id in do.vpcs and "DELETE vpc" not in do.log
    assert len(seen.warnings) == 1
    assert "default VPC of nyc3" in seen.warnings[0] and "never deletes" in seen.warnings[0]


def test_vpc_delete_of_a_vpc_already_gone_and_cancel(do: FakeNetworking, clock: FakeClock) -> None:
    run(Vpc.delete(ctx(do, clock, VURN), "5a4981aa-9653-4bd1-bef5-d6bff52042e4", {}))
    vpc_id, cancel = do.add_vpc("net"), asyncio.Event()
    do.members[vpc_id].append(FakeMember("do:droplet:9", "web-9", leaves_at=clock() + 3600, deleted=True))
    cancel.set()
    with pytest.raises(errors.WaitCancelled):
        run(Vpc.delete(ctx(do, clock, VURN, cancel=cancel), vpc_id, {}))
    assert clock() - 1000.0 < 1
