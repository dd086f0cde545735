"""Firewall semantics on their own (no API, no engine): what makes two rules the same, Check's errors,
the detailed diff, and the order of the granular requests an update sends. Live rules are what the
emulator's firewalls service (in process, no HTTP) answers for the rules the provider would send: the one
model of how DigitalOcean rewrites a rule on write."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from ocean.api.models import Firewall as ApiFirewall
from ocean.emulator.backend import Backend
from ocean.emulator.config import EmulatorConfig
from ocean.emulator.services.firewalls import Firewalls as EmulatedFirewalls
from ocean.resources.firewall import (
    MAX_DROPLETS,
    Firewall,
    canonical_address,
    canonical_ports,
    merge_rules,
    plan_update,
    rule_changes,
    rule_key,
    to_api_rule,
    to_state,
)
from ocean.resources.firewall_rule import FirewallRule
from ocean.resources.unknown import UNKNOWN

URN = "urn:pulumi:dev::proj::ocean:index:Firewall::web"
SSH = {"protocol": "tcp", "portRange": "22", "sourceAddresses": ["10.0.0.0/8"]}
HTTP = {"protocol": "tcp", "portRange": "80", "sourceAddresses": ["0.0.0.0/0", "::/0"]}
PING = {"protocol": "icmp", "sourceAddresses": ["0.0.0.0/0"]}
OUT = {"protocol": "tcp", "portRange": "all", "destinationAddresses": ["0.0.0.0/0", "::/0"]}


def _rule(**over: Any) -> dict[str, Any]:
    """A valid inbound rule with some fields changed (None: left out)."""
    rule = {"protocol": "tcp", "portRange": "22", "sourceAddresses": ["::/0"], **over}
    return {k: v for k, v in rule.items() if v is not None}


def check(news: dict[str, Any], olds: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[Any]]:
    return Firewall.check(URN, olds or {}, {"name": "web", **news}, b"seed")


def live(**over: Any) -> ApiFirewall:
    body = {
        "id": "fw-1",
        "name": "web",
        "status": "succeeded",
        "created_at": "2024-05-01T10:00:00Z",
        "pending_changes": [],
        "droplet_ids": [],
        "tags": [],
        "inbound_rules": [],
        "outbound_rules": [],
        **over,
    }
    return ApiFirewall.model_validate(body)


@pytest.fixture(scope="module")
def digitalocean() -> Iterator[EmulatedFirewalls]:
    """The emulator's firewalls service, in process."""
    backend = Backend(EmulatorConfig(clock_mode="manual"))
    yield backend.firewalls
    backend.close()


def written(
    do: EmulatedFirewalls,
    inbound: Iterable[dict[str, Any]] = (),
    outbound: Iterable[dict[str, Any]] = (),
    tags: Iterable[str] = (),
) -> dict[str, Any]:
    """What DigitalOcean answers for a firewall created with these rules of the program's (sent as the
    provider sends them) and these tags: its rules and tags as it wrote them."""
    fw = do.create(
        {
            "name": "probe",
            "inbound_rules": [to_api_rule("inbound", r) for r in inbound],
            "outbound_rules": [to_api_rule("outbound", r) for r in outbound],
            "tags": list(tags),
        }
    )
    return {key: fw[key] for key in ("inbound_rules", "outbound_rules", "tags")}


def api_rule(do: EmulatedFirewalls, rule: dict[str, Any], direction: str = "inbound") -> dict[str, Any]:
    """One rule as DigitalOcean has it once written."""
    rules: list[dict[str, Any]] = written(do, **{direction: [rule]})[f"{direction}_rules"]
    [answered] = rules
    return answered


# ------------------------------------------------------------------------------- semantic comparison


@pytest.mark.parametrize("spelling", [None, "", "all", "0", "1-65535"])
def test_every_spelling_of_all_ports_is_one_value(spelling: Any) -> None:
    assert canonical_ports("tcp", spelling) == canonical_ports("udp", "all") == "0"


