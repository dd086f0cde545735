"""Vpc and VpcPeering over gRPC, in the order the engine calls them, against the emulator over HTTP:
create and wait, rename, reversed `vpcIds`, a peering still PROVISIONING at the create timeout and the
next `up` resuming it, unexpected statuses, delete with DELETING observed, a VPC delete that waits for a
member going away or is refused with its members listed, import, lookups, the default VPC."""

from __future__ import annotations

import threading
import time
from typing import Any

import grpc
import httpx
import pytest
from google.rpc import status_pb2
from pulumi.runtime.proto import provider_pb2

from ocean.provider import marshal
from tests.provider.conftest import EngineLog, configure

VPC_URN = "urn:pulumi:dev::proj::ocean:index:Vpc::{}"
PEER_URN = "urn:pulumi:dev::proj::ocean:index:VpcPeering::link"


class Driver:
    """The engine's calls for one resource at a time, as `pulumi up` makes them."""

    def __init__(self, provider: Any, emu: Any) -> None:
        self.p = provider
        self.emu = emu
        configure(provider, emu.base_url)

    def check(self, urn: str, news: dict[str, Any], olds: Any = None) -> Any:
        resp = self.p.Check(
            provider_pb2.CheckRequest(
                urn=urn, news=marshal.encode(news, keep_unknowns=True), olds=olds, randomSeed=b"seed"
            )
        )
        assert list(resp.failures) == [], resp.failures
        return resp.inputs

    def create(self, urn: str, news: dict[str, Any], timeout: float = 60) -> tuple[str, dict[str, Any], Any]:
        checked = self.check(urn, news)
        preview = self.p.Create(provider_pb2.CreateRequest(urn=urn, properties=checked, preview=True))
        assert preview.id == ""
        created = self.p.Create(provider_pb2.CreateRequest(urn=urn, properties=checked, timeout=timeout))
        return created.id, marshal.decode(created.properties), checked

    def vpc(self, name: str, ip_range: str, **over: Any) -> tuple[str, dict[str, Any]]:
        rid, state, _ = self.create(
            VPC_URN.format(name), {"name": name, "region": "nyc3", "ipRange": ip_range, **over}
        )
        return rid, state

    def diff(self, urn: str, rid: str, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        return self.p.Diff(
            provider_pb2.DiffRequest(
                id=rid, urn=urn, olds=marshal.encode(olds), news=self.check(urn, news, marshal.encode(olds))
            )
        )

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.emu.base_url, headers={"Authorization": "Bearer t"}, timeout=10)

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        return self.emu.control.requests()["requests"][since:]  # type: ignore[no-any-return]


