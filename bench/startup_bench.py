"""Provider start-up (issue 15, item 4): the work before its first API call, against a bare interpreter.

Three figures per run, each the median of ``runs`` spawns against the emulator (in process, real-time
clock, no rate limits):

* ``spawn → port``: the engine waits for the port on stdout before anything else happens;
* ``spawn → first API request``: port, then Configure and a Read of one droplet, as a ``refresh`` does,
  until the emulator receives the Read's GET (its request log's time, on the same monotonic clock);
* the bare interpreter printing a line (``python -c "print(1)"``), the floor both are divided by.

Not a test: nothing asserts a timing. ``startup()`` returns the section's dict for ``bench/run.py``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
URN = "urn:pulumi:bench::startup::ocean:index:Droplet::web"
PROVIDER_URN = "urn:pulumi:bench::startup::pulumi:providers:ocean::default"


def _bare_python() -> float:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", "print(1, flush=True)"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.wait()
    return elapsed


def _provider_once(emulator: Any, droplet_id: int, provider_dir: Path) -> tuple[float, float, float]:
    """(spawn → port, spawn → first API request, CPU seconds the provider used until its Read was
    answered) for one provider process. The CPU time is what the provider's own work costs, whatever
    else the machine is doing."""
    import grpc

    from ocean.provider import marshal, proto

    provider_pb2 = proto.load("provider_pb2")
    provider_pb2_grpc = proto.load("provider_pb2_grpc")
    clock = emulator.backend.clock
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OCEAN_RATELIMIT_DIR": "off"}
    spawned_emulated = clock.now()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(provider_dir)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True, env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        to_port = time.perf_counter() - start
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            news = marshal.encode(
                {"token": emulator.token, "apiEndpoint": emulator.base_url}, secret_fields=["token"]
            )
            checked = stub.CheckConfig(provider_pb2.CheckRequest(urn=PROVIDER_URN, news=news))
            stub.Configure(provider_pb2.ConfigureRequest(args=checked.inputs, acceptSecrets=True))
            stub.Read(provider_pb2.ReadRequest(id=str(droplet_id), urn=URN))
        log = emulator.control.requests()["requests"]
        first = min(r["time"] for r in log if r["path"].startswith("/v2/") and r["time"] >= spawned_emulated)
    finally:
        proc.kill()
        _, _, usage = os.wait4(proc.pid, 0)
        proc.returncode = -9
    return to_port, first - spawned_emulated, usage.ru_utime + usage.ru_stime


def startup(runs: int = 9, provider_dir: Path | None = None) -> dict[str, Any]:
    """The section's figures: medians in seconds, and their ratios to the bare interpreter.
    ``provider_dir``: another checkout's ``provider/`` (e.g. the code before a change), same interpreter."""
    provider_dir = provider_dir or REPO / "provider"
    from ocean.emulator.pytest_plugin import _start

    emulator = _start(clock_mode="scaled", time_scale=1.0, rate_limit_per_minute=0, rate_limit_per_hour=0)
    try:
        with emulator.client() as client:
            body = {"name": "web", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}
            droplet_id = int(client.post("/v2/droplets", json=body).json()["droplet"]["id"])
        _provider_once(emulator, droplet_id, provider_dir)  # warm the OS page cache
        _bare_python()
        samples = [_provider_once(emulator, droplet_id, provider_dir) for _ in range(runs)]
        bare = statistics.median(_bare_python() for _ in range(runs))
    finally:
        emulator.stop()
    to_port = statistics.median(s[0] for s in samples)
    to_request = statistics.median(s[1] for s in samples)
    cpu = statistics.median(s[2] for s in samples)
    return {
        "runs": runs,
        "bare_python_s": round(bare, 4),
        "spawn_to_port_s": round(to_port, 4),
        "spawn_to_first_api_request_s": round(to_request, 4),
        "provider_cpu_until_first_read_s": round(cpu, 4),
        "port_ratio_to_bare_python": round(to_port / bare, 2),
        "first_request_ratio_to_bare_python": round(to_request / bare, 2),
        "target": "refresh of 10 droplets no slower than the bridged provider (its start-up: 0.04 s)",
    }


if __name__ == "__main__":
    import json

    sys.path.insert(0, str(REPO))
    other = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    print(json.dumps(startup(provider_dir=other), indent=2))
