"""Type token → resource or function. Imported lazily: nothing here runs at provider start-up."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def resources() -> dict[str, Any]:
    from ocean.resources.container_registry import ContainerRegistry
    from ocean.resources.droplet import Droplet
    from ocean.resources.droplet_snapshot import DropletSnapshot
    from ocean.resources.firewall import Firewall
    from ocean.resources.firewall_rule import FirewallRule
    from ocean.resources.registry_garbage_collection import RegistryGarbageCollection
    from ocean.resources.registry_subscription import RegistrySubscription
    from ocean.resources.vpc import Vpc
    from ocean.resources.vpc_peering import VpcPeering

    return {
        cls.token: cls
        for cls in (
            Droplet,
            DropletSnapshot,
            Firewall,
            FirewallRule,
            Vpc,
            VpcPeering,
            ContainerRegistry,
            RegistrySubscription,
            RegistryGarbageCollection,
        )
    }


@cache
def functions() -> dict[str, Any]:
    from ocean.resources.lookups import FUNCTIONS

    return {fn.token: fn for fn in FUNCTIONS}


def lookup(token: str) -> Any:
    return _find(resources(), token, "resource type", "manages")


def lookup_function(token: str) -> Any:
    return _find(functions(), token, "function", "offers")


def _find(table: dict[str, Any], token: str, kind: str, verb: str) -> Any:
    found = table.get(token)
    if found is None:
        raise KeyError(f"unknown {kind} {token!r}; this provider {verb}: {', '.join(sorted(table))}")
    return found
