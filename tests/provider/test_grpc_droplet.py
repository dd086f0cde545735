"""Droplet over gRPC: the import-style Read (id only), each replacement with its reason, a resize to a
smaller disk refused at Diff, and lookups through Invoke."""

from __future__ import annotations

from typing import Any

import grpc
import httpx
import pytest
from google.protobuf import empty_pb2
from google.rpc import status_pb2
from pulumi.runtime.proto import provider_pb2

from ocean.provider import marshal
from tests.provider.conftest import URN, configure, droplet_inputs

PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQ1eJ7o3QpM0pW4xvXq8z2V5s5d3h0h9Yk4yQ0n8a1b ci@example"


@pytest.fixture
def emu(ocean_emulator_factory: Any) -> Any:
    return ocean_emulator_factory(time_scale=200.0, clock_mode="scaled")


def _create(provider: Any, urn: str = URN, **over: Any) -> tuple[Any, Any]:
    checked = provider.Check(
        provider_pb2.CheckRequest(urn=urn, news=droplet_inputs(**over), randomSeed=b"s")
    ).inputs
    created = provider.Create(provider_pb2.CreateRequest(urn=urn, properties=checked, timeout=60))
    return checked, created


def test_import_style_read_returns_inputs_that_check_and_diff_clean(provider: Any, emu: Any) -> None:
    configure(provider, emu.base_url)
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": "Bearer t"}) as api:
        # DigitalOcean installs only keys of the account: add one first.
        key = api.post("/v2/account/keys", json={"name": "ci", "public_key": PUBLIC_KEY}).json()["ssh_key"]
        made = api.post(
            "/v2/droplets",
            json={
                "name": "legacy-1",
                "region": "fra1",
                "size": "s-1vcpu-2gb",
                "image": "debian-12-x64",
                "tags": ["Legacy"],
                "user_data": "#cloud-config",
                "ssh_keys": [key["id"]],
            },
        ).json()["droplet"]
    read = provider.Read(provider_pb2.ReadRequest(id=str(made["id"]), urn=URN))
    assert read.id == str(made["id"])
    inputs = marshal.decode(read.inputs)
    assert inputs["name"] == "legacy-1" and inputs["region"] == "fra1" and inputs["image"] == "debian-12-x64"
    assert inputs["tags"] == ["Legacy"]
    assert "userData" not in inputs and "sshKeys" not in inputs, "DigitalOcean never returns them"
    # What `pulumi import` does next: Check the read inputs, Diff against the read state — no changes.
    checked = provider.Check(provider_pb2.CheckRequest(urn=URN, olds=read.inputs, news=read.inputs))
    assert list(checked.failures) == []
    diff = provider.Diff(
        provider_pb2.DiffRequest(id=read.id, urn=URN, olds=read.properties, news=checked.inputs)
    )
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE
    # Stating user data and SSH keys later never replaces the imported droplet.
    news = marshal.encode(
        {**marshal.decode(checked.inputs), "userData": "#cloud-config", "sshKeys": ["1234"]}
    )
    diff = provider.Diff(provider_pb2.DiffRequest(id=read.id, urn=URN, olds=read.properties, news=news))
    assert list(diff.replaces) == []


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("image", "debian-12-x64", "image can only be changed by creating a new droplet"),
        ("region", "ams3", "cannot move to another region"),
        ("userData", "#cloud-config\nother: 1\n", "user data is only read when a droplet is first created"),
        ("sshKeys", ["99"], "SSH keys are only installed"),
        ("vpcUuid", "5a4981aa-9653-4bd1-bef5-d6bff52042e4", "cannot move to another VPC"),
        ("monitoring", True, "monitoring agent is installed when a droplet is created"),
    ],
)
def test_each_replacement_carries_its_reason(
    provider: Any,
    emu: Any,
    engine: Any,
    key: str,
    value: Any,
    reason: str,
) -> None:
    _, log = engine
    configure(provider, emu.base_url)
    checked, created = _create(provider)
    news = provider.Check(
        provider_pb2.CheckRequest(urn=URN, olds=checked, news=droplet_inputs(**{key: value}))
    ).inputs
    diff = provider.Diff(provider_pb2.DiffRequest(id=created.id, urn=URN, olds=created.properties, news=news))
    assert list(diff.replaces) == [key]
    assert diff.detailedDiff[key].kind in (
        provider_pb2.PropertyDiff.UPDATE_REPLACE,
        provider_pb2.PropertyDiff.ADD_REPLACE,
    )
    assert any(reason in msg and f"`{key}`" in msg for _, msg, eph in log.messages if not eph), log.messages


