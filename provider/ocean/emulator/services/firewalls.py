"""Cloud firewalls: rules with their sources and destinations, droplets named by id or by tag, and
``pending_changes`` that settle ``firewall_settle_s`` after the latest change.

State slice: ``firewalls`` (by id). Droplets and tags are asked through their links; a droplet that is gone
leaves every firewall (:data:`DROPLET_GONE`), a deleted tag leaves every firewall (:data:`TAG_DELETED`).

What DigitalOcean does to a firewall on write, and so does this service (clients that compare what they
sent with what they read back must cope with each):

- a host address loses its prefix (``10.0.0.1/32`` → ``10.0.0.1``, ``2001:db8::1/128`` → ``2001:db8::1``)
  and IPv6 is written compressed (``2001:0db8::/32`` → ``2001:db8::/32``);
- ``ports`` ``"all"`` and ``"1-65535"`` are answered as ``"0"``, and an icmp rule's ports always as ``"0"``
  (the spec's ``firewall_rule_base.ports``);
- tag names are answered lower-cased (DigitalOcean's tags are case-insensitive);
- rules, and the addresses within a rule, come back in an order of the service's own (by protocol, ports
  and target; addresses by family and value), not in the order they were sent; duplicates are dropped.

Limits (docs.digitalocean.com/products/networking/firewalls/details/limits): 10 droplets and 5 tags per
firewall, 50 rules (inbound and outbound together), 1000 entries in one rule's sources or destinations;
beyond them a 422.

A ``{"firewall": "failed"}`` fault (:mod:`ocean.emulator.faults`) makes a change settle as ``failed`` with
its ``pending_changes`` entries marked ``failed``; the firewall stays so until its next change.
"""

from __future__ import annotations

import ipaddress
import json
import re
import uuid
from copy import deepcopy
from typing import Any

from ocean.emulator.core import IdList, Json, JsonList, iso, public
from ocean.emulator.errors import EmulatorError, bad_request, not_found, unprocessable
from ocean.emulator.services.base import DROPLET_GONE, TAG_DELETED, Service

FIREWALL_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9.\-]+$")
PORTS_RE = re.compile(r"^(all|0|\d{1,5}(-\d{1,5})?)$")
TARGET_KEYS = ("addresses", "droplet_ids", "load_balancer_uids", "kubernetes_ids", "tags")
#: Ports DigitalOcean answers as "0": every port of the protocol.
ALL_PORTS = ("all", "0", "1-65535")
PROTOCOL_ORDER = {"tcp": 0, "udp": 1, "icmp": 2}
MAX_DROPLETS = 10
MAX_TAGS = 5
MAX_RULES = 50
MAX_TARGETS_PER_RULE = 1000
#: A firewall change's outcome when no fault says otherwise.
SUCCEEDED = "succeeded"
FAILED = "failed"


def _ip(address: Any) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
    if not isinstance(address, str):
        raise unprocessable(f"{address!r} is not a valid address or CIDR")
    try:
        return ipaddress.ip_interface(address)
    except ValueError as exc:
        raise unprocessable(f"{address!r} is not a valid address or CIDR") from exc


def normal_address(address: Any) -> str:
    """An address or CIDR as DigitalOcean writes it back: a host without its prefix, IPv6 compressed.
    A CIDR with host bits set keeps them (only its spelling changes)."""
    ip = _ip(address)
    if ip.network.prefixlen == ip.max_prefixlen:
        return ip.ip.compressed
    return f"{ip.ip.compressed}/{ip.network.prefixlen}"


def _address_order(address: str) -> tuple[int, int, int]:
    ip = _ip(address)
    return ip.version, int(ip.ip), ip.network.prefixlen


def _rule_order(rule: Json) -> tuple[int, int, int, str]:
    # Tolerant: a state file from before rules were normalised may hold ports in any spelling.
    bounds = [int(b) for b in re.findall(r"\d+", str(rule.get("ports")))] or [0]
    target = json.dumps(rule.get("sources", rule.get("destinations")), sort_keys=True)
    return PROTOCOL_ORDER.get(str(rule.get("protocol")), 3), bounds[0], bounds[-1], target


def _unique_rules(rules: JsonList) -> JsonList:
    seen: dict[str, Json] = {}
    for rule in rules:
        seen.setdefault(json.dumps(rule, sort_keys=True), rule)
    return sorted(seen.values(), key=_rule_order)


