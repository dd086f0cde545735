"""API client benchmark against the local emulator (not a test).

    .venv/bin/python bench/api_bench.py [--scale 20] [--actions 20] [--burst 100]

1. Waiting for actions: droplets are created on an emulator whose clock runs ``--scale`` times faster than
   real time, with its realistic action durations; the waiter runs on the same (scaled) time base, so its
   schedule is the production one. Reports requests per waited action and detection latency (from the
   action's ``completed_at`` to the waiter returning), median and p95, in emulated seconds.
2. A burst of ``--burst`` parallel operations through one shared rate governor against an emulator enforcing
   250 requests/minute, counting 429s and the wall time taken.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "provider"))

from ocean.api import DigitalOceanClient, RateGovernor, waiters  # noqa: E402
from ocean.emulator.config import EmulatorConfig  # noqa: E402
from ocean.emulator.server import EmulatorServer  # noqa: E402

TOKEN = "bench-token"
CREATE = {"region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


async def bench_actions(scale: float, n: int) -> dict[str, Any]:
    server = EmulatorServer(config=EmulatorConfig(clock_mode="scaled", time_scale=scale, token=TOKEN)).start()
    try:
        emu_clock = server.backend.clock
        real0 = time.monotonic()

        def clock() -> float:  # emulated seconds
            return (time.monotonic() - real0) * scale

        async def sleep(seconds: float) -> None:
            await asyncio.sleep(seconds / scale)

        polls: list[int] = []
        latency: list[float] = []
        async with DigitalOceanClient(TOKEN, server.base_url, governor=RateGovernor.unlimited()) as c:

            async def one(i: int) -> None:
                created = await c.droplets.create({**CREATE, "name": f"bench-{i}"})
                seen: list[waiters.WaitProgress] = []
                action = await waiters.wait_for_action(
                    c, created.action_ids[0], clock=clock, sleep=sleep, on_progress=seen.append, timeout=3600
                )
                returned = emu_clock.now()
                assert action.completed_at is not None
                latency.append(returned - action.completed_at.timestamp())
                polls.append(seen[-1].polls)

            await asyncio.gather(*(one(i) for i in range(n)))
        return {
            "actions": n,
            "time_scale": scale,
            "requests_per_action_mean": statistics.mean(polls),
            "requests_per_action_max": max(polls),
            "detection_latency_s_median": round(statistics.median(latency), 3),
            "detection_latency_s_p95": round(_pct(latency, 0.95), 3),
        }
    finally:
        server.stop()


async def bench_burst(n: int) -> dict[str, Any]:
    server = EmulatorServer(config=EmulatorConfig(token=TOKEN, rate_limit_per_minute=250)).start()
    try:
        governor = RateGovernor()
        started = time.monotonic()
        async with DigitalOceanClient(TOKEN, server.base_url, governor=governor) as c:
            created = await c.droplets.create({**CREATE, "name": "burst"})
            await asyncio.gather(*(c.droplets.get(created.droplet.id) for _ in range(n)))
        elapsed = time.monotonic() - started
        import httpx

        # The control API wants the emulator's token too.
        async with httpx.AsyncClient(timeout=10, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            log = (await http.get(f"{server.base_url}/_emulator/requests")).json()
        statuses = [r.get("status") for r in log.get("requests", [])]
        return {
            "operations": n + 1,
            "wall_s": round(elapsed, 2),
            "client_seen_429": governor.throttled,
            "server_429": statuses.count(429),
            "server_requests": len(statuses),
        }
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=20.0)
    ap.add_argument("--actions", type=int, default=20)
    ap.add_argument("--burst", type=int, default=100)
    args = ap.parse_args()
    out = {
        "wait_for_action": asyncio.run(bench_actions(args.scale, args.actions)),
        "burst": asyncio.run(bench_burst(args.burst)),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
