"""VPCs: one seeded default VPC per region, the account's own VPCs, private address allocation for
droplets, and members: the droplets in a VPC (asked through the droplets' link, which also lists a
destroyed droplet for ``vpc_member_lag_s`` after it is gone), and members of kinds the emulator does not
run (load balancers, Kubernetes clusters, databases, ...) added through the control API
(:meth:`Vpcs.add_member`), optionally leaving after a while.

State slices: ``vpcs`` (by id) and ``vpc_members`` (the added members, by VPC id). A VPC with members or
peerings cannot be deleted: ``vpc_delete_refusal_status`` (403 as the spec says, or 409 as the live API
answers).
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from typing import Any

from ocean.emulator import catalogue
from ocean.emulator.core import Json, JsonList, iso, public
from ocean.emulator.errors import EmulatorError, conflict, forbidden, not_found, unprocessable
from ocean.emulator.services.base import Service

VPC_NAME_RE = re.compile(r"^[a-zA-Z0-9\-.]+$")
#: The spec's ``ip_range``: "It may not be smaller than ``/28`` nor larger than ``/16``."
PREFIX_MIN, PREFIX_MAX = 16, 28
#: The member URNs the spec knows (``urn-2``); droplets are created through the API instead.
MEMBER_KINDS = ("dbaas", "domain", "floatingip", "loadbalancer", "space", "volume", "kubernetes", "vpc")
MEMBER_URN_RE = re.compile(rf"^do:({'|'.join(MEMBER_KINDS)}):[^\s]{{1,128}}$")
MEMBER_NAME_MAX = 255


class Vpcs(Service):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.core.on_due("vpc_member_left", self._on_member_left)

    def seed(self, doc: Json, now: float) -> None:
        doc["vpc_members"] = {}
        vpcs: Json = {}
        for slug, ip_range in catalogue.DEFAULT_VPC_RANGES.items():
            vpc_id = catalogue.DEFAULT_VPC_IDS.get(slug) or str(uuid.uuid5(uuid.NAMESPACE_URL, f"vpc/{slug}"))
            vpcs[vpc_id] = {
                "id": vpc_id,
                "urn": f"do:vpc:{vpc_id}",
                "name": f"default-{slug}",
                "description": "",
                "region": slug,
                "ip_range": ip_range,
                "default": True,
                "created_at": iso(now),
                "_next_host": 2,
            }
        doc["vpcs"] = vpcs

    @property
    def _vpcs(self) -> Json:
        return self.slice("vpcs")

    # ------------------------------------------------------------------ link

    def record(self, vpc_id: str) -> Json | None:
        vpc: Json | None = self._vpcs.get(str(vpc_id))
        return vpc

    def require(self, vpc_id: str) -> Json:
        vpc = self.record(vpc_id)
        if vpc is None:
            raise not_found()
        return vpc

    def default_for(self, region: str) -> Json:
        for vpc in self._vpcs.values():
            if vpc["region"] == region and vpc["default"]:
                return vpc  # type: ignore[no-any-return]
        raise unprocessable(f"no default VPC in region {region}")  # pragma: no cover - seeded

    def allocate_private_ip(self, vpc_id: str) -> tuple[str, str]:
        vpc = self.require(vpc_id)
        network = ipaddress.ip_network(vpc["ip_range"])
        host = int(vpc.get("_next_host", 2))
        vpc["_next_host"] = host + 1
        self.core.touch()
        # Hosts 2 .. broadcast-1; a small range (a /28 has 13) wraps around rather than overflowing.
        usable = max(1, network.num_addresses - 3)
        return str(network.network_address + 2 + (host - 2) % usable), str(network.netmask)

    # ------------------------------------------------------------------ the API

    def _check_name(self, name: Any, exclude: str | None = None) -> str:
        if not isinstance(name, str) or not name or len(name) > 255 or not VPC_NAME_RE.match(name):
            raise unprocessable("name must be letters, numbers, dashes and dots")
        for vpc in self._vpcs.values():
            if vpc["name"] == name and vpc["id"] != exclude:
                raise unprocessable(f"A VPC with the name {name!r} already exists.")
        return name

    def _free_ip_range(self) -> str:
        taken = [ipaddress.ip_network(v["ip_range"]) for v in self._vpcs.values()]
        for second in range(128, 256):
            for third in range(0, 256, 16):
                candidate = ipaddress.ip_network(f"10.{second}.{third}.0/20")
                if not any(candidate.overlaps(t) for t in taken):
                    return str(candidate)
        raise unprocessable("no free ip_range left")  # pragma: no cover

    def create(self, body: Json) -> Json:
        with self.core.tx():
            name = self._check_name(body.get("name"))
            region = body.get("region")
            if region not in catalogue.REGIONS:
                raise unprocessable("You specified an invalid region for the VPC.")
            description = body.get("description", "")
            if not isinstance(description, str) or len(description) > 255:
                raise unprocessable("description must be a string of at most 255 characters")
            ip_range = body.get("ip_range")
            if ip_range is None:
                ip_range = self._free_ip_range()
            else:
                try:
                    network = ipaddress.ip_network(str(ip_range))
                except ValueError as exc:
                    raise unprocessable(f"ip_range {ip_range!r} is not a valid CIDR block") from exc
                if (
                    network.version != 4
                    or not network.is_private
                    or not PREFIX_MIN <= network.prefixlen <= PREFIX_MAX
                ):
                    raise unprocessable(
                        "ip_range must be a private IPv4 block (RFC 1918) "
                        f"from /{PREFIX_MIN} to /{PREFIX_MAX}"
                    )
                for other in self._vpcs.values():
                    if network.overlaps(ipaddress.ip_network(other["ip_range"])):
                        raise unprocessable(f"ip_range {ip_range} overlaps the VPC {other['name']}.")
                ip_range = str(network)
            vpc_id = str(uuid.uuid4())
            self._vpcs[vpc_id] = {
                "id": vpc_id,
                "urn": f"do:vpc:{vpc_id}",
                "name": name,
                "description": description,
                "region": region,
                "ip_range": ip_range,
                "default": False,
                "created_at": iso(self.core.now()),
                "_next_host": 2,
            }
            self.core.touch()
            return public(self._vpcs[vpc_id])

    def list(self) -> JsonList:
        with self.core.tx():
            return [public(v) for v in self._vpcs.values()]

    def get(self, vpc_id: str) -> Json:
        with self.core.tx():
            return public(self.require(vpc_id))

    def update(self, vpc_id: str, body: Json, partial: bool) -> Json:
        with self.core.tx():
            vpc = self.require(vpc_id)
            if not partial and "name" not in body:
                raise unprocessable("name is required")
            if "name" in body:
                name = self._check_name(body["name"], exclude=vpc["id"])
            if "description" in body and not isinstance(body["description"], str):
                raise unprocessable("description must be a string")
            if "default" in body and not isinstance(body["default"], bool):
                raise unprocessable("default must be a boolean")
            if body.get("default") is False and vpc["default"]:
                raise unprocessable("A region must keep a default VPC: make another VPC the default instead.")
            if "name" in body:
                vpc["name"] = name
            if "description" in body:
                vpc["description"] = body["description"]
            if body.get("default") is True:
                for other in self._vpcs.values():
                    if other["region"] == vpc["region"]:
                        other["default"] = False
                vpc["default"] = True
            self.core.touch()
            return public(vpc)

    def _all_members(self, vpc_id: str) -> JsonList:
        added = [public(m) for m in self.slice("vpc_members").get(vpc_id, [])]
        return [*self.links.droplets.members_of_vpc(vpc_id), *added]

    def members(self, vpc_id: str, resource_type: str | None = None) -> JsonList:
        with self.core.tx():
            vpc = self.require(vpc_id)
            members = self._all_members(vpc["id"])
            if resource_type is not None:
                members = [m for m in members if m["urn"].split(":")[1] == resource_type]
            return members

    def add_member(self, vpc_id: str, body: Json) -> Json:
        """Put a resource of a kind the emulator does not run into a VPC (control API): ``{"urn":
        "do:loadbalancer:…", "name": "lb-1", "leaves_after_s": 30}``. It is listed as a member and keeps
        the VPC from being deleted until it leaves (``leaves_after_s`` emulated seconds from now; never
        without it)."""
        with self.core.tx():
            vpc = self.require(vpc_id)
            urn, name, leaves = body.get("urn"), body.get("name"), body.get("leaves_after_s")
            if not isinstance(urn, str) or not MEMBER_URN_RE.match(urn):
                raise unprocessable(
                    "urn must be a member URN such as do:loadbalancer:<id> (kinds: "
                    f"{', '.join(MEMBER_KINDS)}); create droplets through /v2/droplets"
                )
            if not isinstance(name, str) or not 0 < len(name) <= MEMBER_NAME_MAX:
                raise unprocessable(f"name must be a string of 1 to {MEMBER_NAME_MAX} characters")
            if leaves is not None and (
                not isinstance(leaves, (int, float)) or isinstance(leaves, bool) or not 0 <= leaves <= 1e7
            ):
                raise unprocessable("leaves_after_s must be a number of seconds from 0 to 10000000")
            members = self.slice("vpc_members").setdefault(vpc["id"], [])
            if any(m["urn"] == urn for m in members):
                raise unprocessable(f"{urn} is already a member of this VPC")
            member = {"urn": urn, "name": name, "created_at": iso(self.core.now())}
            members.append(member)
            if leaves is not None:
                self.core.schedule(float(leaves), "vpc_member_left", f"{vpc['id']} {urn}")
            self.core.touch()
            return dict(member)

    def _on_member_left(self, ref: str, due: float) -> None:
        vpc_id, _, urn = ref.partition(" ")
        members = self.slice("vpc_members").get(vpc_id, [])
        members[:] = [m for m in members if m["urn"] != urn]

    def _refuse(self, message: str) -> EmulatorError:
        if self.config.vpc_delete_refusal_status == 409:
            return conflict(message)
        return forbidden(message)

    def delete(self, vpc_id: str) -> None:
        with self.core.tx():
            vpc = self.require(vpc_id)
            if vpc["default"]:
                raise forbidden("Can not delete the default VPC of a region.")
            if self._all_members(vpc["id"]):
                raise self._refuse("Can not delete VPC with members")
            if self.links.peerings.involves(vpc["id"]):
                raise self._refuse("Can not delete VPC with VPC peerings")
            del self._vpcs[vpc["id"]]
            self.slice("vpc_members").pop(vpc["id"], None)
            self.core.touch()
