"""Every resource type keeps what the program marks secret secret, over gRPC in the engine's order against
the emulator.

Parametrized over `ocean.provider.registry.resources()`, so a resource added later fails here until it has
a scenario below, and fails after that if it leaks. For each type a value the program marks secret (the
`name`, or for a resource without one a string input) must be marked secret, and appear nowhere unmarked,
in Check's inputs, in Create's outputs (preview and real), in Read's outputs and inputs, in Update's
outputs (preview and real, with a new secret value where the type changes something in place); and it
must appear in no line the provider logs (requests logged at debug level) and no status line or message
it sends the engine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from ocean.provider import marshal
from ocean.provider.registry import resources
from tests.provider.conftest import REPO, EngineLog, configure, marked, secret_paths


@pytest.fixture
def emu(ocean_emulator_factory: Any) -> Any:
    return ocean_emulator_factory(time_scale=200.0, clock_mode="scaled")


@pytest.fixture
def logged_provider(engine: tuple[str, EngineLog], tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    """The provider process with every request logged to a file the test reads while it runs."""
    import grpc

    address, _ = engine
    log_path = tmp_path / "provider.log"
    with log_path.open("w") as log_file:
        proc = subprocess.Popen(
            [sys.executable, str(REPO / "provider"), address],
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
            env={"PATH": "/usr/bin:/bin", "OCEAN_LOG_LEVEL": "debug"},
        )
        try:
            assert proc.stdout is not None
            port = int(proc.stdout.readline().strip())
            channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            yield provider_pb2_grpc.ResourceProviderStub(channel), log_path
            channel.close()
        finally:
            proc.kill()
            proc.wait(timeout=10)


class Driver:
    """Drives one provider the way the engine does, with values marked secret where the program did."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider

    def check(self, urn: str, values: dict[str, Any], secret: marshal.Path | None, olds: Any = None) -> Any:
        news = marshal.encode(values, secrets=marked(values, secret) if secret else None, keep_unknowns=True)
        checked = self.provider.Check(
            provider_pb2.CheckRequest(urn=urn, olds=olds, news=news, randomSeed=b"seed")
        )
        assert list(checked.failures) == [], f"{urn}: {list(checked.failures)}"
        return checked.inputs

    def create(self, urn: str, values: dict[str, Any], secret: marshal.Path | None = None) -> tuple[str, Any]:
        """A prerequisite, created as `pulumi up` would: its id and outputs."""
        created = self.provider.Create(
            provider_pb2.CreateRequest(urn=urn, properties=self.check(urn, values, secret), timeout=120)
        )
        return created.id, created.properties


def _urn(kind: str, name: str) -> str:
    return f"urn:pulumi:dev::proj::ocean:index:{kind}::{name}"


@dataclass(frozen=True)
class Scenario:
    """How to exercise one resource type: `prepare` creates what it needs (given the secret value, when a
    prerequisite must carry it too) and returns what `inputs` needs; `inputs` builds the program's inputs
    around the secret value, which sits at `path`. `renamed` is the secret value of an in-place update;
    None when the type changes nothing in place (every change replaces it): Update is then driven with
    the same inputs, and its outputs must still carry the secret."""

    path: marshal.Path
    value: str
    renamed: str | None
    inputs: Callable[[dict[str, Any], str], dict[str, Any]]
    prepare: Callable[[Driver, str], dict[str, Any]] = lambda d, value: {}


