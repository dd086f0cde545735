"""A member of a VPC: a droplet, load balancer, Kubernetes cluster or database in it."""

from __future__ import annotations

from ._base import OceanModel


class VpcMember(OceanModel):
    """One resource in a VPC, named by its URN (``do:droplet:123``, ``do:loadbalancer:<uuid>``)."""

    urn: str
    name: str = ""
    created_at: str | None = None

    @property
    def kind(self) -> str:
        """The resource type in the URN: ``droplet``, ``loadbalancer``, ``kubernetes``, ``dbaas``…"""
        parts = self.urn.split(":")
        return parts[1] if len(parts) >= 3 else "resource"

    @property
    def resource_id(self) -> str:
        return self.urn.split(":", 2)[-1]
