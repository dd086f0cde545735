"""What the program marks secret stays secret through every RPC, over gRPC against a real provider process.

The provider answers Configure with `acceptSecrets`, so the engine leaves secrets to it: every value the
program marked secret must come back marked in Check's inputs, in the outputs of Create, Read and Update
(and their previews), in a partial failure's recorded state and in function results; and it must not
appear in error messages, status lines or the provider's logs (checked by the `provider` fixture).
"""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.rpc import status_pb2
from pulumi.runtime.proto import provider_pb2

from ocean.provider import marshal
from tests.provider.conftest import (
    URN,
    EngineLog,
    configure,
    droplet_inputs,
    marked,
    secret_paths,
)

NAME, RENAMED, TAG, SNAPSHOT = "hush-db-primary", "hush-db-renamed", "hush-team-payroll", "hush-snapshot"
SNAP_URN = "urn:pulumi:dev::proj::ocean:index:DropletSnapshot::snap"
POLICY = {"plan": "weekly", "weekday": "MON", "hour": 8}
# The program marks the name, one tag and a field of the backup policy secret.
MARKED = (("name",), ("tags", 1), ("backupPolicy", "plan"))


@pytest.fixture
def emu(ocean_emulator_factory: Any) -> Any:
    return ocean_emulator_factory(time_scale=200.0, clock_mode="scaled")


def _news(**over: Any) -> Any:
    values = {"name": NAME, "tags": ["web", TAG], "backups": True, "backupPolicy": dict(POLICY), **over}
    return droplet_inputs(secret=MARKED, **values)


def test_program_secrets_stay_secret_through_the_lifecycle(
    provider: Any, emu: Any, engine: tuple[str, EngineLog]
) -> None:
    configure(provider, emu.base_url)
    expected = {*MARKED, ("userData",)}

    checked = provider.Check(provider_pb2.CheckRequest(urn=URN, news=_news(), randomSeed=b"s"))
    assert list(checked.failures) == []
    assert secret_paths(checked.inputs) == expected, "Check's inputs are what the engine stores"

    preview = provider.Create(provider_pb2.CreateRequest(urn=URN, properties=checked.inputs, preview=True))
    assert secret_paths(preview.properties) == expected

    created = provider.Create(provider_pb2.CreateRequest(urn=URN, properties=checked.inputs, timeout=60))
    state = marshal.decode(created.properties)
    assert (
        state["name"] == NAME and state["tags"] == ["web", TAG] and state["backupPolicy"]["plan"] == "weekly"
    )
    assert secret_paths(created.properties) == expected, "outputs derived from secret inputs are secret"

    # Refresh: state and inputs both come back with their secrets.
    read = provider.Read(
        provider_pb2.ReadRequest(id=created.id, urn=URN, properties=created.properties, inputs=checked.inputs)
    )
    assert secret_paths(read.properties) == expected
    assert secret_paths(read.inputs) == expected

    diff = provider.Diff(
        provider_pb2.DiffRequest(id=created.id, urn=URN, olds=read.properties, news=checked.inputs)
    )
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE, "secret markers are not a change"

    # Update (rename and a tag added): the new secret values are secret, in the preview and after.
    news = provider.Check(
        provider_pb2.CheckRequest(
            urn=URN, olds=checked.inputs, news=_news(name=RENAMED, tags=["web", TAG, "x"])
        )
    ).inputs
    plan = provider.Update(
        provider_pb2.UpdateRequest(id=created.id, urn=URN, olds=read.properties, news=news, preview=True)
    )
    assert secret_paths(plan.properties) == expected
    updated = provider.Update(
        provider_pb2.UpdateRequest(id=created.id, urn=URN, olds=read.properties, news=news, timeout=60)
    )
    after = marshal.decode(updated.properties)
    assert after["name"] == RENAMED and after["tags"] == ["web", TAG, "x"]
    assert secret_paths(updated.properties) == expected

    # A program that stops marking the name secret gets a plain name back.
    plain = droplet_inputs(secret=(("tags", 1),), name=RENAMED, tags=["web", TAG, "x"], backups=True,
                           backupPolicy=dict(POLICY))  # fmt: skip
    again = provider.Update(
        provider_pb2.UpdateRequest(id=created.id, urn=URN, olds=updated.properties, news=plain, timeout=60)
    )
    assert secret_paths(again.properties) == {("tags", 1), ("userData",)}

    # Import (an id only, nothing from the program): only the schema's secrets.
    imported = provider.Read(provider_pb2.ReadRequest(id=created.id, urn=URN))
    assert secret_paths(imported.properties) == set()

    # Status lines never show a secret either.
    _, log = engine
    assert log.messages and not any(s in msg for _, msg, _ in log.messages for s in (NAME, RENAMED, TAG))


