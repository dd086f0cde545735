# ruff: noqa: E501 - long literal tables read better on one line
"""Every model parses the spec's examples for its operations, and knows every field and enum value the
spec's schema gives it."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from ocean.api import models as m

from .conftest import flatten, resolve, synthesize

# (method, path, status, key in the body, model, is_list)
OPERATIONS: list[tuple[str, str, str, str, type[BaseModel], bool]] = [
    ("post", "/v2/droplets", "202", "droplet", m.Droplet, False),
    ("get", "/v2/droplets/{droplet_id}", "200", "droplet", m.Droplet, False),
    ("get", "/v2/droplets", "200", "droplets", m.Droplet, True),
    ("get", "/v2/droplets/{droplet_id}/snapshots", "200", "snapshots", m.DropletSnapshot, True),
    ("post", "/v2/droplets/{droplet_id}/actions", "201", "action", m.Action, False),
    ("get", "/v2/droplets/{droplet_id}/actions/{action_id}", "200", "action", m.Action, False),
    ("get", "/v2/droplets/{droplet_id}/actions", "200", "actions", m.Action, True),
    ("get", "/v2/actions/{action_id}", "200", "action", m.Action, False),
    ("get", "/v2/actions", "200", "actions", m.Action, True),
    ("get", "/v2/snapshots", "200", "snapshots", m.Snapshot, True),
    ("get", "/v2/account/keys", "200", "ssh_keys", m.SshKey, True),
    ("get", "/v2/snapshots/{snapshot_id}", "200", "snapshot", m.Snapshot, False),
    ("post", "/v2/firewalls", "202", "firewall", m.Firewall, False),
    ("get", "/v2/firewalls/{firewall_id}", "200", "firewall", m.Firewall, False),
    ("put", "/v2/firewalls/{firewall_id}", "200", "firewall", m.Firewall, False),
    ("get", "/v2/firewalls", "200", "firewalls", m.Firewall, True),
    ("post", "/v2/vpcs", "201", "vpc", m.Vpc, False),
    ("get", "/v2/vpcs/{vpc_id}", "200", "vpc", m.Vpc, False),
    ("get", "/v2/vpcs", "200", "vpcs", m.Vpc, True),
    ("put", "/v2/vpcs/{vpc_id}", "200", "vpc", m.Vpc, False),
    ("patch", "/v2/vpcs/{vpc_id}", "200", "vpc", m.Vpc, False),
    ("get", "/v2/vpcs/{vpc_id}/members", "200", "members", m.VpcMember, True),
    ("get", "/v2/vpcs/{vpc_id}/peerings", "200", "peerings", m.VpcPeering, True),
    ("post", "/v2/vpc_peerings", "202", "vpc_peering", m.VpcPeering, False),
    ("get", "/v2/vpc_peerings/{vpc_peering_id}", "200", "vpc_peering", m.VpcPeering, False),
    ("get", "/v2/vpc_peerings", "200", "vpc_peerings", m.VpcPeering, True),
    ("patch", "/v2/vpc_peerings/{vpc_peering_id}", "200", "vpc_peering", m.VpcPeering, False),
    ("delete", "/v2/vpc_peerings/{vpc_peering_id}", "202", "vpc_peering", m.VpcPeering, False),
    ("post", "/v2/registries", "201", "registry", m.Registry, False),
    ("get", "/v2/registries/{registry_name}", "200", "registry", m.Registry, False),
    ("get", "/v2/registries", "200", "registries", m.Registry, True),
    ("get", "/v2/registry", "200", "registry", m.Registry, False),
    ("post", "/v2/registry", "201", "registry", m.Registry, False),
    ("get", "/v2/registries/subscription", "200", "subscription", m.Subscription, False),
    ("post", "/v2/registries/subscription", "200", "subscription", m.Subscription, False),
    ("get", "/v2/registries/options", "200", "options", m.RegistryOptions, False),
    ("get", "/v2/registry/options", "200", "options", m.RegistryOptions, False),
    (
        "post",
        "/v2/registry/{registry_name}/garbage-collection",
        "201",
        "garbage_collection",
        m.GarbageCollection,
        False,
    ),
    (
        "post",
        "/v2/registries/{registry_name}/garbage-collection",
        "201",
        "garbage_collection",
        m.GarbageCollection,
        False,
    ),
    (
        "get",
        "/v2/registries/{registry_name}/garbage-collection",
        "200",
        "garbage_collection",
        m.GarbageCollection,
        False,
    ),
    (
        "get",
        "/v2/registries/{registry_name}/garbage-collections",
        "200",
        "garbage_collections",
        m.GarbageCollection,
        True,
    ),
    (
        "put",
        "/v2/registries/{registry_name}/garbage-collection/{garbage_collection_uuid}",
        "200",
        "garbage_collection",
        m.GarbageCollection,
        False,
    ),
    ("post", "/v2/tags", "201", "tag", m.Tag, False),
    ("get", "/v2/tags/{tag_id}", "200", "tag", m.Tag, False),
    ("get", "/v2/tags", "200", "tags", m.Tag, True),
    ("get", "/v2/regions", "200", "regions", m.Region, True),
    ("get", "/v2/sizes", "200", "sizes", m.Size, True),
    ("get", "/v2/images/{image_id}", "200", "image", m.Image, False),
    ("get", "/v2/images", "200", "images", m.Image, True),
]


# The spec's example for GET /v2/tags/{tag_id} wraps the tag twice ({"tag": {"tag": {...}}}).
_DOUBLE_WRAPPED = {("get", "/v2/tags/{tag_id}")}


def _examples(spec: dict[str, Any], method: str, path: str, status: str) -> list[Any]:
    op = spec["paths"][path][method]
    response = resolve(spec, op["responses"][status])
    media = (response.get("content") or {}).get("application/json") or {}
    found = []
    if "example" in media:
        found.append(media["example"])
    for ex in (media.get("examples") or {}).values():
        ex = resolve(spec, ex)
        if "value" in ex:
            found.append(ex["value"])
    return found


@pytest.mark.parametrize(
    ("method", "path", "status", "key", "model", "many"),
    OPERATIONS,
    ids=[f"{o[0].upper()} {o[1]}" for o in OPERATIONS],
)
def test_model_parses_the_spec_examples(
    spec: dict[str, Any], method: str, path: str, status: str, key: str, model: type[BaseModel], many: bool
) -> None:
    examples = _examples(spec, method, path, status)
    # Most responses have no whole-body example; build one from the schema's per-field examples too.
    op = spec["paths"][path][method]
    media = resolve(spec, op["responses"][status])["content"]["application/json"]
    synthesized = synthesize(spec, media["schema"])
    assert isinstance(synthesized, dict) and key in synthesized, synthesized
    examples.append(synthesized)
    parsed = 0
    for ex in examples:
        if key not in ex:
            continue  # e.g. the multi-droplet create example
        value = ex[key]
        if (method, path) in _DOUBLE_WRAPPED and isinstance(value, dict) and key in value:
            value = value[key]
        items = value if many else [value]
        for item in items:
            model.model_validate(item)
            parsed += 1
    assert parsed


def test_droplet_create_example_gives_action_ids(spec: dict[str, Any]) -> None:
    import asyncio

    import httpx

    from ocean.api import DigitalOceanClient, RateGovernor

    ex = next(e for e in _examples(spec, "post", "/v2/droplets", "202") if "droplet" in e)

    async def go() -> Any:
        t = httpx.MockTransport(lambda r: httpx.Response(202, json=ex))
        async with DigitalOceanClient("t", transport=t, governor=RateGovernor.unlimited()) as c:
            return await c.droplets.create({"name": "x", "size": "s", "image": "i"})

    created = asyncio.run(go())
    assert created.action_ids == [link["id"] for link in ex["links"]["actions"]]
    assert created.droplet.id == ex["droplet"]["id"]


# (model, schema name, properties not modelled on purpose)
SCHEMAS: list[tuple[type[BaseModel], str]] = [
    (m.Action, "action"),
    (m.Droplet, "droplet"),
    (m.Image, "image"),
    (m.Kernel, "kernel"),
    (m.Region, "region"),
    (m.Size, "size"),
    (m.NetworkV4, "network_v4"),
    (m.NetworkV6, "network_v6"),
    (m.DropletNextBackupWindow, "droplet_next_backup_window"),
    (m.DropletBackupPolicy, "droplet_backup_policy_record"),
    (m.DropletBackupPolicySettings, "droplet_backup_policy"),
    (m.DiskInfo, "disk_info"),
    (m.GPUInfo, "gpu_info"),
    (m.Snapshot, "snapshots"),
    (m.DropletSnapshot, "droplet_snapshot"),
    (m.FirewallRuleTarget, "firewall_rule_target"),
    (m.Firewall, "firewall"),
    (m.Vpc, "vpc"),
    (m.VpcPeering, "vpc_peering"),
    (m.VpcMember, "vpc_member"),
    (m.Registry, "registry"),
    (m.Subscription, "subscription"),
    (m.SubscriptionTierBase, "subscription_tier_base"),
    (m.SubscriptionTierOption, "subscription_tier_extended"),
    (m.GarbageCollection, "garbage_collection"),
    (m.Tag, "tags"),
    (m.MetaProperties, "meta_properties"),
    (m.ActionLink, "action_link"),
]


@pytest.mark.parametrize(("model", "schema"), SCHEMAS, ids=[s for _, s in SCHEMAS])
def test_model_has_every_spec_field(spec: dict[str, Any], model: type[BaseModel], schema: str) -> None:
    props, _ = flatten(spec, spec["components"]["schemas"][schema])
    missing = set(props) - set(model.model_fields)
    assert not missing, f"{model.__name__} lacks {sorted(missing)} from the spec's {schema}"


ENUMS = [
    (m.ACTION_STATUSES, "action", "status"),
    (m.DROPLET_STATUSES, "droplet", "status"),
    (m.FIREWALL_STATUSES, "firewall", "status"),
    (m.GC_STATUSES, "garbage_collection", "status"),
    (m.VPC_PEERING_STATUSES, "vpc_peering", "status"),
    (m.GC_TYPES, "registry_run_gc", "type"),
]


@pytest.mark.parametrize(("values", "schema", "field"), ENUMS, ids=[f"{s}.{f}" for _, s, f in ENUMS])
def test_enum_values_match_the_spec(
    spec: dict[str, Any], values: tuple[str, ...], schema: str, field: str
) -> None:
    props, _ = flatten(spec, spec["components"]["schemas"][schema])
    assert tuple(props[field]["enum"]) == tuple(values)


def test_required_non_nullable_fields_are_not_optional(spec: dict[str, Any]) -> None:
    props, required = flatten(spec, spec["components"]["schemas"]["droplet"])
    for name in ("id", "name"):
        assert name in required and m.Droplet.model_fields[name].is_required()
