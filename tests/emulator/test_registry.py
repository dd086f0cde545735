"""Container registries: multi-registry and legacy paths, subscription, options, repositories and
garbage collection, each response checked against DigitalOcean's spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from ocean.emulator.config import EmulatorConfig
from ocean.emulator.pytest_plugin import RunningEmulator
from ocean.emulator.server import EmulatorServer

from .spec_check import SpecChecker

MIB = 1024**2
GC = "/v2/registries/{registry_name}/garbage-collection"


def ok(checker: SpecChecker, response: httpx.Response, template: str, **params: Any) -> Any:
    assert response.status_code < 300, (template, response.status_code, response.text)
    checker.response(response, template, **params)
    return response.json() if response.content else None


def error(checker: SpecChecker, response: httpx.Response, status: int, template: str, **params: Any) -> Any:
    assert response.status_code == status, (template, response.status_code, response.text)
    checker.response(response, template, **params)
    body = response.json()
    assert set(body) == {"id", "message", "request_id"}
    return body


def make_registry(api: httpx.Client, name: str = "example", tier: str = "basic") -> dict[str, Any]:
    created = api.post(
        "/v2/registries", json={"name": name, "subscription_tier_slug": tier, "region": "fra1"}
    )
    assert created.status_code == 201, created.text
    registry: dict[str, Any] = created.json()["registry"]
    return registry


def test_registry_crud_and_subscription(api: httpx.Client, checker: SpecChecker) -> None:
    assert api.get("/v2/registry").status_code == 404
    assert api.get("/v2/registries/subscription").status_code == 404
    unsubscribed = api.post("/v2/registries", json={"name": "nosub"})
    assert unsubscribed.status_code == 422
    body = ok(
        checker,
        api.post("/v2/registries", json={"name": "example", "subscription_tier_slug": "basic"}),
        "/v2/registries",
    )
    assert body["registry"]["storage_usage_bytes"] == 0 and body["registry"]["region"] == "nyc3"
    ok(checker, api.get("/v2/registries"), "/v2/registries")
    ok(checker, api.get("/v2/registries/example"), "/v2/registries/{registry_name}", registry_name="example")
    legacy = ok(checker, api.get("/v2/registry"), "/v2/registry")["registry"]
    assert legacy["subscription"]["tier"]["slug"] == "basic"
    for path in ("/v2/registry/subscription", "/v2/registries/subscription"):
        sub = ok(checker, api.get(path), path)["subscription"]
        assert set(sub["tier"]) == {
            "name",
            "slug",
            "included_repositories",
            "included_storage_bytes",
            "allow_storage_overage",
            "included_bandwidth_bytes",
            "monthly_price_in_cents",
            "storage_overage_price_in_cents",
        }
        assert sub["created_at"] and sub["updated_at"]
    upgraded = ok(
        checker,
        api.post("/v2/registry/subscription", json={"tier_slug": "professional"}),
        "/v2/registry/subscription",
    )["subscription"]
    assert upgraded["tier"]["slug"] == "professional"
    bad_tier = api.post("/v2/registries/subscription", json={"tier_slug": "gold"})
    assert bad_tier.status_code == 422
    assert api.post("/v2/registries", json={"name": "example"}).status_code == 409
    assert api.post("/v2/registries", json={"name": "Bad_Name"}).status_code == 422
    assert api.post("/v2/registries/validate-name", json={"name": "free"}).status_code == 204
    taken = api.post("/v2/registry/validate-name", json={"name": "example"})
    error(checker, taken, 409, "/v2/registry/validate-name")
    creds = ok(
        checker,
        api.get("/v2/registries/example/docker-credentials", params={"read_write": "true"}),
        "/v2/registries/{registry_name}/docker-credentials",
        registry_name="example",
    )
    assert creds["auths"]["registry.digitalocean.com"]["auth"]
    ok(checker, api.get("/v2/registry/docker-credentials"), "/v2/registry/docker-credentials")
    ok(
        checker,
        api.delete("/v2/registries/example"),
        "/v2/registries/{registry_name}",
        registry_name="example",
    )
    assert api.get("/v2/registries/example").status_code == 404
    legacy_created = ok(
        checker,
        api.post("/v2/registry", json={"name": "solo", "subscription_tier_slug": "starter"}),
        "/v2/registry",
    )["registry"]
    assert legacy_created["subscription"]["tier"]["slug"] == "starter"
    ok(checker, api.delete("/v2/registry"), "/v2/registry")
    assert api.get("/v2/registries").json()["registries"] == []


def test_legacy_paths_answer_412_with_two_registries(api: httpx.Client, checker: SpecChecker) -> None:
    make_registry(api, "one", tier="basic")
    # Basic allows one registry: a second one needs professional.
    over = api.post("/v2/registries", json={"name": "two"})
    assert over.status_code == 412 and "OverRegistryLimit" in over.json()["message"]
    make_registry(api, "two", tier="professional")
    for method in ("GET", "DELETE"):
        failed = error(checker, api.request(method, "/v2/registry"), 412, "/v2/registry")
        assert failed["id"] == "precondition_failed"
        assert failed["message"].startswith(
            "This API is not supported if you have created multiple registries"
        )
    assert api.get("/v2/registry/docker-credentials").status_code == 412
    # Paths that name the registry, and account-level ones, keep working.
    assert api.get("/v2/registry/one/repositoriesV2").status_code == 200
    assert api.get("/v2/registry/subscription").status_code == 200
    downgrade = error(
        checker,
        api.post("/v2/registry/subscription", json={"tier_slug": "basic"}),
        412,
        "/v2/registry/subscription",
    )
    assert downgrade["message"] == "registry is not eligible for tier because: [OverRegistryLimit]"
    assert len(api.get("/v2/registries").json()["registries"]) == 2


def test_options_eligibility_follows_usage(
    api: httpx.Client, ocean_emulator: RunningEmulator, checker: SpecChecker
) -> None:
    def tiers() -> dict[str, dict[str, Any]]:
        options = ok(checker, api.get("/v2/registry/options"), "/v2/registry/options")["options"]
        assert "fra1" in options["available_regions"]
        return {t["slug"]: t for t in options["subscription_tiers"]}

    ok(checker, api.get("/v2/registries/options"), "/v2/registries/options")
    assert all(t["eligible"] and t["eligibility_reasons"] == [] for t in tiers().values())
    make_registry(api, "example", tier="basic")
    ocean_emulator.control.push_image("example", "web", "v1", 10 * MIB)
    assert tiers()["starter"]["eligible"] is True
    ocean_emulator.control.push_image("example", "api", "v1", 600 * MIB)
    starter = tiers()["starter"]
    assert starter["eligible"] is False
    assert starter["eligibility_reasons"] == ["OverRepositoryLimit", "OverStorageLimit"]
    assert tiers()["basic"]["eligible"] is True
    refused = api.post("/v2/registries/subscription", json={"tier_slug": "starter"})
    assert refused.status_code == 412 and "OverRepositoryLimit" in refused.json()["message"]
    registry = api.get("/v2/registries/example").json()["registry"]
    assert registry["storage_usage_bytes"] == 610 * MIB


def test_repositories_tags_and_manifests(
    api: httpx.Client, ocean_emulator: RunningEmulator, checker: SpecChecker
) -> None:
    make_registry(api)
    ocean_emulator.control.push_image("example", "web", "v1", 1000)
    ocean_emulator.control.advance(1)
    ocean_emulator.control.push_image("example", "web", "v2", 2000)
    ocean_emulator.control.push_image("example", "team/api", "latest", 3000)
    r = {"registry_name": "example"}
    for prefix in ("/v2/registries", "/v2/registry"):
        repos = ok(
            checker,
            api.get(f"{prefix}/example/repositoriesV2", params={"per_page": 1}),
            prefix + "/{registry_name}/repositoriesV2",
            **r,
        )
        assert repos["meta"]["total"] == 2 and "next" in repos["links"]["pages"]
    web = api.get("/v2/registries/example/repositoriesV2").json()["repositories"][1]
    assert web["name"] == "web" and web["tag_count"] == 2 and web["manifest_count"] == 2
    assert web["latest_manifest"]["tags"] == ["v2"]
    v1 = ok(
        checker,
        api.get("/v2/registry/example/repositories"),
        "/v2/registry/{registry_name}/repositories",
        **r,
    )
    assert v1["repositories"][1]["latest_tag"]["tag"] == "v2"
    rp = {**r, "repository_name": "team/api"}
    tags = ok(
        checker,
        api.get("/v2/registries/example/repositories/team%2Fapi/tags"),
        "/v2/registries/{registry_name}/repositories/{repository_name}/tags",
        **rp,
    )["tags"]
    assert [t["tag"] for t in tags] == ["latest"]
    manifests = ok(
        checker,
        api.get("/v2/registry/example/repositories/web/digests"),
        "/v2/registry/{registry_name}/repositories/{repository_name}/digests",
        registry_name="example",
        repository_name="web",
    )["manifests"]
    assert [m["tags"] for m in manifests] == [["v2"], ["v1"]]
    # Pushing a tag again leaves the previous manifest untagged.
    ocean_emulator.control.push_image("example", "web", "v2", 500)
    assert [
        m["tags"] for m in api.get("/v2/registries/example/repositories/web/digests").json()["manifests"]
    ] == [
        ["v2"],
        [],
        ["v1"],
    ]
    tag_path = "/v2/registries/{registry_name}/repositories/{repository_name}/tags/{repository_tag}"
    deleted = api.delete("/v2/registries/example/repositories/web/tags/v1")
    ok(checker, deleted, tag_path, registry_name="example", repository_name="web", repository_tag="v1")
    error(
        checker,
        api.delete("/v2/registries/example/repositories/web/tags/v1"),
        404,
        tag_path,
        registry_name="example",
        repository_name="web",
        repository_tag="v1",
    )
    digest = manifests[0]["digest"]
    ok(
        checker,
        api.delete(f"/v2/registry/example/repositories/web/digests/{digest}"),
        "/v2/registry/{registry_name}/repositories/{repository_name}/digests/{manifest_digest}",
        registry_name="example",
        repository_name="web",
        manifest_digest=digest,
    )
    ok(
        checker,
        api.delete("/v2/registries/example/repositories/team%2Fapi"),
        "/v2/registries/{registry_name}/repositories/{repository_name}",
        **rp,
    )
    assert [r["name"] for r in api.get("/v2/registries/example/repositoriesV2").json()["repositories"]] == [
        "web"
    ]
    # Deleting frees nothing by itself: blobs wait for garbage collection.
    assert api.get("/v2/registries/example").json()["registry"]["storage_usage_bytes"] == 6500


def test_garbage_collection_progresses_and_frees_blobs(
    api: httpx.Client, ocean_emulator: RunningEmulator, checker: SpecChecker
) -> None:
    make_registry(api)
    stage = ocean_emulator.config.gc_stage_s
    ocean_emulator.control.push_image("example", "web", "v1", 4000)
    ocean_emulator.control.push_image("example", "web", "v2", 1000)
    error(checker, api.get("/v2/registries/example/garbage-collection"), 404, GC, registry_name="example")
    assert api.delete("/v2/registries/example/repositories/web/tags/v1").status_code == 204
    started = api.post(
        "/v2/registry/example/garbage-collection", json={"type": "untagged manifests and unreferenced blobs"}
    )
    gc = ok(checker, started, "/v2/registry/{registry_name}/garbage-collection", registry_name="example")
    gc = gc["garbage_collection"]
    assert set(gc) == {
        "uuid",
        "registry_name",
        "status",
        "created_at",
        "updated_at",
        "blobs_deleted",
        "freed_bytes",
        "type",
    }
    assert gc["status"] == "requested" and gc["type"] == "untagged manifests and unreferenced blobs"
    again = api.post("/v2/registries/example/garbage-collection")
    assert again.status_code == 409 and again.json()["id"] == "conflict"
    seen = []
    for _ in range(4):
        active = ok(
            checker, api.get("/v2/registries/example/garbage-collection"), GC, registry_name="example"
        )
        seen.append(active["garbage_collection"]["status"])
        # Read-only while it runs: no deletes, no pushes.
        locked = api.delete("/v2/registries/example/repositories/web/tags/v2")
        assert locked.status_code == 409 and "read-only" in locked.json()["message"]
        ocean_emulator.control.advance(stage)
    assert seen == [
        "requested",
        "waiting for write JWTs to expire",
        "scanning manifests",
        "deleting unreferenced blobs",
    ]
    assert api.get("/v2/registries/example/garbage-collection").status_code == 404
    listed = ok(
        checker,
        api.get("/v2/registries/example/garbage-collections"),
        "/v2/registries/{registry_name}/garbage-collections",
        registry_name="example",
    )
    done = listed["garbage_collections"][0]
    assert done["status"] == "succeeded" and done["blobs_deleted"] == 1 and done["freed_bytes"] == 4000
    assert done["updated_at"] > done["created_at"]
    manifests = api.get("/v2/registries/example/repositories/web/digests").json()["manifests"]
    assert [m["tags"] for m in manifests] == [["v2"]]
    assert api.get("/v2/registries/example").json()["registry"]["storage_usage_bytes"] == 1000
    # Writable again.
    assert (
        api.delete(f"/v2/registries/example/repositories/web/digests/{manifests[0]['digest']}").status_code
        == 204
    )
    default = api.post("/v2/registries/example/garbage-collection").json()["garbage_collection"]
    assert default["type"] == "unreferenced blobs only"
    ocean_emulator.control.advance(4 * stage)
    gcs = api.get("/v2/registry/example/garbage-collections").json()["garbage_collections"]
    assert [(g["status"], g["freed_bytes"]) for g in gcs] == [("succeeded", 1000), ("succeeded", 4000)]


def test_garbage_collection_cancel_and_fault(
    api: httpx.Client, ocean_emulator: RunningEmulator, checker: SpecChecker
) -> None:
    make_registry(api)
    ocean_emulator.control.push_image("example", "web", "v1", 100)
    gc = api.post("/v2/registries/example/garbage-collection").json()["garbage_collection"]
    ocean_emulator.control.advance(ocean_emulator.config.gc_stage_s)
    path = f"/v2/registries/example/garbage-collection/{gc['uuid']}"
    template = "/v2/registries/{registry_name}/garbage-collection/{garbage_collection_uuid}"
    params = {"registry_name": "example", "garbage_collection_uuid": gc["uuid"]}
    cancelling = ok(checker, api.put(path, json={"cancel": True}), template, **params)["garbage_collection"]
    assert cancelling["status"] == "cancelling"
    assert api.get("/v2/registries/example/garbage-collection").json()["garbage_collection"]["status"] == (
        "cancelling"
    )
    ocean_emulator.control.advance(ocean_emulator.config.gc_cancel_s)
    assert api.get("/v2/registries/example/garbage-collection").status_code == 404
    cancelled = api.get("/v2/registries/example/garbage-collections").json()["garbage_collections"][0]
    assert cancelled["status"] == "cancelled" and cancelled["freed_bytes"] == 0
    assert api.put(path, json={"cancel": True}).status_code == 409
    assert api.put("/v2/registry/example/garbage-collection/nope", json={"cancel": True}).status_code == 404

    ocean_emulator.control.fault(garbage_collection="failed", times=1)
    failing = api.post("/v2/registries/example/garbage-collection").json()["garbage_collection"]
    ocean_emulator.control.advance(4 * ocean_emulator.config.gc_stage_s)
    ended = api.get("/v2/registries/example/garbage-collections").json()["garbage_collections"][0]
    assert ended["uuid"] == failing["uuid"] and ended["status"] == "failed"
    # The fault fired once: the next one succeeds.
    api.post("/v2/registries/example/garbage-collection")
    ocean_emulator.control.advance(4 * ocean_emulator.config.gc_stage_s)
    assert api.get("/v2/registries/example/garbage-collections").json()["garbage_collections"][0][
        "status"
    ] == ("succeeded")


def test_push_refused_during_gc_and_validated(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    make_registry(api)
    push = f"{ocean_emulator.base_url}/_emulator/registry/example/push"
    for body, field in [
        ({"repository": "web", "tag": "v1"}, "size_bytes"),
        ({"repository": "Web", "tag": "v1", "size_bytes": 1}, "repository"),
        ({"repository": "web", "tag": "v1", "size_bytes": True}, "size_bytes"),
        (
            {"repository": "web", "tag": "v1", "blobs": [{"digest": 5, "compressed_size_bytes": 1}]},
            "blobs[0]",
        ),
        ({"repository": "web", "tag": "v1", "size_bytes": 1, "colour": "red"}, "colour"),
    ]:
        refused = httpx.post(push, json=body)
        assert refused.status_code == 422, body
        assert refused.json()["id"] == "unprocessable_entity" and field in refused.json()["message"]
    missing = f"{ocean_emulator.base_url}/_emulator/registry/nope/push"
    assert httpx.post(missing, json={"repository": "web", "tag": "v1", "size_bytes": 1}).status_code == 404
    api.post("/v2/registries/example/garbage-collection")
    refused = httpx.post(push, json={"repository": "web", "tag": "v1", "size_bytes": 1})
    assert refused.status_code == 409


def test_reset_clears_registries(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    make_registry(api)
    ocean_emulator.control.push_image("example", "web", "v1", 100)
    api.post("/v2/registries/example/garbage-collection")
    ocean_emulator.control.reset()
    assert api.get("/v2/registries").json()["registries"] == []
    assert api.get("/v2/registries/subscription").status_code == 404
    state = ocean_emulator.control.state()
    assert state["registries"] == {} and state["gcs"] == {} and state["subscription"] is None


HEADERS = {"Authorization": "Bearer t"}


def test_registries_survive_restart(tmp_path: Path) -> None:
    config = EmulatorConfig(clock_mode="manual", state_file=str(tmp_path / "s.db"))
    with (
        EmulatorServer(config=config) as server,
        httpx.Client(base_url=server.base_url, headers=HEADERS) as api,
    ):
        make_registry(api)
        server.backend.repositories.push("example", {"repository": "web", "tag": "v1", "size_bytes": 700})
        api.delete("/v2/registries/example/repositories/web/tags/v1")
        gc = api.post(
            "/v2/registries/example/garbage-collection",
            json={"type": "untagged manifests and unreferenced blobs"},
        ).json()["garbage_collection"]
        server.backend.advance(config.gc_stage_s)
    with (
        EmulatorServer(config=config) as server,
        httpx.Client(base_url=server.base_url, headers=HEADERS) as api,
    ):
        assert api.get("/v2/registries/example").json()["registry"]["storage_usage_bytes"] == 700
        assert api.get("/v2/registries/subscription").json()["subscription"]["tier"]["slug"] == "basic"
        active = api.get("/v2/registries/example/garbage-collection").json()["garbage_collection"]
        assert active["uuid"] == gc["uuid"] and active["status"] == "waiting for write JWTs to expire"
        server.backend.advance(3 * config.gc_stage_s)
        done = api.get("/v2/registries/example/garbage-collections").json()["garbage_collections"][0]
        assert done["status"] == "succeeded" and done["freed_bytes"] == 700


@pytest.mark.parametrize("prefix", ["/v2/registry", "/v2/registries"])
def test_unknown_registry_is_404(api: httpx.Client, checker: SpecChecker, prefix: str) -> None:
    for path in ("garbage-collection", "garbage-collections", "repositoriesV2"):
        response = api.get(f"{prefix}/ghost/{path}")
        error(checker, response, 404, f"{prefix}/{{registry_name}}/{path}", registry_name="ghost")
