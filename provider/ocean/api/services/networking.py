"""Firewalls, VPCs and VPC peerings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..models.firewall import Firewall
from ..models.vpc import Vpc
from ..models.vpc_member import VpcMember
from ..models.vpc_peering import VpcPeering
from ..pagination import Paginator
from ._base import Service, seg


def _rules(
    inbound: Sequence[dict[str, Any]] | None, outbound: Sequence[dict[str, Any]] | None
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if inbound:
        body["inbound_rules"] = list(inbound)
    if outbound:
        body["outbound_rules"] = list(outbound)
    if not body:
        raise ValueError("give at least one inbound or outbound rule")
    return body


class Firewalls(Service):
    """``/v2/firewalls``."""

    async def create(self, body: dict[str, Any]) -> Firewall:
        """Create a firewall (``name`` and at least one of ``inbound_rules`` / ``outbound_rules``)."""
        return await self._send("POST", "/v2/firewalls", "firewall", Firewall, body)

    async def get(self, firewall_id: str) -> Firewall:
        return await self._get(f"/v2/firewalls/{seg(firewall_id)}", "firewall", Firewall)

    def list(self) -> Paginator[Firewall]:
        return Paginator(self._t, "/v2/firewalls", "firewalls", Firewall)

    async def update(self, firewall_id: str, body: dict[str, Any]) -> Firewall:
        """Replace the firewall's whole configuration (``PUT``: name, rules, droplet_ids, tags)."""
        return await self._send("PUT", f"/v2/firewalls/{seg(firewall_id)}", "firewall", Firewall, body)

    async def delete(self, firewall_id: str) -> None:
        await self._t.request("DELETE", f"/v2/firewalls/{seg(firewall_id)}")

    async def add_droplets(self, firewall_id: str, droplet_ids: Sequence[int]) -> None:
        await self._t.request(
            "POST", f"/v2/firewalls/{seg(firewall_id)}/droplets", json={"droplet_ids": list(droplet_ids)}
        )

    async def remove_droplets(self, firewall_id: str, droplet_ids: Sequence[int]) -> None:
        await self._t.request(
            "DELETE", f"/v2/firewalls/{seg(firewall_id)}/droplets", json={"droplet_ids": list(droplet_ids)}
        )

    async def add_tags(self, firewall_id: str, tags: Sequence[str]) -> None:
        await self._t.request("POST", f"/v2/firewalls/{seg(firewall_id)}/tags", json={"tags": list(tags)})

    async def remove_tags(self, firewall_id: str, tags: Sequence[str]) -> None:
        await self._t.request("DELETE", f"/v2/firewalls/{seg(firewall_id)}/tags", json={"tags": list(tags)})

    async def add_rules(
        self,
        firewall_id: str,
        inbound_rules: Sequence[dict[str, Any]] | None = None,
        outbound_rules: Sequence[dict[str, Any]] | None = None,
    ) -> None:
        await self._t.request(
            "POST", f"/v2/firewalls/{seg(firewall_id)}/rules", json=_rules(inbound_rules, outbound_rules)
        )

    async def remove_rules(
        self,
        firewall_id: str,
        inbound_rules: Sequence[dict[str, Any]] | None = None,
        outbound_rules: Sequence[dict[str, Any]] | None = None,
    ) -> None:
        await self._t.request(
            "DELETE", f"/v2/firewalls/{seg(firewall_id)}/rules", json=_rules(inbound_rules, outbound_rules)
        )


class Vpcs(Service):
    """``/v2/vpcs``."""

    async def create(self, body: dict[str, Any]) -> Vpc:
        """Create a VPC (``name``, ``region``, optional ``description``, ``ip_range``)."""
        return await self._send("POST", "/v2/vpcs", "vpc", Vpc, body)

    async def get(self, vpc_id: str) -> Vpc:
        return await self._get(f"/v2/vpcs/{seg(vpc_id)}", "vpc", Vpc)

    def list(self) -> Paginator[Vpc]:
        return Paginator(self._t, "/v2/vpcs", "vpcs", Vpc)

    async def update(self, vpc_id: str, body: dict[str, Any]) -> Vpc:
        """``PUT``: ``name`` is required; ``description`` and ``default`` optional."""
        return await self._send("PUT", f"/v2/vpcs/{seg(vpc_id)}", "vpc", Vpc, body)

    async def patch(self, vpc_id: str, body: dict[str, Any]) -> Vpc:
        return await self._send("PATCH", f"/v2/vpcs/{seg(vpc_id)}", "vpc", Vpc, body)

    async def delete(self, vpc_id: str) -> None:
        """DigitalOcean refuses (403; 409 has been seen too) while the VPC has members or peerings, and
        always for a region's default VPC."""
        await self._t.request("DELETE", f"/v2/vpcs/{seg(vpc_id)}")

    def members(self, vpc_id: str, resource_type: str | None = None) -> Paginator[VpcMember]:
        """The resources in the VPC (``resource_type``: only ``droplet``, ``loadbalancer``, …)."""
        return Paginator(
            self._t, f"/v2/vpcs/{seg(vpc_id)}/members", "members", VpcMember, {"resource_type": resource_type}
        )

    def peerings(self, vpc_id: str) -> Paginator[VpcPeering]:
        """The peerings the VPC is part of."""
        return Paginator(self._t, f"/v2/vpcs/{seg(vpc_id)}/peerings", "peerings", VpcPeering)


class VpcPeerings(Service):
    """``/v2/vpc_peerings``."""

    async def create(self, name: str, vpc_ids: Sequence[str]) -> VpcPeering:
        return await self._send(
            "POST", "/v2/vpc_peerings", "vpc_peering", VpcPeering, {"name": name, "vpc_ids": list(vpc_ids)}
        )

    async def get(self, peering_id: str) -> VpcPeering:
        return await self._get(f"/v2/vpc_peerings/{seg(peering_id)}", "vpc_peering", VpcPeering)

    def list(self, region: str | None = None) -> Paginator[VpcPeering]:
        return Paginator(self._t, "/v2/vpc_peerings", "vpc_peerings", VpcPeering, {"region": region})

    async def patch(self, peering_id: str, name: str) -> VpcPeering:
        return await self._send(
            "PATCH", f"/v2/vpc_peerings/{seg(peering_id)}", "vpc_peering", VpcPeering, {"name": name}
        )

    async def delete(self, peering_id: str) -> VpcPeering | None:
        """Start deleting the peering (DigitalOcean answers 202 with it in ``DELETING``)."""
        data = await self._t.request("DELETE", f"/v2/vpc_peerings/{seg(peering_id)}")
        if isinstance(data, dict) and isinstance(data.get("vpc_peering"), dict):
            return VpcPeering.model_validate(data["vpc_peering"])
        return None