def test_ports_keep_their_meaning() -> None:
    assert canonical_ports("tcp", "22") == "22"
    assert canonical_ports("tcp", "80-80") == "80"
    assert canonical_ports("tcp", "8000-9000") == "8000-9000"
    assert canonical_ports("tcp", "22") != canonical_ports("tcp", "23")
    assert canonical_ports("icmp", None) == canonical_ports("icmp", "0"), "icmp has no ports"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("10.0.0.1", "10.0.0.1/32"),
        ("2001:db8::1", "2001:0db8:0000:0000:0000:0000:0000:0001/128"),
        ("2001:DB8::/32", "2001:db8::/32"),
        ("10.0.0.0/8", "10.1.2.3/8"),
    ],
)
def test_addresses_compare_as_networks(a: str, b: str) -> None:
    assert canonical_address(a) == canonical_address(b)


def test_different_networks_differ() -> None:
    assert canonical_address("10.0.0.0/8") != canonical_address("10.0.0.0/16")
    assert canonical_address("0.0.0.0/0") != canonical_address("::/0")


def test_rules_are_compared_by_meaning() -> None:
    a = _rule(portRange="all", sourceAddresses=["10.0.0.1/32", "::/0"], sourceTags=["Web"])
    b = _rule(portRange=None, sourceAddresses=["::/0", "10.0.0.1", "10.0.0.1"], sourceTags=["web"])
    assert rule_key("inbound", a) == rule_key("inbound", b)
    assert rule_key("inbound", a) != rule_key("inbound", {**b, "protocol": "udp"})
    assert rule_key("inbound", a) != rule_key("outbound", a)
    assert rule_key("inbound", {**a, "sourceDropletIds": [UNKNOWN]}) is None, "unknown: cannot be matched"


def test_digitalocean_normalisation_round_trips_with_no_diff(digitalocean: EmulatedFirewalls) -> None:
    """What DigitalOcean answers (ports "0", host addresses without /32, lower-case tags, its own order)
    is recorded in the program's spelling, and previews with no changes."""
    program = {
        "name": "web",
        "inboundRules": [
            _rule(portRange="all", sourceAddresses=["10.0.0.1/32"], sourceTags=["Web"]),
            {"protocol": "udp", "portRange": "1-65535", "sourceAddresses": ["2001:0db8::/32"]},
            PING,
            SSH,
        ],
        "outboundRules": [OUT],
        "dropletIds": [3, 1],
        "tags": ["Web"],
    }
    checked, failures = check(program)
    assert failures == []
    answer = written(digitalocean, checked["inboundRules"], checked["outboundRules"], checked["tags"])
    answered = live(**answer, droplet_ids=[1, 3])
    # DigitalOcean's rewrite, which the provider must see as no change: its own order (tcp before udp
    # before icmp, by ports), every port "0", a host without its prefix, IPv6 compressed, tags lower-cased.
    assert [(r.protocol, r.ports) for r in answered.inbound_rules] == [
        ("tcp", "0"),
        ("tcp", "22"),
        ("udp", "0"),
        ("icmp", "0"),
    ], "not the program's order"
    first, _, udp, _ = answered.inbound_rules
    assert first.sources.addresses == ["10.0.0.1"] and first.sources.tags == ["web"]
    assert udp.sources.addresses == ["2001:db8::/32"]
    assert answered.tags == ["web"]
    state = to_state(answered, checked)
    assert state["inboundRules"] == checked["inboundRules"], "the program's spelling and order are kept"
    assert state["tags"] == ["Web"] and state["dropletIds"] == [3, 1]
    diff = Firewall.diff(state, checked)
    assert not diff.changes, diff
    assert plan_update(answered, checked).empty


# ------------------------------------------------------------------------------------------- check


