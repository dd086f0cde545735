"""A fake DigitalOcean for VPC and VPC peering logic, on the fake clock of `fakes.py`.

It does what the emulator cannot do (yet): peerings that stay PROVISIONING, go to an error state or
vanish; VPC members that DigitalOcean still lists after they answer 404; 409 instead of 403 on a VPC
with members. Returned objects are the real `ocean.api.models`.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from ocean.api import errors
from ocean.api.models import Droplet, Vpc, VpcMember, VpcPeering
from tests.resources.fakes import FakeClock

CREATED_AT = "2026-11-26T00:00:00Z"


def _error(cls: type[errors.ApiError], status: int, message: str, method: str, path: str) -> Any:
    return cls(status=status, error_id="x", message=message, request_id="fake", method=method, path=path)


@dataclass
class FakeMember:
    urn: str
    name: str
    leaves_at: float | None = None  # when DigitalOcean stops listing it
    deleted: bool = False  # its own GET answers 404 already


@dataclass
class FakePeering:
    id: str
    name: str
    vpc_ids: list[str]
    created: float
    # What it becomes after `provision_s`: "ACTIVE", another status, "vanish" (404), or None (stays).
    outcome: str | None = "ACTIVE"
    provision_s: float = 10.0
    deleting_since: float | None = None
    delete_s: float = 5.0
    delete_outcome: str | None = None  # a status it goes to while DELETING, instead of going away
    patched_name: str | None = None


@dataclass
class FakeNetworking:
    clock: FakeClock
    vpcs: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, list[FakeMember]] = field(default_factory=dict)
    peerings: dict[str, FakePeering] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    refusal_status: int = 403
    peering_outcome: str | None = "ACTIVE"
    peering_provision_s: float = 10.0
    fail_patch: bool = False
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.api = SimpleNamespace(
            vpcs=SimpleNamespace(
                create=self.create_vpc,
                get=self.get_vpc,
                patch=self.patch_vpc,
                delete=self.delete_vpc,
                list=self.list_vpcs,
                members=self.list_members,
                peerings=self.list_vpc_peerings,
            ),
            vpc_peerings=SimpleNamespace(
                create=self.create_peering,
                get=self.get_peering,
                patch=self.patch_peering,
                delete=self.delete_peering,
                list=self.list_peerings,
            ),
            droplets=SimpleNamespace(get=self.get_droplet),
        )

    # ----------------------------------------------------------------------------------------- VPCs

    def add_vpc(self, name: str, region: str = "nyc3", *, default: bool = False, ip_range: str = "") -> str:
        vpc_id = str(uuid.uuid4())
        self.vpcs[vpc_id] = {
            "id": vpc_id,
            "urn": f"do:vpc:{vpc_id}",
            "name": name,
            "region": region,
            "ip_range": ip_range or f"10.{100 + next(self._ids)}.0.0/20",
            "description": "",
            "default": default,
            "created_at": CREATED_AT,
        }
        self.members[vpc_id] = []
        return vpc_id

    def _vpc(self, vpc_id: str, method: str) -> dict[str, Any]:
        if vpc_id not in self.vpcs:
            raise _error(
                errors.NotFound, 404, "The resource you requested could not be found.", method, "/v2/vpcs"
            )
        return self.vpcs[vpc_id]

    def _live_members(self, vpc_id: str) -> list[FakeMember]:
        now = self.clock()
        return [m for m in self.members.get(vpc_id, []) if m.leaves_at is None or now < m.leaves_at]

    def _vpc_peerings(self, vpc_id: str) -> list[FakePeering]:
        return [p for p in self.peerings.values() if vpc_id in p.vpc_ids and not self._peering_gone(p)]

    async def create_vpc(self, body: dict[str, Any]) -> Vpc:
        self.log.append("POST vpc")
        vpc_id = self.add_vpc(body["name"], body["region"], ip_range=body.get("ip_range", ""))
        self.vpcs[vpc_id]["description"] = body.get("description", "")
        return Vpc.model_validate(self.vpcs[vpc_id])

    async def get_vpc(self, vpc_id: str) -> Vpc:
        self.log.append("GET vpc")
        return Vpc.model_validate(self._vpc(vpc_id, "GET"))

    async def patch_vpc(self, vpc_id: str, body: dict[str, Any]) -> Vpc:
        self.log.append(f"PATCH vpc {sorted(body)}")
        vpc = self._vpc(vpc_id, "PATCH")
        if self.fail_patch:
            raise _error(errors.ServerError, 500, "Server Error", "PATCH", "/v2/vpcs")
        if body.get("default") is True:
            for other in self.vpcs.values():
                if other["region"] == vpc["region"]:
                    other["default"] = False
        vpc.update(body)
        return Vpc.model_validate(vpc)

    async def delete_vpc(self, vpc_id: str) -> None:
        self.log.append("DELETE vpc")
        vpc = self._vpc(vpc_id, "DELETE")
        if vpc["default"]:
            raise _error(
                errors.Forbidden, 403, "Can not delete the default VPC of a region.", "DELETE", "/v2/vpcs"
            )
        if self._live_members(vpc_id) or self._vpc_peerings(vpc_id):
            cls = errors.Conflict if self.refusal_status == 409 else errors.Forbidden
            raise _error(cls, self.refusal_status, "Can not delete VPC with members", "DELETE", "/v2/vpcs")
        del self.vpcs[vpc_id]

    async def list_vpcs(self) -> AsyncIterator[Vpc]:
        self.log.append("GET vpcs")
        for vpc in list(self.vpcs.values()):
            yield Vpc.model_validate(vpc)

    async def list_members(self, vpc_id: str, resource_type: str | None = None) -> AsyncIterator[VpcMember]:
        self.log.append("GET members")
        self._vpc(vpc_id, "GET")
        for m in self._live_members(vpc_id):
            yield VpcMember.model_validate({"urn": m.urn, "name": m.name, "created_at": CREATED_AT})

    async def list_vpc_peerings(self, vpc_id: str) -> AsyncIterator[VpcPeering]:
        self.log.append("GET vpc peerings")
        self._vpc(vpc_id, "GET")
        for p in self._vpc_peerings(vpc_id):
            yield self._peering_model(p)

    async def get_droplet(self, droplet_id: int) -> Droplet:
        self.log.append("GET droplet")
        for members in self.members.values():
            for m in members:
                if m.urn == f"do:droplet:{droplet_id}" and not m.deleted:
                    return Droplet.model_validate({"id": droplet_id, "name": m.name, "status": "active"})
        raise _error(errors.NotFound, 404, "not found", "GET", f"/v2/droplets/{droplet_id}")

    # ------------------------------------------------------------------------------------- peerings

    def _status(self, p: FakePeering) -> str | None:
        """None: gone."""
        now = self.clock()
        if p.deleting_since is not None:
            if now >= p.deleting_since + p.delete_s:
                return p.delete_outcome
            return "DELETING"
        if now < p.created + p.provision_s or p.outcome is None:
            return "PROVISIONING"
        return None if p.outcome == "vanish" else p.outcome

    def _peering_gone(self, p: FakePeering) -> bool:
        return self._status(p) is None

    def _peering_model(self, p: FakePeering) -> VpcPeering:
        return VpcPeering.model_validate(
            {
                "id": p.id,
                "name": p.patched_name or p.name,
                "vpc_ids": p.vpc_ids,
                "status": self._status(p),
                "created_at": CREATED_AT,
            }
        )

    def _peering(self, peering_id: str, method: str) -> FakePeering:
        p = self.peerings.get(peering_id)
        if p is None or self._peering_gone(p):
            raise _error(errors.NotFound, 404, "not found", method, f"/v2/vpc_peerings/{peering_id}")
        return p

    async def create_peering(self, name: str, vpc_ids: list[str]) -> VpcPeering:
        self.log.append("POST peering")
        p = FakePeering(
            str(uuid.uuid4()),
            name,
            list(vpc_ids),
            self.clock(),
            outcome=self.peering_outcome,
            provision_s=self.peering_provision_s,
        )
        self.peerings[p.id] = p
        return self._peering_model(p)

    async def get_peering(self, peering_id: str) -> VpcPeering:
        self.log.append("GET peering")
        return self._peering_model(self._peering(peering_id, "GET"))

    async def patch_peering(self, peering_id: str, name: str) -> VpcPeering:
        self.log.append("PATCH peering")
        p = self._peering(peering_id, "PATCH")
        p.patched_name = name
        return self._peering_model(p)

    async def delete_peering(self, peering_id: str) -> VpcPeering:
        self.log.append("DELETE peering")
        p = self._peering(peering_id, "DELETE")
        if p.deleting_since is None:
            p.deleting_since = self.clock()
        return self._peering_model(p)

    async def list_peerings(self) -> AsyncIterator[VpcPeering]:
        self.log.append("GET peerings")
        for p in list(self.peerings.values()):
            if not self._peering_gone(p):
                yield self._peering_model(p)
