"""Firewall and FirewallRule create/read/update/delete against the emulator in process (``emulated.py``),
whose firewalls service rewrites rules on write as DigitalOcean does (host prefixes dropped, every port
answered as ``"0"``, tags lower-cased, an order of its own) and settles each change after
``firewall_settle_s``: waits and their progress line, ``failed`` (the emulator's ``firewall`` fault),
timeouts and cancellation kept in state, granular requests only (read from the request record), import,
and the FirewallRule's own rule."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ocean.resources.base import Context, PartialFailure, ResourceError
from ocean.resources.firewall import Firewall, rule_digest, rule_key
from ocean.resources.firewall_rule import FirewallRule
from tests.resources.emulated import Emulated

URN = "urn:pulumi:dev::proj::ocean:index:Firewall::web"
RULE_URN = "urn:pulumi:dev::proj::ocean:index:FirewallRule::ssh"
SSH = {"protocol": "tcp", "portRange": "22", "sourceAddresses": ["10.0.0.1/32"]}
HTTP = {"protocol": "tcp", "portRange": "all", "sourceAddresses": ["0.0.0.0/0", "::/0"]}
OUT = {"protocol": "udp", "portRange": "53", "destinationAddresses": ["0.0.0.0/0"]}


class Cloud:
    """DigitalOcean in process with three droplets of someone else's (a firewall names existing ones)."""

    def __init__(self, do: Emulated) -> None:
        self.do = do
        self.droplets = [do.make_droplet(f"d{i}") for i in range(3)]
        self.start = do.now

    @property
    def elapsed(self) -> float:
        """Seconds of the provider's clock since the droplets were ready."""
        return self.do.now - self.start

    def ctx(self, urn: str = URN, **kw: Any) -> Context:
        return self.do.ctx(urn, **kw)

    def firewall(self, firewall_id: str) -> dict[str, Any]:
        """The firewall as DigitalOcean has it."""
        return self.do.backend.firewalls.get(firewall_id)

    def exists(self, firewall_id: str) -> bool:
        return any(f["id"] == firewall_id for f in self.do.backend.firewalls.list())

    def mutating(self, since: int = 0) -> list[tuple[str, str]]:
        """The requests that change something, in order (method, path)."""
        return [(s.method, s.path) for s in self.do.sent[since:] if s.method != "GET"]

    def body(self, method: str, path: str, since: int = 0) -> Any:
        [sent] = [s for s in self.do.sent[since:] if s.method == method and s.path == path]
        return sent.body


@pytest.fixture
def cloud(do: Emulated) -> Cloud:
    return Cloud(do)


def inputs(cloud: Cloud, **over: Any) -> dict[str, Any]:
    news = {
        "name": "web",
        "inboundRules": [SSH, HTTP],
        "outboundRules": [OUT],
        "dropletIds": cloud.droplets[:2],
        **over,
    }
    checked, failures = Firewall.check(URN, {}, news, b"s")
    assert failures == []
    return checked


