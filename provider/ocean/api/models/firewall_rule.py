"""Inbound and outbound firewall rules."""

from __future__ import annotations

from typing import Annotated

from ._base import OceanModel, open_enum
from .firewall_rule_target import FirewallRuleTarget

FIREWALL_PROTOCOLS = ("tcp", "udp", "icmp")
Protocol = Annotated[str, open_enum("FirewallRule.protocol", FIREWALL_PROTOCOLS)]


class FirewallInboundRule(OceanModel):
    """Traffic allowed in: ``protocol``, ``ports`` (``"22"``, ``"8000-9000"``, ``"0"`` or ``"all"``)."""

    protocol: Protocol
    ports: str = ""
    sources: FirewallRuleTarget


class FirewallOutboundRule(OceanModel):
    """Traffic allowed out: ``protocol``, ``ports`` and ``destinations``."""

    protocol: Protocol
    ports: str = ""
    destinations: FirewallRuleTarget