@pytest.mark.parametrize(
    ("rule", "field", "words"),
    [
        (_rule(protocol="tcpx"), "protocol", "tcp"),
        (_rule(protocol=None), "protocol", "required"),
        (_rule(portRange="0-22"), "portRange", "1-65535"),
        (_rule(portRange="70000"), "portRange", "1-65535"),
        (_rule(portRange="90-80"), "portRange", "low"),
        (_rule(portRange="ssh"), "portRange", "range"),
        (_rule(portRange=22), "portRange", "string"),
        (_rule(protocol="icmp"), "portRange", "icmp"),
        (_rule(sourceAddresses=["10.0.0.300/8"]), "sourceAddresses", "CIDR"),
        (_rule(sourceAddresses=None), "", "at least one"),
        (_rule(sourceAddresses=[]), "", "at least one"),
        (_rule(sourceDropletIds=[0]), "sourceDropletIds", "droplet id"),
        (_rule(sourceDropletIds=[True]), "sourceDropletIds", "droplet id"),
        (_rule(sourceTags=["a b"]), "sourceTags", "tag"),
        (_rule(destinationAddresses=["::/0"]), "destinationAddresses", "outbound"),
        (_rule(ports="22", portRange=None), "ports", "portRange"),
    ],
)
def test_check_names_the_firewall_the_rule_by_index_and_the_field(rule: Any, field: str, words: str) -> None:
    _, failures = check({"inboundRules": [rule]})
    path = f"inboundRules[0].{field}" if field else "inboundRules[0]"
    assert failures, rule
    reasons = [f.reason for f in failures]
    assert any(f"Firewall 'web': `{path}`" in r and words in r for r in reasons), reasons
    assert {f.property for f in failures} == {"inboundRules"}


def test_check_indexes_the_offending_rule_among_good_ones() -> None:
    _, failures = check({"inboundRules": [SSH, HTTP, {**SSH, "portRange": "99999"}], "outboundRules": [OUT]})
    assert [f.reason.split("`")[1] for f in failures] == ["inboundRules[2].portRange"]


def test_check_reports_every_problem_at_once() -> None:
    _, failures = check(
        {
            "name": "-web",
            "inboundRules": [{**SSH, "protocol": "sctp"}],
            "dropletIds": list(range(1, MAX_DROPLETS + 2)),
            "tags": ["a", "b", "c", "d", "e", "f"],
        }
    )
    assert {f.property for f in failures} == {"name", "inboundRules", "dropletIds", "tags"}
    droplets = next(f.reason for f in failures if f.property == "dropletIds")
    assert "at most 10" in droplets and "tags" in droplets


def test_check_limits_rules_per_firewall() -> None:
    rules = [{**SSH, "portRange": str(1000 + i)} for i in range(51)]
    _, failures = check({"inboundRules": rules})
    assert any("at most 50" in f.reason for f in failures)


def test_check_drops_duplicates_and_keeps_the_first_spelling() -> None:
    checked, failures = check(
        {
            "inboundRules": [
                {**SSH, "sourceAddresses": ["10.0.0.1/32", "10.0.0.1", "10.0.0.1"]},
                {**HTTP, "portRange": "all"},
                {**HTTP, "portRange": "1-65535", "sourceAddresses": ["::/0", "0.0.0.0/0"]},
            ],
            "dropletIds": [4, 4, 5],
            "tags": ["Web", "web", "db"],
        }
    )
    assert failures == []
    assert checked["inboundRules"] == [
        {**SSH, "sourceAddresses": ["10.0.0.1/32"]},
        {**HTTP, "portRange": "all"},
    ]
    assert checked["dropletIds"] == [4, 5] and checked["tags"] == ["Web", "db"]


def test_check_leaves_unknowns_for_up_and_checks_what_is_known() -> None:
    checked, failures = check(
        {
            "inboundRules": [
                {"protocol": "tcp", "portRange": "22", "sourceDropletIds": [UNKNOWN]},
                {"protocol": "tcp", "portRange": UNKNOWN, "sourceAddresses": ["::/0"]},
            ],
            "outboundRules": UNKNOWN,
            "dropletIds": [UNKNOWN, 7],
        }
    )
    assert failures == []
    assert checked["inboundRules"][0]["sourceDropletIds"] == [UNKNOWN]
    assert checked["outboundRules"] is UNKNOWN
    _, failures = check({"inboundRules": [_rule(portRange="x", sourceDropletIds=[UNKNOWN])]})
    assert [f.reason.split("`")[1] for f in failures] == ["inboundRules[0].portRange"]