def test_ipv6_off_replaces_but_on_updates_in_place(provider: Any, emu: Any) -> None:
    configure(provider, emu.base_url)
    checked, created = _create(provider, ipv6=True)
    off = provider.Check(
        provider_pb2.CheckRequest(urn=URN, olds=checked, news=droplet_inputs(ipv6=False))
    ).inputs
    diff = provider.Diff(provider_pb2.DiffRequest(id=created.id, urn=URN, olds=created.properties, news=off))
    assert list(diff.replaces) == ["ipv6"]
    # Another resource (another URN): one URN's second create would adopt its first droplet (its mark).
    other = URN + "-2"
    checked, created = _create(provider, other, ipv6=False)
    on = provider.Check(
        provider_pb2.CheckRequest(urn=other, olds=checked, news=droplet_inputs(ipv6=True))
    ).inputs
    diff = provider.Diff(provider_pb2.DiffRequest(id=created.id, urn=other, olds=created.properties, news=on))
    assert list(diff.replaces) == [] and diff.changes == provider_pb2.DiffResponse.DIFF_SOME


def test_resize_to_a_smaller_disk_is_refused_at_diff(provider: Any, emu: Any) -> None:
    configure(provider, emu.base_url)
    checked, created = _create(provider, size="s-1vcpu-1gb")
    grow = provider.Check(
        provider_pb2.CheckRequest(
            urn=URN, olds=checked, news=droplet_inputs(size="s-2vcpu-4gb", resizeDisk=True)
        )
    ).inputs
    updated = provider.Update(
        provider_pb2.UpdateRequest(id=created.id, urn=URN, olds=created.properties, news=grow, timeout=60)
    )
    assert marshal.decode(updated.properties)["disk"] == 80
    before = emu.control.requests()["total"]
    shrink = provider.Check(
        provider_pb2.CheckRequest(urn=URN, olds=grow, news=droplet_inputs(size="s-1vcpu-2gb"))
    ).inputs
    with pytest.raises(grpc.RpcError) as info:
        provider.Diff(provider_pb2.DiffRequest(id=created.id, urn=URN, olds=updated.properties, news=shrink))
    assert "smaller than the droplet's 80 GB disk" in info.value.details()
    # Created at 80 GB: nothing says its disk was grown by a resize.
    assert "grown" not in info.value.details()
    posted = [r for r in emu.control.requests()["requests"][before:] if r["method"] == "POST"]
    assert posted == [], "nothing was changed on DigitalOcean"


def test_lookups_through_invoke(provider: Any, emu: Any) -> None:
    configure(provider, emu.base_url)
    sizes = provider.Invoke(
        provider_pb2.InvokeRequest(tok="ocean:index:getSizes", args=marshal.encode({"region": "nyc3"}))
    )
    result = marshal.decode(getattr(sizes, "return"))
    prices = [s["priceMonthly"] for s in result["sizes"]]
    assert prices == sorted(prices) and all("nyc3" in s["regions"] for s in result["sizes"])
    image = provider.Invoke(
        provider_pb2.InvokeRequest(
            tok="ocean:index:getImage", args=marshal.encode({"slug": "ubuntu-24-04-x64"})
        )
    )
    assert marshal.decode(getattr(image, "return"))["slug"] == "ubuntu-24-04-x64"
    bad = provider.Invoke(
        provider_pb2.InvokeRequest(tok="ocean:index:getSizes", args=marshal.encode({"colour": "blue"}))
    )
    assert [f.property for f in bad.failures] == ["colour"]
    unknown = provider.Invoke(provider_pb2.InvokeRequest(tok="ocean:index:getNothing"))
    assert "getSizes" in unknown.failures[0].reason


