"""Per-token request budgets, per minute and per hour, counted in real time (fixed windows of the wall
clock), whatever the emulated clock does: at ``--time-scale 20`` or with a stopped manual clock a client
that honours ``retry-after`` and ``ratelimit-reset`` waits the real time DigitalOcean would make it wait.
A limit of 0 turns that window off."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class RateDecision:
    allowed: bool
    #: The budget reported in ``ratelimit-limit`` (the hourly one, as DigitalOcean does; else the minute's),
    #: or ``None`` when no limit applies (no rate-limit headers are sent).
    limit: int | None
    remaining: int = 0
    #: ``ratelimit-reset``: real epoch seconds when the reported window starts afresh.
    reset: int = 0
    #: ``retry-after`` on a 429: real seconds until a request is allowed again.
    retry_after: int = 0


class RateLimiter:
    def __init__(self, per_minute: int, per_hour: int, wall: Callable[[], float] = time.time) -> None:
        if per_minute < 0 or per_hour < 0:
            raise ValueError("rate limits must be 0 (none) or positive")
        self.per_minute = per_minute
        self.per_hour = per_hour
        #: Real time in epoch seconds; replace it to test budgets without waiting.
        self.wall = wall
        self._lock = threading.Lock()
        # token → [minute window index, count in it, hour window index, count in it]
        self._windows: dict[str, list[int]] = {}

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()

    def hit(self, token: str) -> RateDecision:
        if not self.per_minute and not self.per_hour:
            return RateDecision(True, None)
        now = self.wall()
        minute, hour = int(now // 60), int(now // 3600)
        with self._lock:
            w = self._windows.get(token)
            if w is None:
                w = self._windows[token] = [minute, 0, hour, 0]
            if w[0] != minute:
                w[0], w[1] = minute, 0
            if w[2] != hour:
                w[2], w[3] = hour, 0
            minute_end, hour_end = (minute + 1) * 60, (hour + 1) * 3600
            if self.per_hour:
                limit, used, reset = self.per_hour, w[3], hour_end
            else:
                limit, used, reset = self.per_minute, w[1], minute_end
            if self.per_hour and w[3] >= self.per_hour:
                return RateDecision(False, limit, 0, reset, max(1, math.ceil(hour_end - now)))
            if self.per_minute and w[1] >= self.per_minute:
                retry = max(1, math.ceil(minute_end - now))
                return RateDecision(False, limit, max(0, limit - used), reset, retry)
            w[1] += 1
            w[3] += 1
            return RateDecision(True, limit, max(0, limit - used - 1), reset)