def test_a_new_firewall_needs_a_rule_but_an_existing_one_may_leave_rules_to_others() -> None:
    _, failures = check({"dropletIds": [1]})
    assert any("at least one rule" in f.reason for f in failures)
    _, failures = check({"dropletIds": [1]}, olds={"name": "web", "dropletIds": [1]})
    assert failures == []


def test_check_auto_names_a_valid_firewall_name() -> None:
    checked, failures = Firewall.check(URN.replace("::web", "::Web_Front"), {}, {"inboundRules": [SSH]}, b"s")
    assert failures == [] and checked["name"].startswith("web-front-")


# -------------------------------------------------------------------------------------------- diff


def _state(**over: Any) -> dict[str, Any]:
    return {
        "name": "web",
        "inboundRules": [SSH, HTTP, PING],
        "outboundRules": [OUT],
        "dropletIds": [1, 2],
        "tags": ["web"],
        "firewallId": "fw-1",
        "status": "succeeded",
        "pendingChanges": [],
        **over,
    }


def _news(**over: Any) -> dict[str, Any]:
    return {
        "name": "web",
        "inboundRules": [SSH, HTTP, PING],
        "outboundRules": [OUT],
        "dropletIds": [1, 2],
        "tags": ["web"],
        **over,
    }


def test_diff_shows_each_rule_added_or_removed() -> None:
    https = {**HTTP, "portRange": "443"}
    d = Firewall.diff(_state(), _news(inboundRules=[PING, SSH, https]))
    # HTTP was index 1 of the recorded rules; https is index 2 of the program's.
    assert d.detailed == {"inboundRules[1]": "delete", "inboundRules[2]": "add"}
    assert d.changes and d.replaces == []


def test_diff_reorder_and_respelling_is_no_change() -> None:
    respelled = [PING, {**HTTP, "sourceAddresses": ["::/0", "0.0.0.0/0"]}, {**SSH, "portRange": "22-22"}]
    assert not Firewall.diff(_state(), _news(inboundRules=respelled, tags=["WEB"], dropletIds=[2, 1])).changes


def test_a_removed_and_an_added_rule_at_one_index_show_as_an_update() -> None:
    d = Firewall.diff(_state(), _news(inboundRules=[{**SSH, "portRange": "2222"}, HTTP, PING]))
    assert d.detailed == {"inboundRules[0]": "update"}


def test_rules_the_firewall_does_not_own_are_never_a_diff() -> None:
    d = Firewall.diff(_state(), _news(inboundRules=None))
    assert not d.changes
    d = Firewall.diff(_state(inboundRules=[SSH, {**SSH, "portRange": "2200"}]), _news(inboundRules=None))
    assert not d.changes


def test_unknown_targets_at_preview_are_an_addition() -> None:
    new_rule = {"protocol": "tcp", "portRange": "5432", "sourceDropletIds": [UNKNOWN]}
    d = Firewall.diff(_state(), _news(inboundRules=[SSH, HTTP, PING, new_rule]))
    assert d.detailed == {"inboundRules[3]": "add"}
    d = Firewall.diff(_state(), _news(dropletIds=[1, UNKNOWN]))
    assert d.detailed == {"dropletIds": "update"}


def test_droplets_tags_and_name() -> None:
    d = Firewall.diff(_state(), _news(name="web-2", dropletIds=[1, 2, 3], tags=[]))
    assert d.detailed == {"name": "update", "dropletIds": "update", "tags": "delete"}
    assert Firewall.diff(_state(tags=[]), _news(tags=["db"])).detailed == {"tags": "add"}


def test_rule_changes_is_a_set_difference() -> None:
    removed, added = rule_changes("inbound", [SSH, HTTP], [HTTP, HTTP, PING])
    assert removed == [0] and added == [2]


