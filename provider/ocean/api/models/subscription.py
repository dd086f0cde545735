"""The container registry subscription and its tier."""

from __future__ import annotations

from pydantic import AwareDatetime

from ._base import OceanModel

SUBSCRIPTION_TIER_SLUGS = ("starter", "basic", "professional")


class SubscriptionTierBase(OceanModel):
    """A subscription tier: included repositories, storage and bandwidth and its prices (in cents)."""

    name: str | None = None
    slug: str | None = None
    included_repositories: int | None = None
    included_storage_bytes: int | None = None
    allow_storage_overage: bool | None = None
    included_bandwidth_bytes: int | None = None
    monthly_price_in_cents: int | None = None
    storage_overage_price_in_cents: int | None = None


class Subscription(OceanModel):
    """The account's registry subscription."""

    tier: SubscriptionTierBase | None = None
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
