"""What the firewall fakes still share with the droplet tests that moved to the emulator: a clock that
only moves when someone sleeps."""

from __future__ import annotations

import asyncio


class FakeClock:
    """Time that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)
