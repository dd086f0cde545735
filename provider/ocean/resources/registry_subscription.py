"""ocean:index:RegistrySubscription — the account's container registry subscription tier.

DigitalOcean has one registry subscription per account, shared by all its registries. Putting the tier
on each registry (as terraform-provider-digitalocean does) makes two registries that disagree flip it on
every `up`; here it is one resource, and a program may declare it only once.

- Check refuses, at preview and before any change, a tier DigitalOcean does not offer or that the
  account is not eligible for, with DigitalOcean's reasons from `GET /v2/registries/options` (a read).
- Two RegistrySubscriptions in one program are refused in Check. The engine starts one provider process
  per provider configuration for each `pulumi` command and checks every resource of the program in it,
  so the process remembers (in `Context.shared`) which RegistrySubscription it has checked; a second
  URN is the error. Two explicit providers for the same account run in two processes and cannot see
  each other; that case is documented, not detected.
- Create adopts the account's subscription (there is only ever one) and sets the tier; delete leaves
  the account's subscription as it is and says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

from pydantic import Field

from ocean.resources.base import (
    CheckFailure,
    ComputedFrom,
    Context,
    Model,
    Resource,
    ResourceError,
    UseStateForUnknown,
    explain,
    validate,
)
from ocean.resources.unknown import UNKNOWN, is_unknown

TOKEN = "ocean:index:RegistrySubscription"
# The account has one subscription; its id in the stack is this constant.
RESOURCE_ID = "registry-subscription"
TIER_RE = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
_DECLARED = "registry_subscriptions"  # Context.shared key: URN → declared tier slug


class RegistrySubscriptionArgs(Model):
    """The inputs of a RegistrySubscription."""

    tier_slug: Annotated[
        str,
        Field(
            description="The account's subscription tier: `starter`, `basic`, `professional`, or another "
            "tier `GET /v2/registries/options` lists. A tier the account is not eligible for (more "
            "repositories or storage than it includes) is refused at preview with DigitalOcean's reasons."
        ),
    ]


_STABLE = UseStateForUnknown()
_FROM_TIER = ComputedFrom(("tier_slug",))


class RegistrySubscriptionState(RegistrySubscriptionArgs):
    """The outputs of a RegistrySubscription: the tier's figures."""

    name: Annotated[str, Field(description="The tier's name, e.g. `Basic`."), _FROM_TIER]
    included_repositories: Annotated[
        int, Field(description="Repositories included (0: unlimited)."), _FROM_TIER
    ]
    included_storage_bytes: Annotated[int, Field(description="Storage included, in bytes."), _FROM_TIER]
    allow_storage_overage: Annotated[
        bool,
        Field(description="Whether storage beyond the included amount is allowed (and billed)."),
        _FROM_TIER,
    ]
    included_bandwidth_bytes: Annotated[
        int, Field(description="Outbound transfer included, in bytes."), _FROM_TIER
    ]
    monthly_price_in_cents: Annotated[int, Field(description="Monthly price in US cents."), _FROM_TIER]
    storage_overage_price_in_cents: Annotated[
        int,
        Field(description="Price of storage beyond the included amount, in US cents per GiB."),
        _FROM_TIER,
    ]
    created_at: Annotated[str, Field(description="When the subscription was created (RFC 3339)."), _STABLE]
    updated_at: Annotated[
        str, Field(description="When the subscription last changed (RFC 3339)."), _FROM_TIER
    ]

    model_config = {"extra": "ignore"}


_REASONS = {
    "OverRepositoryLimit": "the account's registries hold more repositories than the tier includes ({repos})",
    "OverStorageLimit": "the account stores more than the tier includes ({storage}) and the tier allows no "
    "storage overage",
}


