"""Container registries, the registry subscription, registry options and garbage collections.

The multi-registry ``/v2/registries`` paths are used first; the legacy single-registry ``/v2/registry``
paths where only they do the job (starting a garbage collection with a ``type``).
"""

from __future__ import annotations

import builtins
from typing import Any

from ..models.garbage_collection import GarbageCollection
from ..models.registry import Registry
from ..models.registry_options import RegistryOptions
from ..models.subscription import Subscription
from ._base import Service, seg


class Registries(Service):
    """``/v2/registries`` (and ``/v2/registry``)."""

    async def create(
        self, name: str, region: str | None = None, subscription_tier_slug: str | None = None
    ) -> Registry:
        body: dict[str, Any] = {"name": name}
        if region is not None:
            body["region"] = region
        if subscription_tier_slug is not None:
            body["subscription_tier_slug"] = subscription_tier_slug
        return await self._send("POST", "/v2/registries", "registry", Registry, body)

    async def get(self, name: str) -> Registry:
        return await self._get(f"/v2/registries/{seg(name)}", "registry", Registry)

    async def list(self) -> builtins.list[Registry]:
        data = await self._t.request("GET", "/v2/registries") or {}
        return [Registry.model_validate(r) for r in data.get("registries") or []]

    async def delete(self, name: str) -> None:
        await self._t.request("DELETE", f"/v2/registries/{seg(name)}")

    # Legacy single-registry API.
    async def get_legacy(self) -> Registry:
        return await self._get("/v2/registry", "registry", Registry)

    async def create_legacy(
        self, name: str, subscription_tier_slug: str, region: str | None = None
    ) -> Registry:
        body: dict[str, Any] = {"name": name, "subscription_tier_slug": subscription_tier_slug}
        if region is not None:
            body["region"] = region
        return await self._send("POST", "/v2/registry", "registry", Registry, body)

    async def delete_legacy(self) -> None:
        await self._t.request("DELETE", "/v2/registry")

    async def validate_name(self, name: str) -> None:
        """Raises ``errors.Conflict`` when the name is taken."""
        await self._t.request("POST", "/v2/registries/validate-name", json={"name": name})

    # Subscription and options.
    async def get_subscription(self) -> Subscription:
        return await self._get("/v2/registries/subscription", "subscription", Subscription)

    async def update_subscription(self, tier_slug: str) -> Subscription:
        return await self._send(
            "POST", "/v2/registries/subscription", "subscription", Subscription, {"tier_slug": tier_slug}
        )

    async def options(self) -> RegistryOptions:
        return await self._get("/v2/registries/options", "options", RegistryOptions)


class GarbageCollections(Service):
    """Garbage collections of a registry."""

    async def start(self, registry: str, type: str | None = None) -> GarbageCollection:  # noqa: A002
        """Start a garbage collection; ``type`` is one of ``models.GC_TYPES`` (default: the server's)."""
        if type is None:
            return await self._send(
                "POST", f"/v2/registries/{seg(registry)}/garbage-collection", "garbage_collection",
                GarbageCollection,
            )  # fmt: skip
        # Only the legacy path takes a body with the type.
        return await self._send(
            "POST", f"/v2/registry/{seg(registry)}/garbage-collection", "garbage_collection",
            GarbageCollection, {"type": type},
        )  # fmt: skip

    async def get_active(self, registry: str) -> GarbageCollection:
        """The registry's active garbage collection (``errors.NotFound`` when none is running)."""
        return await self._get(
            f"/v2/registries/{seg(registry)}/garbage-collection", "garbage_collection", GarbageCollection
        )

    async def list(self, registry: str) -> builtins.list[GarbageCollection]:
        out: builtins.list[GarbageCollection] = []
        page = 1
        while True:
            data = await self._t.request(
                "GET", f"/v2/registries/{seg(registry)}/garbage-collections",
                params={"per_page": 200, "page": page},
            ) or {}  # fmt: skip
            items = data.get("garbage_collections") or []
            out.extend(GarbageCollection.model_validate(g) for g in items)
            nxt = ((data.get("links") or {}).get("pages") or {}).get("next")
            if not nxt or len(items) < 200 or page >= 100:
                return out
            page += 1

    async def get(self, registry: str, uuid: str) -> GarbageCollection:
        """A garbage collection by uuid: the active one if it matches, else from the list."""
        from ..errors import NotFound

        try:
            active = await self.get_active(registry)
            if active.uuid == uuid:
                return active
        except NotFound:
            pass
        for gc in await self.list(registry):
            if gc.uuid == uuid:
                return gc
        raise NotFound(
            f"garbage collection {uuid} not found", status=404, method="GET",
            path=f"/v2/registries/{registry}/garbage-collections",
        )  # fmt: skip

    async def cancel(self, registry: str, uuid: str) -> GarbageCollection:
        return await self._send(
            "PUT", f"/v2/registries/{seg(registry)}/garbage-collection/{seg(uuid)}", "garbage_collection",
            GarbageCollection, {"cancel": True},
        )  # fmt: skip
