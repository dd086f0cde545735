"""The registry resources' operations against the emulator in process (``emulated.py``). The emulator's
clock is manual and moves only when the provider's injected sleep does, so every status a garbage
collection passes through is seen at a known emulated time, and timeouts take milliseconds."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from ocean.api import errors
from ocean.resources.base import Context, PartialFailure, ResourceError
from ocean.resources.container_registry import ContainerRegistry
from ocean.resources.lookups import FUNCTIONS, LookupError_
from ocean.resources.registry_garbage_collection import RegistryGarbageCollection
from ocean.resources.registry_subscription import RESOURCE_ID, RegistrySubscription
from ocean.resources.unknown import UNKNOWN
from tests.resources.emulated import Emulated

REG = "urn:pulumi:dev::proj::ocean:index:ContainerRegistry::images"
SUB = "urn:pulumi:dev::proj::ocean:index:RegistrySubscription::tier"
GC = "urn:pulumi:dev::proj::ocean:index:RegistryGarbageCollection::gc"
STAGES = [
    "requested",
    "waiting for write JWTs to expire",
    "scanning manifests",
    "deleting unreferenced blobs",
]
STAGE_S = 5.0  # the emulator's default gc_stage_s


class Control:
    """The emulator's control operations, in process."""

    def __init__(self, do: Emulated) -> None:
        self.do = do

    def reset(self) -> None:
        self.do.backend.reset()

    def fault(self, **rule: Any) -> None:
        self.do.backend.add_fault(rule)

    def advance(self, seconds: float) -> None:
        """Move DigitalOcean's clock only (the provider's stays)."""
        self.do.backend.advance(seconds)


class Harness:
    def __init__(self, do: Emulated) -> None:
        self.do = do
        self.api = do.api
        self.control = Control(do)
        self.shared: dict[str, Any] = {}
        self.reports = do.seen.reports
        self.notes = do.seen.notes

    def ctx(self, urn: str, timeout: float | None = None, cancel: asyncio.Event | None = None) -> Context:
        return self.do.ctx(urn, timeout=timeout, cancel=cancel, shared=self.shared)

    def requests(self) -> list[dict[str, Any]]:
        return self.do.backend.requests()["requests"]  # type: ignore[no-any-return]

    def mutating(self, since: int = 0) -> list[str]:
        return [f"{r['method']} {r['path']}" for r in self.requests()[since:] if r["method"] != "GET"]


def run(do: Emulated, body: Callable[[Harness], Awaitable[None]]) -> None:
    do.run(body(Harness(do)))


async def registry(h: Harness, name: str = "images", tier: str = "basic") -> None:
    await h.api.registries.create(name, region="fra1", subscription_tier_slug=tier)


def push(h: Harness, name: str, repository: str, tag: str, size: int) -> None:
    h.do.backend.repositories.push(name, {"repository": repository, "tag": tag, "size_bytes": size})


# ------------------------------------------------------------------------------------------ registry


def test_registry_create_read_import_and_delete(do: Emulated) -> None:
    async def body(h: Harness) -> None:
        await h.api.registries.create("other", subscription_tier_slug="professional")
        ctx = h.ctx(REG)
        inputs, failures = ContainerRegistry.check(REG, {}, {"name": "images", "region": "ams3"}, b"")
        assert failures == []
        rid, state = await ContainerRegistry.create(ctx, inputs)
        assert rid == "images"
        assert state["endpoint"] == "registry.digitalocean.com/images"
        assert state["serverUrl"] == "registry.digitalocean.com" and state["region"] == "ams3"
        assert state["storageUsageBytes"] == 0 and state["garbageCollectionActive"] is False
        assert h.notes == [], "the account had a subscription: the registry joined it"
        [create] = [r for r in h.requests() if r["method"] == "POST"][-1:]
        assert create["path"] == "/v2/registries"

        push(h, "images", "web", "v1", 1000)
        outputs, imported = await ContainerRegistry.read(ctx, "images", {}, {})  # type: ignore[misc]
        assert imported == {"name": "images", "region": "ams3"}
        assert outputs["storageUsageBytes"] == 1000
        # The import's inputs check and diff clean against the read state.
        checked, failures = ContainerRegistry.check(REG, imported, imported, b"")
        assert failures == [] and not ContainerRegistry.diff(outputs, checked).changes

        await h.api.garbage_collections.start("images")
        outputs, kept = await ContainerRegistry.read(ctx, "images", state, inputs)  # type: ignore[misc]
        assert outputs["garbageCollectionActive"] is True and kept == inputs

        await ContainerRegistry.delete(ctx, "images", state)
        assert await ContainerRegistry.read(ctx, "images", state, inputs) is None
        await ContainerRegistry.delete(ctx, "images", state)  # already gone: not an error
        assert all(r["path"].startswith("/v2/registries") for r in h.requests()), "multi-registry paths only"

    run(do, body)


