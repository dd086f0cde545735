"""Drive the provider over gRPC in the order the engine uses (pulumi-go-provider's LifeCycleTest):
CheckConfig → Configure → Check → Create(preview) → Create → Read → Diff → Update → Delete.

The provider runs as a real process (`python provider/ <engine>`), exactly as the engine starts it,
against the emulator over real HTTP. A small Engine service stands in for the engine's log endpoint
so that the progress messages the provider sends can be checked.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from google.rpc import status_pb2
from pulumi.runtime.proto import provider_pb2

import ocean
from ocean.provider import marshal, registry
from tests.provider.conftest import REPO, TOKEN, URN, EngineLog, configure, droplet_inputs


def test_plugin_info_and_schema(provider: Any) -> None:
    info = provider.GetPluginInfo(empty_pb2.Empty())
    assert info.version == ocean.__version__
    # The engine and `pulumi package gen-sdk` see exactly the committed schema.
    served = json.loads(provider.GetSchema(provider_pb2.GetSchemaRequest()).schema)
    assert served == json.loads((REPO / "schema" / "schema.json").read_text())
    assert set(served["resources"]) == set(registry.resources())


def test_check_config_without_a_token_names_both_ways_to_set_it(provider: Any) -> None:
    resp = provider.CheckConfig(
        provider_pb2.CheckRequest(
            urn="urn:pulumi:dev::proj::pulumi:providers:ocean::default", news=struct_pb2.Struct()
        )
    )
    assert [f.property for f in resp.failures] == ["token"]
    reason = resp.failures[0].reason
    assert "pulumi config set --secret ocean:token" in reason and "DIGITALOCEAN_TOKEN" in reason


def test_check_reports_bad_input_before_any_api_call(provider: Any, fast_emulator: Any) -> None:
    configure(provider, fast_emulator.base_url)
    before = len(fast_emulator.control.requests()["requests"])
    resp = provider.Check(
        provider_pb2.CheckRequest(urn=URN, news=droplet_inputs(region=None, ipv6="perhaps"), randomSeed=b"x")
    )
    assert sorted(f.property for f in resp.failures) == ["ipv6", "region"]
    assert len(fast_emulator.control.requests()["requests"]) == before


def test_lifecycle_in_engine_order(provider: Any, fast_emulator: Any, engine: tuple[str, EngineLog]) -> None:
    _, log = engine
    configure(provider, fast_emulator.base_url)

    # Check: fills the auto-name, keeps secrets secret and unknowns unknown.
    checked = provider.Check(
        provider_pb2.CheckRequest(
            urn=URN, news=droplet_inputs(name=None, vpcUuid=marshal.UNKNOWN), randomSeed=b"seed"
        )
    )
    assert list(checked.failures) == []
    inputs, secrets = marshal.decode_with_secrets(checked.inputs)
    assert inputs["name"].startswith("web-")
    assert inputs["vpcUuid"] is marshal.UNKNOWN
    assert "userData" in secrets

    # Create(preview): computed outputs are unknown, not stale or empty.
    preview = provider.Create(provider_pb2.CreateRequest(urn=URN, properties=checked.inputs, preview=True))
    outs = marshal.decode(preview.properties)
    assert preview.id == ""
    assert outs["dropletId"] is marshal.UNKNOWN and outs["ipv4Address"] is marshal.UNKNOWN
    assert outs["name"] == inputs["name"]

    # Create: waits for the create action; outputs are real; integers stay integers.
    checked = provider.Check(provider_pb2.CheckRequest(urn=URN, news=droplet_inputs(), randomSeed=b"seed"))
    created = provider.Create(provider_pb2.CreateRequest(urn=URN, properties=checked.inputs, timeout=60))
    state, secrets = marshal.decode_with_secrets(created.properties)
    assert created.id == str(state["dropletId"]) and isinstance(state["dropletId"], int)
    assert state["status"] == "active" and state["locked"] is False
    assert state["memory"] == 1024 and state["vcpus"] == 1 and isinstance(state["disk"], int)
    assert state["ipv4Address"] and state["ipv4AddressPrivate"]
    assert state["dropletUrn"] == f"do:droplet:{created.id}"
    assert state["priceMonthly"] > 0
    assert "userData" in secrets, "user_data must be stored as a secret"
    assert any(eph and "create" in msg for _, msg, eph in log.messages), log.messages

    # Read: the same droplet.
    read = provider.Read(
        provider_pb2.ReadRequest(id=created.id, urn=URN, properties=created.properties, inputs=checked.inputs)
    )
    assert read.id == created.id
    assert marshal.decode(read.properties)["name"] == "web-1"

    # Diff: no change.
    diff = provider.Diff(
        provider_pb2.DiffRequest(
            id=created.id, urn=URN, olds=read.properties, news=checked.inputs, old_inputs=checked.inputs
        )
    )
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE

    # Diff + Update: rename and retag in place.
    news = provider.Check(
        provider_pb2.CheckRequest(
            urn=URN, olds=checked.inputs, news=droplet_inputs(name="web-renamed", tags=["web", "blue"])
        )
    ).inputs
    diff = provider.Diff(provider_pb2.DiffRequest(id=created.id, urn=URN, olds=read.properties, news=news))
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(diff.replaces) == []
    assert set(diff.detailedDiff) == {"name", "tags"}
    # The update preview: outputs an update never changes keep their values (UseStateForUnknown),
    # those it may change are unknown, size-derived ones keep theirs since the size stays.
    before = marshal.decode(read.properties)
    plan = marshal.decode(
        provider.Update(
            provider_pb2.UpdateRequest(id=created.id, urn=URN, olds=read.properties, news=news, preview=True)
        ).properties
    )
    for key in ("dropletId", "dropletUrn", "ipv4Address", "ipv4AddressPrivate", "createdAt", "vpcUuid"):
        assert plan[key] == before[key], key
    assert plan["memory"] == before["memory"] and plan["priceMonthly"] == before["priceMonthly"]
    assert plan["locked"] is marshal.UNKNOWN
    assert plan["name"] == "web-renamed"
    updated = provider.Update(
        provider_pb2.UpdateRequest(id=created.id, urn=URN, olds=read.properties, news=news, timeout=60)
    )
    after = marshal.decode(updated.properties)
    assert after["name"] == "web-renamed"
    assert sorted(after["tags"]) == ["blue", "web"]

    # Diff: a replacement carries its reason to the user.
    diff = provider.Diff(
        provider_pb2.DiffRequest(
            id=created.id,
            urn=URN,
            olds=updated.properties,
            news=droplet_inputs(name="web-renamed", tags=["web", "blue"], image="debian-12-x64"),
        )
    )
    assert list(diff.replaces) == ["image"]
    assert any("image" in msg and not eph for _, msg, eph in log.messages)

    # Delete: waits until DigitalOcean says the droplet is gone; then Read reports it gone.
    provider.Delete(
        provider_pb2.DeleteRequest(id=created.id, urn=URN, properties=updated.properties, timeout=60)
    )
    gone = provider.Read(provider_pb2.ReadRequest(id=created.id, urn=URN, properties=updated.properties))
    assert gone.id == ""


def test_errored_create_action_still_records_the_droplet(
    provider: Any, fast_emulator: Any, engine: tuple[str, EngineLog]
) -> None:
    configure(provider, fast_emulator.base_url)
    fast_emulator.control.fault(action_type="create", outcome="errored", times=1)
    checked = provider.Check(provider_pb2.CheckRequest(urn=URN, news=droplet_inputs(), randomSeed=b"s"))
    with pytest.raises(grpc.RpcError) as info:
        provider.Create(provider_pb2.CreateRequest(urn=URN, properties=checked.inputs, timeout=60))
    err = info.value
    assert "was created, but its create action" in err.details() and "errored" in err.details()
    assert "the next `pulumi up` replaces it" in err.details()
    status = status_pb2.Status()
    status.ParseFromString(dict(err.trailing_metadata())["grpc-status-details-bin"])
    detail = provider_pb2.ErrorResourceInitFailed()
    assert status.details[0].Unpack(detail)
    assert detail.id and detail.id.isdigit(), "the droplet id is recorded, so nothing is orphaned"
    assert marshal.decode(detail.properties)["dropletId"] == int(detail.id)
    assert TOKEN not in err.details()
    # The next preview plans a replacement, with the reason; a refresh keeps it while the droplet is
    # still broken (`new`, never brought up).
    action_id = err.details().split("create action ")[1].split(" ")[0]
    diff = provider.Diff(
        provider_pb2.DiffRequest(id=detail.id, urn=URN, olds=detail.properties, news=checked.inputs)
    )
    assert list(diff.replaces) == ["status"] and diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    read = provider.Read(
        provider_pb2.ReadRequest(id=detail.id, urn=URN, properties=detail.properties, inputs=checked.inputs)
    )
    assert marshal.decode(read.properties)["status"] == "new"
    again = provider.Diff(
        provider_pb2.DiffRequest(id=detail.id, urn=URN, olds=read.properties, news=checked.inputs)
    )
    assert list(again.replaces) == ["status"], "refresh keeps the failed create while it is still broken"
    reasons = [m for _, m, eph in engine[1].messages if not eph and "will be replaced" in m]
    assert reasons and f"its create action {action_id} errored" in reasons[-1], reasons


def test_cancel_stops_a_delete_wait(provider: Any, fast_emulator: Any) -> None:
    """The engine's Cancel (Ctrl-C) ends a wait in progress at once; the droplet stays in the state."""
    configure(provider, fast_emulator.base_url)
    checked = provider.Check(provider_pb2.CheckRequest(urn=URN, news=droplet_inputs(), randomSeed=b"s"))
    created = provider.Create(provider_pb2.CreateRequest(urn=URN, properties=checked.inputs, timeout=60))
    fast_emulator.control.set_clock("manual")  # the droplet is never gone: only Cancel ends the wait
    threading.Timer(0.5, lambda: provider.Cancel(empty_pb2.Empty())).start()
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as info:
        provider.Delete(
            provider_pb2.DeleteRequest(id=created.id, urn=URN, properties=created.properties, timeout=600)
        )
    assert time.monotonic() - started < 10, "the wait ended at Cancel, not at its 600 s timeout"
    assert "cancelled" in info.value.details() and created.id in info.value.details()
    counts = fast_emulator.control.requests()["counts"]
    assert counts.get("DELETE /v2/droplets/{droplet_id}") == 1


def test_a_wrong_api_endpoint_is_named_in_the_error_and_preview_says_the_catalogue_is_unreadable(
    provider: Any, engine: tuple[str, EngineLog]
) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens there once closed
    configure(provider, endpoint)
    checked = provider.Check(provider_pb2.CheckRequest(urn=URN, news=droplet_inputs(), randomSeed=b"s"))
    assert list(checked.failures) == [], "left to DigitalOcean when its catalogue cannot be read"
    said = [m for _, m, eph in engine[1].messages if not eph]
    assert any("could not read DigitalOcean's regions" in m and endpoint in m for m in said), said
    with pytest.raises(grpc.RpcError) as info:
        provider.Create(provider_pb2.CreateRequest(urn=URN, properties=checked.inputs, timeout=60))
    text = info.value.details()
    assert "Droplet 'web'" in text and f"{endpoint}/v2/droplets" in text and "ocean:apiEndpoint" in text
