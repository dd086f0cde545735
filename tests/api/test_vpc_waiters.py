"""The VPC peering and VPC-vacated waiters on their own, on a fake clock: statuses passed through,
unexpected ones, 404s, probes of members, the settle window, timeouts and progress."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ocean.api import errors, waiters
from tests.resources.fake_networking import FakeMember, FakeNetworking
from tests.resources.fakes import FakeClock


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture
def do() -> FakeNetworking:
    return FakeNetworking(FakeClock())


def wait(do: FakeNetworking, peering_id: str, **kw: Any) -> Any:
    clock = do.clock
    return waiters.wait_for_peering(do.api, peering_id, clock=clock, sleep=clock.sleep, **kw)  # type: ignore[arg-type]


def test_peering_wait_passes_only_through_the_statuses_of_its_goal(do: FakeNetworking) -> None:
    ids = [do.add_vpc("a"), do.add_vpc("b")]
    seen: list[waiters.WaitProgress] = []
    p = run(do.create_peering("p", ids))
    active = run(wait(do, p.id, on_progress=seen.append, timeout=60))
    assert active.status == "ACTIVE" and {s.status for s in seen} == {"PROVISIONING", "ACTIVE"}
    run(do.delete_peering(p.id))
    assert run(wait(do, p.id, until=waiters.GONE, timeout=60)) is None
    with pytest.raises(ValueError, match="until must be one of"):
        run(wait(do, p.id, until="DELETING"))


@pytest.mark.parametrize(
    ("outcome", "error", "last"),
    [("FAILED", errors.WaitFailed, "FAILED"), ("vanish", waiters.PeeringDisappeared, "PROVISIONING")],
)
def test_peering_wait_ends_at_once_on_what_it_does_not_expect(
    do: FakeNetworking, outcome: str, error: type[Exception], last: str
) -> None:
    do.peering_outcome = outcome
    p = run(do.create_peering("p", [do.add_vpc("a"), do.add_vpc("b")]))
    with pytest.raises(error) as info:
        run(wait(do, p.id, timeout=600))
    assert info.value.last_status == last  # type: ignore[attr-defined]
    assert do.clock() - 1000.0 < 20, "not held until the timeout"


def test_vpc_occupants_probe_a_few_droplets_and_mark_those_gone(do: FakeNetworking) -> None:
    vpc_id = do.add_vpc("net")
    for i in range(5):
        do.members[vpc_id].append(FakeMember(f"do:droplet:{i}", f"d{i}", deleted=i % 2 == 0))
    do.members[vpc_id].append(FakeMember("do:dbaas:x", "db"))
    occupants = run(waiters.vpc_occupants(do.api, vpc_id))
    assert [o.going_away for o in occupants] == [True, False, True, False, False, False]
    assert do.log.count("GET droplet") == waiters.VPC_MEMBER_PROBES
    assert occupants[0].describe() == "droplet 'd0' (do:droplet:0, being deleted)"
    assert waiters.describe_occupants(occupants).startswith("6 left: droplet 'd0'")


def test_vpc_vacated_gives_up_after_the_settle_window_or_the_deadline(do: FakeNetworking) -> None:
    clock = do.clock
    vpc_id = do.add_vpc("net")
    do.members[vpc_id].append(FakeMember("do:loadbalancer:x", "lb"))
    with pytest.raises(waiters.VpcNotEmpty) as info:
        run(
            waiters.wait_for_vpc_vacated(
                do.api, vpc_id, settle_s=15, timeout=600, clock=clock, sleep=clock.sleep
            )
        )
    assert not info.value.timed_out and 15 <= clock() - 1000.0 <= 25
    assert [o.ref for o in info.value.occupants] == ["do:loadbalancer:x"]
    do.members[vpc_id][0].deleted = True
    do.members[vpc_id][0].urn = "do:droplet:5"
    start = clock()
    with pytest.raises(waiters.VpcNotEmpty) as info:
        run(
            waiters.wait_for_vpc_vacated(
                do.api, vpc_id, settle_s=15, timeout=40, clock=clock, sleep=clock.sleep
            )
        )
    assert info.value.timed_out and clock() - start == pytest.approx(40, abs=1)
    # The VPC gone meanwhile counts as vacated.
    del do.vpcs[vpc_id]
    run(waiters.wait_for_vpc_vacated(do.api, vpc_id, timeout=10, clock=clock, sleep=clock.sleep))
