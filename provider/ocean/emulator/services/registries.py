"""Container registries and the account's subscription: registries by name (the multi-registry API and the
legacy single-registry one), subscription tiers and their eligibility, options, docker credentials.

State slices: ``registries`` (by name; each keeps its repositories' manifests in ``_repos`` and its stored
blobs in ``_blobs``, owned by :mod:`ocean.emulator.services.repositories`) and ``subscription``. Repositories
and garbage collections are the same DigitalOcean service, split into their own modules for size; they
reach registries through :meth:`Registries.record` and tell it about a change through
:meth:`Registries.changed`.
"""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING, Any

from ocean.emulator import catalogue
from ocean.emulator.core import Json, JsonList, iso
from ocean.emulator.errors import conflict, not_found, precondition_failed, unprocessable
from ocean.emulator.services.base import Service

if TYPE_CHECKING:
    from ocean.emulator.services.garbage_collections import GarbageCollections

REGISTRY_HOST = "registry.digitalocean.com"
REGISTRY_NAME_RE = re.compile(r"^[a-z0-9-]{1,63}$")
REGISTRY_TIER_SLUGS = tuple(t["slug"] for t in catalogue.REGISTRY_TIERS)
ELIGIBILITY_REASONS = ("OverRepositoryLimit", "OverStorageLimit")
#: The legacy ``/v2/registry`` paths once the account has several registries (the spec's own wording).
LEGACY_REGISTRY_MESSAGE = (
    "This API is not supported if you have created multiple registries. Please use "
    "\u2018/v2/registries/{registry_name}\u2019 instead. Refer to "
    "https://docs.digitalocean.com/reference/api/digitalocean/#tag/Container-Registry for more info."
)


def storage(registry: Json) -> int:
    """Bytes stored by a registry: the sum of its blobs."""
    return sum(int(size) for size in registry["_blobs"].values())


