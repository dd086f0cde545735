"""A fake DigitalOcean firewall API on a fake clock, normalising like DigitalOcean does.

What it answers is what DigitalOcean is known to answer: ports `"0"` for `"all"` and `"1-65535"` (and for
icmp), `10.0.0.1` for `10.0.0.1/32`, IPv6 in compressed form, tag names in lower case, rules and addresses
in an order of its own. After each change the firewall is `waiting` with every droplet it applies to in
`pending_changes`, for `settle_s` on the fake clock; `fail_next()` makes the next change end `failed`.
Returned objects are the real `ocean.api.models`, so the resource sees what the real client gives it.
"""

from __future__ import annotations

import copy
import ipaddress
import itertools
from types import SimpleNamespace
from typing import Any

from ocean.api import errors
from ocean.api.models import Firewall
from tests.resources.fakes import FakeClock

_SIDES = {"inbound_rules": "sources", "outbound_rules": "destinations"}


def _not_found(path: str) -> errors.NotFound:
    return errors.NotFound(
        "The resource you were accessing could not be found.",
        status=404,
        error_id="not_found",
        request_id="fake",
        method="GET",
        path=path,
    )


def _address(a: str) -> str:
    net = ipaddress.ip_network(a, strict=False)
    return str(net.network_address) if net.prefixlen == net.max_prefixlen else str(net)


def normalise_rule(rule: dict[str, Any], side: str) -> dict[str, Any]:
    ports = rule.get("ports", "0")
    if rule["protocol"] == "icmp" or ports in ("all", "1-65535"):
        ports = "0"
    target = dict(rule.get(side) or {})
    if target.get("addresses"):
        target["addresses"] = sorted(_address(a) for a in target["addresses"])
    if target.get("tags"):
        target["tags"] = sorted(t.lower() for t in target["tags"])
    return {"protocol": rule["protocol"], "ports": ports, side: target}


