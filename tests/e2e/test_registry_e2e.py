"""Container registries, the account's subscription tier and garbage collections under the real `pulumi`
CLI, against the emulator over HTTP. The first test runs examples/registry itself, step by step as its
README describes; the others take one behaviour each (import and drift, every status of a collection on
a stepped manual clock, failed, timeout → cancel, two subscriptions)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.e2e.harness import REPO, Result, Stack, emulator_api, planned_op, status_lines, wait_until

EXAMPLE = (REPO / "examples" / "registry" / "__main__.py").read_text()
GC_TYPE = "ocean:index:RegistryGarbageCollection"
STAGES = [
    "requested",
    "waiting for write JWTs to expire",
    "scanning manifests",
    "deleting unreferenced blobs",
]


@pytest.fixture
def emu(ocean_emulator_factory: Any) -> Any:
    return ocean_emulator_factory(time_scale=100.0, clock_mode="scaled")


def _stack(new_stack: Any, emu: Any, program: str = EXAMPLE, **env: str) -> Stack:
    return new_stack(  # type: ignore[no-any-return]
        program,
        extra_env={"DIGITALOCEAN_API_URL": emu.base_url, "DIGITALOCEAN_TOKEN": "registry-e2e", **env},
    )


def _requests(emu: Any) -> list[dict[str, Any]]:
    return emu.control.requests()["requests"]  # type: ignore[no-any-return]


def _mutating(emu: Any, since: int) -> list[str]:
    requests = _requests(emu)[since:]
    return [f"{r['method']} {r['path']}" for r in requests if r["method"] not in ("GET", "HEAD")]


def _gc_starts(emu: Any, since: int = 0) -> int:
    return sum(
        1
        for r in _requests(emu)[since:]
        if r["method"] == "POST" and r["path"].endswith("/garbage-collection") and r["status"] == 201
    )


def _text(result: Result) -> str:
    return result.stdout + result.stderr


def test_the_registry_example_step_by_step(new_stack: Any, emu: Any) -> None:
    stack = _stack(new_stack, emu)
    stack.set_config("registryName", "example-images")

    # 1. The registry and the account's tier.
    stack.up()
    out = stack.outputs()
    assert out["endpoint"] == "registry.digitalocean.com/example-images" and out["tier"] == "basic"
    assert out["tier_monthly_price_cents"] == 500 and "gc_uuid" not in out

    # 2. Images pushed (the emulator's control API stands in for `docker push`); pushing v1 again leaves
    #    the first manifest untagged.
    emu.control.push_image("example-images", "web", "v1", 4000)
    emu.control.push_image("example-images", "web", "v1", 3000)
    stack.refresh()
    [registry] = stack.resources("ocean:index:ContainerRegistry")
    assert registry["outputs"]["storageUsageBytes"] == 7000

    # 3. A garbage collection, waited for to the end.
    stack.set_config("gcTrigger", "1")
    assert planned_op(stack.preview(), "cleanup") == "create"
    before = len(_requests(emu))
    stack.up()
    out = stack.outputs()
    assert out["gc_status"] == "succeeded" and out["gc_freed_bytes"] == 4000
    assert _gc_starts(emu, before) == 1

    # 4. The same trigger: no new collection.
    before = len(_requests(emu))
    assert planned_op(stack.preview(), "cleanup") == "same"
    stack.up()
    assert _gc_starts(emu, before) == 0 and stack.outputs()["gc_uuid"] == out["gc_uuid"]

    # 5. A new trigger: exactly one new collection.
    stack.set_config("gcTrigger", "2")
    assert planned_op(stack.preview(), "cleanup") == "replace"
    before = len(_requests(emu))
    stack.up()
    assert _gc_starts(emu, before) == 1 and stack.outputs()["gc_uuid"] != out["gc_uuid"]

    # 6. A tier change is made in place.
    stack.set_config("tier", "professional")
    assert planned_op(stack.preview(), "tier") == "update"
    stack.up()
    assert stack.outputs()["tier"] == "professional"

    # 7. A tier the account cannot have is refused at preview, with DigitalOcean's reasons, and nothing
    #    is changed.
    emu.control.push_image("example-images", "api", "v1", 1000)
    stack.set_config("tier", "starter")
    before = len(_requests(emu))
    refused = stack.run("preview", check=False)
    assert refused.returncode != 0
    assert "OverRepositoryLimit" in _text(refused) and "not eligible for the 'starter'" in _text(refused)
    assert _mutating(emu, before) == []
    refused = stack.up(check=False)
    assert refused.returncode != 0 and "OverRepositoryLimit" in _text(refused)
    assert _mutating(emu, before) == []
    stack.set_config("tier", "professional")

    # 8. Destroy: the registry goes, the account's subscription stays and the output says so.
    destroyed = stack.destroy()
    assert "left as it is (tier 'professional')" in _text(destroyed)
    with emulator_api(emu) as api:
        assert api.get("/v2/registries/example-images").status_code == 404
        assert api.get("/v2/registries/subscription").json()["subscription"]["tier"]["slug"] == "professional"


@pytest.mark.engines("oldest")  # `pulumi import --out` (code generation): see Stack.import_
def test_registry_import_round_trip_and_drift(new_stack: Any, emu: Any) -> None:
    with emulator_api(emu) as api:
        made = api.post("/v2/registries", json={"name": "made-elsewhere", "subscription_tier_slug": "basic"})
        assert made.status_code == 201
    stack = _stack(new_stack, emu, "import pulumi\n")
    stack.import_("ocean:index:ContainerRegistry", "imported", "made-elsewhere", "--protect=false")
    generated = (stack.workdir / "import_program.py").read_text()
    assert 'name="made-elsewhere"' in generated
    stack.write_program(generated)
    preview = stack.preview()
    assert planned_op(preview, "imported") == "same" and set(preview["changeSummary"]) == {"same"}

    # Deleted outside Pulumi: refresh drops it, and the next preview plans to create it again.
    with emulator_api(emu) as api:
        assert api.delete("/v2/registries/made-elsewhere").status_code == 204
    stack.refresh()
    assert stack.resources("ocean:index:ContainerRegistry") == []
    assert planned_op(stack.preview(), "imported") == "create"


GC_PROGRAM = """
import pulumi
import pulumi_ocean as ocean

