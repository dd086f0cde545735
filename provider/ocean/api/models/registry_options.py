"""Registry options: the regions a registry can live in and the tiers the account is eligible for."""

from __future__ import annotations

from typing import Annotated

from ._base import OceanModel, open_enum
from .subscription import SubscriptionTierBase

ELIGIBILITY_REASONS = ("OverRepositoryLimit", "OverStorageLimit")


class SubscriptionTierOption(SubscriptionTierBase):
    """A tier as offered by ``/v2/registries/options``, with whether the account may switch to it."""

    eligible: bool | None = None
    eligibility_reasons: list[
        Annotated[str, open_enum("SubscriptionTier.eligibility_reasons", ELIGIBILITY_REASONS)]
    ] = []


class RegistryOptions(OceanModel):
    available_regions: list[str] = []
    subscription_tiers: list[SubscriptionTierOption] = []