def test_merge_keeps_program_spelling_then_appends_other_live_rules(digitalocean: EmulatedFirewalls) -> None:
    fw = live(
        inbound_rules=[
            api_rule(digitalocean, HTTP),
            api_rule(digitalocean, {**SSH, "portRange": "2222"}),
            api_rule(digitalocean, SSH),
        ]
    )
    merged = merge_rules("inbound", fw.inbound_rules, [SSH, HTTP])
    assert merged[:2] == [SSH, HTTP]
    assert merged[2]["portRange"] == "2222" and len(merged) == 3


# ------------------------------------------------------------------------------------ update plans


def test_rules_are_removed_before_added_and_droplets_added_first_removed_last(
    digitalocean: EmulatedFirewalls,
) -> None:
    fw = live(
        inbound_rules=[api_rule(digitalocean, SSH), api_rule(digitalocean, HTTP)],
        outbound_rules=[api_rule(digitalocean, OUT, "outbound")],
        droplet_ids=[1, 2],
        tags=["old"],
    )
    plan = plan_update(fw, _news(inboundRules=[HTTP, PING], dropletIds=[2, 3], tags=["new"]))
    assert plan.order() == [
        "add_droplets",
        "add_tags",
        "remove_rules",
        "add_rules",
        "remove_droplets",
        "remove_tags",
    ]
    assert plan.add_droplets == [3] and plan.remove_droplets == [1]
    assert plan.remove_rules["inbound"] == [api_rule(digitalocean, SSH)], "removed as DigitalOcean has it"
    assert plan.add_rules["inbound"][0]["protocol"] == "icmp" and plan.add_rules["outbound"] == []
    assert plan.rename is None


def test_at_the_droplet_cap_removals_go_first() -> None:
    fw = live(droplet_ids=list(range(1, 11)))
    plan = plan_update(fw, _news(dropletIds=[*range(2, 11), 11]))
    assert plan.order().index("remove_droplets") < plan.order().index("add_droplets")


def test_only_a_rename_is_a_put(digitalocean: EmulatedFirewalls) -> None:
    fw = live(inbound_rules=[api_rule(digitalocean, SSH)])
    news = _news(name="renamed", inboundRules=[SSH], outboundRules=[], dropletIds=[], tags=[])
    plan = plan_update(fw, news)
    assert plan.order() == ["rename"] and plan.rename == "renamed"


def test_unowned_rules_are_left_alone(digitalocean: EmulatedFirewalls) -> None:
    fw = live(
        inbound_rules=[api_rule(digitalocean, SSH), api_rule(digitalocean, HTTP)],
        outbound_rules=[api_rule(digitalocean, OUT, "outbound")],
    )
    plan = plan_update(fw, _news(inboundRules=None, outboundRules=None, dropletIds=[9], tags=[]))
    assert plan.order() == ["add_droplets"]


# ---------------------------------------------------------------------------------- FirewallRule


RULE_URN = "urn:pulumi:dev::proj::ocean:index:FirewallRule::ssh"


def test_firewall_rule_needs_exactly_one_direction() -> None:
    _, failures = FirewallRule.check(RULE_URN, {}, {"firewallId": "fw-1"}, b"s")
    assert "exactly one" in failures[0].reason
    _, failures = FirewallRule.check(
        RULE_URN, {}, {"firewallId": "fw-1", "inboundRule": SSH, "outboundRule": OUT}, b"s"
    )
    assert "both" in failures[0].reason
    _, failures = FirewallRule.check(
        RULE_URN, {}, {"firewallId": "fw-1", "inboundRule": {**SSH, "portRange": "0-1"}}, b"s"
    )
    assert "FirewallRule 'ssh': `inboundRule.portRange`" in failures[0].reason


def test_firewall_rule_respelling_is_no_change_and_a_change_replaces_delete_first() -> None:
    olds = {"firewallId": "fw-1", "inboundRule": SSH, "direction": "inbound"}
    same = {"firewallId": "fw-1", "inboundRule": {**SSH, "portRange": "22-22"}}
    assert not FirewallRule.diff(olds, same).changes
    d = FirewallRule.diff(olds, {"firewallId": "fw-1", "inboundRule": {**SSH, "portRange": "2222"}})
    assert d.replaces == ["inboundRule"] and d.delete_before_replace