def test_first_registry_of_an_account_uses_the_declared_tier_or_the_free_one(do: Emulated) -> None:
    async def body(h: Harness) -> None:
        ctx = h.ctx(REG)
        await ContainerRegistry.create(ctx, {"name": "first"})
        assert (await h.api.registries.get_subscription()).tier.slug == "starter"  # type: ignore[union-attr]
        assert "'starter' tier" in h.notes[-1]
        h.control.reset()
        h.shared.clear()
        # This program declares a RegistrySubscription: its tier is the one the account starts on.
        assert await RegistrySubscription.check_live(h.ctx(SUB), {}, {"tierSlug": "professional"}) == []
        await ContainerRegistry.create(h.ctx(REG), {"name": "first"})
        assert (await h.api.registries.get_subscription()).tier.slug == "professional"  # type: ignore[union-attr]

    run(do, body)


def test_registry_name_taken_says_what_to_do(do: Emulated) -> None:
    async def body(h: Harness) -> None:
        # This account has it: a name the program chose proves nothing, so it is not adopted.
        await registry(h)
        with pytest.raises(ResourceError) as info:
            await ContainerRegistry.create(h.ctx(REG), {"name": "images"})
        text = str(info.value)
        assert "ContainerRegistry 'images'" in text and "pulumi import ocean:index:ContainerRegistry" in text
        assert "registry 'images' in fra1" in text and "not adopted" in text
        assert not [r for r in h.requests() if r["method"] == "POST" and r["path"] == "/v2/registries"][1:]
        # Another account has it (DigitalOcean answers 409): choose another name.
        h.control.fault(method="POST", path="/v2/registries", status=409, message="name taken")
        with pytest.raises(ResourceError) as info:
            await ContainerRegistry.create(h.ctx(REG), {"name": "other-name"})
        text = str(info.value)
        assert "request id" in text and "another account" in text and "choose another `name`" in text

    run(do, body)


# -------------------------------------------------------------------------------------- subscription


def test_ineligible_tier_is_refused_in_check_with_digitaloceans_reasons_and_no_change(
    do: Emulated,
) -> None:
    async def body(h: Harness) -> None:
        await registry(h, tier="basic")
        push(h, "images", "web", "v1", 1000)
        push(h, "images", "api", "v1", 1000)  # starter includes one repository
        before = len(h.requests())
        failures = await RegistrySubscription.check_live(h.ctx(SUB), {}, {"tierSlug": "starter"})
        assert [f.property for f in failures] == ["tierSlug"]
        reason = failures[0].reason
        assert "RegistrySubscription 'tier'" in reason and "'starter'" in reason
        assert "OverRepositoryLimit" in reason and "(1)" in reason
        assert "GET /v2/registries/options" in reason
        assert h.mutating(before) == [], "Check only reads"
        # The tier the account is on is not a change, even when it is no longer eligible for it.
        await h.api.registries.create("second", subscription_tier_slug="professional")
        push(h, "second", "big", "v1", 6 * 1024**3)
        h.shared.clear()
        assert await RegistrySubscription.check_live(h.ctx(SUB), {}, {"tierSlug": "professional"}) == []

    run(do, body)