def test_a_secret_in_an_error_is_redacted_and_a_partial_failure_records_it_secret(
    provider: Any, emu: Any
) -> None:
    configure(provider, emu.base_url)
    bad = provider.Check(
        provider_pb2.CheckRequest(urn=URN, news=droplet_inputs(secret=(("name",),), name="hush_bad!name"))
    )
    [failure] = bad.failures
    assert failure.property == "name" and "not a valid hostname" in failure.reason
    assert "hush_bad!name" not in failure.reason and "[secret]" in failure.reason

    emu.control.fault(action_type="create", outcome="errored", times=1)
    checked = provider.Check(provider_pb2.CheckRequest(urn=URN, news=_news(), randomSeed=b"s")).inputs
    with pytest.raises(grpc.RpcError) as info:
        provider.Create(provider_pb2.CreateRequest(urn=URN, properties=checked, timeout=60))
    status = status_pb2.Status()
    status.ParseFromString(dict(info.value.trailing_metadata())["grpc-status-details-bin"])
    detail = provider_pb2.ErrorResourceInitFailed()
    assert status.details[0].Unpack(detail) and detail.id.isdigit()
    assert {("name",), ("tags", 1)} <= secret_paths(detail.properties)
    assert {("name",), ("tags", 1)} <= secret_paths(detail.inputs)


def test_function_results_found_by_a_secret_argument_are_secret(provider: Any, emu: Any) -> None:
    configure(provider, emu.base_url)
    checked = provider.Check(provider_pb2.CheckRequest(urn=URN, news=_news(), randomSeed=b"s")).inputs
    created = provider.Create(provider_pb2.CreateRequest(urn=URN, properties=checked, timeout=60))

    by_name = {"name": NAME}
    found = provider.Invoke(
        provider_pb2.InvokeRequest(
            tok="ocean:index:getDroplet", args=marshal.encode(by_name, secrets=marked(by_name, ("name",)))
        )
    )
    result = getattr(found, "return")
    assert marshal.decode(result)["dropletId"] == int(created.id)
    assert secret_paths(result) == {(k,) for k in marshal.decode(result)}, "every field is secret"

    plain = provider.Invoke(
        provider_pb2.InvokeRequest(tok="ocean:index:getDroplet", args=marshal.encode({"id": int(created.id)}))
    )
    assert secret_paths(getattr(plain, "return")) == set()
    # A lookup describes a droplet exactly as the Droplet resource does.
    looked_up, managed = marshal.decode(getattr(plain, "return")), marshal.decode(created.properties)
    assert "ipv6Address" not in looked_up and len(looked_up) == 14, "every field but the absent IPv6 address"
    assert looked_up == {k: managed[k] for k in looked_up}

    missing = {"name": "hush-nobody"}
    with pytest.raises(grpc.RpcError) as info:
        provider.Invoke(
            provider_pb2.InvokeRequest(
                tok="ocean:index:getDroplet", args=marshal.encode(missing, secrets=marked(missing, ("name",)))
            )
        )
    assert "hush-nobody" not in info.value.details() and "[secret]" in info.value.details()


def test_droplet_snapshot_keeps_a_secret_name_secret(
    provider: Any, emu: Any, engine: tuple[str, EngineLog]
) -> None:
    configure(provider, emu.base_url)
    checked = provider.Check(provider_pb2.CheckRequest(urn=URN, news=droplet_inputs(), randomSeed=b"s"))
    droplet = provider.Create(provider_pb2.CreateRequest(urn=URN, properties=checked.inputs, timeout=60))
    values = {"dropletId": int(droplet.id), "name": SNAPSHOT}
    snap_inputs = provider.Check(
        provider_pb2.CheckRequest(
            urn=SNAP_URN, news=marshal.encode(values, secrets=marked(values, ("name",))), randomSeed=b"s"
        )
    ).inputs
    assert secret_paths(snap_inputs) == {("name",)}
    created = provider.Create(provider_pb2.CreateRequest(urn=SNAP_URN, properties=snap_inputs, timeout=60))
    assert marshal.decode(created.properties)["name"] == SNAPSHOT
    assert secret_paths(created.properties) == {("name",)}
    _, log = engine
    snapshot_lines = [msg for urn, msg, _ in log.messages if urn == SNAP_URN and msg]
    assert snapshot_lines, "the snapshot wait reported its progress"
    assert not any(SNAPSHOT in msg for msg in snapshot_lines), snapshot_lines
    provider.Delete(
        provider_pb2.DeleteRequest(id=created.id, urn=SNAP_URN, properties=created.properties, timeout=60)
    )


def test_provider_configuration_the_program_marks_secret_stays_secret(provider: Any) -> None:
    values = {"token": "dop_v1_x", "apiEndpoint": "https://hush-endpoint.example"}
    checked = provider.CheckConfig(
        provider_pb2.CheckRequest(
            urn="urn:pulumi:dev::proj::pulumi:providers:ocean::acct",
            news=marshal.encode(values, secrets=marked(values, ("apiEndpoint",))),
        )
    )
    assert list(checked.failures) == []
    assert secret_paths(checked.inputs) == {("token",), ("apiEndpoint",)}
