"""ContainerRegistry, RegistrySubscription and RegistryGarbageCollection: the checks made before any API
call (no Context, so no request is possible) and the diff rules, each on its own."""

from __future__ import annotations

from typing import Any

import pytest

from ocean.resources.container_registry import ContainerRegistry
from ocean.resources.registry_garbage_collection import RegistryGarbageCollection
from ocean.resources.registry_subscription import RegistrySubscription
from ocean.resources.unknown import UNKNOWN

REG = "urn:pulumi:dev::proj::ocean:index:ContainerRegistry::images"
SUB = "urn:pulumi:dev::proj::ocean:index:RegistrySubscription::tier"
GC = "urn:pulumi:dev::proj::ocean:index:RegistryGarbageCollection::gc"


@pytest.mark.parametrize(
    ("inputs", "field", "words"),
    [
        ({"name": "Images"}, "name", ["lowercase letters, digits and '-'", "'Images'"]),
        ({"name": "my_images"}, "name", ["1 to 63"]),
        ({"name": "a" * 64}, "name", ["1 to 63"]),
        ({"name": "ok", "region": "NYC3"}, "region", ["three lowercase letters and a digit", "'NYC3'"]),
        ({"name": "ok", "region": "new-york"}, "region", ["region slug"]),
        ({"name": "ok", "region": 3}, "region", ["`region`"]),
        ({"name": "ok", "subscriptionTierSlug": "basic"}, "subscriptionTierSlug", ["not an input"]),
    ],
)
def test_registry_bad_input_is_refused_naming_the_field(inputs: Any, field: str, words: list[str]) -> None:
    _, failures = ContainerRegistry.check(REG, {}, inputs, b"seed")
    assert [f.property for f in failures] == [field]
    assert failures[0].reason.startswith("ContainerRegistry 'images':")
    for word in words:
        assert word in failures[0].reason


def test_registry_name_rule_accepts_the_limits() -> None:
    for name in ("a", "a" * 63, "my-images-2"):
        checked, failures = ContainerRegistry.check(REG, {}, {"name": name}, b"seed")
        assert failures == [] and checked["name"] == name


def test_registry_auto_name_is_a_valid_registry_name_and_stable() -> None:
    urn = "urn:pulumi:dev::proj::ocean:index:ContainerRegistry::My_Images.Prod"
    checked, failures = ContainerRegistry.check(urn, {}, {}, b"seed")
    assert failures == []
    assert checked["name"].startswith("my-images-prod-") and len(checked["name"]) <= 63
    again, _ = ContainerRegistry.check(urn, {}, {}, b"seed")
    assert again["name"] == checked["name"], "a preview and the following up agree"
    kept, _ = ContainerRegistry.check(urn, {"name": "earlier"}, {}, b"other")
    assert kept["name"] == "earlier", "an auto-name is not changed on later runs"


def test_registry_region_change_replaces_deleting_first_but_a_rename_does_not() -> None:
    olds = {"name": "images", "region": "nyc3", "serverUrl": "registry.digitalocean.com"}
    moved = ContainerRegistry.diff(olds, {"name": "images", "region": "fra1"})
    assert moved.replaces == ["region"] and moved.delete_before_replace, (
        "registry names are unique: the old one must go before the new one takes its name"
    )
    renamed = ContainerRegistry.diff(olds, {"name": "other", "region": "nyc3"})
    assert renamed.replaces == ["name"] and not renamed.delete_before_replace
    assert not ContainerRegistry.diff(olds, {"name": "images"}).changes, "region left to DigitalOcean"


@pytest.mark.parametrize(
    ("tier", "words"),
    [("Basic", ["not a tier slug", "'Basic'"]), ("pro tier", ["not a tier slug"]), ("", ["not a tier slug"])],
)
def test_subscription_tier_slug_syntax(tier: str, words: list[str]) -> None:
    _, failures = RegistrySubscription.check(SUB, {}, {"tierSlug": tier}, b"")
    assert [f.property for f in failures] == ["tierSlug"]
    assert all(w in failures[0].reason for w in words) and "RegistrySubscription 'tier'" in failures[0].reason


