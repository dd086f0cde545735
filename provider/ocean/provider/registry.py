"""Type token → resource or function. Imported lazily: nothing here runs at provider start-up."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def resources() -> dict[str, Any]:
    from ocean.resources.droplet import Droplet
    from ocean.resources.droplet_snapshot import DropletSnapshot

    return {cls.token: cls for cls in (Droplet, DropletSnapshot)}


@cache
def functions() -> dict[str, Any]:
    from ocean.resources.lookups import FUNCTIONS

    return {fn.token: fn for fn in FUNCTIONS}


def lookup(token: str) -> Any:
    found = resources().get(token)
    if found is None:
        known = ", ".join(sorted(resources()))
        raise KeyError(f"unknown resource type {token!r}; this provider manages: {known}")
    return found


def lookup_function(token: str) -> Any:
    found = functions().get(token)
    if found is None:
        known = ", ".join(sorted(functions()))
        raise KeyError(f"unknown function {token!r}; this provider offers: {known}")
    return found
