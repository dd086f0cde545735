"""Firewall and FirewallRule over gRPC, in the engine's order, against the emulator: detailed diffs per
rule, granular requests only, import, the wait's progress line, Cancel, and getFirewall."""

from __future__ import annotations

import threading
import time
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf import empty_pb2
from google.rpc import status_pb2
from pulumi.runtime.proto import provider_pb2

from ocean.provider import marshal
from tests.provider.conftest import EngineLog, configure

FW_URN = "urn:pulumi:dev::proj::ocean:index:Firewall::web"
RULE_URN = "urn:pulumi:dev::proj::ocean:index:FirewallRule::extra"
SSH = {"protocol": "tcp", "portRange": "22", "sourceAddresses": ["10.0.0.0/8"]}
HTTP = {"protocol": "tcp", "portRange": "all", "sourceAddresses": ["0.0.0.0/0", "::/0"]}
OUT = {"protocol": "udp", "portRange": "53", "destinationAddresses": ["0.0.0.0/0"]}


@pytest.fixture
def emu(ocean_emulator_factory: Any) -> Any:
    return ocean_emulator_factory(time_scale=200.0, clock_mode="scaled")


def _droplet(emu: Any, name: str, tags: list[str] | None = None) -> int:
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": "Bearer t"}) as api:
        body = {"name": name, "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}
        made = api.post("/v2/droplets", json={**body, "tags": tags or []})
        return int(made.json()["droplet"]["id"])


def _check(provider: Any, news: dict[str, Any], olds: Any = None, urn: str = FW_URN) -> Any:
    return provider.Check(
        provider_pb2.CheckRequest(
            urn=urn, olds=olds, news=marshal.encode(news, keep_unknowns=True), randomSeed=b"seed"
        )
    )


def _requests(emu: Any, since: int = 0) -> list[tuple[str, str]]:
    return [(r["method"], r["template"]) for r in emu.control.requests()["requests"][since:]]


def test_firewall_lifecycle_in_engine_order(provider: Any, emu: Any, engine: tuple[str, EngineLog]) -> None:
    _, log = engine
    configure(provider, emu.base_url)
    d1, d2 = _droplet(emu, "a"), _droplet(emu, "b")

    # Preview of a program whose rule names a droplet not created yet: unknown, and still checked.
    news = {"inboundRules": [SSH, {**HTTP, "sourceDropletIds": [marshal.UNKNOWN]}], "dropletIds": [d1]}
    checked = _check(provider, news)
    assert list(checked.failures) == []
    preview = provider.Create(provider_pb2.CreateRequest(urn=FW_URN, properties=checked.inputs, preview=True))
    assert marshal.decode(preview.properties)["firewallId"] is marshal.UNKNOWN

    before = len(emu.control.requests()["requests"])
    news = {"inboundRules": [SSH, HTTP], "outboundRules": [OUT], "dropletIds": [d1, d2], "tags": ["Web"]}
    checked = _check(provider, news)
    created = provider.Create(provider_pb2.CreateRequest(urn=FW_URN, properties=checked.inputs, timeout=60))
    state = marshal.decode(created.properties)
    assert state["firewallId"] == created.id and state["status"] == "succeeded"
    assert state["name"].startswith("web-") and state["tags"] == ["Web"]
    assert ("POST", "/v2/firewalls") in _requests(emu, before)
    assert any("waiting for firewall" in m for _, m, eph in log.messages if eph), log.messages

    # Read (refresh) and Diff: nothing changed.
    read = provider.Read(
        provider_pb2.ReadRequest(
            id=created.id, urn=FW_URN, properties=created.properties, inputs=checked.inputs
        )
    )
    diff = provider.Diff(
        provider_pb2.DiffRequest(id=created.id, urn=FW_URN, olds=read.properties, news=checked.inputs)
    )
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE

    # Rename, a rule swapped, a droplet removed: each rule is its own entry in the detailed diff.
    changed = {**marshal.decode(checked.inputs), "name": "web-renamed", "dropletIds": [d2]}
    changed["inboundRules"] = [{**SSH, "portRange": "2222"}, HTTP]
    news2 = _check(provider, changed, olds=checked.inputs).inputs
    diff = provider.Diff(
        provider_pb2.DiffRequest(id=created.id, urn=FW_URN, olds=read.properties, news=news2)
    )
    kinds = {k: v.kind for k, v in diff.detailedDiff.items()}
    assert kinds == {
        "name": provider_pb2.PropertyDiff.UPDATE,
        "dropletIds": provider_pb2.PropertyDiff.UPDATE,
        "inboundRules[0]": provider_pb2.PropertyDiff.UPDATE,  # 22 removed, 2222 added, both at index 0
    }
    assert list(diff.replaces) == []
    assert list(diff.diffs) == ["dropletIds", "inboundRules", "name"], "changed keys are top-level properties"
    before = len(emu.control.requests()["requests"])
    updated = provider.Update(
        provider_pb2.UpdateRequest(id=created.id, urn=FW_URN, olds=read.properties, news=news2, timeout=60)
    )
    sent = [r for r in _requests(emu, before) if r[0] != "GET"]
    assert sent == [
        ("PUT", "/v2/firewalls/{firewall_id}"),
        ("DELETE", "/v2/firewalls/{firewall_id}/rules"),
        ("POST", "/v2/firewalls/{firewall_id}/rules"),
        ("DELETE", "/v2/firewalls/{firewall_id}/droplets"),
    ]
    out = marshal.decode(updated.properties)
    assert out["name"] == "web-renamed" and out["dropletIds"] == [d2]
    assert out["inboundRules"][0]["portRange"] == "2222"

    # Import: Read by id alone gives inputs that Check and Diff clean.
    imported = provider.Read(provider_pb2.ReadRequest(id=created.id, urn=FW_URN))
    inputs = marshal.decode(imported.inputs)
    assert inputs["name"] == "web-renamed" and inputs["dropletIds"] == [d2]
    rechecked = provider.Check(
        provider_pb2.CheckRequest(urn=FW_URN, olds=imported.inputs, news=imported.inputs)
    )
    assert list(rechecked.failures) == []
    diff = provider.Diff(
        provider_pb2.DiffRequest(id=created.id, urn=FW_URN, olds=imported.properties, news=rechecked.inputs)
    )
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE

    provider.Delete(provider_pb2.DeleteRequest(id=created.id, urn=FW_URN, properties=updated.properties))
    assert provider.Read(provider_pb2.ReadRequest(id=created.id, urn=FW_URN)).id == ""


def test_bad_rules_are_refused_at_check_before_any_request(provider: Any, emu: Any) -> None:
    configure(provider, emu.base_url)
    before = emu.control.requests()["total"]
    resp = _check(
        provider,
        {
            "inboundRules": [SSH, {"protocol": "icmp", "portRange": "22", "sourceAddresses": ["::/0"]}],
            "outboundRules": [{"protocol": "tcp", "portRange": "65536", "destinationAddresses": ["1.2.3"]}],
        },
    )
    reasons = sorted(f.reason for f in resp.failures)
    assert any("`inboundRules[1].portRange`" in r and "icmp" in r for r in reasons), reasons
    assert any("`outboundRules[0].portRange`" in r and "1-65535" in r for r in reasons), reasons
    assert any("`outboundRules[0].destinationAddresses`" in r and "'1.2.3'" in r for r in reasons), reasons
    assert all(r.startswith("Firewall 'web': ") for r in reasons)
    assert emu.control.requests()["total"] == before


def test_cancel_stops_the_wait_and_records_the_firewall(provider: Any, ocean_emulator_factory: Any) -> None:
    stuck = ocean_emulator_factory(clock_mode="manual")  # the firewall never settles
    configure(provider, stuck.base_url)
    checked = _check(provider, {"inboundRules": [SSH]})
    threading.Timer(1.0, lambda: provider.Cancel(empty_pb2.Empty())).start()
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as info:
        provider.Create(provider_pb2.CreateRequest(urn=FW_URN, properties=checked.inputs, timeout=600))
    assert time.monotonic() - started < 10, "the wait stopped at the engine's Cancel"
    assert "cancelled" in info.value.details() and "Firewall 'web'" in info.value.details()
    status = status_pb2.Status()
    status.ParseFromString(dict(info.value.trailing_metadata())["grpc-status-details-bin"])
    detail = provider_pb2.ErrorResourceInitFailed()
    assert status.details[0].Unpack(detail)
    with httpx.Client(base_url=stuck.base_url, headers={"Authorization": "Bearer t"}) as api:
        assert api.get(f"/v2/firewalls/{detail.id}").status_code == 200, "the recorded id is the firewall"
    assert marshal.decode(detail.properties)["status"] == "waiting"


def test_failed_firewall_is_an_error_naming_the_droplets(provider: Any, emu: Any) -> None:
    configure(provider, emu.base_url)
    d1 = _droplet(emu, "a")
    emu.control.fault(firewall="failed", times=1)
    checked = _check(provider, {"inboundRules": [SSH], "dropletIds": [d1]})
    with pytest.raises(grpc.RpcError) as info:
        provider.Create(provider_pb2.CreateRequest(urn=FW_URN, properties=checked.inputs, timeout=60))
    assert "failed" in info.value.details() and str(d1) in info.value.details()
    status = status_pb2.Status()
    status.ParseFromString(dict(info.value.trailing_metadata())["grpc-status-details-bin"])
    detail = provider_pb2.ErrorResourceInitFailed()
    assert status.details[0].Unpack(detail) and detail.id


def test_firewall_rule_and_get_firewall(provider: Any, emu: Any) -> None:
    configure(provider, emu.base_url)
    checked = _check(provider, {"name": "shared", "outboundRules": [OUT]})
    fw = provider.Create(provider_pb2.CreateRequest(urn=FW_URN, properties=checked.inputs, timeout=60))
    rule = _check(provider, {"firewallId": fw.id, "inboundRule": SSH}, urn=RULE_URN)
    assert list(rule.failures) == []
    before = len(emu.control.requests()["requests"])
    made = provider.Create(provider_pb2.CreateRequest(urn=RULE_URN, properties=rule.inputs, timeout=60))
    assert made.id.startswith(f"{fw.id}:inbound:")
    assert [r for r in _requests(emu, before) if r[0] != "GET"] == [
        ("POST", "/v2/firewalls/{firewall_id}/rules")
    ]

    # The Firewall does not own inbound rules: the FirewallRule's rule is no diff for it.
    refreshed = provider.Read(
        provider_pb2.ReadRequest(id=fw.id, urn=FW_URN, properties=fw.properties, inputs=checked.inputs)
    )
    assert marshal.decode(refreshed.properties)["inboundRules"] == [SSH]
    diff = provider.Diff(
        provider_pb2.DiffRequest(id=fw.id, urn=FW_URN, olds=refreshed.properties, news=checked.inputs)
    )
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE

    found = provider.Invoke(
        provider_pb2.InvokeRequest(tok="ocean:index:getFirewall", args=marshal.encode({"name": "shared"}))
    )
    result = marshal.decode(getattr(found, "return"))
    assert (
        result["firewallId"] == fw.id and result["inboundRules"] == [SSH] and result["outboundRules"] == [OUT]
    )
    assert result["status"] == "succeeded"

    provider.Delete(provider_pb2.DeleteRequest(id=made.id, urn=RULE_URN, properties=made.properties))
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": "Bearer t"}) as api:
        live = api.get(f"/v2/firewalls/{fw.id}").json()["firewall"]
    assert live["inbound_rules"] == [] and len(live["outbound_rules"]) == 1
    assert (
        provider.Read(provider_pb2.ReadRequest(id=made.id, urn=RULE_URN, properties=made.properties)).id == ""
    )