config = pulumi.Config()
registry = ocean.ContainerRegistry("images", name="gc-images", region="fra1")
timeout = config.get("timeout")
gc = ocean.RegistryGarbageCollection(
    "gc",
    registry_name=registry.name,
    triggers=[config.get("trigger") or "1"],
    opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create=timeout) if timeout else None),
)
pulumi.export("uuid", gc.uuid)
pulumi.export("status", gc.status)
"""


def _gc_polls(emu: Any, since: int) -> list[dict[str, Any]]:
    return [
        r
        for r in _requests(emu)[since:]
        if r["method"] == "GET" and r["path"] == "/v2/registries/gc-images/garbage-collection"
    ]


def _background_up(stack: Stack, *extra: str) -> tuple[threading.Thread, dict[str, Any]]:
    done: dict[str, Any] = {}

    def run() -> None:
        done["result"] = stack.up(*extra, check=False)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, done


def _first_up_then_stop_the_clock(stack: Stack, emu: Any) -> int:
    """The registry and a first collection at 100x; then the clock stops and the trigger changes, so the
    next `up` starts a collection that moves only when the test moves time. Returns the request mark."""
    stack.up()
    emu.control.set_clock("manual")
    stack.set_config("trigger", "2")
    return len(_requests(emu))


def test_gc_every_status_observed_on_a_stepped_clock(new_stack: Any, emu: Any) -> None:
    """With the clock stopped, each status lasts until the test moves time on, which it does only once
    the provider has polled the collection in that status: so the waiter sees every one."""
    stack = _stack(new_stack, emu, GC_PROGRAM)
    before = _first_up_then_stop_the_clock(stack, emu)
    # `--json` streams the engine's events, the provider's status lines among them.
    thread, done = _background_up(stack, "--json")
    for _ in STAGES:
        mark = len(_requests(emu))
        wait_until(lambda mark=mark: any(r["status"] == 200 for r in _gc_polls(emu, mark)), timeout=120)
        emu.control.advance(5)
    thread.join(timeout=120)
    result = done["result"]
    assert result.returncode == 0, result.output
    assert stack.outputs()["status"] == "succeeded"
    # Each status the waiter saw was shown in the Pulumi display, in order.
    lines = [line for line in status_lines(result.stdout, "gc") if ": " in line]
    shown = [line.split(": ", 1)[1].rsplit(", ", 1)[0] for line in lines]
    seen = [s for i, s in enumerate(shown) if i == 0 or shown[i - 1] != s]
    assert [s for s in seen if s in STAGES] == list(STAGES), result.output
    assert _gc_starts(emu, before) == 1


def test_gc_failed_is_an_error_and_recorded(new_stack: Any, emu: Any) -> None:
    stack = _stack(new_stack, emu, GC_PROGRAM)
    emu.control.fault(garbage_collection="failed", times=1)
    failed = stack.up(check=False)
    assert failed.returncode != 0
    [gc] = stack.resources(GC_TYPE)
    uuid = gc["id"]
    assert gc["outputs"]["status"] == "failed" and gc["outputs"]["uuid"] == uuid
    assert f"garbage collection {uuid} of registry gc-images ended 'failed'" in _text(failed)
    # The next `up` starts a new collection, and says why.
    preview = stack.preview()
    assert planned_op(preview, "gc") == "replace"
    before = len(_requests(emu))
    again = stack.up()
    assert _gc_starts(emu, before) == 1 and stack.outputs()["status"] == "succeeded"
    assert "ended 'failed'; a new one is started" in _text(again)


def test_gc_timeout_cancels_the_collection(new_stack: Any, emu: Any) -> None:
    stack = _stack(new_stack, emu, GC_PROGRAM)
    before = _first_up_then_stop_the_clock(stack, emu)
    stack.set_config("timeout", "3s")
    thread, done = _background_up(stack)  # the clock stands still: the collection never ends by itself
    wait_until(lambda: any(r["method"] == "PUT" for r in _requests(emu)[before:]), timeout=120)
    emu.control.advance(3)  # the emulator takes 3 s to cancel
    thread.join(timeout=120)
    result = done["result"]
    assert result.returncode != 0
    text = _text(result)
    assert "timed out" in text and "customTimeouts" in text
    # The replacement that timed out is recorded beside the collection it was to replace.
    [gc] = [r for r in stack.resources(GC_TYPE) if r["outputs"]["status"] != "succeeded"]
    uuid = gc["id"]
    assert gc["outputs"]["status"] == "cancelled"
    assert f"garbage collection {uuid} of registry gc-images" in text
    assert _mutating(emu, before) == [
        "POST /v2/registries/gc-images/garbage-collection",
        f"PUT /v2/registries/gc-images/garbage-collection/{uuid}",
    ]
    with emulator_api(emu) as api:
        listed = api.get("/v2/registries/gc-images/garbage-collections").json()["garbage_collections"]
        assert [g["status"] for g in listed if g["uuid"] == uuid] == ["cancelled"]
        assert api.get("/v2/registries/gc-images/garbage-collection").status_code == 404, "writable again"


def test_two_subscriptions_in_one_program_are_refused_at_preview(new_stack: Any, emu: Any) -> None:
    program = """
import pulumi_ocean as ocean

ocean.RegistrySubscription("tier", tier_slug="basic")
ocean.RegistrySubscription("other-tier", tier_slug="professional")
"""
    stack = _stack(new_stack, emu, program)
    result = stack.run("preview", check=False)
    assert result.returncode != 0
    assert "already declares RegistrySubscription" in _text(result)
    assert _mutating(emu, 0) == []
