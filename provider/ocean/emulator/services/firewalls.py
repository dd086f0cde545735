"""Cloud firewalls: rules with their sources and destinations, droplets named by id or by tag, and
``pending_changes`` that settle ``firewall_settle_s`` after the latest change.

State slice: ``firewalls`` (by id). Droplets and tags are asked through their links; a droplet that is gone
leaves every firewall (:data:`DROPLET_GONE`), a deleted tag leaves every firewall (:data:`TAG_DELETED`).
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from copy import deepcopy
from typing import Any

from ocean.emulator.core import IdList, Json, JsonList, iso, public
from ocean.emulator.errors import bad_request, not_found, unprocessable
from ocean.emulator.services.base import DROPLET_GONE, TAG_DELETED, Service

FIREWALL_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9.\-]+$")
PORTS_RE = re.compile(r"^(all|0|\d{1,5}(-\d{1,5})?)$")
TARGET_KEYS = ("addresses", "droplet_ids", "load_balancer_uids", "kubernetes_ids", "tags")


class Firewalls(Service):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.core.on_due("firewall_settle", self._on_settle)
        self.core.subscribe(DROPLET_GONE, self._forget_droplet)
        self.core.subscribe(TAG_DELETED, self._forget_tag)

    def seed(self, doc: Json, now: float) -> None:
        doc["firewalls"] = {}

    @property
    def _firewalls(self) -> Json:
        return self.slice("firewalls")

    # ------------------------------------------------------------------ cross-service events

    def _forget_droplet(self, droplet_id: int) -> None:
        for fw in self._firewalls.values():
            if droplet_id in fw["droplet_ids"]:
                fw["droplet_ids"].remove(droplet_id)

    def _forget_tag(self, key: str) -> None:
        for fw in self._firewalls.values():
            fw["tags"] = [t for t in fw["tags"] if t.lower() != key]

    # ------------------------------------------------------------------ validation

    def _firewall(self, firewall_id: str) -> Json:
        fw = self._firewalls.get(str(firewall_id))
        if fw is None:
            raise not_found()
        return fw  # type: ignore[no-any-return]

    def _check_droplet_ids(self, ids: Any) -> IdList:
        if ids is None:
            return []
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise unprocessable("droplet_ids must be a list of integers")
        missing = [i for i in ids if not self.links.droplets.exists(i)]
        if missing:
            raise unprocessable(f"droplet_ids: Droplet(s) {', '.join(map(str, missing))} could not be found.")
        return list(dict.fromkeys(ids))

    def _check_tags(self, tags: Any) -> list[str]:
        if tags is None:
            return []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise unprocessable("tags must be a list of tag names")
        return [self.links.tags.ensure(t) for t in tags]

    def _check_rules(self, rules: Any, direction: str) -> JsonList:
        if rules is None:
            return []
        side = "sources" if direction == "inbound" else "destinations"
        if not isinstance(rules, list):
            raise unprocessable(f"{direction}_rules must be a list")
        out = []
        for rule in rules:
            if not isinstance(rule, dict):
                raise unprocessable(f"{direction}_rules entries must be objects")
            protocol = rule.get("protocol")
            if protocol not in ("tcp", "udp", "icmp"):
                raise unprocessable(f"{direction}_rules: protocol must be tcp, udp or icmp")
            ports = rule.get("ports", "0" if protocol == "icmp" else None)
            if protocol != "icmp":
                if not isinstance(ports, str) or not PORTS_RE.match(ports):
                    raise unprocessable(
                        f"{direction}_rules: ports must be a port, a range like 8000-9000, or all"
                    )
                for bound in re.findall(r"\d+", ports):
                    if int(bound) > 65535:
                        raise unprocessable(f"{direction}_rules: port {bound} is out of range")
                if ports == "all":
                    ports = "0"
            target = rule.get(side)
            if not isinstance(target, dict):
                raise unprocessable(f"{direction}_rules: {side} is required")
            if not any(target.get(k) for k in TARGET_KEYS):
                raise unprocessable(
                    f"{direction}_rules: {side} must name at least one address, droplet or tag"
                )
            clean: Json = {}
            for key in TARGET_KEYS:
                if target.get(key):
                    value = target[key]
                    if not isinstance(value, list):
                        raise unprocessable(f"{direction}_rules: {side}.{key} must be a list")
                    if key == "addresses":
                        for address in value:
                            try:
                                ipaddress.ip_network(str(address), strict=False)
                            except ValueError as exc:
                                raise unprocessable(f"{address!r} is not a valid address or CIDR") from exc
                    if key == "droplet_ids":
                        value = self._check_droplet_ids(value)
                    if key == "tags":
                        value = self._check_tags(value)
                    clean[key] = list(value)
            out.append({"protocol": protocol, "ports": str(ports), side: clean})
        return out

    def _fields(self, body: Json) -> Json:
        name = body.get("name")
        if not isinstance(name, str) or len(name) > 255 or not FIREWALL_NAME_RE.match(name):
            raise unprocessable("name must start with a letter or number and use letters, numbers, . and -")
        inbound = self._check_rules(body.get("inbound_rules"), "inbound")
        outbound = self._check_rules(body.get("outbound_rules"), "outbound")
        if not inbound and not outbound:
            raise unprocessable("At least one inbound or outbound rule is required.")
        return {
            "name": name,
            "inbound_rules": inbound,
            "outbound_rules": outbound,
            "droplet_ids": self._check_droplet_ids(body.get("droplet_ids")),
            "tags": self._check_tags(body.get("tags")),
        }

    # ------------------------------------------------------------------ lifecycle

    def _droplets(self, fw: Json) -> IdList:
        """The droplets a firewall applies to: named by id, or carrying one of its tags."""
        tagged = self.links.droplets.tagged({t.lower() for t in fw["tags"]})
        return sorted(set(fw["droplet_ids"]) | tagged)

    def _changed(self, fw: Json, removed: list[int] | None = None) -> None:
        fw["status"] = "waiting"
        fw["_pending"] = [
            {"droplet_id": i, "removing": False, "status": "waiting"} for i in self._droplets(fw)
        ] + [{"droplet_id": i, "removing": True, "status": "waiting"} for i in removed or []]
        self.core.schedule(self.config.firewall_settle_s, "firewall_settle", fw["id"])

    def _on_settle(self, ref: str, due: float) -> None:
        fw = self._firewalls.get(ref)
        # Only the latest change settles the firewall.
        if fw is None or self.core.scheduled("firewall_settle", ref):
            return
        fw["status"] = "succeeded"
        fw["_pending"] = []

    def _out(self, fw: Json) -> Json:
        out = public(fw)
        out["pending_changes"] = deepcopy(fw["_pending"])
        out["droplet_ids"] = list(fw["droplet_ids"])
        out["tags"] = list(fw["tags"])
        return out

    # ------------------------------------------------------------------ the API

    def create(self, body: Json) -> Json:
        with self.core.tx():
            fields = self._fields(body)
            fw_id = str(uuid.uuid4())
            fw: Json = {"id": fw_id, "status": "waiting", "created_at": iso(self.core.now()), **fields}
            fw["_pending"] = []
            self._firewalls[fw_id] = fw
            self._changed(fw)
            self.core.settle()
            return self._out(fw)

    def list(self, droplet_id: int | None = None) -> JsonList:
        with self.core.tx():
            if droplet_id is not None:
                self.links.droplets.require(droplet_id)
            return [
                self._out(f)
                for f in self._firewalls.values()
                if droplet_id is None or droplet_id in self._droplets(f)
            ]

    def get(self, firewall_id: str) -> Json:
        with self.core.tx():
            return self._out(self._firewall(firewall_id))

    def replace(self, firewall_id: str, body: Json) -> Json:
        with self.core.tx():
            fw = self._firewall(firewall_id)
            before = set(self._droplets(fw))
            fw.update(self._fields(body))
            self._changed(fw, sorted(before - set(self._droplets(fw))))
            self.core.settle()
            return self._out(fw)

    def delete(self, firewall_id: str) -> None:
        with self.core.tx():
            self._firewall(firewall_id)
            del self._firewalls[str(firewall_id)]
            self.core.touch()

    def droplets(self, firewall_id: str, droplet_ids: Any, add: bool) -> None:
        with self.core.tx():
            fw = self._firewall(firewall_id)
            if not isinstance(droplet_ids, list) or not droplet_ids:
                raise bad_request("droplet_ids is required")
            ids = self._check_droplet_ids(droplet_ids)
            before = set(self._droplets(fw))
            if add:
                fw["droplet_ids"] = list(dict.fromkeys(fw["droplet_ids"] + ids))
            else:
                fw["droplet_ids"] = [i for i in fw["droplet_ids"] if i not in ids]
            self._changed(fw, sorted(before - set(self._droplets(fw))))

    def tags(self, firewall_id: str, tags: Any, add: bool) -> None:
        with self.core.tx():
            fw = self._firewall(firewall_id)
            if not isinstance(tags, list) or not tags:
                raise bad_request("tags is required")
            before = set(self._droplets(fw))
            if add:
                names = self._check_tags(tags)
                current = {t.lower() for t in fw["tags"]}
                fw["tags"] = fw["tags"] + [t for t in names if t.lower() not in current]
            else:
                drop = {str(t).lower() for t in tags}
                fw["tags"] = [t for t in fw["tags"] if t.lower() not in drop]
            self._changed(fw, sorted(before - set(self._droplets(fw))))

    def rules(self, firewall_id: str, body: Json, add: bool) -> None:
        with self.core.tx():
            fw = self._firewall(firewall_id)
            inbound = self._check_rules(body.get("inbound_rules"), "inbound")
            outbound = self._check_rules(body.get("outbound_rules"), "outbound")
            if not inbound and not outbound:
                raise bad_request("inbound_rules or outbound_rules is required")
            if add:
                fw["inbound_rules"] += [r for r in inbound if r not in fw["inbound_rules"]]
                fw["outbound_rules"] += [r for r in outbound if r not in fw["outbound_rules"]]
            else:
                fw["inbound_rules"] = [r for r in fw["inbound_rules"] if r not in inbound]
                fw["outbound_rules"] = [r for r in fw["outbound_rules"] if r not in outbound]
            self._changed(fw)