class Registries(Service):
    gcs: GarbageCollections

    def seed(self, doc: Json, now: float) -> None:
        doc["registries"] = {}
        doc["subscription"] = None
        doc["seq"]["blob"] = 0

    @property
    def _registries(self) -> Json:
        return self.slice("registries")

    @property
    def _subscription(self) -> Json | None:
        sub: Json | None = self.core.s.get("subscription")
        return sub

    # ------------------------------------------------------------------ for repositories and GC

    def find(self, name: str) -> Json | None:
        registry: Json | None = self._registries.get(name)
        return registry

    def record(self, name: str | None) -> Json:
        """A registry's record by name, or (``name=None``) the account's only one; 404 (412 with several
        registries and no name, as the legacy paths answer)."""
        if name is None:
            registries = list(self._registries.values())
            if len(registries) > 1:
                raise precondition_failed(LEGACY_REGISTRY_MESSAGE)
            if not registries:
                raise not_found()
            return registries[0]  # type: ignore[no-any-return]
        registry = self._registries.get(str(name))
        if registry is None:
            raise not_found()
        return registry  # type: ignore[no-any-return]

    def changed(self, registry: Json, at: float | None = None) -> None:
        """The registry's stored content changed: its usage is as of now (or ``at``)."""
        registry["_usage_updated_at"] = self.core.now() if at is None else at
        self.core.touch()

    def out(self, registry: Json, with_subscription: bool = False) -> Json:
        out: Json = {
            "name": registry["name"],
            "created_at": iso(registry["created_at"]),
            "region": registry["region"],
            "storage_usage_bytes": storage(registry),
            "storage_usage_bytes_updated_at": iso(registry["_usage_updated_at"]),
        }
        if with_subscription and self._subscription is not None:
            out["subscription"] = self._subscription_out()
        return out

    # ------------------------------------------------------------------ subscription tiers

    @staticmethod
    def _tier(slug: str) -> Json:
        for tier in catalogue.REGISTRY_TIERS:
            if tier["slug"] == slug:
                return tier
        raise unprocessable(f"tier_slug must be one of {', '.join(REGISTRY_TIER_SLUGS)}")

    @staticmethod
    def _tier_out(tier: Json) -> Json:
        return {k: v for k, v in tier.items() if k != "max_registries"}

    def _usage(self) -> tuple[int, int]:
        """Account-wide (repositories, stored bytes): what subscription tiers are measured against."""
        registries = self._registries.values()
        return sum(len(r["_repos"]) for r in registries), sum(storage(r) for r in registries)

    def _ineligibility(self, tier: Json, extra_registries: int = 0) -> list[str]:
        repositories, stored = self._usage()
        reasons = []
        if tier["included_repositories"] and repositories > tier["included_repositories"]:
            reasons.append("OverRepositoryLimit")
        if not tier["allow_storage_overage"] and stored > tier["included_storage_bytes"]:
            reasons.append("OverStorageLimit")
        if len(self._registries) + extra_registries > tier["max_registries"]:
            reasons.append("OverRegistryLimit")
        return reasons

    def _subscription_out(self) -> Json:
        sub = self._subscription
        if sub is None:
            raise not_found("You have no container registry subscription: create a registry first.")
        return {
            "tier": self._tier_out(self._tier(sub["tier_slug"])),
            "created_at": iso(sub["created_at"]),
            "updated_at": iso(sub["updated_at"]),
        }

    def _set_tier(self, slug: Any, extra_registries: int = 0) -> None:
        if not isinstance(slug, str):
            raise unprocessable(f"tier_slug must be one of {', '.join(REGISTRY_TIER_SLUGS)}")
        tier = self._tier(slug)
        reasons = self._ineligibility(tier, extra_registries)
        if reasons:
            raise precondition_failed(f"registry is not eligible for tier because: [{', '.join(reasons)}]")
        now = self.core.now()
        sub = self._subscription
        if sub is None:
            self.core.s["subscription"] = {"tier_slug": slug, "created_at": now, "updated_at": now}
        elif sub["tier_slug"] != slug:
            sub["tier_slug"] = slug
            sub["updated_at"] = now
        self.core.touch()

    # ------------------------------------------------------------------ registries

    @staticmethod
    def _check_name(name: Any) -> str:
        if not isinstance(name, str) or not REGISTRY_NAME_RE.match(name):
            raise unprocessable("name must be 1-63 characters: lowercase letters, numbers and dashes")
        return name

    def create(self, body: Json, legacy: bool = False) -> Json:
        """``POST /v2/registries`` (and the legacy ``POST /v2/registry``): sets the subscription tier when
        ``subscription_tier_slug`` is given, else uses the account's existing subscription."""
        with self.core.tx():
            name = self._check_name(body.get("name"))
            region = body.get("region", catalogue.REGISTRY_REGIONS[0])
            if region not in catalogue.REGISTRY_REGIONS:
                raise unprocessable(f"region must be one of {', '.join(catalogue.REGISTRY_REGIONS)}")
            if name in self._registries:
                raise conflict(f"A registry named {name!r} already exists.")
            slug = body.get("subscription_tier_slug")
            if slug is None:
                if self._subscription is None:
                    raise unprocessable("subscription_tier_slug is required: the account has no subscription")
                slug = self._subscription["tier_slug"]
            self._set_tier(slug, extra_registries=1)
            now = self.core.now()
            registry = self._registries[name] = {
                "name": name,
                "region": region,
                "created_at": now,
                "_usage_updated_at": now,
                "_repos": {},
                "_blobs": {},
            }
            self.core.touch()
            return self.out(registry, with_subscription=legacy)

    def list(self) -> JsonList:
        with self.core.tx():
            return [self.out(r) for r in self._registries.values()]

    def get(self, name: str | None = None) -> Json:
        """A registry by name, or (``name=None``) the account's only one, with its subscription."""
        with self.core.tx():
            return self.out(self.record(name), with_subscription=name is None)

    def delete(self, name: str | None = None) -> None:
        with self.core.tx():
            registry = self.record(name)
            del self._registries[registry["name"]]
            self.gcs.forget_registry(registry["name"])
            self.core.touch()

    def validate_name(self, name: Any) -> None:
        with self.core.tx():
            if self._check_name(name) in self._registries:
                raise conflict(f"The registry name {name!r} is already in use.")

    def docker_credentials(self, name: str | None, read_write: bool, expiry_s: int | None) -> Json:
        with self.core.tx():
            registry = self.record(name)
            scope = "rw" if read_write else "ro"
            expires = f":{int(self.core.now()) + expiry_s}" if expiry_s else ""
            user = f"emulator-{registry['name']}-{scope}{expires}"
            auth = base64.b64encode(f"{user}:{user}".encode()).decode()
            return {"auths": {REGISTRY_HOST: {"auth": auth}}}

    def get_subscription(self) -> Json:
        with self.core.tx():
            return self._subscription_out()

    def update_subscription(self, body: Json) -> Json:
        with self.core.tx():
            self._set_tier(body.get("tier_slug"))
            return self._subscription_out()

    def options(self) -> Json:
        with self.core.tx():
            tiers = []
            for tier in catalogue.REGISTRY_TIERS:
                reasons = self._ineligibility(tier)
                tiers.append(
                    {
                        **self._tier_out(tier),
                        "eligible": not reasons,
                        # The spec's enum knows the two usage reasons only; the registry count still makes
                        # a tier ineligible (changing to it answers 412 OverRegistryLimit).
                        "eligibility_reasons": [r for r in reasons if r in ELIGIBILITY_REASONS],
                    }
                )
            return {"available_regions": list(catalogue.REGISTRY_REGIONS), "subscription_tiers": tiers}
