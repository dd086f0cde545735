"""Per-token request budgets, per minute and per hour, on the emulator clock (fixed windows)."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from ocean.emulator.clock import Clock


@dataclass
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset: int
    retry_after: int = 0


class RateLimiter:
    def __init__(self, clock: Clock, per_minute: int, per_hour: int) -> None:
        self._clock = clock
        self.per_minute = per_minute
        self.per_hour = per_hour
        self._lock = threading.Lock()
        # token → [minute window index, count in it, hour window index, count in it]
        self._windows: dict[str, list[int]] = {}

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()

    def hit(self, token: str) -> RateDecision:
        now = self._clock.now()
        minute, hour = int(now // 60), int(now // 3600)
        with self._lock:
            w = self._windows.get(token)
            if w is None:
                w = self._windows[token] = [minute, 0, hour, 0]
            if w[0] != minute:
                w[0], w[1] = minute, 0
            if w[2] != hour:
                w[2], w[3] = hour, 0
            reset = (hour + 1) * 3600
            if w[3] >= self.per_hour:
                return RateDecision(False, self.per_hour, 0, reset, max(1, math.ceil(reset - now)))
            if w[1] >= self.per_minute:
                retry = max(1, math.ceil((minute + 1) * 60 - now))
                return RateDecision(False, self.per_hour, self.per_hour - w[3], reset, retry)
            w[1] += 1
            w[3] += 1
            return RateDecision(True, self.per_hour, self.per_hour - w[3], reset)