def test_tier_not_offered_lists_the_offered_ones_and_unknown_tier_is_left_for_up(do: Emulated) -> None:
    async def body(h: Harness) -> None:
        [failure] = await RegistrySubscription.check_live(h.ctx(SUB), {}, {"tierSlug": "enterprise"})
        assert "'enterprise' is not a tier DigitalOcean offers" in failure.reason
        assert "'starter', 'basic', 'professional'" in failure.reason
        before = len(h.requests())
        h.shared.clear()
        assert await RegistrySubscription.check_live(h.ctx(SUB), {}, {"tierSlug": UNKNOWN}) == []
        assert len(h.requests()) == before, "nothing to check yet: no request"

    run(do, body)


def test_options_unreadable_leaves_the_check_to_up_and_says_so(do: Emulated) -> None:
    async def body(h: Harness) -> None:
        h.control.fault(method="GET", path="/v2/registries/options", status=503, times=10)
        assert await RegistrySubscription.check_live(h.ctx(SUB), {}, {"tierSlug": "basic"}) == []
        assert "left to DigitalOcean at `pulumi up`" in h.notes[-1]

    run(do, body)


def test_two_subscriptions_in_one_program_are_refused(do: Emulated) -> None:
    async def body(h: Harness) -> None:
        other = SUB.replace("::tier", "::tier-2")
        assert await RegistrySubscription.check_live(h.ctx(SUB), {}, {"tierSlug": "basic"}) == []
        [failure] = await RegistrySubscription.check_live(h.ctx(other), {}, {"tierSlug": "professional"})
        assert "RegistrySubscription 'tier-2'" in failure.reason and "'tier'" in failure.reason
        assert "one RegistrySubscription per account" in failure.reason
        # The same resource checked again (preview, then up) is not a second one.
        assert await RegistrySubscription.check_live(h.ctx(SUB), {}, {"tierSlug": "basic"}) == []

    run(do, body)


def test_subscription_create_adopts_update_changes_tier_and_delete_leaves_it(do: Emulated) -> None:
    async def body(h: Harness) -> None:
        await registry(h, tier="basic")
        ctx = h.ctx(SUB)
        before = len(h.requests())
        rid, state = await RegistrySubscription.create(ctx, {"tierSlug": "basic"})
        assert rid == RESOURCE_ID and state["tierSlug"] == "basic" and state["name"] == "Basic"
        assert state["monthlyPriceInCents"] == 500 and state["includedRepositories"] == 5
        assert h.mutating(before) == [], "already on the tier: adopted without a change"
        assert "already on the 'basic' tier" in h.notes[-1]

        before = len(h.requests())
        state = await RegistrySubscription.update(ctx, rid, state, {"tierSlug": "professional"})
        assert state["tierSlug"] == "professional" and state["monthlyPriceInCents"] == 2000
        assert h.mutating(before) == ["POST /v2/registries/subscription"]

        # Drift (changed in the control panel) shows on read; the program's inputs stand.
        await h.api.registries.update_subscription("basic")
        outputs, inputs = await RegistrySubscription.read(ctx, rid, state, {"tierSlug": "professional"})  # type: ignore[misc]
        assert outputs["tierSlug"] == "basic" and inputs == {"tierSlug": "professional"}
        assert RegistrySubscription.diff(outputs, inputs).detailed == {"tierSlug": "update"}
        imported = await RegistrySubscription.read(ctx, "anything", {}, {})
        assert imported is not None and imported[1] == {"tierSlug": "basic"}

        before = len(h.requests())
        await RegistrySubscription.delete(ctx, rid, outputs)
        assert len(h.requests()) == before, "delete leaves the account's subscription as it is"
        assert "left as it is (tier 'basic')" in h.notes[-1]

    run(do, body)


def test_subscription_create_changes_the_adopted_tier(do: Emulated) -> None:
    async def body(h: Harness) -> None:
        await registry(h, tier="starter")
        _, state = await RegistrySubscription.create(h.ctx(SUB), {"tierSlug": "basic"})
        assert state["tierSlug"] == "basic"
        assert "changed its tier from 'starter' to 'basic'" in h.notes[-1]
        push(h, "images", "a", "v1", 10)
        push(h, "images", "b", "v1", 10)
        with pytest.raises(ResourceError) as info:  # refused by DigitalOcean at `up`, had Check been skipped
            await RegistrySubscription.update(h.ctx(SUB), RESOURCE_ID, state, {"tierSlug": "starter"})
        assert "OverRepositoryLimit" in str(info.value) and "request id" in str(info.value)

    run(do, body)


