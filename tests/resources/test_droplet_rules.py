"""Droplet check and diff rules, each on its own (no API, no engine)."""

from __future__ import annotations

import pytest

from ocean.resources.base import Normalize, ReplaceOnChange, Secret, Unreadable, auto_name, diff_inputs
from ocean.resources.droplet import Droplet, DropletArgs, DropletState
from ocean.resources.unknown import UNKNOWN

URN = "urn:pulumi:dev::proj::ocean:index:Droplet::web_1"
BASE = {
    "name": "web-1",
    "region": "nyc3",
    "size": "s-1vcpu-1gb",
    "image": "ubuntu-24-04-x64",
    "tags": ["web"],
    "ipv6": False,
    "monitoring": False,
    "backups": False,
}


def state(**over: object) -> dict[str, object]:
    return {**BASE, "dropletId": 7, "status": "active", "vpcUuid": "vpc-1", **over}


# ------------------------------------------------------------------------------------------- check


def test_check_auto_names_from_the_resource_name_with_a_suffix_from_its_create_mark() -> None:
    unnamed = {k: v for k, v in BASE.items() if k != "name"}
    inputs, failures = Droplet.checked(URN, {}, unnamed, b"seed")
    assert failures == []
    assert inputs["name"].startswith("web-1-")  # '_' is not valid in a hostname
    assert len(inputs["name"]) == len("web-1-") + 7
    # The engine's seed is random for every deployment: the name does not depend on it, so a create
    # repeated after a crash asks for the same name (preview and up agree too).
    again, _ = Droplet.checked(URN, {}, unnamed, b"another deployment's seed")
    assert again["name"] == inputs["name"]
    other, _ = Droplet.checked(URN.replace("dev", "prod"), {}, unnamed, b"seed")
    assert other["name"] != inputs["name"], "another stack's resource gets another name"


def test_check_keeps_an_earlier_auto_name() -> None:
    inputs, _ = Droplet.check(
        URN, {"name": "web-1-abcdef0"}, {"region": "nyc3", "size": "s", "image": "x"}, b"s"
    )
    assert inputs["name"] == "web-1-abcdef0"


def test_check_reports_missing_required_inputs_by_property() -> None:
    _, failures = Droplet.check(URN, {}, {"name": "a", "size": "s-1vcpu-1gb"}, b"")
    props = sorted(f.property for f in failures)
    assert props == ["image", "region"]
    assert all("Droplet 'web_1'" in f.reason and "required" in f.reason for f in failures)


def test_check_rejects_unknown_properties_and_wrong_types() -> None:
    _, failures = Droplet.check(URN, {}, {**BASE, "colour": "blue", "ipv6": "maybe"}, b"")
    by_prop = {f.property: f.reason for f in failures}
    assert "not an input" in by_prop["colour"]
    assert "ipv6" in by_prop


def test_check_rejects_an_invalid_hostname_before_any_api_call() -> None:
    _, failures = Droplet.check(URN, {}, {**BASE, "name": "web_1!"}, b"")
    assert [f.property for f in failures] == ["name"]
    assert "hostname" in failures[0].reason


def test_check_accepts_a_numeric_image_id_as_text_and_keeps_unknowns() -> None:
    inputs, failures = Droplet.check(
        URN, {}, {**BASE, "image": 12345, "vpcUuid": UNKNOWN, "size": UNKNOWN}, b""
    )
    assert failures == []
    assert inputs["image"] == "12345"
    assert inputs["vpcUuid"] is UNKNOWN and inputs["size"] is UNKNOWN


# -------------------------------------------------------------------------------------------- diff


def test_no_change_is_no_diff() -> None:
    d = Droplet.diff(state(), dict(BASE))
    assert not d.changes and d.replaces == [] and d.detailed == {}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("image", "debian-12-x64"),
        ("region", "ams3"),
        ("userData", "#cloud-config"),
        ("sshKeys", ["1"]),
        ("vpcUuid", "vpc-2"),
        ("monitoring", True),
    ],
)
def test_fields_that_replace_the_droplet_say_why(key: str, value: object) -> None:
    # Created without them: the state records them as known-empty ("" and []), not as unknown.
    d = Droplet.diff(state(userData="", sshKeys=[]), {**BASE, key: value}, old_inputs=dict(BASE))
    assert d.changes
    assert d.replaces == [key]
    assert d.reasons[key], "a replacement always carries a reason for the preview"


@pytest.mark.parametrize(("key", "value"), [("name", "web-renamed"), ("tags", ["web", "blue"])])
def test_name_and_tags_update_in_place(key: str, value: object) -> None:
    d = Droplet.diff(state(), {**BASE, key: value})
    assert d.changes and d.replaces == []
    assert d.detailed[key] == "update"


def test_tag_case_alone_is_not_a_change() -> None:
    assert not Droplet.diff(state(tags=["Web"]), {**BASE, "tags": ["web"]}).changes
    assert not Droplet.diff(state(tags=["a", "b"]), {**BASE, "tags": ["B", "A"]}).changes