def create(cloud: Cloud, **over: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    news = inputs(cloud, **over)
    rid, state = cloud.do.run(Firewall.create(cloud.ctx(), news))
    return rid, state, news


def test_create_waits_until_applied_and_says_what_is_pending(cloud: Cloud) -> None:
    do = cloud.do
    rid, state = do.run(Firewall.create(cloud.ctx(), inputs(cloud)))
    assert cloud.elapsed >= do.config.firewall_settle_s, "returned only once DigitalOcean applied it"
    assert state["status"] == "succeeded" and state["pendingChanges"] == []
    assert do.seen.said("waiting for firewall web: 2 droplets pending")
    assert cloud.mutating() == [("POST", "/v2/firewalls")]
    posted = cloud.body("POST", "/v2/firewalls")
    assert posted["inbound_rules"][0] == {
        "protocol": "tcp",
        "ports": "22",
        "sources": {"addresses": ["10.0.0.1/32"]},
    }
    assert posted["inbound_rules"][1]["ports"] == "0", "every port sent in DigitalOcean's spelling"
    assert state["firewallId"] == rid


def test_digitalocean_normalisation_comes_back_as_no_change(cloud: Cloud) -> None:
    do = cloud.do
    rid, state, news = create(cloud, tags=["Web"])
    fw = cloud.firewall(rid)
    ssh = next(r for r in fw["inbound_rules"] if r["ports"] == "22")
    assert ssh["sources"]["addresses"] == ["10.0.0.1"], "DigitalOcean drops a host's prefix"
    assert [r["ports"] for r in fw["inbound_rules"]] == ["0", "22"], "and answers in an order of its own"
    assert fw["tags"] == ["web"]
    assert state["inboundRules"] == news["inboundRules"] and state["tags"] == ["Web"]
    assert not Firewall.diff(state, news).changes
    refreshed, kept_inputs = do.run(Firewall.read(cloud.ctx(), rid, state, news))
    assert refreshed == state and kept_inputs == news
    assert not Firewall.diff(refreshed, news).changes


def test_import_reads_inputs_that_check_and_diff_clean(cloud: Cloud) -> None:
    rid, _, _ = create(cloud, tags=["web"])
    outputs, imported = cloud.do.run(Firewall.read(cloud.ctx(), rid, {}, {}))
    assert imported["name"] == "web" and imported["dropletIds"] == cloud.droplets[:2]
    assert imported["tags"] == ["web"]
    assert {r["portRange"] for r in imported["inboundRules"]} == {"22", "all"}
    checked, failures = Firewall.check(URN, imported, imported, b"s")
    assert failures == []
    assert not Firewall.diff(outputs, checked).changes


def test_updates_are_granular_and_only_a_rename_puts(cloud: Cloud) -> None:
    do = cloud.do
    a, b, c = cloud.droplets
    rid, state, news = create(cloud)
    # A rule added by someone else is kept by a rename: the PUT is built from the live firewall.
    unowned = {"protocol": "tcp", "ports": "443", "destinations": {"tags": ["x"]}}
    do.backend.firewalls.rules(rid, {"outbound_rules": [unowned]}, add=True)
    do.advance(10)
    mark = do.mark()
    renamed = {**news, "name": "web-2", "outboundRules": None}
    state = do.run(Firewall.update(cloud.ctx(), rid, state, renamed))
    assert cloud.mutating(mark) == [("PUT", f"/v2/firewalls/{rid}")]
    body = cloud.body("PUT", f"/v2/firewalls/{rid}", mark)
    assert body["name"] == "web-2"
    assert unowned in body["outbound_rules"]
    assert body["droplet_ids"] == [a, b] and len(body["inbound_rules"]) == 2

    mark = do.mark()
    changed = {**renamed, "inboundRules": [HTTP, {**SSH, "portRange": "2222"}], "dropletIds": [b, c]}
    state = do.run(Firewall.update(cloud.ctx(), rid, state, changed))
    assert cloud.mutating(mark) == [
        ("POST", f"/v2/firewalls/{rid}/droplets"),
        ("DELETE", f"/v2/firewalls/{rid}/rules"),
        ("POST", f"/v2/firewalls/{rid}/rules"),
        ("DELETE", f"/v2/firewalls/{rid}/droplets"),
    ]
    assert cloud.body("POST", f"/v2/firewalls/{rid}/droplets", mark) == {"droplet_ids": [c]}
    assert cloud.body("DELETE", f"/v2/firewalls/{rid}/droplets", mark) == {"droplet_ids": [a]}
    removed = cloud.body("DELETE", f"/v2/firewalls/{rid}/rules", mark)
    assert removed["inbound_rules"] == [
        {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["10.0.0.1"]}}
    ], "removed as DigitalOcean has it"
    added = cloud.body("POST", f"/v2/firewalls/{rid}/rules", mark)
    assert added["inbound_rules"] == [
        {"protocol": "tcp", "ports": "2222", "sources": {"addresses": ["10.0.0.1/32"]}}
    ]
    assert state["status"] == "succeeded" and not Firewall.diff(state, changed).changes
    assert any(r["portRange"] == "443" for r in state["outboundRules"]), "the unowned rule survived"
    live = cloud.firewall(rid)
    assert live["droplet_ids"] == [b, c] and {r["ports"] for r in live["inbound_rules"]} == {"0", "2222"}


def test_an_update_with_nothing_to_do_sends_nothing(cloud: Cloud) -> None:
    do = cloud.do
    rid, state, news = create(cloud)
    mark = do.mark()
    do.run(Firewall.update(cloud.ctx(), rid, state, news))
    assert cloud.mutating(mark) == [] and len(do.sent[mark:]) == 1


