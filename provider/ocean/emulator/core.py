"""The core every service shares: the state document and its persistence, the clock and scheduled
transitions, id allocation, named cross-service events, the request log and the fault book.

State is one JSON-able document (:attr:`Core.s`); each service owns a few top-level keys of it (its state
slice) and seeds them in a fresh document. Lifecycles are scheduled as timed events and applied when anything
is read or written after their due time (moto ``ManagedState`` style, no background threads). Every service
operation runs in :meth:`Core.tx`: it takes the lock, settles due events, does its work and commits the
document to the store before returning, so a response is only sent once its mutation is durable.
"""

from __future__ import annotations

import heapq
import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from ocean.emulator.clock import MAX_EPOCH, Clock
from ocean.emulator.config import EmulatorConfig
from ocean.emulator.faults import FaultBook
from ocean.emulator.ratelimit import RateLimiter
from ocean.emulator.requestlog import RequestLog
from ocean.emulator.store import MemoryStore, SqliteStore, Store

Json = dict[str, Any]
#: Service classes have a ``list`` method, which hides the builtin in their annotations.
JsonList = list[Json]
IdList = list[int]
NameList = list[str]
STATE_VERSION = 1
#: The largest numeric id (DigitalOcean's ids are 64-bit).
MAX_ID = 2**63 - 1

#: A scheduled transition: called with the event's reference and its due (emulated) time.
EventHandler = Callable[[str, float], None]
#: What a service adds to a fresh state document (its slices and id counters), given the current time.
Seeder = Callable[[Json, float], None]


def iso(epoch: float) -> str:
    """DigitalOcean's timestamp format: UTC, whole seconds, ``Z`` suffix."""
    return datetime.fromtimestamp(min(max(epoch, 0.0), MAX_EPOCH), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_id(ref: Any) -> int | None:
    """``ref`` as a numeric id (an integer, or a string of ASCII digits) if it can be one, else ``None``."""
    if isinstance(ref, str) and ref.isascii() and ref.isdigit() and len(ref) <= 19:
        ref = int(ref)
    if isinstance(ref, int) and not isinstance(ref, bool) and 0 <= ref <= MAX_ID:
        return ref
    return None


def public(record: Json) -> Json:
    """A record without its ``_private`` bookkeeping keys."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


class Core:
    """Shared machinery for the services. Thread-safe."""

    def __init__(
        self, config: EmulatorConfig, *, clock: Clock | None = None, store: Store | None = None
    ) -> None:
        self.config = config
        self.clock = clock or Clock(config.clock_mode, config.time_scale)
        self.faults = FaultBook()
        self.rate_limiter = RateLimiter(config.rate_limit_per_minute, config.rate_limit_per_hour)
        self.request_log = RequestLog(config.request_log_size)
        self._lock = threading.RLock()
        if store is None:
            store = SqliteStore(config.state_file) if config.state_file else MemoryStore()
        self._store = store
        self._dirty = False
        self._handlers: dict[str, EventHandler] = {}
        self._listeners: dict[str, list[Callable[..., None]]] = {}
        self._seeders: list[Seeder] = []
        self.s: Json = {}

    # ------------------------------------------------------------------ wiring (services call these once)

    def on_due(self, kind: str, handler: EventHandler) -> None:
        """Run ``handler(ref, due)`` for every scheduled event of ``kind`` once it is due."""
        self._handlers[kind] = handler

    def subscribe(self, event: str, listener: Callable[..., None]) -> None:
        """Call ``listener(**payload)`` on every :meth:`emit` of ``event`` (a cross-service effect)."""
        self._listeners.setdefault(event, []).append(listener)

    def seeds(self, seeder: Seeder) -> None:
        """Let ``seeder`` add its slices to every fresh state document."""
        self._seeders.append(seeder)

    def open(self) -> None:
        """Load the stored document (or seed a fresh one). Called once every service is wired."""
        loaded = self._store.load()
        if loaded is not None and loaded.get("version") == STATE_VERSION:
            self.s = loaded
            clock = loaded.get("clock")
            # A state file from before the clock was bounded may hold a time no date can show.
            if isinstance(clock, (int, float)) and math.isfinite(clock) and 0 <= clock <= MAX_EPOCH:
                self.clock.set(float(clock))
        else:
            self.s = self.fresh_state()
            self.commit()

    # ------------------------------------------------------------------ the document

    def fresh_state(self) -> Json:
        now = self.clock.now()
        s: Json = {"version": STATE_VERSION, "clock": now, "seq": {"event": 0}, "events": []}
        for seeder in self._seeders:
            seeder(s, now)
        return s

    def commit(self) -> None:
        self.s["clock"] = self.clock.now()
        self._store.save(self.s)
        self._dirty = False

    @contextmanager
    def tx(self) -> Iterator[None]:
        """One operation: settle due lifecycle events, run, settle events due now, commit if changed."""
        with self._lock:
            self.settle()
            try:
                yield
            finally:
                self.settle()
                if self._dirty:
                    self.commit()

    def touch(self) -> None:
        """Mark the document changed: the current operation commits it."""
        self._dirty = True

    def reset(self) -> None:
        """A fresh document (the clock keeps going)."""
        with self._lock:
            self.s = self.fresh_state()
            self.commit()

    def close(self) -> None:
        with self._lock:
            if self._dirty:
                self.commit()
            self._store.close()

    # ------------------------------------------------------------------ ids, time, events

    def next_id(self, kind: str) -> int:
        # .get: a state file written before a counter existed still loads.
        self.s["seq"][kind] = self.s["seq"].get(kind, 0) + 1
        return int(self.s["seq"][kind])

    def now(self) -> float:
        return self.clock.now()

    def schedule(self, delay: float, kind: str, ref: str, at: float | None = None) -> float:
        """Run the ``kind`` handler for ``ref`` ``delay`` emulated seconds from now (or from ``at``)."""
        due = (self.clock.now() if at is None else at) + max(0.0, delay)
        heapq.heappush(self.s["events"], [due, self.next_id("event"), kind, ref])
        self.touch()
        return due

    def scheduled(self, kind: str, ref: str) -> bool:
        """Whether an event of ``kind`` for ``ref`` is still pending."""
        return any(e[2] == kind and e[3] == ref for e in self.s["events"])

    def settle(self) -> None:
        """Apply every scheduled event that is due, in due order."""
        events: list[list[Any]] = self.s.get("events") or []
        if not events:
            return
        now = self.clock.now()
        while events and events[0][0] <= now:
            due, _seq, kind, ref = heapq.heappop(events)
            self.touch()
            self._handlers[kind](ref, float(due))

    def emit(self, event: str, **payload: Any) -> None:
        """Tell every subscribed service that ``event`` happened (e.g. a droplet is gone)."""
        for listener in self._listeners.get(event, []):
            listener(**payload)
