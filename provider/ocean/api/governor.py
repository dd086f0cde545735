"""The rate governor: one per DigitalOcean token and endpoint per process, shared by every concurrent
operation, and across processes through a small ledger file.

DigitalOcean allows 250 requests per minute and 5,000 per hour per token, and reports the HOURLY budget
in ``ratelimit-limit`` / ``ratelimit-remaining`` / ``ratelimit-reset`` (Unix seconds) on every response.

Algorithm (see ``RateGovernor.reserve``):

* Each caller *reserves* a slot under a lock and then sleeps outside it, so concurrent callers are served
  in arrival order without a thundering herd, and the governor works from any event loop or thread.
* minute: an exact sliding window. A log of send times holds at most ``0.96 x 250 = 240`` entries in any
  60 s, so no 60 s window, however the server aligns or slides its own, ever holds more than 240 of our
  requests; a burst of up to 240 goes at once, and request 241 waits until the oldest entry is 60 s old.
* hour: a GCRA schedule at 0.5 x 5000/3600 with a burst of 0.48 x 5000, so any hour holds at most 4,900.
* Across processes: every ``pulumi`` command starts a new provider process. Send times are appended to a
  per-token ledger file (``$XDG_CACHE_HOME/pulumi-ocean/ratelimit/<hash of token and endpoint>``; the
  token itself is never written), read at first use, so a new process does not start with a full minute
  when the previous one spent it (``OCEAN_RATELIMIT_DIR`` moves it; ``off`` keeps the window in memory).
  The ledger is never fatal: when it cannot be written the window stays in memory.
* Server feedback: when ``ratelimit-remaining`` falls below a reserve, the remaining budget is spread
  evenly over the time left to ``ratelimit-reset``; at zero, everyone waits for the reset. When a server
  reports a window of at most a minute (a limit no larger than the minute's), what it says was spent is
  entered into the sliding window.
* A 429 pauses every caller until its ``retry-after`` (or ``ratelimit-reset``): one 429, not a storm.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

WINDOW_S = 60.0
#: Share of the per-minute limit the sliding window spends: headroom for clock skew between processes.
MINUTE_SHARE = 0.96


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


def ledger_dir() -> Path | None:
    """Where the per-token ledgers live, or ``None`` (``OCEAN_RATELIMIT_DIR=off``) for in-memory only."""
    override = os.environ.get("OCEAN_RATELIMIT_DIR")
    if override is not None:
        return None if override.strip().lower() in ("", "off", "0", "none") else Path(override)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "pulumi-ocean" / "ratelimit"


class Ledger:
    """Send times (wall clock, Unix seconds) of one token at one endpoint, shared by processes.

    One line per request, appended under an exclusive ``flock``; pruned to the last minute by rewriting
    the file into place (appenders notice the replaced file and append to the new one). Any error turns
    the ledger off for the rest of the process, with one debug log line: pacing then stays in memory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.enabled = True
        self._appended = 0

    @classmethod
    def for_key(cls, key: str, directory: Path | None = None) -> Ledger | None:
        directory = directory if directory is not None else ledger_dir()
        if directory is None:
            return None
        return cls(directory / hashlib.sha256(key.encode()).hexdigest()[:32])

    def _fail(self, what: str, exc: BaseException) -> None:
        if self.enabled:
            self.enabled = False
            from .logs import get_logger

            get_logger("ocean.api.governor").debug(
                "ratelimit_ledger_off", path=str(self.path), step=what, error=type(exc).__name__
            )

    def load(self, now_wall: float) -> list[float]:
        """The send times of the last minute (and any booked ahead), pruning the file to them."""
        if not self.enabled:
            return []
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with _Locked(self.path) as fd:
                with open(fd, closefd=False, encoding="ascii", errors="replace") as f:
                    f.seek(0)
                    text = f.read()
                times = sorted(
                    t for t in _floats(text.splitlines()) if now_wall - WINDOW_S < t <= now_wall + 3600
                )
                tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
                tmp.write_text("".join(f"{t:.3f}\n" for t in times), encoding="ascii")
                os.replace(tmp, self.path)
            self._appended = 0
            return times
        except Exception as exc:  # never fatal: an unreadable or unwritable ledger is no ledger
            self._fail("load", exc)
            return []

    def append(self, wall: float, now_wall: float) -> None:
        if not self.enabled:
            return
        try:
            with _Locked(self.path) as fd:
                os.write(fd, f"{wall:.3f}\n".encode())
            self._appended += 1
            if self._appended > 1000:  # keep the file small for the next process
                self.load(now_wall)
        except Exception as exc:
            self._fail("append", exc)


