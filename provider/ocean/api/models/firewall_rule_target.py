"""The sources or destinations of a firewall rule."""

from __future__ import annotations

from ._base import OceanModel


class FirewallRuleTarget(OceanModel):
    """Addresses, droplets, load balancers, Kubernetes clusters and tags a rule applies to."""

    addresses: list[str] | None = None
    droplet_ids: list[int] | None = None
    load_balancer_uids: list[str] | None = None
    kubernetes_ids: list[str] | None = None
    tags: list[str] | None = None