class RegistrySubscription(Resource):
    token: ClassVar[str] = TOKEN
    Args: ClassVar[type[Model]] = RegistrySubscriptionArgs
    State: ClassVar[type[Model]] = RegistrySubscriptionState
    description: ClassVar[str] = (
        "The account's container registry subscription tier. There is one subscription per DigitalOcean "
        "account, shared by all its registries, so declare this resource once per account (a second one "
        "in the same program is refused at preview). Creating it adopts the account's subscription and "
        "sets its tier; a tier the account is not eligible for is refused at preview with DigitalOcean's "
        "reasons. Deleting it leaves the subscription (and its tier) as it is: it is only no longer managed."
    )

    # ------------------------------------------------------------------------------------------ check

    @classmethod
    def check(
        cls, urn: str, olds: Mapping[str, Any], news: Mapping[str, Any], random_seed: bytes
    ) -> tuple[dict[str, Any], list[CheckFailure]]:
        label = cls.label(urn)
        checked, failures = validate(RegistrySubscriptionArgs, label, news)
        tier = checked.get("tierSlug")
        if not failures and isinstance(tier, str) and not TIER_RE.match(tier):
            failures.append(
                CheckFailure(
                    "tierSlug",
                    f"{label}: `tierSlug` {tier!r} is not a tier slug: lowercase letters, digits and '-', "
                    "e.g. `starter`, `basic` or `professional`",
                )
            )
        return checked, failures

    @classmethod
    async def check_live(
        cls, ctx: Context, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> list[CheckFailure]:
        from ocean.api import errors

        label = cls.label(ctx.urn)
        declared: dict[str, Any] = ctx.shared.setdefault(_DECLARED, {})
        others = [urn for urn in declared if urn != ctx.urn]
        if others:
            other = others[0].rsplit("::", 1)[-1]
            return [
                CheckFailure(
                    "tierSlug",
                    f"{label}: this program already declares RegistrySubscription '{other}'. The "
                    "subscription tier belongs to the DigitalOcean account, not to a registry: declare "
                    "one RegistrySubscription per account and remove the other.",
                )
            ]
        declared[ctx.urn] = news.get("tierSlug", UNKNOWN)
        tier = news.get("tierSlug")
        if not isinstance(tier, str) or ctx.api is None:
            return []  # unknown until `up`, or no API yet: left for `up`
        try:
            options = await ctx.api.registries.options()
        except errors.ApiError as e:
            await ctx.notify(
                f"could not read DigitalOcean's registry options ({explain(e)}); whether the account may "
                f"have the {tier!r} tier is left to DigitalOcean at `pulumi up`"
            )
            return []
        offered = {t.slug: t for t in options.subscription_tiers if t.slug}
        offer = offered.get(tier)
        if offer is None:
            return [
                CheckFailure(
                    "tierSlug",
                    f"{label}: `tierSlug` {tier!r} is not a tier DigitalOcean offers; choose one of "
                    f"{', '.join(repr(s) for s in offered)}",
                )
            ]
        if offer.eligible is not False or await _current_tier(ctx) == tier:
            return []
        return [CheckFailure("tierSlug", f"{label}: {ineligible(tier, offer)}")]

    # ---------------------------------------------------------------------------------------- preview

    @staticmethod
    def preview_update(olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
        out = {**olds, **news}
        if news.get("tierSlug") != olds.get("tierSlug"):
            for field, info in RegistrySubscriptionState.model_fields.items():
                if any(isinstance(p, ComputedFrom) for p in info.metadata):
                    out[RegistrySubscriptionState.wire_name(field)] = UNKNOWN
        return out

    # ----------------------------------------------------------------------------------------- create

    @staticmethod
    async def create(ctx: Context, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        tier = str(inputs["tierSlug"])
        current = await _subscription(ctx)
        before = current.tier.slug if current is not None and current.tier is not None else None
        if before == tier:
            sub = current
            note = f"adopted the account's registry subscription, already on the {tier!r} tier"
        else:
            sub = await _set_tier(ctx, tier)
            note = (
                f"adopted the account's registry subscription and changed its tier from {before!r} to "
                f"{tier!r}"
                if before is not None
                else f"started the account's registry subscription on the {tier!r} tier"
            )
        await ctx.notify(note)
        return RESOURCE_ID, to_state(sub)

    # ------------------------------------------------------------------------------------------- read

    @staticmethod
    async def read(
        ctx: Context, resource_id: str, state: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The account's subscription as it is now (any id imports it), or None when it has none."""
        sub = await _subscription(ctx)
        if sub is None:
            return None
        outputs = to_state(sub)
        return outputs, dict(inputs) if inputs else {"tierSlug": outputs["tierSlug"]}

    # ----------------------------------------------------------------------------------------- update

    @staticmethod
    async def update(
        ctx: Context, resource_id: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        return to_state(await _set_tier(ctx, str(news["tierSlug"])))

    # ----------------------------------------------------------------------------------------- delete

    @staticmethod
    async def delete(ctx: Context, resource_id: str, state: Mapping[str, Any]) -> None:
        # There is no API to end a subscription, and the account's registries (managed here or not)
        # depend on it: it is left as it is.
        tier = state.get("tierSlug")
        await ctx.notify(
            f"the account's registry subscription was left as it is (tier {tier!r}); it is no longer "
            "managed by this stack. The subscription belongs to the DigitalOcean account and is shared by "
            "all its registries; change its tier in the control panel if you need to."
        )


def declared_tier(ctx: Context) -> str | None:
    """The tier this program's RegistrySubscription declares, if Check has seen one with a known tier."""
    for tier in ctx.shared.get(_DECLARED, {}).values():
        if isinstance(tier, str) and not is_unknown(tier):
            return tier
    return None


def ineligible(tier: str, offer: Any) -> str:
    """Why the account cannot move to `tier`, in DigitalOcean's words (its eligibility reasons)."""
    figures = {
        "repos": offer.included_repositories,
        "storage": _bytes(offer.included_storage_bytes),
    }
    reasons = [
        f"{r} ({_REASONS[r].format(**figures)})" if r in _REASONS else r for r in offer.eligibility_reasons
    ]
    why = (
        "; ".join(reasons)
        if reasons
        else "no reason given (an account with more registries than the tier allows is one)"
    )
    return (
        f"the account is not eligible for the {tier!r} registry tier: DigitalOcean says {why} "
        "(GET /v2/registries/options). Delete repositories or images and run a garbage collection "
        "(ocean.RegistryGarbageCollection) to get within the tier's limits, or choose a larger tier."
    )


async def _current_tier(ctx: Context) -> str | None:
    sub = await _subscription(ctx)
    return sub.tier.slug if sub is not None and sub.tier is not None else None


async def _subscription(ctx: Context) -> Any:
    from ocean.api import errors

    # Not coalesced: an account has one subscription, and no list of them exists; it stays its GET.
    try:
        return await ctx.api.registries.get_subscription()
    except errors.NotFound:
        return None


async def _set_tier(ctx: Context, tier: str) -> Any:
    """POST the tier. Setting a tier is idempotent, so an answer lost on the way back is checked by
    reading the subscription rather than reported as a failure."""
    from ocean.api import errors

    label = RegistrySubscription.label(ctx.urn)
    try:
        return await ctx.api.registries.update_subscription(tier)
    except errors.AmbiguousRequestError:
        sub = await _subscription(ctx)
        if sub is not None and sub.tier is not None and sub.tier.slug == tier:
            return sub
        raise
    except errors.PreconditionFailed as e:
        raise ResourceError(
            f"{label}: DigitalOcean refused the {tier!r} tier: {e.message} (request id {e.request_id}). "
            "Get the account within the tier's limits (fewer repositories, images or registries), or "
            "choose a larger tier."
        ) from e
    except errors.NotFound as e:
        raise ResourceError(
            f"{label}: the account has no registry subscription, and DigitalOcean did not start one "
            f"({e.message}). Create a registry first: declare the ContainerRegistry and make this "
            "resource depend on it (`depends_on`)."
        ) from e


def _bytes(n: int | None) -> str:
    if n is None:
        return "?"
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:g} {unit}"
    return f"{n} bytes"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def to_state(sub: Any) -> dict[str, Any]:
    tier = sub.tier
    return {
        "tierSlug": tier.slug,
        "name": tier.name,
        "includedRepositories": tier.included_repositories,
        "includedStorageBytes": tier.included_storage_bytes,
        "allowStorageOverage": tier.allow_storage_overage,
        "includedBandwidthBytes": tier.included_bandwidth_bytes,
        "monthlyPriceInCents": tier.monthly_price_in_cents,
        "storageOveragePriceInCents": tier.storage_overage_price_in_cents,
        "createdAt": _iso(sub.created_at),
        "updatedAt": _iso(sub.updated_at),
    }
