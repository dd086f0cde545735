# ruff: noqa: E501 - long literal tables read better on one line
from __future__ import annotations

import logging

import pytest

from ocean.api import models
from ocean.api.models import Droplet, Firewall, GarbageCollection, Size, VpcPeering

from ._support import DROPLET


def test_droplet_ip_helpers() -> None:
    d = Droplet.model_validate(DROPLET)
    assert d.public_ipv4 == "192.241.165.154"
    assert d.private_ipv4 == "10.128.192.124"
    assert d.public_ipv6 == "2604:a880:0:1010::18a:a001"
    assert d.size is not None and isinstance(d.size, Size) and d.size.price_monthly == 5.0
    assert d.size.price_hourly == pytest.approx(0.00743)
    bare = Droplet.model_validate({**DROPLET, "networks": {"v4": [], "v6": []}})
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


def test_enums_as_in_the_spec() -> None:
    assert models.GC_STATUSES == (
        "requested",
        "waiting for write JWTs to expire",
        "scanning manifests",
        "deleting unreferenced blobs",
        "cancelling",
        "failed",
        "succeeded",
        "cancelled",
    )
    assert models.VPC_PEERING_STATUSES == ("PROVISIONING", "ACTIVE", "DELETING")
    assert models.GC_TERMINAL_STATUSES == {"succeeded", "failed", "cancelled"}
    assert not GarbageCollection(uuid="u", status="cancelling").done
    assert GarbageCollection(uuid="u", status="cancelled").done
    assert VpcPeering(id="p", status="ACTIVE").status == "ACTIVE"


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