def _wait_until(predicate: Any, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def init_failure(err: grpc.RpcError) -> Any:
    status = status_pb2.Status()
    status.ParseFromString(dict(err.trailing_metadata())["grpc-status-details-bin"])  # type: ignore[attr-defined]
    detail = provider_pb2.ErrorResourceInitFailed()
    assert status.details[0].Unpack(detail)
    return detail


@pytest.fixture
def emu(ocean_emulator_factory: Any) -> Any:
    return ocean_emulator_factory(time_scale=200.0, clock_mode="scaled")


@pytest.fixture
def manual(ocean_emulator_factory: Any) -> Any:
    return ocean_emulator_factory(clock_mode="manual")


def test_vpcs_and_peering_lifecycle_in_engine_order(
    provider: Any, emu: Any, engine: tuple[str, EngineLog]
) -> None:
    _, log = engine
    d = Driver(provider, emu)
    a, a_state = d.vpc("net-a", "10.10.10.0/24", description="first")
    b, _ = d.vpc("net-b", "10.10.20.0/24")
    assert a_state["vpcId"] == a and a_state["vpcUrn"] == f"do:vpc:{a}" and a_state["default"] is False
    assert (
        a_state["ipRange"] == "10.10.10.0/24" and a_state["description"] == "first" and a_state["createdAt"]
    )

    # Preview of a peering of VPCs not created yet: unknown ids are fine, outputs unknown.
    checked = d.check(PEER_URN, {"vpcIds": [marshal.UNKNOWN, marshal.UNKNOWN]})
    preview = provider.Create(provider_pb2.CreateRequest(urn=PEER_URN, properties=checked, preview=True))
    assert marshal.decode(preview.properties)["status"] is marshal.UNKNOWN

    before = len(d.requests())
    rid, state, checked = d.create(PEER_URN, {"vpcIds": [a, b]})
    assert state["status"] == "ACTIVE" and state["peeringId"] == rid and state["vpcIds"] == [a, b]
    assert state["name"].startswith("link-")
    made = d.requests(before)
    assert [r["method"] for r in made if r["method"] != "GET"] == ["POST"], "one POST, never repeated"
    assert any(eph and "to be ACTIVE: status PROVISIONING" in m for _, m, eph in log.messages), log.messages

    # Refresh: the same peering; the program's order of vpcIds is kept.
    read = provider.Read(
        provider_pb2.ReadRequest(id=rid, urn=PEER_URN, properties=marshal.encode(state), inputs=checked)
    )
    refreshed = marshal.decode(read.properties)
    assert refreshed["status"] == "ACTIVE" and refreshed["vpcIds"] == [a, b]

    # The pair listed the other way round: no change at all.
    diff = d.diff(PEER_URN, rid, refreshed, {"name": state["name"], "vpcIds": [b, a]})
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE
    # Another VPC: a replacement, deleting first (the same pair cannot be peered twice).
    c, _ = d.vpc("net-c", "10.10.30.0/24")
    diff = d.diff(PEER_URN, rid, refreshed, {"name": state["name"], "vpcIds": [a, c]})
    assert list(diff.replaces) == ["vpcIds"] and diff.deleteBeforeReplace

    # Rename in place.
    news = {"name": "a-to-b", "vpcIds": [b, a]}
    diff = d.diff(PEER_URN, rid, refreshed, news)
    assert list(diff.diffs) == ["name"] and list(diff.replaces) == []
    updated = provider.Update(
        provider_pb2.UpdateRequest(
            id=rid, urn=PEER_URN, olds=read.properties, news=d.check(PEER_URN, news), timeout=60
        )
    )
    assert marshal.decode(updated.properties)["name"] == "a-to-b"
    with d.api() as api:
        assert api.get(f"/v2/vpc_peerings/{rid}").json()["vpc_peering"]["name"] == "a-to-b"

    # A VPC rename and description change in place; a new region replaces it, deleting first.
    diff = d.diff(VPC_URN.format("net-a"), a, a_state, {"name": "net-a2", "region": "nyc3"})
    assert set(diff.diffs) == {"name", "description"} and list(diff.replaces) == []
    diff = d.diff(VPC_URN.format("net-a"), a, a_state, {"name": "net-a", "region": "sfo3"})
    assert list(diff.replaces) == ["region"] and diff.deleteBeforeReplace

    # Delete the peering: DELETING is seen (the clock is stopped meanwhile), then it is gone.
    emu.control.set_clock("manual")
    before = len(d.requests())
    done = threading.Thread(
        target=provider.Delete,
        args=(provider_pb2.DeleteRequest(id=rid, urn=PEER_URN, properties=updated.properties, timeout=60),),
    )
    done.start()
    _wait_until(lambda: any("last status DELETING" in m for _, m, eph in log.messages if eph))
    assert done.is_alive(), "still waiting while the peering is DELETING"
    emu.control.advance(10)
    done.join(30)
    polls = [r for r in d.requests(before) if r["method"] == "GET"]
    assert polls[0]["status"] == 200 and polls[-1]["status"] == 404
    emu.control.set_clock("scaled", 200.0)
    for vpc_id, name in ((a, "net-a"), (b, "net-b"), (c, "net-c")):
        provider.Delete(provider_pb2.DeleteRequest(id=vpc_id, urn=VPC_URN.format(name), timeout=60))
        assert provider.Read(provider_pb2.ReadRequest(id=vpc_id, urn=VPC_URN.format(name))).id == ""


def test_peering_still_provisioning_at_the_create_timeout_is_kept_and_the_next_up_resumes(
    provider: Any, manual: Any
) -> None:
    # A manual clock: the peering stays PROVISIONING until the test moves time on.
    d = Driver(provider, manual)
    a, _ = d.vpc("net-a", "10.10.10.0/24")
    b, _ = d.vpc("net-b", "10.10.20.0/24")
    checked = d.check(PEER_URN, {"name": "a-b", "vpcIds": [a, b]})
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as info:
        provider.Create(provider_pb2.CreateRequest(urn=PEER_URN, properties=checked, timeout=2))
    elapsed = time.monotonic() - started
    assert 2.0 <= elapsed < 6.0, f"gave up after {elapsed:.1f}s, not at the 2 s timeout"
    text = info.value.details()
    assert "'a-b'" in text and a in text and b in text and "still PROVISIONING" in text
    assert "next `pulumi up` resumes" in text
    detail = init_failure(info.value)
    kept = marshal.decode(detail.properties)
    assert detail.id and kept["status"] == "PROVISIONING" and kept["peeringId"] == detail.id

    # The next `up`: Diff plans an update (status), Update resumes the wait and sees ACTIVE.
    diff = d.diff(PEER_URN, detail.id, kept, {"name": "a-b", "vpcIds": [a, b]})
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME and list(diff.replaces) == []
    manual.control.advance(30)
    updated = provider.Update(
        provider_pb2.UpdateRequest(
            id=detail.id, urn=PEER_URN, olds=detail.properties, news=checked, timeout=30
        )
    )
    assert marshal.decode(updated.properties)["status"] == "ACTIVE"
    posts = [r for r in d.requests() if r["method"] == "POST" and "peering" in r["path"]]
    assert len(posts) == 1, "the peering was never created twice"


def _create_in_background(provider: Any, checked: Any) -> tuple[threading.Thread, dict[str, Any]]:
    box: dict[str, Any] = {}

    def go() -> None:
        try:
            provider.Create(provider_pb2.CreateRequest(urn=PEER_URN, properties=checked, timeout=120))
        except grpc.RpcError as e:
            box["error"] = e

    thread = threading.Thread(target=go)
    thread.start()
    return thread, box


def _wait_for_polls(d: Driver) -> str:
    end = time.monotonic() + 20
    while time.monotonic() < end:
        polls = [
            r for r in d.requests() if r["method"] == "GET" and r["path"].startswith("/v2/vpc_peerings/")
        ]
        if polls:
            return str(polls[0]["path"].rsplit("/", 1)[-1])
        time.sleep(0.05)
    raise AssertionError("the provider never polled the peering")


def test_peering_deleted_elsewhere_while_provisioning_is_an_error_naming_it(
    provider: Any, manual: Any
) -> None:
    d = Driver(provider, manual)
    a, _ = d.vpc("net-a", "10.10.10.0/24")
    b, _ = d.vpc("net-b", "10.10.20.0/24")
    thread, box = _create_in_background(provider, d.check(PEER_URN, {"name": "a-b", "vpcIds": [a, b]}))
    peering_id = _wait_for_polls(d)
    with d.api() as api:
        assert api.delete(f"/v2/vpc_peerings/{peering_id}").status_code == 202
    thread.join(30)
    text = box["error"].details()
    assert "went to status DELETING" in text and "'a-b'" in text and a in text and b in text
    assert init_failure(box["error"]).id == peering_id, "the id is kept in the state"


def test_peering_that_disappears_while_provisioning_is_an_error(provider: Any, manual: Any) -> None:
    d = Driver(provider, manual)
    a, _ = d.vpc("net-a", "10.10.10.0/24")
    b, _ = d.vpc("net-b", "10.10.20.0/24")
    # Every poll is held back a moment, so that the peering is gone before the provider looks again.
    manual.control.fault(method="GET", path="/v2/vpc_peerings/*", delay_s=0.5, times=None)
    thread, box = _create_in_background(provider, d.check(PEER_URN, {"name": "a-b", "vpcIds": [a, b]}))
    peering_id = _wait_for_polls(d)
    manual.backend.vpc_peerings.delete(peering_id)
    manual.control.advance(6)  # DELETING lasts 5 s: gone, still 4 s before it would have been ACTIVE
    thread.join(30)
    text = box["error"].details()
    assert "disappeared from DigitalOcean (404)" in text and a in text and "pulumi refresh" in text
    assert init_failure(box["error"]).id == peering_id


def test_peering_that_goes_to_an_error_state_fails_and_is_replaced_next(provider: Any, emu: Any) -> None:
    d = Driver(provider, emu)
    a, _ = d.vpc("net-a", "10.10.10.0/24")
    b, _ = d.vpc("net-b", "10.10.20.0/24")
    emu.control.fault(vpc_peering_status="FAILED", times=1)
    checked = d.check(PEER_URN, {"name": "a-b", "vpcIds": [a, b]})
    with pytest.raises(grpc.RpcError) as info:
        provider.Create(provider_pb2.CreateRequest(urn=PEER_URN, properties=checked, timeout=60))
    assert "went to status FAILED" in info.value.details() and a in info.value.details()
    detail = init_failure(info.value)
    diff = d.diff(PEER_URN, detail.id, marshal.decode(detail.properties), {"name": "a-b", "vpcIds": [a, b]})
    assert list(diff.replaces) == ["status"] and diff.deleteBeforeReplace


def _droplet_in(d: Driver, vpc_id: str, name: str) -> int:
    with d.api() as api:
        made = api.post(
            "/v2/droplets",
            json={
                "name": name,
                "region": "nyc3",
                "size": "s-1vcpu-1gb",
                "image": "ubuntu-24-04-x64",
                "vpc_uuid": vpc_id,
            },
        )
        assert made.status_code == 202, made.text
        return int(made.json()["droplet"]["id"])


def test_vpc_delete_waits_for_a_member_being_deleted(
    provider: Any, ocean_emulator_factory: Any, engine: tuple[str, EngineLog]
) -> None:
    _, log = engine
    # A droplet takes 3 real seconds to go away after its DELETE.
    emu = ocean_emulator_factory(time_scale=10.0, clock_mode="scaled", droplet_delete_s=30.0)
    d = Driver(provider, emu)
    vpc_id, _ = d.vpc("net-a", "10.10.10.0/24")
    droplet_id = _droplet_in(d, vpc_id, "web-1")
    with d.api() as api:
        assert api.delete(f"/v2/droplets/{droplet_id}").status_code == 204
    before = len(d.requests())
    provider.Delete(provider_pb2.DeleteRequest(id=vpc_id, urn=VPC_URN.format("net-a"), timeout=60))
    deletes = [r["status"] for r in d.requests(before) if r["method"] == "DELETE"]
    assert deletes[0] == 403 and deletes[-1] == 204, deletes
    assert any(eph and "'web-1'" in m and "to be empty" in m for _, m, eph in log.messages), log.messages


def test_vpc_delete_with_members_not_going_away_is_refused_listing_them(provider: Any, emu: Any) -> None:
    d = Driver(provider, emu)
    vpc_id, _ = d.vpc("net-a", "10.10.10.0/24")
    droplet_id = _droplet_in(d, vpc_id, "db-1")
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as info:
        provider.Delete(provider_pb2.DeleteRequest(id=vpc_id, urn=VPC_URN.format("net-a"), timeout=300))
    assert time.monotonic() - started < 60, "failed after the settle window, not the 5-minute timeout"
    text = info.value.details()
    assert f"droplet 'db-1' (do:droplet:{droplet_id})" in text and "none of these is being deleted" in text
    assert "Delete them or move them" in text and vpc_id in text
    with d.api() as api:
        assert api.get(f"/v2/vpcs/{vpc_id}").status_code == 200


def test_import_of_vpc_and_peering_round_trips_with_no_changes(provider: Any, emu: Any) -> None:
    d = Driver(provider, emu)
    with d.api() as api:
        a = api.post("/v2/vpcs", json={"name": "old-a", "region": "ams3", "description": "legacy"}).json()[
            "vpc"
        ]
        b = api.post(
            "/v2/vpcs", json={"name": "old-b", "region": "ams3", "ip_range": "192.168.8.0/24"}
        ).json()["vpc"]
        p = api.post("/v2/vpc_peerings", json={"name": "old-link", "vpc_ids": [a["id"], b["id"]]}).json()
    for urn, rid in (
        (VPC_URN.format("a"), a["id"]),
        (VPC_URN.format("b"), b["id"]),
        (PEER_URN, p["vpc_peering"]["id"]),
    ):
        read = provider.Read(provider_pb2.ReadRequest(id=rid, urn=urn))
        assert read.id == rid
        checked = provider.Check(provider_pb2.CheckRequest(urn=urn, olds=read.inputs, news=read.inputs))
        assert list(checked.failures) == []
        diff = provider.Diff(
            provider_pb2.DiffRequest(id=rid, urn=urn, olds=read.properties, news=checked.inputs)
        )
        assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE, (urn, diff)
    inputs = marshal.decode(
        provider.Read(provider_pb2.ReadRequest(id=a["id"], urn=VPC_URN.format("a"))).inputs
    )
    assert inputs == {"name": "old-a", "region": "ams3", "ipRange": a["ip_range"], "description": "legacy"}


def test_default_vpc_is_refused_off_at_diff_and_never_deleted(
    provider: Any, emu: Any, engine: tuple[str, EngineLog]
) -> None:
    _, log = engine
    d = Driver(provider, emu)
    vpc_id, state = d.vpc("net-a", "10.10.10.0/24")
    urn = VPC_URN.format("net-a")
    news = {"name": "net-a", "region": "nyc3", "ipRange": "10.10.10.0/24", "default": True}
    diff = d.diff(urn, vpc_id, state, news)
    assert list(diff.diffs) == ["default"] and list(diff.replaces) == []
    updated = provider.Update(
        provider_pb2.UpdateRequest(
            id=vpc_id, urn=urn, olds=marshal.encode(state), news=d.check(urn, news), timeout=60
        )
    )
    state = marshal.decode(updated.properties)
    assert state["default"] is True
    # Turning it off is refused at preview, before any request is made.
    before = len(d.requests())
    with pytest.raises(grpc.RpcError) as info:
        d.diff(urn, vpc_id, state, {**news, "default": False})
    assert "`default` cannot be turned off" in info.value.details()
    assert d.requests(before) == []
    # Left out, it is not a change.
    assert d.diff(urn, vpc_id, state, {k: v for k, v in news.items() if k != "default"}).changes == (
        provider_pb2.DiffResponse.DIFF_NONE
    )
    # Delete leaves the default VPC in place, and says so.
    provider.Delete(provider_pb2.DeleteRequest(id=vpc_id, urn=urn, properties=updated.properties, timeout=60))
    with d.api() as api:
        assert api.get(f"/v2/vpcs/{vpc_id}").status_code == 200
    assert all(r["method"] != "DELETE" for r in d.requests(before))
    assert any(not eph and "never deletes a region's default VPC" in m for _, m, eph in log.messages)


def test_vpc_and_peering_lookups(provider: Any, emu: Any) -> None:
    d = Driver(provider, emu)
    a, _ = d.vpc("net-a", "10.10.10.0/24")
    b, _ = d.vpc("net-b", "10.10.20.0/24")
    rid, _, _ = d.create(PEER_URN, {"name": "a-b", "vpcIds": [a, b]})

    def invoke(tok: str, **args: Any) -> Any:
        return provider.Invoke(
            provider_pb2.InvokeRequest(tok=f"ocean:index:{tok}", args=marshal.encode(args))
        )

    default = marshal.decode(getattr(invoke("getVpc", region="ams3"), "return"))
    assert default["default"] is True and default["region"] == "ams3"
    by_name = marshal.decode(getattr(invoke("getVpc", name="net-b"), "return"))
    assert by_name["vpcId"] == b and by_name["ipRange"] == "10.10.20.0/24"
    by_id = marshal.decode(getattr(invoke("getVpc", id=a), "return"))
    assert by_id["name"] == "net-a" and by_id["vpcUrn"] == f"do:vpc:{a}"
    peering = marshal.decode(getattr(invoke("getVpcPeering", name="a-b"), "return"))
    assert peering["peeringId"] == rid and peering["status"] == "ACTIVE" and set(peering["vpcIds"]) == {a, b}
    with pytest.raises(grpc.RpcError) as info:
        invoke("getVpc", name="nothing")
    assert "0 VPCs named 'nothing'" in info.value.details()
    with pytest.raises(grpc.RpcError) as info:
        invoke("getVpcPeering")
    assert "exactly one of `id` or `name`" in info.value.details()


def test_cancel_stops_a_peering_wait_promptly_and_keeps_the_peering(provider: Any, manual: Any) -> None:
    from google.protobuf import empty_pb2

    d = Driver(provider, manual)
    a, _ = d.vpc("net-a", "10.10.10.0/24")
    b, _ = d.vpc("net-b", "10.10.20.0/24")
    thread, box = _create_in_background(provider, d.check(PEER_URN, {"name": "a-b", "vpcIds": [a, b]}))
    peering_id = _wait_for_polls(d)
    cancelled_at = time.monotonic()
    provider.Cancel(empty_pb2.Empty())
    thread.join(30)
    assert time.monotonic() - cancelled_at < 5, "the wait stopped at the engine's Cancel"
    text = box["error"].details()
    assert "cancelled" in text and "'a-b'" in text and "resumes waiting" in text
    detail = init_failure(box["error"])
    assert detail.id == peering_id and marshal.decode(detail.properties)["status"] == "PROVISIONING"


def test_bad_vpc_and_peering_inputs_are_refused_at_check_before_any_request(provider: Any, emu: Any) -> None:
    configure(provider, emu.base_url)
    before = emu.control.requests()["total"]
    bad = {"name": "net_a", "region": "NYC3", "ipRange": "8.8.8.0/24", "description": "d" * 300}
    resp = provider.Check(
        provider_pb2.CheckRequest(urn=VPC_URN.format("net"), news=marshal.encode(bad), randomSeed=b"s")
    )
    reasons = {f.property: f.reason for f in resp.failures}
    assert set(reasons) == {"name", "region", "ipRange", "description"}
    assert all("Vpc 'net'" in r for r in reasons.values())
    same = "5a4981aa-9653-4bd1-bef5-d6bff52042e4"
    resp = provider.Check(
        provider_pb2.CheckRequest(urn=PEER_URN, news=marshal.encode({"name": "a.b", "vpcIds": [same, same]}))
    )
    reasons = {f.property: f.reason for f in resp.failures}
    assert set(reasons) == {"name", "vpcIds"} and "peered with itself" in reasons["vpcIds"]
    assert emu.control.requests()["total"] == before
