from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

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
    first = proc.stdout.readline().strip()
    assert first.startswith("http://127.0.0.1:"), first
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
        account = httpx.get(f"{url}/v2/account", headers=HEADERS)
        assert account.status_code == 200 and account.json()["account"]["status"] == "active"
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
    # Stopped means stopped: nothing listens on its port any more.
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/v2/account", headers=HEADERS, timeout=2)


def test_serve_flags_for_limits_and_the_control_token() -> None:
    proc, url = _spawn("--rate-limit-per-minute", "2", "--rate-limit-per-hour", "0", "--control-token", "ops")
    try:
        # Six requests within a second span at most two real minutes: at most four get through.
        answers = [httpx.get(f"{url}/v2/account", headers=HEADERS) for _ in range(6)]
        assert {a.status_code for a in answers} == {200, 429}
        assert sum(a.status_code == 429 for a in answers) >= 2
        assert {a.headers["ratelimit-limit"] for a in answers} == {"2"}
        assert httpx.get(f"{url}/_emulator/requests").status_code == 401
        ops = {"Authorization": "Bearer ops"}
        assert httpx.get(f"{url}/_emulator/requests", headers=ops).json()["total"] == 6
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    assert proc.stderr is not None
    # Error answers are logged on stderr (stdout carries only the URL).
    assert "status=429" in proc.stderr.read()
    refused = subprocess.run(
        [sys.executable, "-m", "ocean.emulator", "serve", "--rate-limit-per-hour", "-1"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert refused.returncode == 2 and "no limit" in refused.stderr


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