def test_subscription_requires_a_tier_and_takes_nothing_else() -> None:
    _, failures = RegistrySubscription.check(SUB, {}, {}, b"")
    assert [f.property for f in failures] == ["tierSlug"] and "required" in failures[0].reason
    _, failures = RegistrySubscription.check(SUB, {}, {"tierSlug": "basic", "registryName": "x"}, b"")
    assert [f.property for f in failures] == ["registryName"]


def test_subscription_tier_change_is_in_place_and_its_figures_unknown_in_the_preview() -> None:
    olds = {"tierSlug": "basic", "monthlyPriceInCents": 500, "createdAt": "2024-01-01T00:00:00+00:00"}
    diff = RegistrySubscription.diff(olds, {"tierSlug": "professional"})
    assert diff.changes and diff.replaces == [] and diff.detailed == {"tierSlug": "update"}
    preview = RegistrySubscription.preview_update(olds, {"tierSlug": "professional"})
    assert preview["monthlyPriceInCents"] is UNKNOWN and preview["createdAt"] == olds["createdAt"]


@pytest.mark.parametrize(
    ("inputs", "field", "words"),
    [
        (
            {"registryName": "images", "type": "everything"},
            "type",
            ["'unreferenced blobs only'", "'untagged manifests only'", "untagged manifests and unreferenced"],
        ),
        ({"registryName": "Images"}, "registryName", ["not a registry name"]),
        ({"type": "unreferenced blobs only"}, "registryName", ["required"]),
        ({"registryName": "images", "triggers": "v1"}, "triggers", ["list"]),
    ],
)
def test_gc_bad_input_is_refused_naming_the_field(inputs: Any, field: str, words: list[str]) -> None:
    _, failures = RegistryGarbageCollection.check(GC, {}, inputs, b"")
    assert [f.property for f in failures] == [field]
    assert failures[0].reason.startswith("RegistryGarbageCollection 'gc':")
    for word in words:
        assert word in failures[0].reason


def test_gc_triggers_take_any_values_and_unknowns() -> None:
    triggers = ["v1", 3, {"digest": "sha256:1"}, None, [True], UNKNOWN]
    checked, failures = RegistryGarbageCollection.check(
        GC, {}, {"registryName": "images", "triggers": triggers}, b""
    )
    assert failures == [] and checked["triggers"] == triggers


def _done(**over: Any) -> dict[str, Any]:
    return {
        "registryName": "images",
        "type": "unreferenced blobs only",
        "triggers": ["v1"],
        "uuid": "gc-1",
        "status": "succeeded",
        **over,
    }


def test_gc_unchanged_triggers_are_no_change_and_a_changed_one_replaces() -> None:
    assert not RegistryGarbageCollection.diff(_done(), {"registryName": "images", "triggers": ["v1"]}).changes
    changed = RegistryGarbageCollection.diff(_done(), {"registryName": "images", "triggers": ["v2"]})
    assert changed.replaces == ["triggers"] and "new garbage collection" in changed.reasons["triggers"]
    added = RegistryGarbageCollection.diff(_done(triggers=[]), {"registryName": "images", "triggers": ["a"]})
    assert added.replaces == ["triggers"], "a first trigger starts a collection too"
    unknown = RegistryGarbageCollection.diff(_done(), {"registryName": "images", "triggers": [UNKNOWN]})
    assert unknown.replaces == ["triggers"]


def test_gc_type_left_out_accepts_digitaloceans_default_and_a_new_type_replaces() -> None:
    assert not RegistryGarbageCollection.diff(_done(), {"registryName": "images", "triggers": ["v1"]}).changes
    other = {"registryName": "images", "triggers": ["v1"], "type": "untagged manifests only"}
    assert RegistryGarbageCollection.diff(_done(), other).replaces == ["type"]


@pytest.mark.parametrize("status", ["failed", "cancelled", "cancelling", "scanning manifests"])
def test_gc_recorded_after_a_failure_is_replaced_with_the_reason(status: str) -> None:
    news = {"registryName": "images", "triggers": ["v1"]}
    diff = RegistryGarbageCollection.diff(_done(status=status), news)
    assert diff.replaces == ["status"] and diff.detailed["status"] == "update-replace"
    assert "gc-1" in diff.reasons["status"] and status in diff.reasons["status"]
