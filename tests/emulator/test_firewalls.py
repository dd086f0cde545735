"""The firewalls service as DigitalOcean behaves: a change that ends ``failed`` (the ``firewall`` fault),
what DigitalOcean rewrites on write (host prefixes, IPv6 spelling, all-ports ranges, icmp ports, tag case,
order, duplicates) and its limits per firewall and per rule. Every answer is also checked against
DigitalOcean's OpenAPI spec."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ocean.emulator.pytest_plugin import RunningEmulator

from .conftest import create_droplet
from .spec_check import SpecChecker

RULE = {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["10.0.0.0/8"]}}
OUT = {"protocol": "tcp", "ports": "all", "destinations": {"addresses": ["0.0.0.0/0", "::/0"]}}
ONE = "/v2/firewalls/{firewall_id}"


def _create(api: httpx.Client, checker: SpecChecker | None = None, **body: Any) -> dict[str, Any]:
    response = api.post("/v2/firewalls", json={"name": "fw", "inbound_rules": [RULE], **body})
    assert response.status_code == 202, response.text
    if checker is not None:
        checker.response(response, "/v2/firewalls")
    fw: dict[str, Any] = response.json()["firewall"]
    return fw


def _get(api: httpx.Client, fw_id: str, checker: SpecChecker | None = None) -> dict[str, Any]:
    response = api.get(f"/v2/firewalls/{fw_id}")
    assert response.status_code == 200, response.text
    if checker is not None:
        checker.response(response, ONE, firewall_id=fw_id)
    fw: dict[str, Any] = response.json()["firewall"]
    return fw


def _settle(ocean_emulator: RunningEmulator) -> None:
    ocean_emulator.control.advance(ocean_emulator.config.firewall_settle_s)


def _unprocessable(response: httpx.Response, *words: str) -> str:
    assert response.status_code == 422, (response.status_code, response.text)
    error = response.json()
    assert set(error) == {"id", "message", "request_id"} and error["id"] == "unprocessable_entity"
    assert error["request_id"] == response.headers["x-request-id"]
    message: str = error["message"]
    for word in words:
        assert word in message, message
    return message


# ---------------------------------------------------------------------- the "firewall": "failed" fault

BAD_FIREWALL_RULES = [
    ({"firewall": "maybe"}, "firewall"),
    ({"firewall": True}, "firewall"),
    ({"firewall": "failed", "times": 0}, "times"),
    ({"firewall": "failed", "times": "2"}, "times"),
    ({"firewall": "failed", "path": "/v2/firewalls"}, "path"),
    ({"firewall": "failed", "when": "after"}, "when"),
    ({"firewall": "failed", "status": 500}, "exactly one kind"),
    ({"firewall": "failed", "garbage_collection": "failed"}, "exactly one kind"),
]


@pytest.mark.parametrize(("rule", "field"), BAD_FIREWALL_RULES, ids=[str(r) for r, _ in BAD_FIREWALL_RULES])
def test_the_firewall_fault_is_typed(ocean_emulator: RunningEmulator, rule: Any, field: str) -> None:
    refused = httpx.post(f"{ocean_emulator.base_url}/_emulator/faults", json=rule)
    _unprocessable(refused, field)
    assert httpx.get(f"{ocean_emulator.base_url}/_emulator/faults").json() == {"faults": []}


def test_the_firewall_fault_is_listed_and_used_up(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    added = ocean_emulator.control.fault(firewall="failed", times=2)
    assert added == {"id": 1, "firewall": "failed", "times": 2, "fired": 0}
    _create(api)
    listed = httpx.get(f"{ocean_emulator.base_url}/_emulator/faults").json()["faults"]
    assert listed == [{"id": 1, "firewall": "failed", "times": 1, "fired": 1}]
    _create(api)
    assert httpx.get(f"{ocean_emulator.base_url}/_emulator/faults").json() == {"faults": []}


def test_a_failed_change_stays_failed_until_the_next_change(
    api: httpx.Client, ocean_emulator: RunningEmulator, checker: SpecChecker
) -> None:
    a, b = create_droplet(api)["id"], create_droplet(api)["id"]
    ocean_emulator.control.fault(firewall="failed", times=1)
    fw = _create(api, checker, droplet_ids=[a, b])
    assert fw["status"] == "waiting"
    assert [p["status"] for p in fw["pending_changes"]] == ["waiting", "waiting"]
    _settle(ocean_emulator)
    failed = _get(api, fw["id"], checker)
    assert failed["status"] == "failed"
    assert failed["pending_changes"] == [
        {"droplet_id": a, "removing": False, "status": "failed"},
        {"droplet_id": b, "removing": False, "status": "failed"},
    ]
    # Time alone does not heal it, and the droplets are still assigned.
    ocean_emulator.control.advance(3600)
    assert _get(api, fw["id"])["status"] == "failed" and _get(api, fw["id"])["droplet_ids"] == [a, b]
    # The next change (the fault was used up) is applied normally: the removed droplet is pending too.
    removed = api.request("DELETE", f"/v2/firewalls/{fw['id']}/droplets", json={"droplet_ids": [b]})
    assert removed.status_code == 204
    waiting = _get(api, fw["id"], checker)
    assert waiting["status"] == "waiting"
    assert waiting["pending_changes"] == [
        {"droplet_id": a, "removing": False, "status": "waiting"},
        {"droplet_id": b, "removing": True, "status": "waiting"},
    ]
    _settle(ocean_emulator)
    healed = _get(api, fw["id"], checker)
    assert healed["status"] == "succeeded" and healed["pending_changes"] == []


def test_a_failed_removal_keeps_the_removed_droplet_pending_and_failed(
    api: httpx.Client, ocean_emulator: RunningEmulator
) -> None:
    a = create_droplet(api)["id"]
    fw = _create(api, droplet_ids=[a])
    _settle(ocean_emulator)
    ocean_emulator.control.fault(firewall="failed")
    api.request("DELETE", f"/v2/firewalls/{fw['id']}/droplets", json={"droplet_ids": [a]})
    _settle(ocean_emulator)
    live = _get(api, fw["id"])
    assert live["status"] == "failed"
    assert live["pending_changes"] == [{"droplet_id": a, "removing": True, "status": "failed"}]


# Every kind of change to a firewall: the fault strikes each of them.
CHANGES: dict[str, Callable[[httpx.Client, str, int], httpx.Response]] = {
    "PUT": lambda api, fw, d: api.put(
        f"/v2/firewalls/{fw}", json={"name": "renamed", "inbound_rules": [RULE], "droplet_ids": [d]}
    ),
    "add droplets": lambda api, fw, d: api.post(f"/v2/firewalls/{fw}/droplets", json={"droplet_ids": [d]}),
    "remove droplets": lambda api, fw, d: api.request(
        "DELETE", f"/v2/firewalls/{fw}/droplets", json={"droplet_ids": [d]}
    ),
    "add tags": lambda api, fw, d: api.post(f"/v2/firewalls/{fw}/tags", json={"tags": ["web"]}),
    "remove tags": lambda api, fw, d: api.request(
        "DELETE", f"/v2/firewalls/{fw}/tags", json={"tags": ["web"]}
    ),
    "add rules": lambda api, fw, d: api.post(f"/v2/firewalls/{fw}/rules", json={"outbound_rules": [OUT]}),
    "remove rules": lambda api, fw, d: api.request(
        "DELETE", f"/v2/firewalls/{fw}/rules", json={"inbound_rules": [RULE]}
    ),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_fault_strikes_every_kind_of_change(
    api: httpx.Client, ocean_emulator: RunningEmulator, change: str
) -> None:
    d = create_droplet(api)["id"]
    fw = _create(api, outbound_rules=[OUT])
    _settle(ocean_emulator)
    assert _get(api, fw["id"])["status"] == "succeeded"
    ocean_emulator.control.fault(firewall="failed", times=1)
    assert CHANGES[change](api, fw["id"], d).status_code < 300
    _settle(ocean_emulator)
    assert _get(api, fw["id"])["status"] == "failed", change
    assert CHANGES[change](api, fw["id"], d).status_code < 300
    _settle(ocean_emulator)
    assert _get(api, fw["id"])["status"] == "succeeded", change


def test_the_latest_change_decides_and_a_refused_change_uses_no_fault(
    api: httpx.Client, ocean_emulator: RunningEmulator
) -> None:
    d = create_droplet(api)["id"]
    ocean_emulator.control.fault(firewall="failed", times=1)
    fw = _create(api)
    # A second change before the first settled: DigitalOcean applies the firewall as it is now, so the
    # outcome is the second change's (no fault left: it succeeds).
    assert api.post(f"/v2/firewalls/{fw['id']}/droplets", json={"droplet_ids": [d]}).status_code == 204
    _settle(ocean_emulator)
    assert _get(api, fw["id"])["status"] == "succeeded"
    # A request refused with 422 changes nothing, so it does not use up the fault either.
    ocean_emulator.control.fault(firewall="failed", times=1)
    bad = api.post(f"/v2/firewalls/{fw['id']}/droplets", json={"droplet_ids": [987654]})
    _unprocessable(bad, "987654")
    assert _get(api, fw["id"])["status"] == "succeeded"
    assert len(httpx.get(f"{ocean_emulator.base_url}/_emulator/faults").json()["faults"]) == 1


# ---------------------------------------------------------------------- normalisation on write


def test_what_digitalocean_rewrites_on_create(api: httpx.Client, checker: SpecChecker) -> None:
    api.post("/v2/tags", json={"name": "Admin"})
    inbound = [
        {"protocol": "udp", "ports": "53", "sources": {"addresses": ["0.0.0.0/0"]}},
        {
            "protocol": "tcp",
            "ports": "1-65535",
            "sources": {
                "addresses": ["2001:0DB8:0000::/32", "10.0.0.1/32", "::/0", "2001:db8::1/128", "10.0.0.1"],
            },
        },
        {"protocol": "tcp", "ports": "8000-9000", "sources": {"tags": ["Admin", "admin", "WEB"]}},
        {"protocol": "icmp", "ports": "1-65535", "sources": {"addresses": ["192.0.2.0/24"]}},
        {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["192.0.2.7/24"]}},
        {
            "protocol": "tcp",
            "ports": "all",
            "sources": {"addresses": ["::/0", "2001:db8::1", "2001:db8:0::/32", "10.0.0.1"]},
        },
    ]
    fw = _create(api, checker, inbound_rules=inbound, tags=["Web", "web"])
    for answer in (fw, _get(api, fw["id"], checker)):
        assert answer["inbound_rules"] == [
            # ports "1-65535" and "all" are both "0" and the addresses the same once normalised: one rule.
            {
                "protocol": "tcp",
                "ports": "0",
                "sources": {"addresses": ["10.0.0.1", "::/0", "2001:db8::/32", "2001:db8::1"]},
            },
            # a CIDR with host bits keeps them; only a host loses its prefix
            {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["192.0.2.7/24"]}},
            {"protocol": "tcp", "ports": "8000-9000", "sources": {"tags": ["admin", "web"]}},
            {"protocol": "udp", "ports": "53", "sources": {"addresses": ["0.0.0.0/0"]}},
            {"protocol": "icmp", "ports": "0", "sources": {"addresses": ["192.0.2.0/24"]}},
        ]
        assert answer["tags"] == ["web"]
    # The tag itself keeps the name it was first given; only the firewall answers lower-cased.
    assert api.get("/v2/tags/admin").json()["tag"]["name"] == "Admin"


def test_rules_added_and_removed_as_first_spelled(
    api: httpx.Client, ocean_emulator: RunningEmulator, checker: SpecChecker
) -> None:
    fw = _create(api)
    spelled = {
        "protocol": "tcp",
        "ports": "1-65535",
        "sources": {"addresses": ["198.51.100.9/32", "FE80::1"]},
    }
    path = f"/v2/firewalls/{fw['id']}/rules"
    assert api.post(path, json={"inbound_rules": [spelled, spelled]}).status_code == 204
    # The same rule again (spelled DigitalOcean's way) is no second copy.
    again = {"protocol": "tcp", "ports": "0", "sources": {"addresses": ["fe80::1", "198.51.100.9"]}}
    assert api.post(path, json={"inbound_rules": [again]}).status_code == 204
    live = _get(api, fw["id"], checker)
    assert live["inbound_rules"] == [
        {"protocol": "tcp", "ports": "0", "sources": {"addresses": ["198.51.100.9", "fe80::1"]}},
        RULE,
    ]
    # Removing it the way the program first spelled it removes the stored rule.
    assert api.request("DELETE", path, json={"inbound_rules": [spelled]}).status_code == 204
    assert _get(api, fw["id"])["inbound_rules"] == [RULE]


def test_put_normalises_too(api: httpx.Client, checker: SpecChecker) -> None:
    fw = _create(api)
    body = {
        "name": "fw",
        "inbound_rules": [{"protocol": "tcp", "ports": "443", "sources": {"addresses": ["2001:DB8::5/128"]}}],
        "outbound_rules": [OUT],
        "tags": ["Frontend"],
    }
    replaced = api.put(f"/v2/firewalls/{fw['id']}", json=body)
    assert replaced.status_code == 200
    checker.response(replaced, ONE, firewall_id=fw["id"])
    answer = replaced.json()["firewall"]
    assert answer["inbound_rules"][0]["sources"] == {"addresses": ["2001:db8::5"]}
    assert answer["outbound_rules"] == [
        {"protocol": "tcp", "ports": "0", "destinations": {"addresses": ["0.0.0.0/0", "::/0"]}}
    ]
    assert answer["tags"] == ["frontend"]


@pytest.mark.parametrize(
    ("target", "word"),
    [
        ({"addresses": ["10.0.0.300"]}, "10.0.0.300"),
        ({"addresses": [5]}, "5"),
        ({"load_balancer_uids": [{"id": 1}]}, "load_balancer_uids"),
        ({"kubernetes_ids": "k8s"}, "kubernetes_ids"),
    ],
)
def test_a_bad_target_is_refused(api: httpx.Client, target: dict[str, Any], word: str) -> None:
    rule = {"protocol": "tcp", "ports": "22", "sources": target}
    _unprocessable(api.post("/v2/firewalls", json={"name": "fw", "inbound_rules": [rule]}), word)


# ---------------------------------------------------------------------- limits


def test_at_most_ten_droplets(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    ids = [create_droplet(api)["id"] for _ in range(11)]
    _unprocessable(
        api.post("/v2/firewalls", json={"name": "fw", "inbound_rules": [RULE], "droplet_ids": ids}),
        "droplet_ids",
        "no more than 10 droplets",
    )
    assert api.get("/v2/firewalls").json()["firewalls"] == []
    fw = _create(api, droplet_ids=ids[:10])
    _settle(ocean_emulator)
    added = api.post(f"/v2/firewalls/{fw['id']}/droplets", json={"droplet_ids": ids[10:]})
    _unprocessable(added, "no more than 10 droplets")
    live = _get(api, fw["id"])
    assert live["droplet_ids"] == ids[:10] and live["status"] == "succeeded", "nothing changed"
    # One out, then the eleventh in: never more than ten at once.
    api.request("DELETE", f"/v2/firewalls/{fw['id']}/droplets", json={"droplet_ids": ids[:1]})
    assert api.post(f"/v2/firewalls/{fw['id']}/droplets", json={"droplet_ids": ids[10:]}).status_code == 204
    put = {"name": "fw", "inbound_rules": [RULE], "droplet_ids": ids}
    _unprocessable(api.put(f"/v2/firewalls/{fw['id']}", json=put), "no more than 10 droplets")


def test_at_most_five_tags(api: httpx.Client, ocean_emulator: RunningEmulator) -> None:
    six = [f"t{i}" for i in range(6)]
    _unprocessable(
        api.post("/v2/firewalls", json={"name": "fw", "inbound_rules": [RULE], "tags": six}),
        "tags",
        "no more than 5 tags",
    )
    # Tags differing only in case are one tag.
    fw = _create(api, tags=[*six[:5], "T0"])
    assert fw["tags"] == six[:5]
    _unprocessable(api.post(f"/v2/firewalls/{fw['id']}/tags", json={"tags": ["t5"]}), "no more than 5 tags")
    assert _get(api, fw["id"])["tags"] == six[:5]
    assert api.post(f"/v2/firewalls/{fw['id']}/tags", json={"tags": ["T4"]}).status_code == 204


def test_at_most_fifty_rules(api: httpx.Client) -> None:
    def rules(n: int, first: int = 1) -> list[dict[str, Any]]:
        return [{**RULE, "ports": str(p)} for p in range(first, first + n)]

    outbound = [
        {"protocol": "tcp", "ports": str(p), "destinations": {"addresses": ["0.0.0.0/0"]}} for p in range(25)
    ]
    body = {"name": "fw", "inbound_rules": rules(26), "outbound_rules": outbound}
    _unprocessable(
        api.post("/v2/firewalls", json=body), "no more than 50 rules", "26 inbound and 25 outbound"
    )
    fw = _create(api, inbound_rules=rules(50))
    path = f"/v2/firewalls/{fw['id']}/rules"
    _unprocessable(api.post(path, json={"outbound_rules": [OUT]}), "no more than 50 rules")
    assert len(_get(api, fw["id"])["inbound_rules"]) == 50
    # A rule it has already is no 51st.
    assert api.post(path, json={"inbound_rules": rules(1)}).status_code == 204


def test_at_most_a_thousand_entries_in_a_rule_target(api: httpx.Client) -> None:
    addresses = [f"10.{i // 256}.{i % 256}.1" for i in range(999)]
    fits = {"protocol": "tcp", "ports": "22", "sources": {"addresses": addresses, "tags": ["web"]}}
    fw = _create(api, inbound_rules=[fits])
    assert len(fw["inbound_rules"][0]["sources"]["addresses"]) == 999
    over = {"protocol": "tcp", "ports": "23", "sources": {"addresses": addresses, "tags": ["web", "db"]}}
    _unprocessable(
        api.post(f"/v2/firewalls/{fw['id']}/rules", json={"inbound_rules": [over]}),
        "sources",
        "no more than 1000",
    )