def test_failed_is_an_error_naming_the_droplets_and_the_firewall_is_kept(cloud: Cloud) -> None:
    a, b, _ = cloud.droplets
    cloud.do.backend.add_fault({"firewall": "failed"})
    with pytest.raises(PartialFailure) as info:
        cloud.do.run(Firewall.create(cloud.ctx(), inputs(cloud)))
    message = str(info.value)
    assert "Firewall 'web'" in message and "failed" in message and f"{a}, {b}" in message
    assert cloud.exists(info.value.resource_id)
    assert info.value.state["firewallId"] == info.value.resource_id
    assert info.value.state["status"] == "failed"


def test_a_failed_firewall_stays_an_error_until_a_change_applies_it_anew(cloud: Cloud) -> None:
    do = cloud.do
    do.backend.add_fault({"firewall": "failed"})
    news = inputs(cloud)
    with pytest.raises(PartialFailure) as info:
        do.run(Firewall.create(cloud.ctx(), news))
    rid, state = info.value.resource_id, info.value.state
    # The engine retries an unfinished create as an update: still failed, still an error.
    with pytest.raises(PartialFailure, match="failed"):
        do.run(Firewall.update(cloud.ctx(), rid, state, news))
    assert cloud.mutating() == [("POST", "/v2/firewalls")], "nothing sent but the one create"
    changed = {**news, "dropletIds": cloud.droplets[:1]}
    state = do.run(Firewall.update(cloud.ctx(), rid, state, changed))
    assert state["status"] == "succeeded" and len(do.backend.firewalls.list()) == 1


def test_a_failed_update_records_what_was_applied(cloud: Cloud) -> None:
    do = cloud.do
    rid, state, news = create(cloud)
    changed = {**news, "dropletIds": cloud.droplets, "inboundRules": [SSH]}
    rules = f"/v2/firewalls/{rid}/rules"
    do.backend.add_fault({"method": "DELETE", "path": rules, "status": 500, "times": None})
    mark = do.mark()
    with pytest.raises(PartialFailure) as info:
        do.run(Firewall.update(cloud.ctx(), rid, state, changed))
    do.backend.clear_faults()
    assert [s.status for s in do.requests("DELETE", rules, since=mark)][-1] == 500
    assert info.value.state["dropletIds"] == cloud.droplets, (
        "the droplet added before the failure is recorded"
    )
    assert len(info.value.state["inboundRules"]) == 2, "the rule that was not removed is still there"
    diff = Firewall.diff(info.value.state, changed)
    assert diff.detailed == {"inboundRules[1]": "delete"}, "the next up finishes the job"


def test_timeout_keeps_the_firewall_and_says_how_to_wait_longer(emulated: Any) -> None:
    do: Emulated = emulated(firewall_settle_s=600)
    cloud = Cloud(do)
    with pytest.raises(PartialFailure) as info:
        do.run(Firewall.create(cloud.ctx(timeout=30), inputs(cloud)))
    assert "timed out" in str(info.value) and "customTimeouts" in str(info.value)
    assert 30 <= cloud.elapsed <= 31
    assert info.value.state["status"] == "waiting"
    assert cloud.firewall(info.value.resource_id)["status"] == "waiting"
    # The next up (an update, the engine retrying initialisation) waits again and converges.
    do.advance(600)
    state = do.run(Firewall.update(cloud.ctx(), info.value.resource_id, info.value.state, inputs(cloud)))
    assert state["status"] == "succeeded"
    assert len(do.requests("POST", "/v2/firewalls")) == 1, "never created twice"


def test_cancel_stops_the_wait_promptly(emulated: Any) -> None:
    do: Emulated = emulated(firewall_settle_s=600)
    cloud = Cloud(do)
    cancel = asyncio.Event()

    async def sleep(seconds: float) -> None:
        await do.sleep(seconds)
        if cloud.elapsed > 3:
            cancel.set()

    c = cloud.ctx(cancel=cancel)
    c.sleep = sleep
    with pytest.raises(PartialFailure) as info:
        do.run(Firewall.create(c, inputs(cloud)))
    assert "cancelled" in str(info.value)
    assert cloud.elapsed < 20
    assert cloud.exists(info.value.resource_id)


def test_delete_is_idempotent(cloud: Cloud) -> None:
    do = cloud.do
    rid, state, _ = create(cloud)
    do.run(Firewall.delete(cloud.ctx(), rid, state))
    assert not cloud.exists(rid)
    do.run(Firewall.delete(cloud.ctx(), rid, state))
    assert [s.status for s in do.requests("DELETE", f"/v2/firewalls/{rid}")] == [204, 404]
    assert do.run(Firewall.read(cloud.ctx(), rid, state, {})) is None


