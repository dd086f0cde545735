from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from ocean.emulator.config import EmulatorConfig
from ocean.emulator.server import EmulatorServer

HEADERS = {"Authorization": "Bearer t"}
DROPLET = {"name": "keep-me", "region": "lon1", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}


def _spawn(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ocean.emulator", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    started = time.monotonic()
    first = proc.stdout.readline().strip()
    assert first.startswith("http://127.0.0.1:"), first
    assert time.monotonic() - started < 5
    return proc, first


def test_serve_main_prints_url_first_and_stops_on_signal() -> None:
    proc, url = _spawn("--time-scale", "10")
    try:
        assert httpx.get(f"{url}/v2/regions", headers=HEADERS).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    proc, url = _spawn()
    try:
        httpx.get(f"{url}/v2/account", headers=HEADERS)
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0


def test_state_survives_kill(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    proc, url = _spawn("--state", state)
    try:
        created = httpx.post(f"{url}/v2/droplets", json=DROPLET, headers=HEADERS)
        assert created.status_code == 202
        droplet_id = created.json()["droplet"]["id"]
        httpx.post(f"{url}/v2/tags", json={"name": "kept"}, headers=HEADERS)
    finally:
        proc.kill()
        proc.wait(10)
    proc, url = _spawn("--state", state)
    try:
        again = httpx.get(f"{url}/v2/droplets/{droplet_id}", headers=HEADERS)
        assert again.status_code == 200 and again.json()["droplet"]["name"] == "keep-me"
        assert httpx.get(f"{url}/v2/tags/kept", headers=HEADERS).status_code == 200
        fresh = httpx.post(f"{url}/v2/droplets", json={**DROPLET, "name": "next"}, headers=HEADERS)
        assert fresh.json()["droplet"]["id"] == droplet_id + 1
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)


def test_lifecycle_continues_after_restart(tmp_path: Path) -> None:
    config = EmulatorConfig(clock_mode="manual", state_file=str(tmp_path / "s.db"))
    with EmulatorServer(config=config) as server:
        created = httpx.post(f"{server.base_url}/v2/droplets", json=DROPLET, headers=HEADERS).json()
        server.backend.advance(10)
    with EmulatorServer(config=config) as server:
        droplet_id = created["droplet"]["id"]
        assert server.backend.droplets.get(droplet_id)["status"] == "new"
        server.backend.advance(20)
        assert server.backend.droplets.get(droplet_id)["status"] == "active"


def test_stop_leaves_no_threads_or_sockets() -> None:
    before = {t.ident for t in threading.enumerate()}
    fds_before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0
    server = EmulatorServer(config=EmulatorConfig(clock_mode="manual")).start()
    with httpx.Client(base_url=server.base_url, headers=HEADERS) as client:
        assert client.get("/v2/account").status_code == 200
    server.stop()
    assert {t.ident for t in threading.enumerate()} <= before
    if fds_before:
        assert len(os.listdir("/proc/self/fd")) <= fds_before
    try:
        httpx.get(f"{server.base_url}/v2/account", timeout=1)
    except httpx.ConnectError:
        pass
    else:  # pragma: no cover
        raise AssertionError("the server still answers after stop()")


def test_ocean_cli_serves_the_emulator_and_prints_its_url_first() -> None:
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    import httpx

    ocean = Path(sys.executable).parent / "ocean"
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(ocean), "emulator", "serve", "--host", "127.0.0.1", "--port", "0", "--time-scale", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        r = httpx.get(f"{url}/v2/regions", headers={"Authorization": "Bearer t"})
        assert r.status_code == 200 and r.json()["regions"]
        assert time.monotonic() - started < 5
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