class _Locked:
    """Open ``path`` for appending under an exclusive lock, on the file currently at ``path`` (a pruning
    process may have replaced it between open and lock)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = -1

    def __enter__(self) -> int:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on Linux/macOS: appends stay atomic, no pruning lock
            self.fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            return self.fd
        for _ in range(20):
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self.fd = fd
                return fd
            os.close(fd)
        raise OSError("ledger kept being replaced")

    def __exit__(self, *exc: object) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # releases the lock


def _floats(lines: list[str]) -> list[float]:
    out = []
    for line in lines:
        try:
            v = float(line)
        except ValueError:
            continue
        if v == v and abs(v) != float("inf"):
            out.append(v)
    return out


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
        ledger: Ledger | None = None,
    ) -> None:
        self._clock = clock
        self._wall = wall
        self.enabled = enabled
        self._lock = threading.Lock()
        self.per_minute = per_minute
        self.per_hour = per_hour
        #: The most requests sent in any 60 s window.
        self.window_capacity = max(1, int(MINUTE_SHARE * per_minute))
        self._sent: list[float] = []  # booked send times on ``clock``, sorted
        self._ledger = ledger
        self._ledger_loaded = ledger is None
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
            if not self._ledger_loaded:
                self._load_ledger(now)
            start = max(now, self._paused_until)
            start = max(start, self._hour.reserve(start))
            start = self._window_slot(now, start)
            start = max(start, self._paced_slot(start))
            self._sent.append(start)  # never before the last booking (see _window_slot): stays sorted
            if self._ledger is not None:
                wall = self._wall()
                self._ledger.append(wall + (start - now), wall)
            return max(0.0, start - now)

    def _window_slot(self, now: float, start: float) -> float:
        """The earliest time at or after ``start`` that keeps every 60 s window within capacity."""
        sent = self._sent
        old = bisect.bisect_right(sent, now - WINDOW_S)
        if old:
            del sent[:old]
        if not sent:
            return start
        slot = max(start, sent[-1])  # first come, first served: bookings stay in order
        if len(sent) >= self.window_capacity:
            slot = max(slot, sent[-self.window_capacity] + WINDOW_S)
        return slot

    def _load_ledger(self, now: float) -> None:
        self._ledger_loaded = True
        if self._ledger is None:
            return
        wall = self._wall()
        for t in self._ledger.load(wall):
            bisect.insort(self._sent, now - (wall - t))

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
            if limit is not None and remaining is not None and reset is not None:
                self._seed_window(limit, remaining, reset)
            if response.status_code == 429:
                self.throttled += 1

    def _seed_window(self, limit: int, remaining: int, reset_wall: float) -> None:
        """A server reporting a window of at most a minute says how much of it is spent, by this process
        or any other user of the token: count what this governor does not know of, as sent when that
        window started (so it ages out at ``reset``)."""
        if limit > self.per_minute:
            return  # DigitalOcean's hourly budget: the pacing in _paced_slot
        now, wall = self._clock(), self._wall()
        until_reset = reset_wall - wall
        if not 0 < until_reset <= WINDOW_S:
            return
        started = now + until_reset - WINDOW_S
        known = len(self._sent) - bisect.bisect_right(self._sent, started)
        missing = min(self.window_capacity, limit - remaining) - known
        for _ in range(max(0, missing)):
            bisect.insort(self._sent, started + 1e-6)

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
    key = governor_key(base_url, token)
    with _shared_lock:
        gov = _shared.get(key)
        if gov is None:
            gov = _shared[key] = RateGovernor(ledger=Ledger.for_key(key))
        return gov


def governor_key(base_url: str, token: str) -> str:
    """The key of one token at one endpoint: the token enters it only hashed."""
    return f"{base_url.rstrip('/')}#{hashlib.sha256(token.encode()).hexdigest()[:16]}"
