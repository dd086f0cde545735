"""Shared pieces for driving the provider over gRPC: the provider process, a stand-in for the engine's
log endpoint, and helpers to configure the provider and build inputs."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import engine_pb2_grpc, provider_pb2, provider_pb2_grpc

from ocean.provider import marshal

REPO = Path(__file__).resolve().parents[2]
URN = "urn:pulumi:dev::proj::ocean:index:Droplet::web"
TOKEN = "dop_v1_lifecycle_token_4f9a"
USER_DATA_SECRET = "hunter2-user-data"
# Values test programs mark secret (`pulumi.Output.secret`): never in the provider's logs either.
PROGRAM_SECRETS = ("hush-db-primary", "hush-db-renamed", "hush-team-payroll", "hush-snapshot")


class EngineLog(engine_pb2_grpc.EngineServicer):  # type: ignore[misc]
    def __init__(self) -> None:
        self.messages: list[tuple[str, str, bool]] = []
        self.lock = threading.Lock()

    def Log(self, request: Any, context: Any) -> Any:
        with self.lock:
            self.messages.append((request.urn, request.message, request.ephemeral))
        return empty_pb2.Empty()


@pytest.fixture
def engine() -> Iterator[tuple[str, EngineLog]]:
    log = EngineLog()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    engine_pb2_grpc.add_EngineServicer_to_server(log, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}", log
    server.stop(0)


@pytest.fixture
def provider(engine: tuple[str, EngineLog]) -> Iterator[Any]:
    address, _ = engine
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "provider"), address],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # No DIGITALOCEAN_* from the developer's environment; every request logged, so that the check
        # below searches real logs.
        env={"PATH": "/usr/bin:/bin", "OCEAN_LOG_LEVEL": "debug"},
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline().strip())
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    yield provider_pb2_grpc.ResourceProviderStub(channel)
    channel.close()
    proc.kill()
    _, stderr = proc.communicate(timeout=10)
    assert TOKEN not in stderr, "the API token leaked into the provider's logs"
    assert USER_DATA_SECRET not in stderr, "user data leaked into the provider's logs"
    for secret in PROGRAM_SECRETS:
        assert secret not in stderr, f"the program's secret {secret!r} leaked into the provider's logs"
    requests = [json.loads(line) for line in stderr.splitlines() if '"http_request"' in line]
    for entry in requests:
        assert {"method", "path", "status", "duration_ms", "request_id", "attempt"} <= set(entry), entry
        assert entry.get("urn") or entry.get("function"), f"request tied to nothing: {entry}"


@pytest.fixture
def fast_emulator(ocean_emulator_factory: Any) -> Any:
    # 200x: a 30 s droplet create takes 0.15 s of real time.
    return ocean_emulator_factory(time_scale=200.0, clock_mode="scaled")


def configure(provider: Any, endpoint: str, token: str = TOKEN) -> None:
    news = marshal.encode({"token": token, "apiEndpoint": endpoint}, secret_fields=["token"])
    checked = provider.CheckConfig(
        provider_pb2.CheckRequest(urn="urn:pulumi:dev::proj::pulumi:providers:ocean::default", news=news)
    )
    assert list(checked.failures) == []
    provider.Configure(provider_pb2.ConfigureRequest(args=checked.inputs, acceptSecrets=True))


def droplet_inputs(*, secret: tuple[marshal.Path, ...] = (), **over: Any) -> struct_pb2.Struct:
    """Droplet inputs as the engine sends them; `secret`: paths the program marked secret, e.g.
    `("name",)` or `("tags", 1)`."""
    values = {
        "name": "web-1",
        "region": "nyc3",
        "size": "s-1vcpu-1gb",
        "image": "ubuntu-24-04-x64",
        "tags": ["web"],
        "userData": f"#cloud-config\nsecret: {USER_DATA_SECRET}\n",
        **over,
    }
    return marshal.encode(
        values, secret_fields=["userData"], secrets=marked(values, *secret), keep_unknowns=True
    )


def marked(values: dict[str, Any], *paths: marshal.Path) -> marshal.Secrets:
    """`values` marked secret at `paths`, as the engine marks what a program made secret."""

    def at(path: marshal.Path) -> Any:
        node: Any = values
        for step in path:
            node = node[step]
        return node

    return marshal.Secrets({path: at(path) for path in paths})


def secret_paths(struct: struct_pb2.Struct) -> set[marshal.Path]:
    """Where a wire Struct holds secrets."""
    return set(marshal.decode_with_secrets(struct)[1])
