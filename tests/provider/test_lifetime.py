"""The provider process ends when the engine that started it goes away (provider/lifetime.py): real
processes, a real gRPC endpoint standing in for the engine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent import futures
from pathlib import Path

import grpc
from pulumi.runtime.proto import engine_pb2_grpc

from tests.provider.conftest import EngineLog

REPO = Path(__file__).resolve().parents[2]


def _engine() -> tuple[grpc.Server, str]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    engine_pb2_grpc.add_EngineServicer_to_server(EngineLog(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, f"127.0.0.1:{port}"


def _exited_within(pid: int, seconds: float) -> float | None:
    """Seconds until `pid` is gone (or a zombie), None if it outlives `seconds`."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return time.monotonic() - start
        except FileNotFoundError:
            return time.monotonic() - start
        time.sleep(0.05)
    return None


def test_the_provider_exits_when_the_engine_endpoint_closes() -> None:
    server, address = _engine()
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "provider"), address],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin", "OCEAN_LOG_LEVEL": "info"},
    )
    try:
        assert proc.stdout is not None and int(proc.stdout.readline())
        time.sleep(1.5)  # the provider has reached the engine by now
        assert proc.poll() is None, "the provider stays up while its engine serves"
        server.stop(0)
        proc.wait(timeout=5)
        _, stderr = proc.communicate(timeout=5)
        assert "provider exiting" in stderr and f"endpoint {address} closed" in stderr
    finally:
        if proc.poll() is None:
            proc.kill()
        server.stop(0)


def test_the_provider_exits_when_its_parent_dies() -> None:
    """The engine is killed (SIGKILL: no chance to stop its plugins) while its endpoint stays up."""
    server, address = _engine()
    # A stand-in for the engine process: starts the provider, reports its PID, then waits.
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time\n"
            f"p = subprocess.Popen([sys.executable, {str(REPO / 'provider')!r}, {address!r}],"
            " stdout=subprocess.PIPE, text=True)\n"
            "p.stdout.readline()\n"
            "print(p.pid, flush=True)\n"
            "time.sleep(600)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        start_new_session=True,
    )
    try:
        assert parent.stdout is not None
        provider_pid = int(parent.stdout.readline())
        assert _exited_within(provider_pid, 1.0) is None, "the provider stays up while its parent lives"
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=5)
        took = _exited_within(provider_pid, 10.0)
        assert took is not None, "the provider outlived its parent by 10 s"
        assert took < 5, f"the provider took {took:.1f}s to notice its parent had gone"
    finally:
        try:
            os.killpg(parent.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        server.stop(0)
