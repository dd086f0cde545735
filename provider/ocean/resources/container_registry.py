"""ocean:index:ContainerRegistry — a DigitalOcean Container Registry.

Only the multi-registry `/v2/registries/{name}` paths are used, so a registry works the same whether
the account has one registry or several (the legacy `/v2/registry` paths answer 412 once it has more
than one). The subscription tier is not a property of a registry: it belongs to the account, and is
managed by the one `RegistrySubscription` resource (see registry_subscription.py).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

from pydantic import Field

from ocean.resources.base import (
    CheckFailure,
    Context,
    DiffResult,
    Model,
    ReplaceOnChange,
    Resource,
    ResourceError,
    ServerDefault,
    UseStateForUnknown,
    explain,
    validate,
)

TOKEN = "ocean:index:ContainerRegistry"
SERVER_URL = "registry.digitalocean.com"
# DigitalOcean's rule for registry names (the spec's pattern and maxLength).
NAME_RE = re.compile(r"^[a-z0-9-]{1,63}$")
NAME_RULE = "1 to 63 lowercase letters, digits and '-'"
REGION_RE = re.compile(r"^[a-z]{3}[0-9]$")
# The tier an account without a subscription gets its first registry on, when the program declares no
# RegistrySubscription: the free one, which any empty account is eligible for.
FIRST_TIER = "starter"


class ContainerRegistryArgs(Model):
    """The inputs of a ContainerRegistry."""

    name: Annotated[
        str | None,
        Field(
            default=None,
            description="The registry's name: images in it are `registry.digitalocean.com/<name>/<image>`. "
            f"{NAME_RULE[0].upper()}{NAME_RULE[1:]}, unique across DigitalOcean. Defaults to the resource "
            "name plus a stable suffix.",
        ),
        ReplaceOnChange("a registry cannot be renamed"),
    ]
    region: Annotated[
        str | None,
        Field(
            default=None,
            description="The slug of the region the registry's data is stored in, e.g. `fra1` (see "
            "`GET /v2/registries/options` for the ones on offer). Left out, DigitalOcean picks one.",
        ),
        ReplaceOnChange("a registry's data cannot move to another region"),
        ServerDefault(),
    ]


_STABLE = UseStateForUnknown()


class ContainerRegistryState(ContainerRegistryArgs):
    """The outputs of a ContainerRegistry."""

    region: Annotated[str, Field(description="The slug of the region the registry's data is stored in.")]
    server_url: Annotated[
        str,
        Field(description="The registry's host, `registry.digitalocean.com` (for `docker login`)."),
        _STABLE,
    ]
    endpoint: Annotated[
        str,
        Field(description="Where images are pushed: `registry.digitalocean.com/<name>`."),
        _STABLE,
    ]
    created_at: Annotated[str, Field(description="When the registry was created (RFC 3339)."), _STABLE]
    storage_usage_bytes: Annotated[
        int,
        Field(
            description="Bytes stored, as DigitalOcean last measured them (refreshed by `pulumi refresh`)."
        ),
    ]
    garbage_collection_active: Annotated[
        bool,
        Field(
            description="Whether a garbage collection was running when the registry was last read. While "
            "one runs the registry is read-only (pushes fail); `ocean.get_garbage_collection` tells "
            "whether one is running now."
        ),
    ]

    model_config = {"extra": "ignore"}


class ContainerRegistry(Resource):
    token: ClassVar[str] = TOKEN
    Args: ClassVar[type[Model]] = ContainerRegistryArgs
    State: ClassVar[type[Model]] = ContainerRegistryState
    marks: ClassVar[bool] = True
    description: ClassVar[str] = (
        "A DigitalOcean Container Registry: a private Docker registry at `registry.digitalocean.com/<name>`. "
        "The account's subscription tier is not set here: declare one `ocean.RegistrySubscription` for it. "
        "An account with no subscription yet gets its first registry on the tier the program's "
        "RegistrySubscription declares (or on `starter`, the free tier, when it declares none)."
    )

    # ------------------------------------------------------------------------------------------ check

    @classmethod
    def auto_name(cls, urn: str, seed: bytes) -> str:
        return auto_name(urn.rsplit("::", 1)[-1], seed)

    @classmethod
    def check(
        cls, urn: str, olds: Mapping[str, Any], news: Mapping[str, Any], random_seed: bytes
    ) -> tuple[dict[str, Any], list[CheckFailure]]:
        label = cls.label(urn)
        checked, failures = validate(
            ContainerRegistryArgs, label, cls.with_name(urn, olds, news, random_seed)
        )
        if failures:
            return checked, failures
        name, region = checked.get("name"), checked.get("region")
        if isinstance(name, str) and not NAME_RE.match(name):
            failures.append(
                CheckFailure("name", f"{label}: `name` {name!r} is not a registry name: use {NAME_RULE}")
            )
        if isinstance(region, str) and not REGION_RE.match(region):
            failures.append(
                CheckFailure(
                    "region",
                    f"{label}: `region` {region!r} is not a region slug: three lowercase letters and a "
                    "digit, e.g. `nyc3` or `fra1`",
                )
            )
        return checked, failures

    @classmethod
    async def check_live(
        cls, ctx: Context, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> list[CheckFailure]:
        """The region against the regions DigitalOcean keeps registries in (`GET /v2/registries/options`,
        read once per provider process)."""
        from ocean.resources import catalogue as cat

        region = cat.changed("region", olds, news)
        if ctx.api is None or not isinstance(region, str):
            return []
        found = await cat.check_registry_region(ctx, cls.label(ctx.urn), region)
        return [found] if found is not None else []

    @classmethod
    def diff(
        cls,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        old_inputs: Mapping[str, Any] | None = None,
        ignore_changes: frozenset[str] = frozenset(),
    ) -> DiffResult:
        result = super().diff(olds, news, old_inputs=old_inputs, ignore_changes=ignore_changes)
        if result.replaces and "name" not in result.replaces:
            # Registry names are unique across DigitalOcean: the new one can only have the old one's
            # name once the old one is gone.
            result.delete_before_replace = True
        return result

    @staticmethod
    def preview_update(olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
        return {**olds, **news}

    # ----------------------------------------------------------------------------------------- create

    @staticmethod
    async def create(ctx: Context, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        from ocean.api import errors
        from ocean.resources import adoption

        label = ContainerRegistry.label(ctx.urn)
        name = str(inputs["name"])
        region = inputs.get("region")
        earlier = await adoption.adopt_named(
            ctx,
            label=label,
            kind="registry",
            name=name,
            owned=ContainerRegistry.named_by_provider(ctx.urn, inputs),
            find=lambda: _named(ctx, name),
            adopt_hint=f"pulumi import {TOKEN} {ctx.name} {name}",
        )
        if earlier is not None:
            return name, to_state(earlier.obj, gc_active=await gc_active(ctx, name))
        tier = await _tier_for_first_registry(ctx)
        try:
            registry, lost = await adoption.create_once(
                ctx,
                label=label,
                kind="registry",
                post=lambda: ctx.api.registries.create(name, region=region, subscription_tier_slug=tier),
                find=lambda: _named(ctx, name, region=region),
            )
        except errors.Conflict as e:
            raise ResourceError(
                f"{label}: DigitalOcean refused the name {name!r}: {e.message} (request id {e.request_id}). "
                "Registry names are unique across all of DigitalOcean, and another account has this one: "
                "choose another `name`."
            ) from e
        if lost is not None:
            return name, to_state(lost.obj, gc_active=await gc_active(ctx, name))
        if tier is not None:
            await ctx.notify(
                f"the account had no registry subscription: registry {name!r} was created on the "
                f"{tier!r} tier"
            )
        # A registry that did not exist a moment ago has no garbage collection running.
        return name, to_state(registry, gc_active=False)

    # ------------------------------------------------------------------------------------------- read

    @staticmethod
    async def read(
        ctx: Context, resource_id: str, state: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """Returns (outputs, inputs), or None when the registry no longer exists. An import (the
        registry's name as the id) returns exactly the inputs that declare it with no changes."""
        from ocean.api import errors

        try:
            # A refresh's reads share one list (ocean.api.coalesce); an import is one exact GET.
            registry = await ctx.api.reads.registry(
                resource_id, exact=not inputs and not state, recent=bool(inputs or state)
            )
        except errors.NotFound:
            return None
        outputs = to_state(registry, gc_active=await gc_active(ctx, resource_id))
        if inputs:
            return outputs, dict(inputs)
        return outputs, {"name": outputs["name"], "region": outputs["region"]}

    @staticmethod
    async def update(
        ctx: Context, resource_id: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        # Every input replaces the registry; nothing changes in place.
        found = await ContainerRegistry.read(ctx, resource_id, olds, news)
        if found is None:
            raise ResourceError(
                f"{ContainerRegistry.label(ctx.urn)}: registry {resource_id!r} no longer exists"
            )
        return found[0]

    # ----------------------------------------------------------------------------------------- delete

    @staticmethod
    async def delete(ctx: Context, resource_id: str, state: Mapping[str, Any]) -> None:
        from ocean.api import errors

        try:
            await ctx.api.registries.delete(resource_id)
        except errors.NotFound:
            return
        except errors.ApiError as e:
            raise ResourceError(
                f"{ContainerRegistry.label(ctx.urn)}: registry {resource_id!r} was not deleted: {explain(e)}"
            ) from e


def auto_name(resource_name: str, seed: bytes) -> str:
    """The resource name plus a 7-character suffix from the engine's seed, made a valid registry name."""
    base = re.sub(r"[^a-z0-9-]+", "-", resource_name.lower()).strip("-") or "registry"
    suffix = hashlib.sha256(seed + resource_name.encode()).hexdigest()[:7]
    return f"{base[: 63 - 8]}-{suffix}"


async def _named(ctx: Context, name: str, *, region: str | None = None) -> list[Any]:
    """This account's registry named `name`, if it has one (in `region` if given)."""
    from ocean.api import errors
    from ocean.resources.adoption import Candidate

    try:
        registry = await ctx.api.registries.get(name)
    except errors.NotFound:
        return []
    if region is not None and registry.region != region:
        return []
    return [
        Candidate(
            id=registry.name,
            obj=registry,
            describe=f"registry {registry.name!r} in {registry.region}",
            created_at=registry.created_at,
        )
    ]


async def _tier_for_first_registry(ctx: Context) -> str | None:
    """None when the account has a subscription (the registry joins it); else the tier to create the
    account's first registry on: the one this program's RegistrySubscription declares, or the free one."""
    from ocean.api import errors
    from ocean.resources.registry_subscription import declared_tier

    try:
        await ctx.api.registries.get_subscription()
        return None
    except errors.NotFound:
        return declared_tier(ctx) or FIRST_TIER


async def gc_active(ctx: Context, name: str) -> bool:
    from ocean.api import errors

    # Per registry: DigitalOcean has no account-wide list of running garbage collections to coalesce
    # these reads into (and an account has at most a few registries).

    try:
        await ctx.api.garbage_collections.get_active(name)
    except errors.NotFound:
        return False
    return True


def to_state(registry: Any, *, gc_active: bool) -> dict[str, Any]:
    return {
        "name": registry.name,
        "region": registry.region,
        "serverUrl": SERVER_URL,
        "endpoint": f"{SERVER_URL}/{registry.name}",
        "createdAt": registry.created_at.isoformat() if registry.created_at is not None else None,
        "storageUsageBytes": int(registry.storage_usage_bytes or 0),
        "garbageCollectionActive": gc_active,
    }
