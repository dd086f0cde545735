"""Back-to-back provider processes of one token share its minute budget through the governor's ledger.

Each ``pulumi`` command starts a new provider process. Here two processes, one after the other, each send a
burst against an emulator allowing 40 requests a minute (DigitalOcean's 250, scaled down): 30 + 30 is more
than a minute's worth, so the second must wait for the first's requests to age out. The emulator's request
log is the judge. The same run without the ledger meets a 429, which shows the test can fail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

PER_MINUTE = 40
BURST = 30

# One provider-side client in its own process: the provider's client and transport, a governor built as
# shared_governor builds it (ledger keyed by token and endpoint), its minute scaled to the emulator's.
_SPEND = """
import asyncio, json, sys
from ocean.api import DigitalOceanClient, RateGovernor, RetryPolicy, errors
from ocean.api.governor import Ledger, governor_key

base_url, token, n, per_minute = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

async def main():
    gov = RateGovernor(per_minute=per_minute, ledger=Ledger.for_key(governor_key(base_url, token)))
    # One attempt at a 429: the test counts them, it does not wait out DigitalOcean's retry-after.
    client = DigitalOceanClient(token, base_url, governor=gov, retry=RetryPolicy(max_attempts_429=1))

    async def one():
        try:
            await client.transport.request("GET", "/v2/regions")
            return "ok"
        except errors.RateLimited:
            return "429"

    results = await asyncio.gather(*(one() for _ in range(n)))
    await client.aclose()
    print(json.dumps({"ok": results.count("ok"), "throttled": results.count("429")}))

asyncio.run(main())
"""


def _run_two_processes(emulator: Any, ledger_dir: str) -> list[dict[str, int]]:
    env = {**os.environ, "OCEAN_RATELIMIT_DIR": ledger_dir}
    out = []
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, "-c", _SPEND, emulator.base_url, emulator.token, str(BURST), str(PER_MINUTE)],
            env=env, capture_output=True, text=True, timeout=180, check=True,
        )  # fmt: skip
        out.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return out


def _emulator(factory: Callable[..., Any]) -> Any:
    emulator = factory(rate_limit_per_minute=PER_MINUTE)
    # The emulator counts fixed minutes of the wall clock. Shift its clock so the test starts one second
    # into one of its minutes: both processes' first bursts then fall into the same emulated minute, as
    # they would whenever two commands run back to back early in a minute.
    limiter = emulator.backend.rate_limiter
    offset = time.time() % 60 - 1.0
    limiter.wall = lambda: time.time() - offset
    return emulator


def _statuses(emulator: Any) -> list[int]:
    return [r["status"] for r in emulator.control.requests()["requests"] if r["path"] == "/v2/regions"]


def test_back_to_back_processes_never_meet_a_429(
    ocean_emulator_factory: Callable[..., Any], tmp_path: Path
) -> None:
    emulator = _emulator(ocean_emulator_factory)
    first, second = _run_two_processes(emulator, str(tmp_path / "ratelimit"))
    statuses = _statuses(emulator)
    assert first == second == {"ok": BURST, "throttled": 0}
    assert len(statuses) == 2 * BURST and 429 not in statuses


def test_without_the_ledger_the_second_process_meets_429s(
    ocean_emulator_factory: Callable[..., Any],
) -> None:
    emulator = _emulator(ocean_emulator_factory)
    first, second = _run_two_processes(emulator, "off")
    statuses = _statuses(emulator)
    assert first == {"ok": BURST, "throttled": 0}
    # 40 a minute: the second process, starting with a full allowance, gets 10 through and 20 refused.
    assert second["throttled"] > 0 and statuses.count(429) == second["throttled"]


@pytest.fixture(autouse=True)
def _no_stray_ledger(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OCEAN_RATELIMIT_DIR", str(tmp_path / "unused"))
