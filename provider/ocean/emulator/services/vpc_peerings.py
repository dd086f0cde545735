"""VPC peerings: ``PROVISIONING`` → ``ACTIVE`` after ``vpc_peering_create_s``; a delete answers
``DELETING`` and the peering is gone after ``vpc_peering_delete_s``. A ``vpc_peering_status`` fault sends
the next peering whose provisioning (or deletion) time is up to another status instead: an error state,
or ``PROVISIONING`` (``DELETING``) to keep it there. A peering in any status can be deleted.

State slice: ``peerings`` (by id). The VPCs are asked through their link.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from typing import Any

from ocean.emulator.core import Json, JsonList, iso
from ocean.emulator.errors import not_found, unprocessable
from ocean.emulator.services.base import Service

PEERING_NAME_RE = re.compile(r"^[a-zA-Z0-9\-]+$")


class VpcPeerings(Service):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.core.on_due("peering_active", self._on_active)
        self.core.on_due("peering_gone", self._on_gone)

    def seed(self, doc: Json, now: float) -> None:
        doc["peerings"] = {}

    @property
    def _peerings(self) -> Json:
        return self.slice("peerings")

    # ------------------------------------------------------------------ link

    def involves(self, vpc_id: str) -> bool:
        return any(vpc_id in p["vpc_ids"] for p in self._peerings.values())

    # ------------------------------------------------------------------ lifecycle

    def _on_active(self, ref: str, due: float) -> None:
        peering = self._peerings.get(ref)
        if peering is not None and peering["status"] == "PROVISIONING":
            peering["status"] = self.core.faults.take_peering_status("provisioning") or "ACTIVE"

    def _on_gone(self, ref: str, due: float) -> None:
        peering = self._peerings.get(ref)
        if peering is None or peering["status"] != "DELETING":
            return
        status = self.core.faults.take_peering_status("deleting")
        if status is None:
            del self._peerings[ref]
        else:
            peering["status"] = status

    # ------------------------------------------------------------------ the API

    def _peering(self, peering_id: str) -> Json:
        peering = self._peerings.get(str(peering_id))
        if peering is None:
            raise not_found()
        return peering  # type: ignore[no-any-return]

    def _check_name(self, name: Any, exclude: str | None = None) -> str:
        if not (isinstance(name, str) and 0 < len(name) <= 255 and PEERING_NAME_RE.match(name)):
            raise unprocessable("name must be letters, numbers and dashes")
        for peering in self._peerings.values():
            if peering["name"] == name and peering["id"] != exclude:
                raise unprocessable(f"A VPC peering with the name {name!r} already exists.")
        return name

    def create(self, body: Json) -> Json:
        with self.core.tx():
            name = self._check_name(body.get("name"))
            vpc_ids: Any = body.get("vpc_ids")
            two = isinstance(vpc_ids, list) and len(vpc_ids) == 2
            if not two or not all(isinstance(v, str) for v in vpc_ids):
                raise unprocessable("vpc_ids must list exactly two VPC ids")
            if vpc_ids[0] == vpc_ids[1]:
                raise unprocessable("A VPC can not be peered with itself.")
            vpcs = []
            for vpc_id in vpc_ids:
                vpc = self.links.vpcs.record(vpc_id)
                if vpc is None:
                    raise unprocessable(f"VPC {vpc_id} could not be found.")
                vpcs.append(vpc)
            if ipaddress.ip_network(vpcs[0]["ip_range"]).overlaps(ipaddress.ip_network(vpcs[1]["ip_range"])):
                raise unprocessable("The VPCs' ip ranges overlap.")
            for peering in self._peerings.values():
                if set(peering["vpc_ids"]) == set(vpc_ids):
                    raise unprocessable("These VPCs are already peered.")
            peering_id = str(uuid.uuid4())
            peering = self._peerings[peering_id] = {
                "id": peering_id,
                "name": name,
                "vpc_ids": list(vpc_ids),
                "created_at": iso(self.core.now()),
                "status": "PROVISIONING",
            }
            self.core.schedule(self.config.vpc_peering_create_s, "peering_active", peering_id)
            self.core.settle()
            return dict(peering)

    def create_from(self, vpc_id: str, body: Json) -> Json:
        """``POST /v2/vpcs/{vpc_id}/peerings``: peer ``vpc_id`` with ``body["vpc_id"]``."""
        with self.core.tx():
            self.links.vpcs.require(vpc_id)
            return self.create({"name": body.get("name"), "vpc_ids": [vpc_id, body.get("vpc_id")]})

    def list(self, vpc_id: str | None = None) -> JsonList:
        with self.core.tx():
            if vpc_id is not None:
                self.links.vpcs.require(vpc_id)
            return [dict(p) for p in self._peerings.values() if vpc_id is None or vpc_id in p["vpc_ids"]]

    def get(self, peering_id: str) -> Json:
        with self.core.tx():
            return dict(self._peering(peering_id))

    def rename(self, peering_id: str, body: Json) -> Json:
        with self.core.tx():
            peering = self._peering(peering_id)
            peering["name"] = self._check_name(body.get("name"), exclude=peering["id"])
            self.core.touch()
            return dict(peering)

    def rename_of(self, vpc_id: str, peering_id: str, body: Json) -> Json:
        """``PATCH /v2/vpcs/{vpc_id}/peerings/{id}``: only a peering of that VPC."""
        with self.core.tx():
            if vpc_id not in self._peering(peering_id)["vpc_ids"]:
                raise not_found()
            return self.rename(peering_id, body)

    def delete(self, peering_id: str) -> Json:
        with self.core.tx():
            peering = self._peering(peering_id)
            if peering["status"] != "DELETING":
                peering["status"] = "DELETING"
                self.core.schedule(self.config.vpc_peering_delete_s, "peering_gone", peering["id"])
            out = dict(peering)
            self.core.settle()
            return out
