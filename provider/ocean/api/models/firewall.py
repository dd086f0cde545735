"""A cloud firewall and its pending changes."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime

from ._base import OceanModel, open_enum
from .firewall_rule import FirewallInboundRule, FirewallOutboundRule

FIREWALL_STATUSES = ("waiting", "succeeded", "failed")


class FirewallPendingChange(OceanModel):
    """A droplet the firewall is still being applied to (or removed from)."""

    droplet_id: int | None = None
    removing: bool | None = None
    status: str | None = None


class Firewall(OceanModel):
    """A firewall. It has settled when ``status`` is ``succeeded`` and ``pending_changes`` is empty."""

    id: str
    name: str = ""
    status: Annotated[str, open_enum("Firewall.status", FIREWALL_STATUSES)] | None = None
    created_at: AwareDatetime | None = None
    pending_changes: list[FirewallPendingChange] = []
    droplet_ids: list[int] | None = None
    tags: list[str] | None = None
    inbound_rules: list[FirewallInboundRule] | None = None
    outbound_rules: list[FirewallOutboundRule] | None = None

    @property
    def settled(self) -> bool:
        return self.status == "succeeded" and not self.pending_changes