class FakeFirewalls:
    def __init__(self, clock: FakeClock, *, settle_s: float = 5.0) -> None:
        self.clock = clock
        self.settle_s = settle_s
        self.firewalls: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str, Any]] = []
        self.tags_created: list[str] = []
        self._ids = itertools.count(1)
        self._fail_next = False

    def fail_next(self) -> None:
        self._fail_next = True

    # ---------------------------------------------------------------------------------------- state

    def _fw(self, firewall_id: str) -> dict[str, Any]:
        fw = self.firewalls.get(firewall_id)
        if fw is None:
            raise _not_found(f"/v2/firewalls/{firewall_id}")
        return fw

    def _changed(self, fw: dict[str, Any], removed: list[int] | None = None) -> None:
        fw["status"] = "waiting"
        fw["_until"] = self.clock() + self.settle_s
        fw["_fails"] = self._fail_next
        self._fail_next = False
        fw["pending_changes"] = [
            {"droplet_id": d, "removing": False, "status": "waiting"} for d in fw["droplet_ids"]
        ] + [{"droplet_id": d, "removing": True, "status": "waiting"} for d in removed or []]

    def _settle(self, fw: dict[str, Any]) -> None:
        if fw["status"] == "waiting" and self.clock() >= fw["_until"]:
            if fw["_fails"]:
                fw["status"] = "failed"
                for change in fw["pending_changes"]:
                    change["status"] = "failed"
            else:
                fw["status"] = "succeeded"
                fw["pending_changes"] = []

    def model(self, firewall_id: str) -> Firewall:
        fw = self._fw(firewall_id)
        self._settle(fw)
        return Firewall.model_validate({k: copy.deepcopy(v) for k, v in fw.items() if not k.startswith("_")})

    def _rules(self, body: dict[str, Any], key: str) -> list[dict[str, Any]]:
        # DigitalOcean answers rules in an order of its own: reversed here, so order never matters.
        return [normalise_rule(r, _SIDES[key]) for r in reversed(body.get(key) or [])]

    # ------------------------------------------------------------------------------------------ API

    async def create(self, body: dict[str, Any]) -> Firewall:
        self.calls.append(("POST", "/v2/firewalls", copy.deepcopy(body)))
        firewall_id = f"fw-{next(self._ids)}"
        fw = {
            "id": firewall_id,
            "name": body["name"],
            "created_at": "2024-05-01T10:00:00Z",
            "inbound_rules": self._rules(body, "inbound_rules"),
            "outbound_rules": self._rules(body, "outbound_rules"),
            "droplet_ids": list(body.get("droplet_ids") or []),
            "tags": [t.lower() for t in body.get("tags") or []],
        }
        self.firewalls[firewall_id] = fw
        self._changed(fw)
        return self.model(firewall_id)

    async def get(self, firewall_id: str) -> Firewall:
        self.calls.append(("GET", f"/v2/firewalls/{firewall_id}", None))
        return self.model(firewall_id)

    def list(self) -> Any:
        async def gen() -> Any:
            for firewall_id in list(self.firewalls):
                yield self.model(firewall_id)

        self.calls.append(("GET", "/v2/firewalls", None))
        return gen()

    async def update(self, firewall_id: str, body: dict[str, Any]) -> Firewall:
        self.calls.append(("PUT", f"/v2/firewalls/{firewall_id}", copy.deepcopy(body)))
        fw = self._fw(firewall_id)
        before = set(fw["droplet_ids"])
        fw.update(
            name=body["name"],
            inbound_rules=self._rules(body, "inbound_rules"),
            outbound_rules=self._rules(body, "outbound_rules"),
            droplet_ids=list(body.get("droplet_ids") or []),
            tags=[t.lower() for t in body.get("tags") or []],
        )
        self._changed(fw, sorted(before - set(fw["droplet_ids"])))
        return self.model(firewall_id)

    async def delete(self, firewall_id: str) -> None:
        self.calls.append(("DELETE", f"/v2/firewalls/{firewall_id}", None))
        self._fw(firewall_id)
        del self.firewalls[firewall_id]

    async def add_droplets(self, firewall_id: str, droplet_ids: list[int]) -> None:
        self.calls.append(("POST", f"/v2/firewalls/{firewall_id}/droplets", list(droplet_ids)))
        fw = self._fw(firewall_id)
        fw["droplet_ids"] = list(dict.fromkeys(fw["droplet_ids"] + list(droplet_ids)))
        self._changed(fw)

    async def remove_droplets(self, firewall_id: str, droplet_ids: list[int]) -> None:
        self.calls.append(("DELETE", f"/v2/firewalls/{firewall_id}/droplets", list(droplet_ids)))
        fw = self._fw(firewall_id)
        fw["droplet_ids"] = [d for d in fw["droplet_ids"] if d not in droplet_ids]
        self._changed(fw, list(droplet_ids))

    async def add_tags(self, firewall_id: str, tags: list[str]) -> None:
        self.calls.append(("POST", f"/v2/firewalls/{firewall_id}/tags", list(tags)))
        fw = self._fw(firewall_id)
        fw["tags"] = list(dict.fromkeys(fw["tags"] + [t.lower() for t in tags]))
        self._changed(fw)

    async def remove_tags(self, firewall_id: str, tags: list[str]) -> None:
        self.calls.append(("DELETE", f"/v2/firewalls/{firewall_id}/tags", list(tags)))
        fw = self._fw(firewall_id)
        drop = {t.lower() for t in tags}
        fw["tags"] = [t for t in fw["tags"] if t not in drop]
        self._changed(fw)

    async def add_rules(
        self, firewall_id: str, inbound_rules: Any = None, outbound_rules: Any = None
    ) -> None:
        body = {"inbound_rules": inbound_rules, "outbound_rules": outbound_rules}
        self.calls.append(("POST", f"/v2/firewalls/{firewall_id}/rules", copy.deepcopy(body)))
        fw = self._fw(firewall_id)
        for key in _SIDES:
            for rule in self._rules(body, key):
                if rule not in fw[key]:
                    fw[key].insert(0, rule)
        self._changed(fw)

    async def remove_rules(
        self, firewall_id: str, inbound_rules: Any = None, outbound_rules: Any = None
    ) -> None:
        body = {"inbound_rules": inbound_rules, "outbound_rules": outbound_rules}
        self.calls.append(("DELETE", f"/v2/firewalls/{firewall_id}/rules", copy.deepcopy(body)))
        fw = self._fw(firewall_id)
        for key in _SIDES:
            # DigitalOcean removes a rule given as it has it.
            gone = [r for r in body[key] or []]
            fw[key] = [r for r in fw[key] if r not in gone]
        self._changed(fw)

    # -------------------------------------------------------------------------------------- helpers

    def mutating(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p, _ in self.calls if m != "GET"]


class FakeFirewallApi:
    """The slice of `DigitalOceanClient` the firewall resources use."""

    def __init__(self, fake: FakeFirewalls) -> None:
        self.firewalls = fake

        async def create_tag(name: str) -> Any:
            fake.tags_created.append(name)
            fake.calls.append(("POST", "/v2/tags", name))
            return SimpleNamespace(name=name)

        self.tags = SimpleNamespace(create=create_tag)