def test_cancel_stops_a_create_wait_promptly_and_records_the_droplet(
    provider: Any, ocean_emulator_factory: Any
) -> None:
    import threading
    import time

    slow = ocean_emulator_factory(time_scale=1.0, clock_mode="scaled")  # a create takes 30 real seconds
    configure(provider, slow.base_url)
    checked = provider.Check(
        provider_pb2.CheckRequest(urn=URN, news=droplet_inputs(), randomSeed=b"s")
    ).inputs
    threading.Timer(1.0, lambda: provider.Cancel(empty_pb2.Empty())).start()
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as info:
        provider.Create(provider_pb2.CreateRequest(urn=URN, properties=checked, timeout=600))
    assert time.monotonic() - started < 10, "the wait stopped at the engine's Cancel, not at completion"
    assert "cancelled" in info.value.details()
    status = status_pb2.Status()
    status.ParseFromString(dict(info.value.trailing_metadata())["grpc-status-details-bin"])
    detail = provider_pb2.ErrorResourceInitFailed()
    assert status.details[0].Unpack(detail) and detail.id.isdigit(), "the droplet is recorded"


SNAP_URN = "urn:pulumi:dev::proj::ocean:index:DropletSnapshot::snap"


def test_droplet_snapshot_create_rename_import_and_delete(provider: Any, emu: Any) -> None:
    configure(provider, emu.base_url)
    _, droplet = _create(provider)
    droplet_id = marshal.decode(droplet.properties)["dropletId"]
    checked = provider.Check(
        provider_pb2.CheckRequest(
            urn=SNAP_URN, news=marshal.encode({"dropletId": droplet_id}), randomSeed=b"s"
        )
    ).inputs
    assert marshal.decode(checked)["name"].startswith("snap-")
    created = provider.Create(provider_pb2.CreateRequest(urn=SNAP_URN, properties=checked, timeout=60))
    state = marshal.decode(created.properties)
    assert state["snapshotId"] == created.id and state["dropletId"] == droplet_id
    assert state["sizeGigabytes"] > 0 and state["minDiskSize"] > 0 and state["regions"] == ["nyc3"]

    # A new name renames the snapshot in place; a new droplet means a new snapshot.
    renamed = marshal.encode({"dropletId": droplet_id, "name": "nightly"})
    diff = provider.Diff(
        provider_pb2.DiffRequest(id=created.id, urn=SNAP_URN, olds=created.properties, news=renamed)
    )
    assert list(diff.replaces) == [] and list(diff.diffs) == ["name"]
    other = marshal.encode({"dropletId": droplet_id + 1, "name": "nightly"})
    diff = provider.Diff(
        provider_pb2.DiffRequest(id=created.id, urn=SNAP_URN, olds=created.properties, news=other)
    )
    assert list(diff.replaces) == ["dropletId"]
    updated = provider.Update(
        provider_pb2.UpdateRequest(
            id=created.id, urn=SNAP_URN, olds=created.properties, news=renamed, timeout=60
        )
    )
    assert marshal.decode(updated.properties)["name"] == "nightly"
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": "Bearer t"}) as api:
        assert api.get(f"/v2/snapshots/{created.id}").json()["snapshot"]["name"] == "nightly"

    # Import by id: the inputs to declare it.
    read = provider.Read(provider_pb2.ReadRequest(id=created.id, urn=SNAP_URN))
    assert marshal.decode(read.inputs) == {"dropletId": droplet_id, "name": "nightly"}

    provider.Delete(provider_pb2.DeleteRequest(id=created.id, urn=SNAP_URN, properties=updated.properties))
    assert provider.Read(provider_pb2.ReadRequest(id=created.id, urn=SNAP_URN)).id == ""
