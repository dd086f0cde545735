"""A droplet resize end to end through the provider's Droplet logic and the real HTTP client, against
the emulator with its realistic action durations on a scaled clock (not a test).

Reports wall time divided by the sum of the emulated durations of the actions the resize needs
(shutdown + resize + power_on, scaled to real time): 1.0 would be a provider that notices each
completion the instant it happens and spends nothing in between. Also the API requests per resize.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "provider"))

from ocean.api import DigitalOceanClient, RateGovernor  # noqa: E402
from ocean.emulator.config import EmulatorConfig  # noqa: E402
from ocean.emulator.server import EmulatorServer  # noqa: E402
from ocean.resources.base import Context  # noqa: E402
from ocean.resources.droplet import Droplet  # noqa: E402

INPUTS: dict[str, Any] = {
    "name": "bench",
    "region": "nyc3",
    "size": "s-1vcpu-1gb",
    "image": "ubuntu-24-04-x64",
    "tags": [],
    "ipv6": False,
    "monitoring": False,
    "backups": False,
    "running": True,
    "resizeDisk": False,
    "shutdownGracePeriod": 60,
}
SIZES = ["s-1vcpu-2gb", "s-2vcpu-2gb", "s-2vcpu-4gb"]


async def _run(scale: float, resizes: int) -> dict[str, Any]:
    config = EmulatorConfig(time_scale=scale, rate_limit_per_minute=100_000, rate_limit_per_hour=1_000_000)
    action_s = sum(config.action_duration(a) for a in ("shutdown", "resize", "power_on"))
    ratios: list[float] = []
    requests: list[int] = []
    with EmulatorServer(config=config) as emu:
        # DigitalOcean's limits, compressed in time like everything else (250/minute of emulated time).
        governor = RateGovernor(per_minute=int(250 * scale), per_hour=int(5000 * scale))
        async with DigitalOceanClient(token="bench", base_url=emu.base_url, governor=governor) as api:
            # The provider runs on the emulator's time base (as in production, where both are real time),
            # so its polling schedule is the one users get.
            real0 = time.monotonic()

            def clock() -> float:
                return (time.monotonic() - real0) * scale

            async def sleep(seconds: float) -> None:
                await asyncio.sleep(seconds / scale)

            ctx = Context(
                api=api, urn="urn:pulumi:bench::bench::ocean:index:Droplet::bench", clock=clock, sleep=sleep
            )
            rid, state = await Droplet.create(ctx, dict(INPUTS))
            for i in range(resizes):
                news = {**INPUTS, "size": SIZES[i % len(SIZES)]}
                before = emu.backend.requests()["total"]
                start = time.perf_counter()
                state = await Droplet.update(ctx, rid, state, news)
                wall = time.perf_counter() - start
                requests.append(emu.backend.requests()["total"] - before)
                ratios.append(wall / (action_s / scale))
            await Droplet.delete(ctx, rid, state)
    return {
        "emulated_action_seconds_per_resize": action_s,
        "time_scale": scale,
        "wall_over_action_time_median": statistics.median(ratios),
        "wall_over_action_time_max": max(ratios),
        "api_requests_per_resize_median": statistics.median(requests),
        "target": "ratio close to 1; few requests",
    }


def bench_resize(scale: float = 20.0, resizes: int = 3) -> dict[str, Any]:
    return asyncio.run(_run(scale, resizes))


if __name__ == "__main__":
    for key, value in bench_resize().items():
        print(f"{key:<40} {value}")
