"""The VPC peering and VPC-vacated waiters on their own, against the emulator in process with a manual
clock (``tests/resources/emulated.py``): statuses passed through, unexpected ones, 404s, probes of
members, the settle window, timeouts and progress."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ocean.api import errors, waiters
from tests.resources.emulated import Emulated


@pytest.fixture
def emulated() -> Iterator[Callable[..., Emulated]]:
    made: list[Emulated] = []

    def make(**config: Any) -> Emulated:
        made.append(Emulated(**config))
        return made[-1]

    yield make
    for e in made:
        e.close()


@pytest.fixture
def do(emulated: Callable[..., Emulated]) -> Emulated:
    return emulated()


def wait(do: Emulated, peering_id: str, **kw: Any) -> Any:
    return waiters.wait_for_peering(do.api, peering_id, clock=do.clock, sleep=do.sleep, **kw)


def create_peering(do: Emulated) -> str:
    body = {"name": "p", "vpc_ids": [do.make_vpc("a"), do.make_vpc("b")]}
    return str(do.backend.vpc_peerings.create(body)["id"])


def test_peering_wait_passes_only_through_the_statuses_of_its_goal(do: Emulated) -> None:
    seen: list[waiters.WaitProgress] = []
    peering_id = create_peering(do)
    active = do.run(wait(do, peering_id, on_progress=seen.append, timeout=60))
    assert active.status == "ACTIVE" and {s.status for s in seen} == {"PROVISIONING", "ACTIVE"}
    do.backend.vpc_peerings.delete(peering_id)
    assert do.run(wait(do, peering_id, until=waiters.GONE, timeout=60)) is None
    with pytest.raises(ValueError, match="until must be one of"):
        do.run(wait(do, peering_id, until="DELETING"))


@pytest.mark.parametrize(
    ("outcome", "error", "last"),
    [("FAILED", errors.WaitFailed, "FAILED"), ("vanish", waiters.PeeringDisappeared, "PROVISIONING")],
)
def test_peering_wait_ends_at_once_on_what_it_does_not_expect(
    do: Emulated, outcome: str, error: type[Exception], last: str
) -> None:
    if outcome == "vanish":
        # Deleted elsewhere while provisioning: gone before it would have been ACTIVE.
        def vanish() -> None:
            do.backend.vpc_peerings.delete(peering_id)
            do.backend.advance(do.config.vpc_peering_delete_s)

        do.before("GET", "/v2/vpc_peerings/", lambda: None)  # the first poll sees PROVISIONING
        do.before("GET", "/v2/vpc_peerings/", vanish)
    else:
        do.backend.add_fault({"vpc_peering_status": outcome})
    peering_id = create_peering(do)
    with pytest.raises(error) as info:
        do.run(wait(do, peering_id, timeout=600))
    assert info.value.last_status == last  # type: ignore[attr-defined]
    assert do.now < 20, "not held until the timeout"


def test_vpc_occupants_probe_a_few_droplets_and_mark_those_gone(do: Emulated) -> None:
    vpc_id = do.make_vpc("net")
    droplets = [do.make_droplet(f"d{i}", vpc_uuid=vpc_id) for i in range(5)]
    for droplet_id in droplets[::2]:
        do.backend.droplets.delete(droplet_id)  # gone, but still listed for vpc_member_lag_s
    do.advance(do.config.droplet_delete_s)
    do.backend.vpcs.add_member(vpc_id, {"urn": "do:dbaas:x", "name": "db"})
    mark = do.mark()
    occupants = do.run(waiters.vpc_occupants(do.api, vpc_id))
    assert [o.going_away for o in occupants] == [True, False, True, False, False, False]
    assert len(do.requests("GET", "/v2/droplets/", since=mark)) == waiters.VPC_MEMBER_PROBES
    assert occupants[0].describe() == f"droplet 'd0' (do:droplet:{droplets[0]}, being deleted)"
    assert waiters.describe_occupants(occupants).startswith("6 left: droplet 'd0'")


def test_vpc_vacated_gives_up_after_the_settle_window_or_the_deadline(emulated: Any) -> None:
    do = emulated(vpc_member_lag_s=3600.0)
    vpc_id = do.make_vpc("net")
    do.backend.vpcs.add_member(vpc_id, {"urn": "do:loadbalancer:x", "name": "lb"})
    with pytest.raises(waiters.VpcNotEmpty) as info:
        do.run(
            waiters.wait_for_vpc_vacated(
                do.api, vpc_id, settle_s=15, timeout=600, clock=do.clock, sleep=do.sleep
            )
        )
    assert not info.value.timed_out and 15 <= do.now <= 25
    assert [o.ref for o in info.value.occupants] == ["do:loadbalancer:x"]
    # A droplet that answers 404 but is still listed: going away, so waited for until the deadline.
    other = do.make_vpc("other")
    droplet_id = do.make_droplet("leaving", vpc_uuid=other)
    do.backend.droplets.delete(droplet_id)
    do.advance(do.config.droplet_delete_s)
    start = do.now
    with pytest.raises(waiters.VpcNotEmpty) as info:
        do.run(
            waiters.wait_for_vpc_vacated(
                do.api, other, settle_s=15, timeout=40, clock=do.clock, sleep=do.sleep
            )
        )
    assert info.value.timed_out and do.now - start == pytest.approx(40, abs=1)
    # A VPC gone meanwhile counts as vacated.
    gone = do.make_vpc("gone")
    do.backend.vpcs.delete(gone)
    do.run(waiters.wait_for_vpc_vacated(do.api, gone, timeout=10, clock=do.clock, sleep=do.sleep))