# ---------------------------------------------------------------------------------- garbage collection


def _statuses(h: Harness) -> list[str]:
    """The statuses the waiter showed in the display, in order, each once."""
    seen: list[str] = []
    for _, message in h.reports:
        if message.startswith("garbage collection ") and ": " in message:
            status = message.rsplit(": ", 1)[1].split(",")[0]
            if not seen or seen[-1] != status:
                seen.append(status)
    return seen


def _gc_gets(h: Harness, since: int = 0) -> list[dict[str, Any]]:
    return [r for r in h.requests()[since:] if r["method"] == "GET" and "garbage-collection" in r["path"]]


def test_gc_waits_through_every_status_to_succeeded(do: Emulated) -> None:
    async def body(h: Harness) -> None:
        await registry(h)
        push(h, "images", "web", "v1", 4000)
        push(h, "images", "web", "v1", 3000)  # the first manifest is now untagged
        inputs, _ = RegistryGarbageCollection.check(
            GC, {}, {"registryName": "images", "type": "untagged manifests and unreferenced blobs"}, b""
        )
        before = len(h.requests())
        started = h.do.now
        uuid, state = await RegistryGarbageCollection.create(h.ctx(GC), inputs)
        assert _statuses(h) == [*STAGES, "succeeded"], h.reports
        assert state["uuid"] == uuid and state["status"] == "succeeded"
        assert state["blobsDeleted"] == 1 and state["freedBytes"] == 4000 and state["triggers"] == []
        assert state["type"] == "untagged manifests and unreferenced blobs"
        assert "1 blobs deleted, 4000 bytes freed" in h.notes[-1]
        # Progress lines carry the status and the time elapsed.
        what = f"garbage collection {uuid} of registry images"
        line = re.compile(rf"^{what}: scanning manifests, \d+s elapsed$")
        assert any(line.match(m) for _, m in h.reports), h.reports
        # Noticed within a second of its end (4 stages of 5 s), with few requests.
        noticed = h.do.now - started
        assert 4 * STAGE_S <= noticed <= 4 * STAGE_S + 1.0, noticed
        polls = _gc_gets(h, before)
        assert len(polls) <= 16, [r["path"] for r in polls]
        assert [r["method"] for r in h.requests()[before:] if r["method"] != "GET"] == ["POST"]

    run(do, body)


def test_gc_failed_is_an_error_naming_registry_and_uuid_with_the_uuid_recorded(do: Emulated) -> None:
    async def body(h: Harness) -> None:
        await registry(h)
        h.control.fault(garbage_collection="failed", times=1)
        with pytest.raises(PartialFailure) as info:
            await RegistryGarbageCollection.create(h.ctx(GC), {"registryName": "images", "triggers": ["a"]})
        e = info.value
        assert e.state["status"] == "failed" and e.resource_id == e.state["uuid"]
        assert f"garbage collection {e.resource_id} of registry images ended 'failed'" in str(e)
        assert "RegistryGarbageCollection 'gc'" in str(e) and e.state["triggers"] == ["a"]
        assert _statuses(h)[-1] == "failed"
        # The next `up` plans a new collection, with the reason.
        diff = RegistryGarbageCollection.diff(e.state, e.inputs)
        assert diff.replaces == ["status"] and "'failed'" in diff.reasons["status"]

    run(do, body)


