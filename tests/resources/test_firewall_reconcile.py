"""Firewall and FirewallRule create/read/update/delete against a fake DigitalOcean that normalises like
the real one, on a fake clock: waits and their progress line, `failed`, timeouts and cancellation kept
in state, granular requests only, import, and the FirewallRule's own rule."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ocean.api import errors
from ocean.resources.base import Context, PartialFailure, ResourceError
from ocean.resources.firewall import Firewall, rule_digest, rule_key
from ocean.resources.firewall_rule import FirewallRule
from tests.resources.fakes import FakeClock
from tests.resources.firewall_fakes import FakeFirewallApi, FakeFirewalls

URN = "urn:pulumi:dev::proj::ocean:index:Firewall::web"
RULE_URN = "urn:pulumi:dev::proj::ocean:index:FirewallRule::ssh"
SSH = {"protocol": "tcp", "portRange": "22", "sourceAddresses": ["10.0.0.1/32"]}
HTTP = {"protocol": "tcp", "portRange": "all", "sourceAddresses": ["0.0.0.0/0", "::/0"]}
OUT = {"protocol": "udp", "portRange": "53", "destinationAddresses": ["0.0.0.0/0"]}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def do(clock: FakeClock) -> FakeFirewalls:
    return FakeFirewalls(clock)


def ctx(
    do: FakeFirewalls,
    clock: FakeClock,
    *,
    urn: str = URN,
    timeout: float | None = None,
    cancel: asyncio.Event | None = None,
    reports: list[str] | None = None,
) -> Context:
    async def report(message: str) -> None:
        if reports is not None:
            reports.append(message)

    return Context(
        api=FakeFirewallApi(do),
        urn=urn,
        timeout=timeout,
        cancel=cancel or asyncio.Event(),
        report=report,
        clock=clock,
        sleep=clock.sleep,
    )


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def inputs(**over: Any) -> dict[str, Any]:
    news = {
        "name": "web",
        "inboundRules": [SSH, HTTP],
        "outboundRules": [OUT],
        "dropletIds": [11, 12],
        **over,
    }
    checked, failures = Firewall.check(URN, {}, news, b"s")
    assert failures == []
    return checked


def create(do: FakeFirewalls, clock: FakeClock, **over: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    news = inputs(**over)
    rid, state = run(Firewall.create(ctx(do, clock), news))
    return rid, state, news


def test_create_waits_until_applied_and_says_what_is_pending(do: FakeFirewalls, clock: FakeClock) -> None:
    reports: list[str] = []
    rid, state = run(Firewall.create(ctx(do, clock, reports=reports), inputs()))
    assert clock() - 1000.0 >= do.settle_s, "returned only once DigitalOcean applied it"
    assert state["status"] == "succeeded" and state["pendingChanges"] == []
    assert "waiting for firewall web: 2 droplets pending" in reports
    assert [c[:2] for c in do.calls if c[0] != "GET"] == [("POST", "/v2/firewalls")]
    posted = next(c[2] for c in do.calls if c[0] == "POST")
    assert posted["inbound_rules"][0] == {
        "protocol": "tcp",
        "ports": "22",
        "sources": {"addresses": ["10.0.0.1/32"]},
    }
    assert posted["inbound_rules"][1]["ports"] == "0", "every port sent in DigitalOcean's spelling"
    assert state["firewallId"] == rid


def test_digitalocean_normalisation_comes_back_as_no_change(do: FakeFirewalls, clock: FakeClock) -> None:
    rid, state, news = create(do, clock, tags=["Web"])
    fw = do.firewalls[rid]
    assert fw["inbound_rules"][-1]["sources"]["addresses"] == ["10.0.0.1"], "the fake normalises as DO does"
    assert fw["tags"] == ["web"]
    assert state["inboundRules"] == news["inboundRules"] and state["tags"] == ["Web"]
    assert not Firewall.diff(state, news).changes
    refreshed, kept_inputs = run(Firewall.read(ctx(do, clock), rid, state, news))
    assert refreshed == state and kept_inputs == news
    assert not Firewall.diff(refreshed, news).changes


def test_import_reads_inputs_that_check_and_diff_clean(do: FakeFirewalls, clock: FakeClock) -> None:
    rid, _, _ = create(do, clock, tags=["web"])
    outputs, imported = run(Firewall.read(ctx(do, clock), rid, {}, {}))
    assert imported["name"] == "web" and imported["dropletIds"] == [11, 12] and imported["tags"] == ["web"]
    assert {r["portRange"] for r in imported["inboundRules"]} == {"22", "all"}
    checked, failures = Firewall.check(URN, imported, imported, b"s")
    assert failures == []
    assert not Firewall.diff(outputs, checked).changes


def test_updates_are_granular_and_only_a_rename_puts(do: FakeFirewalls, clock: FakeClock) -> None:
    rid, state, news = create(do, clock)
    # A rule added by someone else is kept by a rename: the PUT is built from the live firewall.
    run(
        do.add_rules(
            rid, outbound_rules=[{"protocol": "tcp", "ports": "443", "destinations": {"tags": ["x"]}}]
        )
    )
    clock.now += 10
    do.calls.clear()
    renamed = {**news, "name": "web-2", "outboundRules": None}
    state = run(Firewall.update(ctx(do, clock), rid, state, renamed))
    [(method, path, body)] = [c for c in do.calls if c[0] != "GET"]
    assert method == "PUT" and body["name"] == "web-2"
    assert {"protocol": "tcp", "ports": "443", "destinations": {"tags": ["x"]}} in body["outbound_rules"]
    assert body["droplet_ids"] == [11, 12] and len(body["inbound_rules"]) == 2

    do.calls.clear()
    changed = {**renamed, "inboundRules": [HTTP, {**SSH, "portRange": "2222"}], "dropletIds": [12, 13]}
    state = run(Firewall.update(ctx(do, clock), rid, state, changed))
    assert do.mutating() == [
        ("POST", f"/v2/firewalls/{rid}/droplets"),
        ("DELETE", f"/v2/firewalls/{rid}/rules"),
        ("POST", f"/v2/firewalls/{rid}/rules"),
        ("DELETE", f"/v2/firewalls/{rid}/droplets"),
    ]
    removed = next(body for m, p, body in do.calls if m == "DELETE" and p.endswith("/rules"))
    assert removed["inbound_rules"] == [
        {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["10.0.0.1"]}}
    ]
    assert state["status"] == "succeeded" and not Firewall.diff(state, changed).changes
    assert any(r["portRange"] == "443" for r in state["outboundRules"]), "the unowned rule survived"


def test_an_update_with_nothing_to_do_sends_nothing(do: FakeFirewalls, clock: FakeClock) -> None:
    rid, state, news = create(do, clock)
    do.calls.clear()
    run(Firewall.update(ctx(do, clock), rid, state, news))
    assert do.mutating() == [] and len(do.calls) == 1


def test_failed_is_an_error_naming_the_droplets_and_the_firewall_is_kept(
    do: FakeFirewalls, clock: FakeClock
) -> None:
    do.fail_next()
    with pytest.raises(PartialFailure) as info:
        run(Firewall.create(ctx(do, clock), inputs()))
    message = str(info.value)
    assert "Firewall 'web'" in message and "failed" in message and "11, 12" in message
    assert info.value.resource_id in do.firewalls
    assert info.value.state["firewallId"] == info.value.resource_id
    assert info.value.state["status"] == "failed"


def test_a_failed_firewall_stays_an_error_until_a_change_applies_it_anew(
    do: FakeFirewalls, clock: FakeClock
) -> None:
    do.fail_next()
    news = inputs()
    with pytest.raises(PartialFailure) as info:
        run(Firewall.create(ctx(do, clock), news))
    rid, state = info.value.resource_id, info.value.state
    # The engine retries an unfinished create as an update: still failed, still an error.
    with pytest.raises(PartialFailure, match="failed"):
        run(Firewall.update(ctx(do, clock), rid, state, news))
    assert do.mutating() == [("POST", "/v2/firewalls")], "nothing sent but the one create"
    changed = {**news, "dropletIds": [11]}
    state = run(Firewall.update(ctx(do, clock), rid, state, changed))
    assert state["status"] == "succeeded" and len(do.firewalls) == 1


def test_a_failed_update_records_what_was_applied(do: FakeFirewalls, clock: FakeClock) -> None:
    rid, state, news = create(do, clock)
    changed = {**news, "dropletIds": [11, 12, 13], "inboundRules": [SSH]}
    original = do.remove_rules

    async def broken(*a: Any, **k: Any) -> None:
        raise errors.ServerError("boom", status=500, request_id="r1", method="DELETE", path="/rules")

    do.remove_rules = broken  # type: ignore[method-assign]
    with pytest.raises(PartialFailure) as info:
        run(Firewall.update(ctx(do, clock), rid, state, changed))
    do.remove_rules = original  # type: ignore[method-assign]
    assert info.value.state["dropletIds"] == [11, 12, 13], "the droplet added before the failure is recorded"
    assert len(info.value.state["inboundRules"]) == 2, "the rule that was not removed is still there"
    diff = Firewall.diff(info.value.state, changed)
    assert diff.detailed == {"inboundRules[1]": "delete"}, "the next up finishes the job"


def test_timeout_keeps_the_firewall_and_says_how_to_wait_longer(do: FakeFirewalls, clock: FakeClock) -> None:
    do.settle_s = 600
    with pytest.raises(PartialFailure) as info:
        run(Firewall.create(ctx(do, clock, timeout=30), inputs()))
    assert "timed out" in str(info.value) and "customTimeouts" in str(info.value)
    assert clock() - 1000.0 <= 31
    assert info.value.state["status"] == "waiting"
    # The next up (an update, the engine retrying initialisation) waits again and converges.
    clock.now += 600
    state = run(Firewall.update(ctx(do, clock), info.value.resource_id, info.value.state, inputs()))
    assert state["status"] == "succeeded"


def test_cancel_stops_the_wait_promptly(do: FakeFirewalls, clock: FakeClock) -> None:
    do.settle_s = 600
    cancel = asyncio.Event()
    real_sleep = clock.sleep

    async def sleep(seconds: float) -> None:
        await real_sleep(seconds)
        if clock() - 1000.0 > 3:
            cancel.set()

    c = ctx(do, clock, cancel=cancel)
    c.sleep = sleep
    with pytest.raises(PartialFailure) as info:
        run(Firewall.create(c, inputs()))
    assert "cancelled" in str(info.value)
    assert clock() - 1000.0 < 20
    assert info.value.resource_id in do.firewalls


def test_delete_is_idempotent(do: FakeFirewalls, clock: FakeClock) -> None:
    rid, state, _ = create(do, clock)
    run(Firewall.delete(ctx(do, clock), rid, state))
    assert rid not in do.firewalls
    run(Firewall.delete(ctx(do, clock), rid, state))
    assert run(Firewall.read(ctx(do, clock), rid, state, {})) is None


def test_missing_tags_are_created_before_they_are_used(do: FakeFirewalls, clock: FakeClock) -> None:
    rule = {"protocol": "tcp", "portRange": "5432", "sourceTags": ["App"]}
    create(do, clock, tags=["Web"], inboundRules=[rule])
    assert sorted(do.tags_created) == ["App", "Web"]
    post = do.calls.index(next(c for c in do.calls if c[:2] == ("POST", "/v2/firewalls")))
    assert all(i < post for i, c in enumerate(do.calls) if c[1] == "/v2/tags")


# ------------------------------------------------------------------------------------- FirewallRule


def rule_inputs(firewall_id: str, rule: dict[str, Any] | None = None) -> dict[str, Any]:
    checked, failures = FirewallRule.check(
        RULE_URN, {}, {"firewallId": firewall_id, "inboundRule": rule or {**SSH, "portRange": "2222"}}, b"s"
    )
    assert failures == []
    return checked


def test_firewall_rule_adds_and_removes_only_its_rule(do: FakeFirewalls, clock: FakeClock) -> None:
    fid, _, _ = create(do, clock, inboundRules=None)
    do.calls.clear()
    news = rule_inputs(fid)
    c = ctx(do, clock, urn=RULE_URN)
    rid, state = run(FirewallRule.create(c, news))
    key = rule_key("inbound", news["inboundRule"])
    assert key is not None and rid == f"{fid}:inbound:{rule_digest(key)}"
    assert do.mutating() == [("POST", f"/v2/firewalls/{fid}/rules")]
    assert state["direction"] == "inbound" and state["inboundRule"] == news["inboundRule"]
    assert run(FirewallRule.read(c, rid, state, news)) == (state, news), "refresh: nothing changed"
    # Import by id only: the rule is found by its digest.
    outputs, imported = run(FirewallRule.read(c, rid, {}, {}))
    assert imported["firewallId"] == fid and imported["inboundRule"]["portRange"] == "2222"
    run(FirewallRule.delete(c, rid, state))
    assert do.firewalls[fid]["inbound_rules"] == [], "only the rule it added was removed"
    assert run(FirewallRule.read(c, rid, state, news)) is None


def test_firewall_rule_refuses_a_rule_someone_already_owns(do: FakeFirewalls, clock: FakeClock) -> None:
    fid, _, _ = create(do, clock)
    with pytest.raises(ResourceError) as info:
        run(FirewallRule.create(ctx(do, clock, urn=RULE_URN), rule_inputs(fid, SSH)))
    assert "already has this inbound rule" in str(info.value) and "pulumi import" in str(info.value)


def test_firewall_rule_on_a_missing_firewall_names_it(do: FakeFirewalls, clock: FakeClock) -> None:
    with pytest.raises(ResourceError) as info:
        run(FirewallRule.create(ctx(do, clock, urn=RULE_URN), rule_inputs("fw-404")))
    assert "fw-404" in str(info.value) and "does not exist" in str(info.value)


# -------------------------------------------------------------------------------------- getFirewall


def test_get_firewall_by_id_or_unique_name(do: FakeFirewalls, clock: FakeClock) -> None:
    from ocean.provider.registry import lookup_function
    from ocean.resources.lookups import LookupError_

    get_firewall = lookup_function("ocean:index:getFirewall")
    rid, _, _ = create(do, clock, tags=["Web"])
    by_id = run(get_firewall.run(ctx(do, clock), {"id": rid}))
    by_name = run(get_firewall.run(ctx(do, clock), {"name": "web"}))
    assert by_id == by_name and by_id["firewallId"] == rid and by_id["tags"] == ["web"]
    assert {r["portRange"] for r in by_id["inboundRules"]} == {"22", "all"}
    create(do, clock)  # a second firewall named "web"
    with pytest.raises(LookupError_, match="2 firewalls are named 'web'"):
        run(get_firewall.run(ctx(do, clock), {"name": "web"}))
    with pytest.raises(LookupError_, match="exactly one of `id` or `name`"):
        run(get_firewall.run(ctx(do, clock), {}))
