"""The rate governor: one per DigitalOcean endpoint per process, shared by every concurrent operation.

DigitalOcean allows 250 requests per minute and 5,000 per hour per token, and reports the hourly budget
in ``ratelimit-limit`` / ``ratelimit-remaining`` / ``ratelimit-reset`` (Unix seconds) on every response.

Algorithm (see ``RateGovernor.reserve``):

* Two GCRA (generic cell rate) schedules, one per window. Each caller *reserves* a slot under a lock and then
  sleeps outside it, so concurrent callers are served in arrival order without a thundering herd, and
  the governor works from any event loop or thread.
  - minute: rate 0.85 x 250/60 = 3.54/s with a burst of 0.14 x 250 = 35, so any 60 s window holds at most
    35 + 212 = 247 requests (< 250) however the server counts its window;
  - hour: rate 0.5 x 5000/3600 with a burst of 0.48 x 5000, so any hour holds at most 4,900.
* Server feedback: when ``ratelimit-remaining`` falls below a reserve, the remaining budget is spread
  evenly over the time left to ``ratelimit-reset``; at zero, everyone waits for the reset.
* A 429 pauses every caller until its ``retry-after`` (or ``ratelimit-reset``): one 429, not a storm.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx


@dataclass
class _Gcra:
    interval: float  # seconds per request
    tolerance: float  # burst tolerance, seconds
    tat: float = 0.0  # theoretical arrival time

    def reserve(self, now: float) -> float:
        """Book the next slot at or after ``now``; returns when it starts."""
        tat = max(self.tat, now)
        slot = max(now, tat - self.tolerance)
        self.tat = tat + self.interval
        return slot


class RateGovernor:
    """Paces requests to stay inside DigitalOcean's limits; see the module docstring."""

    def __init__(
        self,
        per_minute: int = 250,
        per_hour: int = 5000,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        enabled: bool = True,
    ) -> None:
        self._clock = clock
        self._wall = wall
        self.enabled = enabled
        self._lock = threading.Lock()
        self.per_minute = per_minute
        self.per_hour = per_hour
        m_interval = 60.0 / (0.85 * per_minute)
        self._minute = _Gcra(m_interval, max(0.0, (max(1, int(0.14 * per_minute)) - 1) * m_interval))
        h_interval = 3600.0 / (0.5 * per_hour)
        self._hour = _Gcra(h_interval, max(0.0, (max(1, int(0.48 * per_hour)) - 1) * h_interval))
        self._paused_until = 0.0
        self._remaining: int | None = None
        self._limit: int | None = None
        self._reset_wall: float | None = None
        self._next_paced = 0.0
        self.throttled = 0  # 429s observed, for diagnostics and the benchmark
        self.requests = 0

    @classmethod
    def unlimited(cls) -> RateGovernor:
        return cls(enabled=False)

    def reserve(self) -> float:
        """Reserve a slot for one request; returns the seconds to wait before sending it."""
        with self._lock:
            self.requests += 1
            if not self.enabled:
                return 0.0
            now = self._clock()
            start = max(now, self._paused_until)
            start = max(start, self._minute.reserve(start), self._hour.reserve(start))
            start = max(start, self._paced_slot(start))
            return max(0.0, start - now)

    def _paced_slot(self, start: float) -> float:
        if self._remaining is None or self._reset_wall is None:
            return start
        until_reset = self._reset_wall - self._wall()
        if until_reset <= 0:
            self._remaining = None
            return start
        limit = self._limit or self.per_hour
        reserve = max(2, limit // 200)  # headroom for other users of the same token
        if self._remaining > reserve + limit // 5:
            return start
        budget = self._remaining - reserve
        self._remaining -= 1  # this request spends one until the next response says otherwise
        if budget <= 0:
            return start + until_reset
        slot = max(start, self._next_paced)
        self._next_paced = slot + until_reset / budget
        return slot

    def observe(self, response: httpx.Response) -> None:
        """Learn from a response's rate-limit headers (and pause everyone on a 429)."""
        h = response.headers
        with self._lock:
            limit = _int(h.get("ratelimit-limit"))
            remaining = _int(h.get("ratelimit-remaining"))
            reset = _float(h.get("ratelimit-reset"))
            if limit is not None:
                self._limit = limit
            if remaining is not None:
                self._remaining = remaining
            if reset is not None:
                self._reset_wall = reset
            if response.status_code == 429:
                self.throttled += 1

    def pause(self, seconds: float) -> None:
        """Hold every caller for ``seconds`` (after a 429)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)


def _int(v: str | None) -> int | None:
    try:
        return int(v) if v is not None else None
    except ValueError:
        return None


def _float(v: str | None) -> float | None:
    try:
        return float(v) if v is not None else None
    except ValueError:
        return None


_shared: dict[str, RateGovernor] = {}
_shared_lock = threading.Lock()


def shared_governor(base_url: str, token: str = "") -> RateGovernor:
    """The process-wide governor for ``token`` at ``base_url``: DigitalOcean counts requests per token,
    so two accounts in one program do not slow each other down. (The token is only hashed into the key.)"""
    import hashlib

    key = f"{base_url.rstrip('/')}#{hashlib.sha256(token.encode()).hexdigest()[:16]}"
    with _shared_lock:
        gov = _shared.get(key)
        if gov is None:
            gov = _shared[key] = RateGovernor()
        return gov
