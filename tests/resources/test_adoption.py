"""Nothing duplicated, nothing orphaned (ocean.resources.adoption), resource by resource, against the real
emulator over HTTP:

- the answer to a create is lost after DigitalOcean carried it out (a 5xx, a dropped connection): the
  create looks up what it made and adopts it — one POST, one resource, its id in the state;
- a create repeated after an interrupted one (the same URN, nothing recorded): the mark is found and
  the resource adopted, with no second POST; a replacement or another stack never adopts;
- several candidates fail with their ids; none found fails saying nothing was made;
- the droplet's mark never shows in its tags (create, refresh, import) and an update never removes it;
- a failed create is recorded and replaced with its reason, while DigitalOcean still shows it broken.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from ocean.api import DigitalOceanClient, RateGovernor
from ocean.emulator.pytest_plugin import RunningEmulator
from ocean.resources.adoption import MARK_TAG_PREFIX, create_mark, first_mark, mark_tag
from ocean.resources.base import FAILED, MARK, Context, PartialFailure, Resource, ResourceError
from ocean.resources.container_registry import ContainerRegistry
from ocean.resources.droplet import Droplet
from ocean.resources.droplet_snapshot import DropletSnapshot
from ocean.resources.registry_garbage_collection import RegistryGarbageCollection
from ocean.resources.vpc import Vpc
from ocean.resources.vpc_peering import VpcPeering

URN = "urn:pulumi:dev::proj::ocean:index:Droplet::web"
DROPLET = {
    "name": "web-1",
    "region": "nyc3",
    "size": "s-1vcpu-1gb",
    "image": "ubuntu-24-04-x64",
    "tags": ["web"],
}


class World:
    def __init__(self, emulator: RunningEmulator) -> None:
        self.emulator = emulator
        self.api = DigitalOceanClient(emulator.token, emulator.base_url, governor=RateGovernor.unlimited())
        self.notes: list[str] = []
        self.http = httpx.Client(base_url=emulator.base_url, headers=emulator.headers)
        # The provider process's memory (Context.shared), as the server keeps it between Checks.
        self.shared: dict[str, Any] = {}

    def ctx(self, urn: str) -> Context:
        async def note(message: str) -> None:
            self.notes.append(message)

        return Context(api=self.api, urn=urn, timeout=120, notify=note, warn=note, shared={})

    def requests(self, method: str, path: str) -> int:
        return len(self.statuses(method, path))

    def statuses(self, method: str, path: str) -> list[int]:
        log = self.emulator.control.requests()["requests"]
        return [r["status"] for r in log if r["method"] == method and r["path"] == path]

    def droplets(self) -> list[dict[str, Any]]:
        return list(self.http.get("/v2/droplets").json()["droplets"])


@pytest.fixture
def emu(ocean_emulator_factory: Any) -> RunningEmulator:
    # 200x: a droplet's 30 s create takes 0.15 s.
    return ocean_emulator_factory(time_scale=200.0, clock_mode="scaled")  # type: ignore[no-any-return]


def run(emulator: RunningEmulator, body: Callable[[World], Awaitable[None]]) -> None:
    async def go() -> None:
        w = World(emulator)
        try:
            await body(w)
        finally:
            await w.api.aclose()
            w.http.close()

    asyncio.run(go())


async def create(w: World, res: type[Resource], urn: str, news: dict[str, Any], olds: Any = None) -> Any:
    """Check and Create as the engine does: for a replacement (`olds`), Check with the recorded inputs,
    then (Diff having planned the replacement) Check again without them, and create from that."""
    if olds is not None:
        _, failures = res.checked(urn, olds, news, b"seed", memory=w.shared)
        assert failures == []
    inputs, failures = res.checked(urn, {}, news, b"seed", memory=w.shared)
    assert failures == []
    rid, state = await res.create(w.ctx(urn), inputs)  # type: ignore[attr-defined]
    return rid, state, inputs


# -------------------------------------------------------------------------------------------- marks


def test_the_create_mark_through_the_engines_checks() -> None:
    """The engine checks a resource with its recorded inputs, and a replacement again without them."""
    process: dict[str, Any] = {}
    new = create_mark(URN, {}, process)
    assert new == first_mark(URN), "a new resource"
    recorded = {MARK: new, "name": "web-1"}
    assert create_mark(URN, recorded, process) == new, "kept while the resource is updated"
    replacement = create_mark(URN, {}, process)
    assert replacement != new, "a replacement's second Check: a mark of its own"
    # The replacement crashed: the next deployment (another provider process) checks the same way.
    restarted: dict[str, Any] = {}
    create_mark(URN, recorded, restarted)
    assert create_mark(URN, {}, restarted) == replacement
    # Once the replacement is recorded, its own replacement gets yet another mark.
    create_mark(URN, {MARK: replacement}, restarted)
    assert create_mark(URN, {}, restarted) not in (new, replacement)
    assert create_mark(URN.replace("pulumi:dev::", "pulumi:prod::"), {}, {}) != new, "another stack"


# ------------------------------------------------------------------------------------ lost answers


@pytest.mark.parametrize("lose", ["status", "drop"])
def test_droplet_create_whose_answer_is_lost_adopts_what_it_made(emu: RunningEmulator, lose: str) -> None:
    async def body(w: World) -> None:
        if lose == "status":
            w.emulator.control.fault(method="POST", path="/v2/droplets", status=500, when="after")
        else:
            w.emulator.control.fault(method="POST", path="/v2/droplets", drop_connection=True, when="after")
        rid, state, _ = await create(w, Droplet, URN, dict(DROPLET))
        # The emulator carried it out, then answered 500 or dropped the connection (logged as 0).
        assert w.statuses("POST", "/v2/droplets") == [500 if lose == "status" else 0], "never repeated"
        [droplet] = w.droplets()
        assert str(droplet["id"]) == rid and state["dropletId"] == droplet["id"]
        assert state["status"] == "active", "its create action was found and waited for"
        assert state["tags"] == ["web"]
        assert any("answer to the create request was lost" in n and f"droplet {rid}" in n for n in w.notes)

    run(emu, body)


def test_lost_answer_with_nothing_made_fails_and_says_so(emu: RunningEmulator) -> None:
    async def body(w: World) -> None:
        # A 500 *before* the work: DigitalOcean made nothing.
        w.emulator.control.fault(method="POST", path="/v2/droplets", status=500)
        with pytest.raises(ResourceError) as info:
            await create(w, Droplet, URN, dict(DROPLET))
        text = str(info.value)
        assert "Droplet 'web'" in text and "shows no droplet made by it" in text and "request id" in text
        assert "Run `pulumi up` again" in text
        assert text.count("not repeated") == 1 and "not retried" not in text
        assert w.droplets() == []
        # The next `up` creates it, once.
        await create(w, Droplet, URN, dict(DROPLET))
        assert len(w.droplets()) == 1

    run(emu, body)


def test_lost_answer_with_several_candidates_keeps_none(emu: RunningEmulator) -> None:
    async def body(w: World) -> None:
        inputs, _ = Droplet.checked(URN, {}, dict(DROPLET), b"")
        # Something else makes a droplet with this name, region and mark while the answer is held back
        # (for 2 s after the create was carried out), then lost.
        other = {**DROPLET, "tags": [mark_tag(inputs[MARK])]}
        w.emulator.control.fault(method="POST", path="/v2/droplets", status=503, delay_s=2.0, when="after")

        async def meanwhile() -> None:
            for _ in range(200):  # the create is carried out at once; its answer comes 2 s later
                if w.droplets():
                    break
                await asyncio.sleep(0.05)
            w.http.post("/v2/droplets", json=other).raise_for_status()

        with pytest.raises(ResourceError) as info:
            await asyncio.gather(Droplet.create(w.ctx(URN), inputs), meanwhile())
        ids = [str(d["id"]) for d in w.droplets()]
        assert len(ids) == 2
        assert all(i in str(info.value) for i in ids) and "None was adopted" in str(info.value)

    run(emu, body)


def test_vpc_peering_and_registry_creates_whose_answer_is_lost_adopt(emu: RunningEmulator) -> None:
    async def body(w: World) -> None:
        w.emulator.control.fault(method="POST", path="/v2/vpcs", status=502, times=2, when="after")
        vurn = "urn:pulumi:dev::proj::ocean:index:Vpc::"
        a, sa, _ = await create(w, Vpc, vurn + "a", {"name": "net-a", "region": "nyc3"})
        b, _, _ = await create(w, Vpc, vurn + "b", {"region": "nyc3"})  # auto-named
        vpcs = [v for v in w.http.get("/v2/vpcs").json()["vpcs"] if not v["default"]]
        assert sorted(v["id"] for v in vpcs) == sorted([a, b]) and sa["vpcId"] == a
        assert w.requests("POST", "/v2/vpcs") == 2

        w.emulator.control.fault(method="POST", path="/v2/vpc_peerings", drop_connection=True, when="after")
        purn = "urn:pulumi:dev::proj::ocean:index:VpcPeering::p"
        pid, ps, _ = await create(w, VpcPeering, purn, {"name": "p-1", "vpcIds": [a, b]})
        assert ps["status"] == "ACTIVE" and [
            p["id"] for p in w.http.get("/v2/vpc_peerings").json()["vpc_peerings"]
        ] == [pid]
        assert w.requests("POST", "/v2/vpc_peerings") == 1

        w.emulator.control.fault(method="POST", path="/v2/registries", status=500, when="after")
        rurn = "urn:pulumi:dev::proj::ocean:index:ContainerRegistry::r"
        rid, rs, _ = await create(w, ContainerRegistry, rurn, {"name": "reg-1", "region": "fra1"})
        assert rid == "reg-1" and rs["endpoint"] == "registry.digitalocean.com/reg-1"
        assert w.requests("POST", "/v2/registries") == 1
        lost = [r for r in w.emulator.control.requests()["requests"] if r["status"] in (0, 500, 502)]
        assert len(lost) == 4, lost

    run(emu, body)


def test_firewall_and_firewall_rule_whose_answer_is_lost_adopt(emu: RunningEmulator) -> None:
    async def body(w: World) -> None:
        from ocean.resources.firewall import Firewall
        from ocean.resources.firewall_rule import FirewallRule

        ssh = {"protocol": "tcp", "portRange": "22", "sourceAddresses": ["0.0.0.0/0"]}
        w.emulator.control.fault(method="POST", path="/v2/firewalls", status=500, when="after")
        furn = "urn:pulumi:dev::proj::ocean:index:Firewall::fw"
        fid, state, _ = await create(w, Firewall, furn, {"name": "fw-1", "inboundRules": [ssh]})
        [fw] = w.http.get("/v2/firewalls").json()["firewalls"]
        assert fw["id"] == fid and state["status"] == "succeeded"
        assert w.requests("POST", "/v2/firewalls") == 1

        w.emulator.control.fault(
            method="POST", path=f"/v2/firewalls/{fid}/rules", drop_connection=True, when="after"
        )
        rurn = "urn:pulumi:dev::proj::ocean:index:FirewallRule::https"
        https = {"protocol": "tcp", "portRange": "443", "sourceAddresses": ["0.0.0.0/0"]}
        rid, _, _ = await create(w, FirewallRule, rurn, {"firewallId": fid, "inboundRule": https})
        rules = w.http.get(f"/v2/firewalls/{fid}").json()["firewall"]["inbound_rules"]
        assert sorted(r["ports"] for r in rules) == ["22", "443"] and rid.startswith(f"{fid}:inbound:")
        assert w.requests("POST", f"/v2/firewalls/{fid}/rules") == 1

        # A firewall whose create was interrupted is adopted by the next `up`: found by its mark, a tag
        # no droplet carries (firewall names need not be unique), hidden from the program.
        aurn = "urn:pulumi:dev::proj::ocean:index:Firewall::named"
        first, _, inputs = await create(w, Firewall, aurn, {"name": "web", "inboundRules": [ssh]})
        again, state, _ = await create(w, Firewall, aurn, {"name": "web", "inboundRules": [ssh, https]})
        assert again == first and w.requests("POST", "/v2/firewalls") == 2
        live = w.http.get(f"/v2/firewalls/{first}").json()["firewall"]
        assert len(live["inbound_rules"]) == 2, "brought up to what the program says now"
        assert live["tags"] == [mark_tag(inputs[MARK])] and state["tags"] == []
        # An update keeps the mark while there is room; five tags of the program's take its slot.
        updated = await Firewall.update(w.ctx(aurn), first, state, {**inputs, "tags": ["a"]})
        live = w.http.get(f"/v2/firewalls/{first}").json()["firewall"]
        assert updated["tags"] == ["a"] and sorted(live["tags"]) == sorted(["a", mark_tag(inputs[MARK])])
        five = [f"t{i}" for i in range(5)]
        await Firewall.update(w.ctx(aurn), first, updated, {**inputs, "tags": five})
        assert sorted(w.http.get(f"/v2/firewalls/{first}").json()["firewall"]["tags"]) == five

    run(emu, body)


def test_snapshot_whose_answer_is_lost_adopts_its_action(emu: RunningEmulator) -> None:
    async def body(w: World) -> None:
        droplet_id, _, _ = await create(w, Droplet, URN, dict(DROPLET))
        w.emulator.control.fault(
            method="POST", path=f"/v2/droplets/{droplet_id}/actions", status=500, when="after"
        )
        surn = "urn:pulumi:dev::proj::ocean:index:DropletSnapshot::snap"
        sid, state, _ = await create(w, DropletSnapshot, surn, {"dropletId": int(droplet_id), "name": "s-1"})
        snaps = w.http.get(f"/v2/droplets/{droplet_id}/snapshots").json()["snapshots"]
        assert [str(s["id"]) for s in snaps] == [sid] and state["name"] == "s-1"
        assert w.requests("POST", f"/v2/droplets/{droplet_id}/actions") == 1
        assert any("snapshot action" in n for n in w.notes)

    run(emu, body)


def test_garbage_collection_whose_answer_is_lost_adopts_the_running_one(
    emu: RunningEmulator,
) -> None:
    async def body(w: World) -> None:
        await w.api.registries.create("reg-1", region="fra1", subscription_tier_slug="basic")
        w.emulator.control.fault(
            method="POST", path="/v2/registries/reg-1/garbage-collection", status=504, when="after"
        )
        gurn = "urn:pulumi:dev::proj::ocean:index:RegistryGarbageCollection::gc"
        uuid_, state, _ = await create(w, RegistryGarbageCollection, gurn, {"registryName": "reg-1"})
        assert state["status"] == "succeeded" and state["uuid"] == uuid_
        gcs = w.http.get("/v2/registries/reg-1/garbage-collections").json()["garbage_collections"]
        assert [g["uuid"] for g in gcs] == [uuid_]

    run(emu, body)


# ----------------------------------------------------------------------------- interrupted creates


def test_a_create_repeated_after_an_interrupted_one_adopts_instead_of_duplicating(
    emu: RunningEmulator,
) -> None:
    async def body(w: World) -> None:
        unnamed = {k: v for k, v in DROPLET.items() if k != "name"}
        first, _, inputs = await create(w, Droplet, URN, dict(unnamed))
        # The provider died before the engine recorded it: the next `up` checks and creates again, with
        # another random seed and no state.
        again, _, inputs2 = await create(w, Droplet, URN, {**unnamed, "size": "s-1vcpu-2gb"})
        assert inputs2["name"] == inputs["name"] and inputs2[MARK] == inputs[MARK]
        assert again == first and len(w.droplets()) == 1
        assert w.requests("POST", "/v2/droplets") == 1
        assert any("adopted droplet" in n and "interrupted" in n for n in w.notes)
        [droplet] = w.droplets()
        assert droplet["size_slug"] == "s-1vcpu-2gb", "what changed since is applied in place"

        # Auto-named VPCs and registries: the auto-name is the mark.
        vurn = "urn:pulumi:dev::proj::ocean:index:Vpc::net"
        v1, _, _ = await create(w, Vpc, vurn, {"region": "nyc3"})
        v2, _, _ = await create(w, Vpc, vurn, {"region": "nyc3"})
        assert v1 == v2 and w.requests("POST", "/v2/vpcs") == 1
        rurn = "urn:pulumi:dev::proj::ocean:index:ContainerRegistry::images"
        r1, _, _ = await create(w, ContainerRegistry, rurn, {"region": "fra1"})
        r2, _, _ = await create(w, ContainerRegistry, rurn, {"region": "fra1"})
        assert r1 == r2 and w.requests("POST", "/v2/registries") == 1

    run(emu, body)


def test_no_false_adoption_of_a_replaced_resource_another_stack_or_a_chosen_name(
    emu: RunningEmulator,
) -> None:
    async def body(w: World) -> None:
        first, state, inputs = await create(w, Droplet, URN, dict(DROPLET))
        # A replacement (create-before-delete): Check has the old inputs, so the new mark differs.
        replacement, _, new_inputs = await create(
            w, Droplet, URN, {**DROPLET, "image": "debian-12-x64"}, olds=inputs
        )
        assert inputs[MARK] == first_mark(URN) != new_inputs[MARK]
        assert create_mark(URN, {}, w.shared) == new_inputs[MARK], "the same after a crash of the replacement"
        assert replacement != first and len(w.droplets()) == 2
        # Another stack, same program.
        other, _, _ = await create(w, Droplet, URN.replace("pulumi:dev::", "pulumi:prod::"), dict(DROPLET))
        assert other not in (first, replacement) and len(w.droplets()) == 3
        # A VPC name the program chose proves nothing: refused with the id, not adopted.
        await w.api.vpcs.create({"name": "shared-net", "region": "nyc3"})
        with pytest.raises(ResourceError) as info:
            await create(
                w, Vpc, "urn:pulumi:dev::proj::ocean:index:Vpc::net", {"name": "shared-net", "region": "nyc3"}
            )
        assert "already has a VPC named 'shared-net'" in str(info.value) and "not adopted" in str(info.value)
        assert "pulumi import ocean:index:Vpc net" in str(info.value)

    run(emu, body)


def test_several_marked_droplets_fail_with_their_ids(emu: RunningEmulator) -> None:
    async def body(w: World) -> None:
        inputs, _ = Droplet.checked(URN, {}, dict(DROPLET), b"")
        body_ = {**{k: v for k, v in DROPLET.items() if k != "tags"}, "tags": [mark_tag(inputs[MARK])]}
        ids = [str(w.http.post("/v2/droplets", json=body_).json()["droplet"]["id"]) for _ in range(2)]
        with pytest.raises(ResourceError) as info:
            await Droplet.create(w.ctx(URN), inputs)
        assert all(i in str(info.value) for i in ids) and "None was adopted" in str(info.value)
        assert w.requests("POST", "/v2/droplets") == 2, "only the two made here"

    run(emu, body)


# ------------------------------------------------------------------------------- the mark is hidden


def test_the_mark_never_shows_in_tags_and_is_never_removed(emu: RunningEmulator) -> None:
    async def body(w: World) -> None:
        rid, state, inputs = await create(w, Droplet, URN, dict(DROPLET))
        [droplet] = w.droplets()
        assert mark_tag(inputs[MARK]) in droplet["tags"], "DigitalOcean has the mark"
        assert state["tags"] == ["web"]
        refreshed = await Droplet.refresh(w.ctx(URN), rid, state, inputs)
        assert refreshed is not None and refreshed[0]["tags"] == ["web"]
        imported = await Droplet.read(w.ctx(URN), rid, {}, {})
        assert imported is not None and imported[1]["tags"] == ["web"]
        assert not Droplet.diff(refreshed[0], inputs).changes
        updated = await Droplet.update(w.ctx(URN), rid, state, {**inputs, "tags": ["api"]})
        assert updated["tags"] == ["api"]
        [droplet] = w.droplets()
        assert sorted(droplet["tags"]) == sorted(["api", mark_tag(inputs[MARK])])
        assert all(MARK_TAG_PREFIX not in str(v) for k, v in updated.items())
        from ocean.provider.registry import lookup_function

        looked_up = await lookup_function("ocean:index:getDroplet").run(w.ctx(URN), {"id": int(rid)})
        assert looked_up["tags"] == ["api"], "nor in the getDroplet lookup"

    run(emu, body)


# ------------------------------------------------------------------------------------ failed creates


def test_a_failed_create_is_recorded_and_replaced_while_still_broken(emu: RunningEmulator) -> None:
    async def body(w: World) -> None:
        w.emulator.control.fault(action_type="create", outcome="errored")
        inputs, _ = Droplet.checked(URN, {}, dict(DROPLET), b"")
        with pytest.raises(PartialFailure) as info:
            await Droplet.create(w.ctx(URN), inputs)
        failure = info.value
        action_id = str(failure).split("create action ")[1].split(" ")[0]
        assert failure.state[FAILED] == f"its create action {action_id} errored"
        d = Droplet.diff(failure.state, inputs)
        assert d.replaces == ["status"] and d.failed == f"its create action {action_id} errored"
        assert d.replace_reason() == f"its create action {action_id} errored"
        refreshed = await Droplet.refresh(w.ctx(URN), failure.resource_id, failure.state, inputs)
        assert refreshed is not None and refreshed[0][FAILED] == failure.state[FAILED]
        # The replacement gets its own mark: the broken droplet is never adopted.
        replacement, state, _ = await create(w, Droplet, URN, dict(DROPLET), olds=inputs)
        assert replacement != failure.resource_id and state["status"] == "active"
        assert FAILED not in state

    run(emu, body)


def test_a_peering_left_in_an_error_status_is_replaced_by_the_same_mechanism(emu: RunningEmulator) -> None:
    async def body(w: World) -> None:
        a = (await w.api.vpcs.create({"name": "net-a", "region": "nyc3"})).id
        b = (await w.api.vpcs.create({"name": "net-b", "region": "nyc3"})).id
        w.emulator.control.fault(vpc_peering_status="FAILED")
        purn = "urn:pulumi:dev::proj::ocean:index:VpcPeering::p"
        inputs, _ = VpcPeering.checked(purn, {}, {"name": "p-1", "vpcIds": [a, b]}, b"", memory=w.shared)
        with pytest.raises(PartialFailure) as info:
            await VpcPeering.create(w.ctx(purn), inputs)
        state = info.value.state
        d = VpcPeering.diff(state, inputs)
        assert d.replaces == ["status"] and d.delete_before_replace and "status FAILED" in d.replace_reason()
        refreshed = await VpcPeering.refresh(w.ctx(purn), info.value.resource_id, state, inputs)
        assert refreshed is not None and VpcPeering.diff(refreshed[0], inputs).replaces == ["status"]

    run(emu, body)


def test_a_recovered_droplet_is_no_longer_marked_failed_after_refresh(emu: RunningEmulator) -> None:
    async def body(w: World) -> None:
        rid, state, inputs = await create(w, Droplet, URN, dict(DROPLET))
        recorded = {**state, FAILED: "its create action 1 errored"}
        refreshed = await Droplet.refresh(w.ctx(URN), rid, recorded, inputs)
        assert refreshed is not None and FAILED not in refreshed[0]
        assert not Droplet.diff(refreshed[0], inputs).changes

    run(emu, body)