def too_many(field: str, limit: int, what: str, hint: str = "") -> EmulatorError:
    return unprocessable(f"{field}: a firewall must have no more than {limit} {what}{hint}")


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

    def _check_droplet_ids(self, ids: Any, *, must_exist: bool = True) -> IdList:
        if ids is None:
            return []
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise unprocessable("droplet_ids must be a list of integers")
        missing = [i for i in ids if not self.links.droplets.exists(i)] if must_exist else []
        if missing:
            raise unprocessable(f"droplet_ids: Droplet(s) {', '.join(map(str, missing))} could not be found.")
        return list(dict.fromkeys(ids))

    def _check_tags(self, tags: Any, *, field: str = "tags", limit: int | None = None) -> list[str]:
        """Tag names, lower-cased and without duplicates; created when new (DigitalOcean wants existing
        tags, the emulator makes them). ``limit`` is checked before any tag is created."""
        if tags is None:
            return []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise unprocessable(f"{field} must be a list of tag names")
        first_spelled = {t.lower(): t for t in reversed(tags)}
        if limit is not None and len(first_spelled) > limit:
            raise too_many(field, limit, "tags", "; a tag reaches any number of droplets")
        return [
            self.links.tags.ensure(first_spelled[k]).lower() for k in dict.fromkeys(t.lower() for t in tags)
        ]

    def _check_ports(self, protocol: str, rule: Json, direction: str) -> str:
        if protocol == "icmp":
            return "0"  # the spec: "For ICMP rules this parameter will always return "0""
        ports = rule.get("ports")
        if not isinstance(ports, str) or not PORTS_RE.match(ports):
            raise unprocessable(f"{direction}_rules: ports must be a port, a range like 8000-9000, or all")
        for bound in re.findall(r"\d+", ports):
            if int(bound) > 65535:
                raise unprocessable(f"{direction}_rules: port {bound} is out of range")
        return "0" if ports in ALL_PORTS else ports

    def _check_target(self, target: Json, direction: str, side: str, *, adding: bool) -> Json:
        clean: Json = {}
        for key in TARGET_KEYS:
            value = target.get(key)
            if not value:
                continue
            if not isinstance(value, list):
                raise unprocessable(f"{direction}_rules: {side}.{key} must be a list")
            if key == "addresses":
                value = sorted(dict.fromkeys(normal_address(a) for a in value), key=_address_order)
            elif key == "droplet_ids":
                value = self._check_droplet_ids(value, must_exist=adding)
            elif key == "tags":
                if adding:
                    value = self._check_tags(value, field=f"{direction}_rules: {side}.tags")
                elif not all(isinstance(t, str) for t in value):
                    raise unprocessable(f"{direction}_rules: {side}.tags must be a list of tag names")
                else:
                    value = list(dict.fromkeys(t.lower() for t in value))
            elif not all(isinstance(v, str) for v in value):
                raise unprocessable(f"{direction}_rules: {side}.{key} must be a list of strings")
            else:
                value = list(dict.fromkeys(value))
            clean[key] = list(value)
        entries = sum(len(v) for v in clean.values())
        if entries > MAX_TARGETS_PER_RULE:
            raise unprocessable(
                f"{direction}_rules: {side} must have no more than {MAX_TARGETS_PER_RULE} entries "
                f"(this rule has {entries}); use tags or network ranges instead of single addresses"
            )
        return clean

    def _check_rules(self, rules: Any, direction: str, *, adding: bool = True) -> JsonList:
        """Rules as DigitalOcean stores them (see the module docstring). ``adding=False`` for rules named
        to be removed: they only have to match, so droplets need not exist and tags are not created."""
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
            ports = self._check_ports(protocol, rule, direction)
            target = rule.get(side)
            if not isinstance(target, dict):
                raise unprocessable(f"{direction}_rules: {side} is required")
            if not any(target.get(k) for k in TARGET_KEYS):
                raise unprocessable(
                    f"{direction}_rules: {side} must name at least one address, droplet or tag"
                )
            clean = self._check_target(target, direction, side, adding=adding)
            out.append({"protocol": protocol, "ports": ports, side: clean})
        return _unique_rules(out)

    @staticmethod
    def _check_rule_count(inbound: JsonList, outbound: JsonList) -> None:
        if len(inbound) + len(outbound) > MAX_RULES:
            raise too_many(
                "inbound_rules and outbound_rules", MAX_RULES, "rules", f" (it would have "
                f"{len(inbound)} inbound and {len(outbound)} outbound)"
            )  # fmt: skip

    @staticmethod
    def _check_droplet_count(ids: IdList) -> None:
        if len(ids) > MAX_DROPLETS:
            raise too_many(
                "droplet_ids", MAX_DROPLETS, "droplets", f" (it would have {len(ids)}); tag the droplets "
                "and add the tag to the firewall instead"
            )  # fmt: skip

    def _fields(self, body: Json) -> Json:
        name = body.get("name")
        if not isinstance(name, str) or len(name) > 255 or not FIREWALL_NAME_RE.match(name):
            raise unprocessable("name must start with a letter or number and use letters, numbers, . and -")
        inbound = self._check_rules(body.get("inbound_rules"), "inbound")
        outbound = self._check_rules(body.get("outbound_rules"), "outbound")
        if not inbound and not outbound:
            raise unprocessable("At least one inbound or outbound rule is required.")
        self._check_rule_count(inbound, outbound)
        droplet_ids = self._check_droplet_ids(body.get("droplet_ids"))
        self._check_droplet_count(droplet_ids)
        return {
            "name": name,
            "inbound_rules": inbound,
            "outbound_rules": outbound,
            "droplet_ids": droplet_ids,
            "tags": self._check_tags(body.get("tags"), limit=MAX_TAGS),
        }

    # ------------------------------------------------------------------ lifecycle

    def _droplets(self, fw: Json) -> IdList:
        """The droplets a firewall applies to: named by id, or carrying one of its tags."""
        tagged = self.links.droplets.tagged({t.lower() for t in fw["tags"]})
        return sorted(set(fw["droplet_ids"]) | tagged)

    def _changed(self, fw: Json, removed: list[int] | None = None) -> None:
        """A change DigitalOcean now applies to the firewall's droplets; how it ends is decided now (a
        ``firewall`` fault), so the latest change alone says whether the firewall ends failed."""
        fw["status"] = "waiting"
        fw["_outcome"] = self.core.faults.take_firewall_outcome() or SUCCEEDED
        fw["_pending"] = [
            {"droplet_id": i, "removing": False, "status": "waiting"} for i in self._droplets(fw)
        ] + [{"droplet_id": i, "removing": True, "status": "waiting"} for i in removed or []]
        self.core.schedule(self.config.firewall_settle_s, "firewall_settle", fw["id"])

    def _on_settle(self, ref: str, due: float) -> None:
        fw = self._firewalls.get(ref)
        # Only the latest change settles the firewall.
        if fw is None or self.core.scheduled("firewall_settle", ref):
            return
        if fw.get("_outcome") == FAILED:
            # DigitalOcean keeps the droplets it could not apply the change to as pending, marked failed.
            fw["status"] = FAILED
            fw["_pending"] = [{**p, "status": FAILED} for p in fw["_pending"]]
        else:
            fw["status"] = SUCCEEDED
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
            ids = self._check_droplet_ids(droplet_ids, must_exist=add)
            before = set(self._droplets(fw))
            if add:
                after = list(dict.fromkeys(fw["droplet_ids"] + ids))
                self._check_droplet_count(after)
                fw["droplet_ids"] = after
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
                fw["tags"] = self._check_tags(fw["tags"] + tags, limit=MAX_TAGS)
            else:
                drop = {str(t).lower() for t in tags}
                fw["tags"] = [t for t in fw["tags"] if t.lower() not in drop]
            self._changed(fw, sorted(before - set(self._droplets(fw))))

    def rules(self, firewall_id: str, body: Json, add: bool) -> None:
        with self.core.tx():
            fw = self._firewall(firewall_id)
            inbound = self._check_rules(body.get("inbound_rules"), "inbound", adding=add)
            outbound = self._check_rules(body.get("outbound_rules"), "outbound", adding=add)
            if not inbound and not outbound:
                raise bad_request("inbound_rules or outbound_rules is required")
            if add:
                new_in = _unique_rules(fw["inbound_rules"] + inbound)
                new_out = _unique_rules(fw["outbound_rules"] + outbound)
                self._check_rule_count(new_in, new_out)
            else:
                new_in = [r for r in fw["inbound_rules"] if r not in inbound]
                new_out = [r for r in fw["outbound_rules"] if r not in outbound]
            fw["inbound_rules"], fw["outbound_rules"] = new_in, new_out
            self._changed(fw)
