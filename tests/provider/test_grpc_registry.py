"""ContainerRegistry, RegistrySubscription and RegistryGarbageCollection over gRPC, in the order the engine
calls them (Check → Diff → Create(preview) → Create → Read → Diff → Update → Delete), against the
emulator with a manual clock: the test moves time, stage by stage, once the provider has shown the
current status in the display."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf import empty_pb2
from google.rpc import status_pb2
from pulumi.runtime.proto import provider_pb2

from ocean.provider import marshal
from tests.e2e.harness import wait_until
from tests.provider.conftest import EngineLog, configure

REG = "urn:pulumi:dev::proj::ocean:index:ContainerRegistry::images"
SUB = "urn:pulumi:dev::proj::ocean:index:RegistrySubscription::tier"
GC = "urn:pulumi:dev::proj::ocean:index:RegistryGarbageCollection::gc"
STAGES = [
    "requested",
    "waiting for write JWTs to expire",
    "scanning manifests",
    "deleting unreferenced blobs",
]


def _api(emu: Any) -> httpx.Client:
    return httpx.Client(base_url=emu.base_url, headers={"Authorization": "Bearer t"}, timeout=10)


def _mutating(emu: Any, since: int = 0) -> list[str]:
    return [
        f"{r['method']} {r['path']}"
        for r in emu.control.requests()["requests"][since:]
        if r["method"] not in ("GET", "HEAD")
    ]


def _check(provider: Any, urn: str, news: dict[str, Any], olds: Any = None, seed: bytes = b"seed") -> Any:
    return provider.Check(
        provider_pb2.CheckRequest(
            urn=urn, olds=olds, news=marshal.encode(news, keep_unknowns=True), randomSeed=seed
        )
    )


def _create(provider: Any, urn: str, checked: Any, timeout: float = 120) -> Any:
    preview = provider.Create(provider_pb2.CreateRequest(urn=urn, properties=checked, preview=True))
    assert preview.id == ""
    return provider.Create(provider_pb2.CreateRequest(urn=urn, properties=checked, timeout=timeout))


def _statuses(log: EngineLog, urn: str) -> list[str]:
    seen: list[str] = []
    with log.lock:
        messages = list(log.messages)
    for msg_urn, message, ephemeral in messages:
        if msg_urn == urn and ephemeral and message.startswith("garbage collection ") and ": " in message:
            status = message.rsplit(": ", 1)[1].split(",")[0]
            if not seen or seen[-1] != status:
                seen.append(status)
    return seen


def _failure(info: Any) -> provider_pb2.ErrorResourceInitFailed:
    status = status_pb2.Status()
    status.ParseFromString(dict(info.value.trailing_metadata())["grpc-status-details-bin"])
    detail = provider_pb2.ErrorResourceInitFailed()
    assert status.details[0].Unpack(detail)
    return detail


# ------------------------------------------------------------------------------------------ registry


def test_registry_create_refresh_import_drift_and_delete(provider: Any, ocean_emulator: Any) -> None:
    configure(provider, ocean_emulator.base_url)
    checked = _check(provider, REG, {"region": "fra1"})
    assert list(checked.failures) == []
    name = marshal.decode(checked.inputs)["name"]
    assert name.startswith("images-")
    preview = provider.Create(provider_pb2.CreateRequest(urn=REG, properties=checked.inputs, preview=True))
    assert marshal.decode(preview.properties)["endpoint"] is marshal.UNKNOWN
    created = provider.Create(provider_pb2.CreateRequest(urn=REG, properties=checked.inputs, timeout=60))
    state = marshal.decode(created.properties)
    assert created.id == name and state["endpoint"] == f"registry.digitalocean.com/{name}"
    assert state["region"] == "fra1" and state["garbageCollectionActive"] is False

    # Refresh: nothing changed, so the next Diff is empty.
    read = provider.Read(
        provider_pb2.ReadRequest(id=created.id, urn=REG, properties=created.properties, inputs=checked.inputs)
    )
    diff = provider.Diff(
        provider_pb2.DiffRequest(id=created.id, urn=REG, olds=read.properties, news=checked.inputs)
    )
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE

    # Import by name: the inputs that declare it, which check and diff clean.
    imported = provider.Read(provider_pb2.ReadRequest(id=name, urn=REG))
    assert marshal.decode(imported.inputs) == {"name": name, "region": "fra1"}
    again = provider.Check(provider_pb2.CheckRequest(urn=REG, olds=imported.inputs, news=imported.inputs))
    diff = provider.Diff(
        provider_pb2.DiffRequest(id=name, urn=REG, olds=imported.properties, news=again.inputs)
    )
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE

    # A region change replaces it, deleting the old one first (the name is unique across DigitalOcean).
    moved = _check(provider, REG, {"name": name, "region": "ams3"}, olds=checked.inputs)
    diff = provider.Diff(provider_pb2.DiffRequest(id=name, urn=REG, olds=read.properties, news=moved.inputs))
    assert list(diff.replaces) == ["region"] and diff.deleteBeforeReplace

    # Drift: deleted outside Pulumi; refresh drops it from the stack.
    with _api(ocean_emulator) as api:
        assert api.delete(f"/v2/registries/{name}").status_code == 204
    gone = provider.Read(provider_pb2.ReadRequest(id=name, urn=REG, properties=read.properties))
    assert gone.id == ""
    provider.Delete(provider_pb2.DeleteRequest(id=name, urn=REG, properties=read.properties))


def test_registry_name_checked_before_any_request(provider: Any, ocean_emulator: Any) -> None:
    configure(provider, ocean_emulator.base_url)
    before = ocean_emulator.control.requests()["total"]
    resp = _check(provider, REG, {"name": "Bad_Name", "region": "fra1"})
    assert [f.property for f in resp.failures] == ["name"]
    assert "lowercase letters, digits and '-'" in resp.failures[0].reason
    assert ocean_emulator.control.requests()["total"] == before


# -------------------------------------------------------------------------------------- subscription


def test_subscription_adopt_change_in_place_and_delete_leaves_it(
    provider: Any, ocean_emulator: Any, engine: tuple[str, EngineLog]
) -> None:
    _, log = engine
    configure(provider, ocean_emulator.base_url)
    with _api(ocean_emulator) as api:
        api.post("/v2/registries", json={"name": "images", "subscription_tier_slug": "starter"})
    checked = _check(provider, SUB, {"tierSlug": "basic"})
    assert list(checked.failures) == []
    created = _create(provider, SUB, checked.inputs)
    state = marshal.decode(created.properties)
    assert created.id == "registry-subscription" and state["tierSlug"] == "basic"
    assert state["monthlyPriceInCents"] == 500 and state["name"] == "Basic"
    assert any("changed its tier from 'starter' to 'basic'" in m for _, m, eph in log.messages if not eph)

    # Tier change: an update in place, its figures unknown in the preview.
    news = _check(provider, SUB, {"tierSlug": "professional"}, olds=checked.inputs)
    diff = provider.Diff(
        provider_pb2.DiffRequest(id=created.id, urn=SUB, olds=created.properties, news=news.inputs)
    )
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME and list(diff.replaces) == []
    preview = provider.Update(
        provider_pb2.UpdateRequest(
            id=created.id, urn=SUB, olds=created.properties, news=news.inputs, preview=True
        )
    )
    assert marshal.decode(preview.properties)["monthlyPriceInCents"] is marshal.UNKNOWN
    before = len(ocean_emulator.control.requests()["requests"])
    updated = provider.Update(
        provider_pb2.UpdateRequest(
            id=created.id, urn=SUB, olds=created.properties, news=news.inputs, timeout=60
        )
    )
    assert marshal.decode(updated.properties)["monthlyPriceInCents"] == 2000
    assert _mutating(ocean_emulator, before) == ["POST /v2/registries/subscription"]

    before = len(ocean_emulator.control.requests()["requests"])
    provider.Delete(provider_pb2.DeleteRequest(id=created.id, urn=SUB, properties=updated.properties))
    assert _mutating(ocean_emulator, before) == []
    with _api(ocean_emulator) as api:
        assert api.get("/v2/registries/subscription").json()["subscription"]["tier"]["slug"] == "professional"
    assert any(
        "left as it is (tier 'professional')" in m for u, m, eph in log.messages if u == SUB and not eph
    )


def test_ineligible_tier_refused_at_check_with_reasons_and_no_mutating_request(
    provider: Any, ocean_emulator: Any
) -> None:
    configure(provider, ocean_emulator.base_url)
    with _api(ocean_emulator) as api:
        api.post("/v2/registries", json={"name": "images", "subscription_tier_slug": "basic"})
    for repository in ("web", "api"):
        ocean_emulator.control.push_image("images", repository, "v1", 1000)
    before = len(ocean_emulator.control.requests()["requests"])
    resp = _check(provider, SUB, {"tierSlug": "starter"})
    assert [f.property for f in resp.failures] == ["tierSlug"]
    assert "OverRepositoryLimit" in resp.failures[0].reason
    assert "not eligible for the 'starter' registry tier" in resp.failures[0].reason
    assert _mutating(ocean_emulator, before) == []
    counts = {r["template"] for r in ocean_emulator.control.requests()["requests"][before:]}
    assert counts == {"/v2/registries/options", "/v2/registries/subscription"}


def test_a_second_subscription_in_the_program_is_refused(provider: Any, ocean_emulator: Any) -> None:
    configure(provider, ocean_emulator.base_url)
    assert list(_check(provider, SUB, {"tierSlug": "basic"}).failures) == []
    second = _check(provider, SUB.replace("::tier", "::also"), {"tierSlug": "professional"})
    assert [f.property for f in second.failures] == ["tierSlug"]
    assert "already declares RegistrySubscription 'tier'" in second.failures[0].reason
    assert list(_check(provider, SUB, {"tierSlug": "basic"}).failures) == [], "the same one again is fine"


# ---------------------------------------------------------------------------------- garbage collection


@pytest.fixture
def registry(ocean_emulator: Any) -> str:
    with _api(ocean_emulator) as api:
        assert api.post(
            "/v2/registries", json={"name": "images", "subscription_tier_slug": "basic"}
        ).is_success
    ocean_emulator.control.push_image("images", "web", "v1", 4000)
    ocean_emulator.control.push_image("images", "web", "v1", 3000)
    return "images"


def _start_create(provider: Any, checked: Any, timeout: float = 300) -> Future[Any]:
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(
        provider.Create, provider_pb2.CreateRequest(urn=GC, properties=checked, timeout=timeout)
    )
    pool.shutdown(wait=False)
    return future


def _step_through(ocean_emulator: Any, log: EngineLog, statuses: list[str]) -> None:
    """Advance the clock one stage at a time, each once the provider has shown the current one."""
    for i in range(len(statuses)):
        wait_until(lambda i=i: _statuses(log, GC)[: i + 1] == statuses[: i + 1], timeout=60)
        ocean_emulator.control.advance(5)


def test_gc_every_status_observed_then_triggers_decide_new_collections(
    provider: Any, ocean_emulator: Any, registry: str, engine: tuple[str, EngineLog]
) -> None:
    _, log = engine
    configure(provider, ocean_emulator.base_url)
    both = "untagged manifests and unreferenced blobs"
    checked = _check(provider, GC, {"registryName": registry, "type": both, "triggers": ["v1"]})
    assert list(checked.failures) == []
    preview = provider.Create(provider_pb2.CreateRequest(urn=GC, properties=checked.inputs, preview=True))
    assert marshal.decode(preview.properties)["status"] is marshal.UNKNOWN
    before = len(ocean_emulator.control.requests()["requests"])
    future = _start_create(provider, checked.inputs)
    _step_through(ocean_emulator, log, STAGES)
    created = future.result(timeout=60)
    assert _statuses(log, GC) == [*STAGES, "succeeded"]
    state = marshal.decode(created.properties)
    assert created.id == state["uuid"] and state["status"] == "succeeded"
    assert state["freedBytes"] == 4000 and state["triggers"] == ["v1"]
    # A collection with a `type` is started on the path that names the registry under /v2/registry: the
    # only one DigitalOcean documents with a body (godo and doctl use it too); it works with several
    # registries, unlike the legacy paths that do not name one.
    started = f"POST /v2/registry/{registry}/garbage-collection"
    assert _mutating(ocean_emulator, before) == [started]

    # Unchanged triggers: no change, so no new collection.
    same = _check(
        provider, GC, {"registryName": registry, "type": both, "triggers": ["v1"]}, olds=checked.inputs
    )
    diff = provider.Diff(
        provider_pb2.DiffRequest(id=created.id, urn=GC, olds=created.properties, news=same.inputs)
    )
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE

    # A changed trigger: a replacement, which starts exactly one new collection.
    new = _check(
        provider, GC, {"registryName": registry, "type": both, "triggers": ["v2"]}, olds=checked.inputs
    )
    diff = provider.Diff(
        provider_pb2.DiffRequest(id=created.id, urn=GC, olds=created.properties, news=new.inputs)
    )
    assert list(diff.replaces) == ["triggers"]
    assert any("a new garbage collection is started" in m for _, m, eph in log.messages if not eph)
    before = len(ocean_emulator.control.requests()["requests"])
    ocean_emulator.control.set_clock("scaled", 100.0)
    replaced = _create(provider, GC, new.inputs)
    assert replaced.id != created.id
    provider.Delete(provider_pb2.DeleteRequest(id=created.id, urn=GC, properties=created.properties))
    assert _mutating(ocean_emulator, before) == [started], "exactly one new collection; the old one forgotten"


def test_gc_failed_is_recorded_with_its_uuid_and_replaced_next_time(
    provider: Any, ocean_emulator: Any, registry: str
) -> None:
    configure(provider, ocean_emulator.base_url)
    ocean_emulator.control.fault(garbage_collection="failed", times=1)
    ocean_emulator.control.set_clock("scaled", 100.0)
    checked = _check(provider, GC, {"registryName": registry})
    with pytest.raises(grpc.RpcError) as info:
        provider.Create(provider_pb2.CreateRequest(urn=GC, properties=checked.inputs, timeout=60))
    detail = _failure(info)
    recorded = marshal.decode(detail.properties)
    assert recorded["status"] == "failed" and detail.id == recorded["uuid"]
    assert f"garbage collection {detail.id} of registry {registry} ended 'failed'" in info.value.details()
    diff = provider.Diff(
        provider_pb2.DiffRequest(id=detail.id, urn=GC, olds=detail.properties, news=checked.inputs)
    )
    assert list(diff.replaces) == ["status"]


def test_gc_timeout_cancels_it_and_cancelled_is_observed(
    provider: Any, ocean_emulator: Any, registry: str, engine: tuple[str, EngineLog]
) -> None:
    _, log = engine
    configure(provider, ocean_emulator.base_url)
    checked = _check(provider, GC, {"registryName": registry})
    before = len(ocean_emulator.control.requests()["requests"])
    future = _start_create(provider, checked.inputs, timeout=2)  # the clock stands still: it times out
    wait_until(lambda: "cancelling" in _statuses(log, GC), timeout=60)
    ocean_emulator.control.advance(3)  # the emulator's cancellation takes 3 s
    with pytest.raises(grpc.RpcError) as info:
        future.result(timeout=60)
    detail = _failure(info)
    assert marshal.decode(detail.properties)["status"] == "cancelled"
    assert _statuses(log, GC) == ["requested", "cancelling", "cancelled"]
    assert "timed out" in info.value.details() and detail.id in info.value.details()
    assert _mutating(ocean_emulator, before) == [
        f"POST /v2/registries/{registry}/garbage-collection",
        f"PUT /v2/registries/{registry}/garbage-collection/{detail.id}",
    ]


def test_engine_cancel_cancels_the_collection(
    provider: Any, ocean_emulator: Any, registry: str, engine: tuple[str, EngineLog]
) -> None:
    _, log = engine
    configure(provider, ocean_emulator.base_url)
    checked = _check(provider, GC, {"registryName": registry})
    future = _start_create(provider, checked.inputs)
    _step_through(ocean_emulator, log, STAGES[:2])
    wait_until(lambda: _statuses(log, GC)[-1:] == ["scanning manifests"], timeout=60)
    provider.Cancel(empty_pb2.Empty())
    wait_until(lambda: "cancelling" in _statuses(log, GC), timeout=60)
    ocean_emulator.control.advance(3)
    with pytest.raises(grpc.RpcError) as info:
        future.result(timeout=60)
    assert marshal.decode(_failure(info).properties)["status"] == "cancelled"
    assert "cancelled" in info.value.details()


def test_get_garbage_collection_through_invoke(provider: Any, ocean_emulator: Any, registry: str) -> None:
    configure(provider, ocean_emulator.base_url)
    tok = "ocean:index:getGarbageCollection"
    idle = provider.Invoke(
        provider_pb2.InvokeRequest(tok=tok, args=marshal.encode({"registryName": registry}))
    )
    assert marshal.decode(getattr(idle, "return")) == {"active": False}
    with _api(ocean_emulator) as api:
        started = api.post(f"/v2/registries/{registry}/garbage-collection").json()["garbage_collection"]
    busy = provider.Invoke(
        provider_pb2.InvokeRequest(tok=tok, args=marshal.encode({"registryName": registry}))
    )
    result = marshal.decode(getattr(busy, "return"))
    assert result["active"] is True and result["uuid"] == started["uuid"] and result["status"] == "requested"
