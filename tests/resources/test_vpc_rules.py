"""Vpc and VpcPeering check and diff rules, each on its own (no API, no engine)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ocean.resources.base import Context, Normalize, ReplaceOnChange, ServerDefault
from ocean.resources.unknown import UNKNOWN
from ocean.resources.vpc import Vpc, VpcArgs
from ocean.resources.vpc_peering import VpcPeering, VpcPeeringArgs

URN = "urn:pulumi:dev::proj::ocean:index:Vpc::net.a_1"
PURN = "urn:pulumi:dev::proj::ocean:index:VpcPeering::link.a_b"
A = "5a4981aa-9653-4bd1-bef5-d6bff52042e4"
B = "8a4981aa-9653-4bd1-bef5-d6bff52042e4"
VPC = {"name": "net-a", "region": "nyc3", "ipRange": "10.10.10.0/24"}


def vpc_state(**over: Any) -> dict[str, Any]:
    return {**VPC, "description": "", "default": False, "vpcId": A, "vpcUrn": f"do:vpc:{A}", **over}


def failures(urn: str, res: Any, news: dict[str, Any]) -> dict[str, str]:
    _, found = res.check(urn, {}, news, b"seed")
    return {f.property: f.reason for f in found}


# ----------------------------------------------------------------------------------------- Vpc check


def test_vpc_auto_name_is_a_valid_vpc_name_from_the_seed() -> None:
    inputs, found = Vpc.check(URN, {}, {"region": "nyc3"}, b"seed")
    assert found == []
    assert inputs["name"].startswith("net.a-1-") and len(inputs["name"]) == len("net.a-1-") + 7
    again, _ = Vpc.check(URN, {}, {"region": "nyc3"}, b"seed")
    assert again["name"] == inputs["name"]
    kept, _ = Vpc.check(URN, {"name": "net-old"}, {"region": "nyc3"}, b"other")
    assert kept["name"] == "net-old", "an earlier auto-name is kept"


@pytest.mark.parametrize(
    ("ip_range", "says"),
    [
        ("10.10.10.0/24", None),
        ("10.0.0.0/16", None),
        ("172.20.0.0/16", None),
        ("192.168.4.0/28", None),
        ("10.10.10.5/24", "host bits set: the network is `10.10.10.0/24`"),
        ("10.10.10.0", "no prefix length"),
        ("ten-dot-ten", "is not a CIDR block"),
        ("8.8.8.0/24", "not a private (RFC 1918) range"),
        ("172.32.0.0/16", "not a private (RFC 1918) range"),
        ("fd00::/64", "not an IPv4 range"),
        ("10.0.0.0/15", "is a /15; DigitalOcean offers VPCs from /16 to /28"),
        ("10.0.0.0/29", "is a /29"),
    ],
)
def test_vpc_ip_range_must_be_a_private_network_of_an_allowed_size(ip_range: str, says: str | None) -> None:
    found = failures(URN, Vpc, {**VPC, "ipRange": ip_range})
    if says is None:
        assert found == {}
    else:
        assert list(found) == ["ipRange"]
        assert (
            says in found["ipRange"] and "Vpc 'net.a_1'" in found["ipRange"] and ip_range in found["ipRange"]
        )


@pytest.mark.parametrize("region", ["NYC3", "nyc", "new-york-3", "n3", "nyc3 "])
def test_vpc_region_slug_syntax(region: str) -> None:
    found = failures(URN, Vpc, {**VPC, "region": region})
    assert list(found) == ["region"] and "`region`" in found["region"] and "e.g. `nyc3`" in found["region"]


@pytest.mark.parametrize("name", ["net_a", "net a", "net/a", "n" * 256, "nét"])
def test_vpc_name_characters_and_length(name: str) -> None:
    found = failures(URN, Vpc, {**VPC, "name": name})
    assert list(found) == ["name"] and "letters, digits, '-' and '.'" in found["name"]


def test_vpc_description_length_types_and_unknown_inputs() -> None:
    found = failures(URN, Vpc, {**VPC, "description": "d" * 256})
    assert list(found) == ["description"] and "at most 255" in found["description"]
    found = failures(URN, Vpc, {**VPC, "default": "yes", "colour": "blue"})
    assert set(found) == {"default", "colour"} and "not an input" in found["colour"]
    assert list(failures(URN, Vpc, {"name": "x"})) == ["region"]
    # Unknown values are left for `up`; the known ones are still checked.
    inputs, found_list = Vpc.check(URN, {}, {**VPC, "region": UNKNOWN, "ipRange": UNKNOWN}, b"s")
    assert found_list == [] and inputs["region"] is UNKNOWN
    found = failures(URN, Vpc, {**VPC, "region": UNKNOWN, "ipRange": "8.8.8.0/24"})
    assert list(found) == ["ipRange"]


# ------------------------------------------------------------------------------------------ Vpc diff


def test_vpc_field_policies() -> None:
    assert any(isinstance(p, ReplaceOnChange) for p in VpcArgs.policies("region"))
    ip = VpcArgs.policies("ip_range")
    assert any(isinstance(p, ReplaceOnChange) for p in ip) and any(isinstance(p, ServerDefault) for p in ip)
    assert any(isinstance(p, ServerDefault) for p in VpcArgs.policies("default"))
    assert not any(isinstance(p, ReplaceOnChange) for p in VpcArgs.policies("name"))


@pytest.mark.parametrize(
    ("news", "replaces", "detailed"),
    [
        ({**VPC, "region": "sfo3"}, ["region"], {"region": "update-replace"}),
        ({**VPC, "ipRange": "10.10.20.0/24"}, ["ipRange"], {"ipRange": "update-replace"}),
        ({**VPC, "name": "net-b"}, [], {"name": "update"}),
        ({**VPC, "description": "prod"}, [], {"description": "add"}),
        ({**VPC, "default": True}, [], {"default": "update"}),
        ({k: v for k, v in VPC.items() if k != "ipRange"}, [], {}),  # DigitalOcean's choice accepted
        ({**VPC, "ipRange": "10.10.10.0/24", "description": None}, [], {}),  # "" and None: unset
    ],
)
def test_vpc_diff(news: dict[str, Any], replaces: list[str], detailed: dict[str, str]) -> None:
    d = Vpc.diff(vpc_state(), news)
    assert d.replaces == replaces and d.detailed == detailed
    assert d.changes == bool(detailed)
    assert d.delete_before_replace == bool(replaces), "names and ranges are unique: delete first"
    if replaces:
        assert "cannot" in d.reasons[replaces[0]]


def test_vpc_default_left_out_accepts_a_default_vpc_and_off_is_refused_at_preview() -> None:
    state = vpc_state(default=True)
    assert not Vpc.diff(state, dict(VPC)).changes
    d = Vpc.diff(state, {**VPC, "default": False})
    assert d.changes and not d.replaces
    ctx = Context(api=None, urn=URN)
    problems = asyncio.run(Vpc.validate_change(ctx, state, {**VPC, "default": False}))
    assert len(problems) == 1
    assert "`default` cannot be turned off" in problems[0] and "default: true` on that one" in problems[0]
    assert "nyc3" in problems[0] and "Vpc 'net.a_1'" in problems[0]
    assert asyncio.run(Vpc.validate_change(ctx, vpc_state(), {**VPC, "default": True})) == []


def test_vpc_preview_update_keeps_what_digitalocean_chose() -> None:
    out = Vpc.preview_update(vpc_state(default=True), {**VPC, "name": "n2", "ipRange": None, "default": None})
    assert out["name"] == "n2" and out["ipRange"] == "10.10.10.0/24" and out["default"] is True
    assert out["vpcId"] == A


# ----------------------------------------------------------------------------------- VpcPeering check


def test_peering_auto_name_has_no_dots() -> None:
    inputs, found = VpcPeering.check(PURN, {}, {"vpcIds": [A, B]}, b"seed")
    assert found == []
    assert inputs["name"].startswith("link-a-b-") and "." not in inputs["name"]


@pytest.mark.parametrize(
    ("vpc_ids", "says"),
    [
        ([A], "lists 1 VPC id(s); a peering joins exactly two VPCs"),
        ([A, B, A], "lists 3 VPC id(s)"),
        ([], "lists 0"),
        ([A, A], "names the same VPC twice"),
        ([A, A.upper()], "names the same VPC twice"),
        ([A, "vpc-b"], "'vpc-b' is not a VPC id; VPC ids are UUIDs"),
    ],
)
def test_peering_vpc_ids_are_two_distinct_vpc_ids(vpc_ids: list[str], says: str) -> None:
    found = failures(PURN, VpcPeering, {"name": "p", "vpcIds": vpc_ids})
    assert list(found) == ["vpcIds"]
    assert says in found["vpcIds"] and "VpcPeering 'link.a_b'" in found["vpcIds"]


def test_peering_unknown_vpc_ids_are_left_for_up() -> None:
    assert failures(PURN, VpcPeering, {"name": "p", "vpcIds": [UNKNOWN, UNKNOWN]}) == {}
    assert failures(PURN, VpcPeering, {"name": "p", "vpcIds": UNKNOWN}) == {}
    assert list(failures(PURN, VpcPeering, {"name": "p", "vpcIds": [UNKNOWN, "x"]})) == ["vpcIds"]


@pytest.mark.parametrize("name", ["a.b", "a_b", "a b", "p" * 256])
def test_peering_names_are_letters_digits_and_dashes(name: str) -> None:
    found = failures(PURN, VpcPeering, {"name": name, "vpcIds": [A, B]})
    assert list(found) == ["name"] and "letters, digits and '-'" in found["name"]


# ------------------------------------------------------------------------------------ VpcPeering diff


def peering_state(**over: Any) -> dict[str, Any]:
    return {"name": "p", "vpcIds": [A, B], "peeringId": "pp", "status": "ACTIVE", **over}


def test_peering_vpc_ids_are_an_unordered_pair() -> None:
    assert any(isinstance(p, Normalize) for p in VpcPeeringArgs.policies("vpc_ids"))
    d = VpcPeering.diff(peering_state(), {"name": "p", "vpcIds": [B, A]})
    assert not d.changes and d.detailed == {}
    d = VpcPeering.diff(peering_state(), {"name": "p", "vpcIds": [A.upper(), B]})
    assert not d.changes
    other = "9a4981aa-9653-4bd1-bef5-d6bff52042e4"
    d = VpcPeering.diff(peering_state(), {"name": "p", "vpcIds": [B, other]})
    assert d.replaces == ["vpcIds"] and d.delete_before_replace
    assert "joins the VPCs it was created for" in d.reasons["vpcIds"]
    d = VpcPeering.diff(peering_state(), {"name": "p", "vpcIds": [A, UNKNOWN]})
    assert d.replaces == ["vpcIds"], "a VPC being replaced replaces the peering"
    d = VpcPeering.diff(peering_state(), {"name": "q", "vpcIds": [B, A]})
    assert d.detailed == {"name": "update"} and not d.replaces


def test_peering_not_yet_active_plans_an_update_and_an_error_state_a_replacement() -> None:
    d = VpcPeering.diff(peering_state(status="PROVISIONING"), {"name": "p", "vpcIds": [A, B]})
    assert d.changes and not d.replaces and d.detailed == {"status": "update"}
    d = VpcPeering.diff(peering_state(status="FAILED"), {"name": "p", "vpcIds": [A, B]})
    assert d.replaces == ["status"] and d.delete_before_replace
    assert "FAILED" in d.reasons["status"]
    preview = VpcPeering.preview_update(peering_state(status="PROVISIONING"), {"name": "p", "vpcIds": [A, B]})
    assert preview["status"] is UNKNOWN and preview["peeringId"] == "pp"