def test_image_id_given_as_number_or_text_is_the_same() -> None:
    assert not Droplet.diff(state(image="12345"), {**BASE, "image": 12345}).changes


def test_unknown_input_is_a_change_and_replaces_when_the_field_replaces() -> None:
    d = Droplet.diff(state(), {**BASE, "vpcUuid": UNKNOWN})
    assert d.changes and d.replaces == ["vpcUuid"]
    d = Droplet.diff(state(), {**BASE, "name": UNKNOWN})
    assert d.changes and d.replaces == []


def test_drift_in_state_plans_an_update_back_to_the_program() -> None:
    # A refresh found the droplet renamed out of band: the state says so, the program does not.
    d = Droplet.diff(state(name="renamed-by-hand"), dict(BASE), old_inputs=dict(BASE))
    assert d.changes and d.detailed == {"name": "update"}


def test_unset_and_empty_are_the_same() -> None:
    assert not Droplet.diff(state(tags=[]), {**BASE, "tags": None}).changes


def test_unreadable_fields_after_import_never_replace() -> None:
    # After an import the state has no userData/sshKeys: DigitalOcean never returns them.
    imported = {k: v for k, v in state().items()}
    d = Droplet.diff(imported, {**BASE, "userData": "#cloud-config", "sshKeys": ["12"]}, old_inputs={})
    assert d.replaces == []
    assert d.detailed == {"userData": "add", "sshKeys": "add"}


def test_ignore_changes_is_honoured() -> None:
    d = Droplet.diff(state(), {**BASE, "image": "debian-12-x64"}, ignore_changes=frozenset({"image"}))
    assert not d.changes


# -------------------------------------------------------------------------------------- policies


def test_field_policies_are_declared_on_the_model() -> None:
    assert any(isinstance(p, ReplaceOnChange) for p in DropletArgs.policies("region"))
    assert any(isinstance(p, Normalize) for p in DropletArgs.policies("tags"))
    assert any(isinstance(p, Secret) for p in DropletArgs.policies("user_data"))
    assert any(isinstance(p, Unreadable) for p in DropletArgs.policies("ssh_keys"))
    assert DropletState.secret_wire_names() == ["userData"]


def test_generic_diff_respects_a_normaliser() -> None:
    d = diff_inputs(DropletArgs, {"tags": ["A"]}, {"tags": ["a"]})
    assert not d.changes


def test_auto_name_is_a_valid_hostname_for_odd_resource_names() -> None:
    name = auto_name("My Web_Server!!", b"x")
    assert name.startswith("my-web-server-")
    assert len(auto_name("x" * 200, b"x")) <= 63


def test_preview_create_marks_computed_outputs_unknown() -> None:
    out = Droplet.preview_create(dict(BASE))
    assert out["name"] == "web-1"
    for key in ("dropletId", "ipv4Address", "status", "createdAt", "priceMonthly"):
        assert out[key] is UNKNOWN


def test_preview_update_keeps_stable_outputs_and_unknowns_size_derived_ones() -> None:
    old = state(memory=1024, vcpus=1, disk=25, priceMonthly=6.0, priceHourly=0.009, ipv4Address="1.2.3.4")
    out = Droplet.preview_update(old, {**BASE, "size": "s-2vcpu-2gb"})
    assert out["dropletId"] == 7 and out["ipv4Address"] == "1.2.3.4"
    assert out["memory"] is UNKNOWN and out["priceMonthly"] is UNKNOWN
    renamed = Droplet.preview_update(old, {**BASE, "name": "other"})
    assert renamed["memory"] == 1024 and renamed["name"] == "other"


def test_vpc_left_unset_accepts_the_vpc_digitalocean_chose() -> None:
    assert not Droplet.diff(state(vpcUuid="default-vpc"), {**BASE, "vpcUuid": None}).changes
    d = Droplet.diff(state(vpcUuid="default-vpc"), {**BASE, "vpcUuid": "other-vpc"})
    assert d.replaces == ["vpcUuid"]


def test_an_input_left_out_means_its_default() -> None:
    news = {k: v for k, v in BASE.items() if k not in ("ipv6", "monitoring", "backups")}
    assert not Droplet.diff(state(), news).changes


def test_check_does_not_judge_unknowns_inside_objects_or_lists() -> None:
    news = {
        **BASE,
        "backups": True,
        "backupPolicy": {"plan": UNKNOWN, "weekday": "MON"},
        "tags": ["a", UNKNOWN],
    }
    inputs, failures = Droplet.check(URN, {}, news, b"")
    assert failures == []
    assert inputs["backupPolicy"]["plan"] is UNKNOWN
    # A known wrong value next to an unknown is still reported.
    _, failures = Droplet.check(URN, {}, {**news, "ipv6": "perhaps"}, b"")
    assert [f.property for f in failures] == ["ipv6"]