DROPLET = {"region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}


def _snapshot_source(d: Driver, value: str) -> dict[str, Any]:
    droplet_id, _ = d.create(_urn("Droplet", "source"), {"name": "snap-source", **DROPLET})
    return {"dropletId": int(droplet_id)}


def _firewall_home(d: Driver, value: str) -> dict[str, Any]:
    # Its inbound rules are left to FirewallRule resources (`inboundRules` unset).
    rule = {"protocol": "udp", "portRange": "53", "destinationAddresses": ["0.0.0.0/0"]}
    firewall_id, _ = d.create(_urn("Firewall", "home"), {"name": "rules-home", "outboundRules": [rule]})
    return {"firewallId": firewall_id}


def _two_vpcs(d: Driver, value: str) -> dict[str, Any]:
    a, _ = d.create(_urn("Vpc", "a"), {"name": "peer-a", "region": "nyc3", "ipRange": "10.40.0.0/20"})
    b, _ = d.create(_urn("Vpc", "b"), {"name": "peer-b", "region": "nyc3", "ipRange": "10.41.0.0/20"})
    return {"vpcIds": [a, b]}


def _secret_registry(d: Driver, value: str) -> dict[str, Any]:
    # As in a program: `registry_name=registry.name`, where the registry's name is the secret.
    d.create(_urn("ContainerRegistry", "images"), {"name": value, "region": "fra1"}, ("name",))
    return {}


SCENARIOS: dict[str, Scenario] = {
    "ocean:index:Droplet": Scenario(
        ("name",), "hush-every-droplet", "hush-every-droplet-two", lambda c, v: {"name": v, **DROPLET}
    ),
    "ocean:index:DropletSnapshot": Scenario(
        ("name",), "hush-every-snapshot", "hush-every-snapshot-two", lambda c, v: {**c, "name": v},
        _snapshot_source,
    ),
    "ocean:index:Firewall": Scenario(
        ("name",), "hush-every-firewall", "hush-every-firewall-two",
        lambda c, v: {
            "name": v,
            "tags": ["web"],
            "inboundRules": [{"protocol": "tcp", "portRange": "22", "sourceAddresses": ["10.0.0.0/8"]}],
        },
    ),
    "ocean:index:FirewallRule": Scenario(
        ("inboundRule", "sourceTags", 0), "hush-every-rule-tag", None,
        lambda c, v: {**c, "inboundRule": {"protocol": "tcp", "portRange": "5432", "sourceTags": [v]}},
        _firewall_home,
    ),
    "ocean:index:Vpc": Scenario(
        ("name",), "hush-every-vpc", "hush-every-vpc-two",
        lambda c, v: {"name": v, "region": "nyc3", "ipRange": "10.50.0.0/20"},
    ),
    "ocean:index:VpcPeering": Scenario(
        ("name",), "hush-every-peering", "hush-every-peering-two", lambda c, v: {**c, "name": v}, _two_vpcs
    ),
    "ocean:index:ContainerRegistry": Scenario(
        ("name",), "hush-every-registry", None, lambda c, v: {"name": v, "region": "fra1"}
    ),
    "ocean:index:RegistrySubscription": Scenario(
        ("tierSlug",), "professional", "basic", lambda c, v: {"tierSlug": v}
    ),
    "ocean:index:RegistryGarbageCollection": Scenario(
        ("registryName",), "hush-every-gc-registry", None,
        lambda c, v: {"registryName": v, "type": "untagged manifests and unreferenced blobs"},
        _secret_registry,
    ),
}  # fmt: skip

# Pulumi stores a resource's id in plain text: it cannot be secret. A ContainerRegistry's id is its name
# (DigitalOcean addresses registries by name, and `pulumi import` takes it), so a secret registry name is
# visible as the id; the README says so.
ID_IS_THE_VALUE = {"ocean:index:ContainerRegistry"}


def _plain_texts(struct: struct_pb2.Struct) -> list[str]:
    """Every value in a wire Struct that is not inside a secret, as text."""
    found: list[str] = []

    def walk(v: struct_pb2.Value) -> None:
        kind = v.WhichOneof("kind")
        if kind == "string_value":
            found.append(v.string_value)
        elif kind == "number_value":
            found.append(str(int(v.number_value)) if v.number_value.is_integer() else str(v.number_value))
        elif kind == "list_value":
            for item in v.list_value.values:
                walk(item)
        elif kind == "struct_value":
            fields = v.struct_value.fields
            sig = fields.get(marshal.SIG_KEY)
            if sig is not None and sig.string_value == marshal.SECRET_SIG:
                return
            for item in fields.values():
                walk(item)

    for value in struct.fields.values():
        walk(value)
    return found


def _at(values: Any, path: marshal.Path) -> Any:
    for step in path:
        values = values[step]
    return values


def _assert_secret(what: str, struct: struct_pb2.Struct, path: marshal.Path, value: str) -> None:
    assert marshal.decode(struct), f"{what}: empty"
    assert path in secret_paths(struct) or any(path[: len(p)] == p for p in secret_paths(struct)), (
        f"{what}: {path} is not marked secret (secret: {sorted(secret_paths(struct), key=str)})"
    )
    leaks = [text for text in _plain_texts(struct) if value in text]
    assert not leaks, f"{what}: the secret is in plain text: {leaks}"


@pytest.mark.parametrize("token", sorted(resources()))
def test_a_value_the_program_marks_secret_stays_secret(
    token: str, logged_provider: tuple[Any, Path], emu: Any, engine: tuple[str, EngineLog]
) -> None:
    scenario = SCENARIOS.get(token)
    assert scenario is not None, (
        f"{token} has no secrets scenario: add one to SCENARIOS (which input the program marks secret, "
        "and how to create it), and make its outputs keep the secret"
    )
    provider, log_path = logged_provider
    _, engine_log = engine
    configure(provider, emu.base_url)
    d = Driver(provider)
    urn = _urn(token.rsplit(":", 1)[-1], "subject")
    path, value = scenario.path, scenario.value
    context = scenario.prepare(d, value)

    checked = d.check(urn, scenario.inputs(context, value), path)
    _assert_secret("Check's inputs", checked, path, value)
    preview = provider.Create(provider_pb2.CreateRequest(urn=urn, properties=checked, preview=True))
    _assert_secret("Create's preview", preview.properties, path, value)
    created = provider.Create(provider_pb2.CreateRequest(urn=urn, properties=checked, timeout=120))
    _assert_secret("Create's outputs", created.properties, path, value)
    if token not in ID_IS_THE_VALUE:
        assert value not in created.id

    read = provider.Read(
        provider_pb2.ReadRequest(id=created.id, urn=urn, properties=created.properties, inputs=checked)
    )
    assert read.id == created.id
    _assert_secret("Read's outputs", read.properties, path, value)
    _assert_secret("Read's inputs", read.inputs, path, value)
    same = provider.Diff(
        provider_pb2.DiffRequest(id=created.id, urn=urn, olds=read.properties, news=read.inputs)
    )
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE, f"secret markers are not a change: {same}"

    new_value = scenario.renamed or value
    news = d.check(urn, scenario.inputs(context, new_value), path, olds=read.inputs)
    if scenario.renamed is not None:
        diff = provider.Diff(
            provider_pb2.DiffRequest(id=created.id, urn=urn, olds=read.properties, news=news)
        )
        assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME and list(diff.replaces) == [], diff
    plan = provider.Update(
        provider_pb2.UpdateRequest(id=created.id, urn=urn, olds=read.properties, news=news, preview=True)
    )
    _assert_secret("Update's preview", plan.properties, path, new_value)
    updated = provider.Update(
        provider_pb2.UpdateRequest(id=created.id, urn=urn, olds=read.properties, news=news, timeout=120)
    )
    _assert_secret("Update's outputs", updated.properties, path, new_value)
    assert _at(marshal.decode(updated.properties), path) == new_value, "the update was applied"
    again = provider.Read(
        provider_pb2.ReadRequest(id=created.id, urn=urn, properties=updated.properties, inputs=news)
    )
    _assert_secret("Read's outputs after the update", again.properties, path, new_value)
    provider.Delete(
        provider_pb2.DeleteRequest(id=created.id, urn=urn, properties=again.properties, timeout=120)
    )

    secrets = {value, new_value}
    lines = log_path.read_text().splitlines()
    requests = [json.loads(line) for line in lines if '"http_request"' in line]
    assert any(r.get("urn") == urn for r in requests), (
        "the subject's requests were logged (the check below is real)"
    )
    for line in lines:
        assert not any(s in line for s in secrets), f"the secret is in the provider's log: {line}"
    with engine_log.lock:
        messages = list(engine_log.messages)
    for _, message, _ in messages:
        assert not any(s in message for s in secrets), f"the secret is in a message to the engine: {message}"
