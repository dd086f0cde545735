"""Type token → resource or function. Imported lazily: nothing here runs at provider start-up."""

from __future__ import annotations

from functools import cache
from typing import Any

#: Type token → (module, class): a lookup imports the one module it needs, not all nine (start-up time:
#: a `refresh` of droplets never loads the registry's models). tests/provider checks it against the classes.
MODULES: dict[str, tuple[str, str]] = {
    "ocean:index:Droplet": ("ocean.resources.droplet", "Droplet"),
    "ocean:index:DropletSnapshot": ("ocean.resources.droplet_snapshot", "DropletSnapshot"),
    "ocean:index:Firewall": ("ocean.resources.firewall", "Firewall"),
    "ocean:index:FirewallRule": ("ocean.resources.firewall_rule", "FirewallRule"),
    "ocean:index:Vpc": ("ocean.resources.vpc", "Vpc"),
    "ocean:index:VpcPeering": ("ocean.resources.vpc_peering", "VpcPeering"),
    "ocean:index:ContainerRegistry": ("ocean.resources.container_registry", "ContainerRegistry"),
    "ocean:index:RegistrySubscription": ("ocean.resources.registry_subscription", "RegistrySubscription"),
    "ocean:index:RegistryGarbageCollection": (
        "ocean.resources.registry_garbage_collection",
        "RegistryGarbageCollection",
    ),
}


@cache
def resource(token: str) -> Any:
    """The resource class of ``token``, importing its module only (KeyError when unknown)."""
    import importlib

    module, name = MODULES[token]
    return getattr(importlib.import_module(module), name)


@cache
def resources() -> dict[str, Any]:
    return {cls.token: cls for cls in (resource(token) for token in MODULES)}


@cache
def functions() -> dict[str, Any]:
    from ocean.resources.lookups import FUNCTIONS

    return {fn.token: fn for fn in FUNCTIONS}


def lookup(token: str) -> Any:
    if token in MODULES:
        return resource(token)
    return _find(resources(), token, "resource type", "manages")


def lookup_function(token: str) -> Any:
    return _find(functions(), token, "function", "offers")


def _find(table: dict[str, Any], token: str, kind: str, verb: str) -> Any:
    found = table.get(token)
    if found is None:
        raise KeyError(f"unknown {kind} {token!r}; this provider {verb}: {', '.join(sorted(table))}")
    return found
