"""A container registry."""

from __future__ import annotations

from pydantic import AwareDatetime

from ._base import OceanModel
from .subscription import Subscription


class Registry(OceanModel):
    """A container registry: its name (the path segment of ``registry.digitalocean.com/<name>``)."""

    name: str
    created_at: AwareDatetime | None = None
    region: str | None = None
    storage_usage_bytes: int | None = None
    storage_usage_bytes_updated_at: AwareDatetime | None = None
    subscription: Subscription | None = None
