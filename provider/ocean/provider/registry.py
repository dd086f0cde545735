"""Type token → resource module. Imported lazily: nothing here runs at provider start-up."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def resources() -> dict[str, Any]:
    from ocean.resources.droplet import Droplet

    return {cls.token: cls for cls in (Droplet,)}


def lookup(token: str) -> Any:
    found = resources().get(token)
    if found is None:
        known = ", ".join(sorted(resources()))
        raise KeyError(f"unknown resource type {token!r}; this provider manages: {known}")
    return found