def test_gc_timeout_cancels_the_collection_and_waits_for_cancelled(do: Emulated) -> None:
    async def body(h: Harness) -> None:
        await registry(h)
        before = len(h.requests())
        with pytest.raises(PartialFailure) as info:
            await RegistryGarbageCollection.create(h.ctx(GC, timeout=8.0), {"registryName": "images"})
        e = info.value
        uuid = e.resource_id
        assert e.state["status"] == "cancelled" and e.state["uuid"] == uuid
        text = str(e)
        assert f"garbage collection {uuid} of registry images timed out" in text
        assert "registry is writable again" in text and "customTimeouts" in text
        assert h.mutating(before) == [
            "POST /v2/registries/images/garbage-collection",
            f"PUT /v2/registries/images/garbage-collection/{uuid}",
        ]
        assert _statuses(h)[-2:] == ["cancelling", "cancelled"]
        assert any("cancelling garbage collection" in m for _, m in h.reports)
        with pytest.raises(errors.NotFound):
            await h.api.garbage_collections.get_active("images")  # the registry is writable again

    run(do, body)


def test_engine_cancel_cancels_the_collection(do: Emulated) -> None:
    async def body(h: Harness) -> None:
        await registry(h)
        cancel = asyncio.Event()
        ctx = h.ctx(GC, cancel=cancel)
        report = ctx.report

        async def cancel_when_scanning(message: str) -> None:
            await report(message)
            if ": scanning manifests," in message:
                cancel.set()  # what the engine's Cancel does

        ctx.report = cancel_when_scanning
        with pytest.raises(PartialFailure) as info:
            await RegistryGarbageCollection.create(ctx, {"registryName": "images"})
        assert info.value.state["status"] == "cancelled"
        assert "the wait for garbage collection" in str(info.value) and "cancelled after" in str(info.value)
        assert _statuses(h) == [*STAGES[:3], "cancelling", "cancelled"]

    run(do, body)


def test_gc_already_running_is_waited_on_then_a_new_one_started(do: Emulated) -> None:
    async def body(h: Harness) -> None:
        await registry(h)
        elsewhere = await h.api.garbage_collections.start("images")
        uuid, state = await RegistryGarbageCollection.create(h.ctx(GC), {"registryName": "images"})
        assert uuid != elsewhere.uuid and state["status"] == "succeeded"
        assert any(f"busy with garbage collection {elsewhere.uuid}" in m for _, m in h.reports)
        earlier = await h.api.garbage_collections.get("images", elsewhere.uuid)
        assert earlier.status == "succeeded", "the other collection was waited for, not cancelled"
        posts = [r for r in h.requests() if r["method"] == "POST" and "garbage" in r["path"]]
        assert [r["status"] for r in posts] == [201, 409, 201]

    run(do, body)


def test_gc_read_and_delete(do: Emulated) -> None:
    async def body(h: Harness) -> None:
        await registry(h)
        ctx = h.ctx(GC)
        uuid, state = await RegistryGarbageCollection.create(ctx, {"registryName": "images", "triggers": [1]})
        outputs, inputs = await RegistryGarbageCollection.read(  # type: ignore[misc]
            ctx, uuid, state, {"registryName": "images", "triggers": [1]}
        )
        assert outputs == state and inputs == {"registryName": "images", "triggers": [1]}
        before = len(h.requests())
        await RegistryGarbageCollection.delete(ctx, uuid, state)
        assert len(h.requests()) == before, "deleting forgets the record"
        with pytest.raises(ResourceError, match="cannot be imported"):
            await RegistryGarbageCollection.read(ctx, uuid, {}, {})
        await h.api.registries.delete("images")
        assert await RegistryGarbageCollection.read(ctx, uuid, state, inputs) is None

    run(do, body)


def test_get_garbage_collection(do: Emulated) -> None:
    [fn] = [f for f in FUNCTIONS if f.token == "ocean:index:getGarbageCollection"]

    async def body(h: Harness) -> None:
        await registry(h)
        ctx = h.ctx("ocean:index:getGarbageCollection")
        assert await fn.run(ctx, {"registryName": "images"}) == {"active": False}
        gc = await h.api.garbage_collections.start("images")
        h.control.advance(6)
        found = await fn.run(ctx, {"registryName": "images"})
        assert found["active"] is True and found["uuid"] == gc.uuid
        assert found["status"] == "waiting for write JWTs to expire"
        with pytest.raises(errors.NotFound):
            await fn.run(ctx, {"registryName": "nowhere"})
        with pytest.raises(LookupError_, match="not a registry name"):
            await fn.run(ctx, {"registryName": "No"})

    run(do, body)
