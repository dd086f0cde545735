# ruff: noqa: E501 - long literal tables read better on one line
from __future__ import annotations

import logging
from typing import Any

import pytest

from ocean.api.models import Droplet, Firewall, GarbageCollection, Size, VpcPeering

from ._support import DROPLET


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """DigitalOcean's OpenAPI spec (found by tests/openapi_spec.py), whose own examples these tests parse."""
    from tests.openapi_spec import load_spec, skip_unless_available

    skip_unless_available()
    return load_spec()


def _unknowns(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The unknown fields and enum values the models logged."""
    return [
        r.msg
        for r in caplog.records
        if isinstance(r.msg, dict) and r.msg.get("event") in ("unknown_field", "unknown_enum_value")
    ]


def test_droplet_ip_helpers_on_the_spec_example(spec: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ocean")
    example = spec["components"]["examples"]["droplet_single"]["value"]["droplet"]
    d = Droplet.model_validate(example)
    assert _unknowns(caplog) == [], "the model knows every field and value of the spec's own example"

    def address(version: str, kind: str) -> str:
        return next(n["ip_address"] for n in example["networks"][version] if n["type"] == kind)

    assert d.public_ipv4 == address("v4", "public") and d.private_ipv4 == address("v4", "private")
    assert d.public_ipv6 == address("v6", "public")
    assert d.size is not None and isinstance(d.size, Size)
    assert d.size.price_monthly == example["size"]["price_monthly"]
    assert d.size.price_hourly == pytest.approx(example["size"]["price_hourly"])
    bare = Droplet.model_validate({**example, "networks": {"v4": [], "v6": []}})
    assert bare.public_ipv4 is None and bare.private_ipv4 is None and bare.public_ipv6 is None


def test_unknown_fields_and_enum_values_parse_and_are_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ocean")
    data = {**DROPLET, "status": "hibernating-xyz", "brand_new_field_xyz": {"a": 1}}
    for _ in range(3):
        d = Droplet.model_validate(data)
    assert d.status == "hibernating-xyz"
    assert d.model_extra == {"brand_new_field_xyz": {"a": 1}}
    msgs = [r.msg for r in caplog.records if isinstance(r.msg, dict)]
    enum_logs = [
        m for m in msgs if m.get("event") == "unknown_enum_value" and m.get("value") == "hibernating-xyz"
    ]
    field_logs = [
        m for m in msgs if m.get("event") == "unknown_field" and m.get("field") == "brand_new_field_xyz"
    ]
    assert len(enum_logs) == 1 and len(field_logs) == 1


def test_every_spec_gc_status_parses_and_only_the_final_ones_end_a_wait(
    spec: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ocean")
    statuses = spec["components"]["schemas"]["garbage_collection"]["properties"]["status"]["enum"]
    done = {s for s in statuses if GarbageCollection(uuid="u", status=s).done}
    assert _unknowns(caplog) == []
    # `cancelling` is still running: only these three end a garbage collection.
    assert done == {"succeeded", "failed", "cancelled"}


@pytest.mark.parametrize("response", ["provisioning_vpc_peering", "active_vpc_peering", "deleting_vpc_peering"])
def test_vpc_peering_spec_examples_parse(
    spec: dict[str, Any], caplog: pytest.LogCaptureFixture, response: str
) -> None:
    caplog.set_level(logging.INFO, logger="ocean")
    content = spec["components"]["responses"][response]["content"]["application/json"]
    example = content["schema"]["example"]["vpc_peering"]
    peering = VpcPeering.model_validate(example)
    assert _unknowns(caplog) == []
    assert (peering.id, peering.status, peering.vpc_ids) == (example["id"], example["status"], example["vpc_ids"])


def test_firewall_spec_example_is_settled(spec: dict[str, Any]) -> None:
    content = spec["components"]["responses"]["get_firewall_response"]["content"]["application/json"]
    example = content["example"]["firewall"]
    assert example["status"] == "succeeded" and example["pending_changes"] == []
    assert Firewall.model_validate(example).settled


def test_firewall_settled() -> None:
    base = {"id": "f", "name": "fw", "status": "succeeded", "pending_changes": []}
    assert Firewall.model_validate(base).settled
    assert not Firewall.model_validate({**base, "status": "waiting"}).settled
    pending = {**base, "pending_changes": [{"droplet_id": 8043964, "removing": False, "status": "waiting"}]}
    assert not Firewall.model_validate(pending).settled


def test_nullable_fields_accept_null() -> None:
    d = Droplet.model_validate({**DROPLET, "kernel": None, "next_backup_window": None})
    assert d.kernel is None and d.next_backup_window is None
    fw = Firewall.model_validate(
        {"id": "f", "droplet_ids": None, "tags": None, "inbound_rules": None, "outbound_rules": None}
    )
    assert fw.droplet_ids is None