def test_missing_tags_are_created_before_they_are_used(cloud: Cloud) -> None:
    rule = {"protocol": "tcp", "portRange": "5432", "sourceTags": ["App"]}
    create(cloud, tags=["Web"], inboundRules=[rule])
    sent = cloud.do.sent
    assert sorted(s.body["name"] for s in sent if s.path == "/v2/tags") == ["App", "Web"]
    post = next(i for i, s in enumerate(sent) if (s.method, s.path) == ("POST", "/v2/firewalls"))
    assert all(i < post for i, s in enumerate(sent) if s.path == "/v2/tags")


# ------------------------------------------------------------------------------------- FirewallRule


def rule_inputs(firewall_id: str, rule: dict[str, Any] | None = None) -> dict[str, Any]:
    checked, failures = FirewallRule.check(
        RULE_URN, {}, {"firewallId": firewall_id, "inboundRule": rule or {**SSH, "portRange": "2222"}}, b"s"
    )
    assert failures == []
    return checked


def test_firewall_rule_adds_and_removes_only_its_rule(cloud: Cloud) -> None:
    do = cloud.do
    fid, _, _ = create(cloud, inboundRules=None)
    mark = do.mark()
    news = rule_inputs(fid)
    c = cloud.ctx(RULE_URN)
    rid, state = do.run(FirewallRule.create(c, news))
    key = rule_key("inbound", news["inboundRule"])
    assert key is not None and rid == f"{fid}:inbound:{rule_digest(key)}"
    assert cloud.mutating(mark) == [("POST", f"/v2/firewalls/{fid}/rules")]
    assert cloud.firewall(fid)["status"] == "succeeded", "returned once DigitalOcean applied the rule"
    assert state["direction"] == "inbound" and state["inboundRule"] == news["inboundRule"]
    assert do.run(FirewallRule.read(c, rid, state, news)) == (state, news), "refresh: nothing changed"
    # Import by id only: the rule is found by its digest.
    outputs, imported = do.run(FirewallRule.read(c, rid, {}, {}))
    assert imported["firewallId"] == fid and imported["inboundRule"]["portRange"] == "2222"
    do.run(FirewallRule.delete(c, rid, state))
    live = cloud.firewall(fid)
    assert live["inbound_rules"] == [], "only the rule it added was removed"
    assert [r["ports"] for r in live["outbound_rules"]] == ["53"]
    assert do.run(FirewallRule.read(c, rid, state, news)) is None


def test_firewall_rule_refuses_a_rule_someone_already_owns(cloud: Cloud) -> None:
    fid, _, _ = create(cloud)
    mark = cloud.do.mark()
    with pytest.raises(ResourceError) as info:
        cloud.do.run(FirewallRule.create(cloud.ctx(RULE_URN), rule_inputs(fid, SSH)))
    assert "already has this inbound rule" in str(info.value) and "pulumi import" in str(info.value)
    assert cloud.mutating(mark) == [], "refused before any request"


def test_firewall_rule_on_a_missing_firewall_names_it(cloud: Cloud) -> None:
    with pytest.raises(ResourceError) as info:
        cloud.do.run(FirewallRule.create(cloud.ctx(RULE_URN), rule_inputs("fw-404")))
    assert "fw-404" in str(info.value) and "does not exist" in str(info.value)


# -------------------------------------------------------------------------------------- getFirewall


def test_get_firewall_by_id_or_unique_name(cloud: Cloud) -> None:
    from ocean.provider.registry import lookup_function
    from ocean.resources.lookups import LookupError_

    do = cloud.do
    get_firewall = lookup_function("ocean:index:getFirewall")
    rid, _, _ = create(cloud, tags=["Web"])
    by_id = do.run(get_firewall.run(cloud.ctx(), {"id": rid}))
    by_name = do.run(get_firewall.run(cloud.ctx(), {"name": "web"}))
    assert by_id == by_name and by_id["firewallId"] == rid and by_id["tags"] == ["web"]
    assert {r["portRange"] for r in by_id["inboundRules"]} == {"22", "all"}
    create(cloud)  # a second firewall named "web"
    with pytest.raises(LookupError_, match="2 firewalls are named 'web'"):
        do.run(get_firewall.run(cloud.ctx(), {"name": "web"}))
    with pytest.raises(LookupError_, match="exactly one of `id` or `name`"):
        do.run(get_firewall.run(cloud.ctx(), {}))
