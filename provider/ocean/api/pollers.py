"""Shared pollers: one request answers every resource waiting on the same kind of thing (issue 15).

Waiting resources used to poll their own item (``GET /v2/actions/{id}`` per droplet, about once a second
near the expected end), so requests grew with the number of resources and, above a few concurrent waits,
the rate governor, not DigitalOcean, set the pace. Here one ``Poller`` per kind (actions, droplets,
firewalls, VPC peerings) per client (one token, one endpoint) per injected clock serves every waiter:

- Each waiter keeps its own adaptive schedule (``waiters.PollSchedule``) and a next-due time. The poller
  sleeps until the earliest due time, issues ONE request (an account-wide list) and hands the
  observation to EVERY waiter whose item the list holds; each reports progress and advances its
  schedule from there. Requests grow with time, not with the number of waiters.
- Actions: ``GET /v2/actions?page=1&per_page=N``, newest first, paging further only while the oldest
  awaited action is older than the last one on the page (at most ``ACTIONS_MAX_PAGES`` pages). An action
  that falls off those pages never comes back onto them (newer actions only push it further down), so
  from then on it is polled with its own ``GET /v2/actions/{id}`` on its own schedule.
- Droplets, firewalls, VPC peerings: the whole list (``per_page=200``, every page). Absent from a complete
  list means gone (404). When the list has as many pages as there are waiters, per-item GETs are no
  dearer, and exact: the poller uses them.
- One waiter alone is polled with its own GET, on exactly its own schedule (a list serves nobody else).
- With two or more waiters, a waiter that is not yet where completion is likely may be served a little
  late (by its current interval or a tenth of its expected duration, whichever is longer, never past
  the start of its dense window), and ticks
  are at least ``MIN_TICK_S`` apart: new waiters arriving every fraction of a second (a hundred creates
  paced by the governor) do not turn into a request per arrival. Near an expected completion the
  schedule's dense polling (about every second) is kept, so a finished action is noticed within about
  a second.

Requests and log lines run in the waiting operation's own context (its ``urn``, the secrets the
provider's log filter takes out); a shared list runs in that of the waiter due first (``shared_by``
says how many it serves).

Per waiter, as before: the deadline (a last poll at the deadline, then ``WaitTimeout``), cancellation (the
waiter leaves; the others go on; the poller stops when nobody waits), progress after every observation,
transient failures counted per waiter (``MAX_TRANSIENT_FAILURES``), errors of the item itself (an
errored action, a failed firewall) for that waiter only. A request that fails for good reaches every
waiter it would have served.

Waits with nothing to share keep their own per-item loop (``waiters._poll``): garbage collections (an
account has one registry, and its collections run one at a time, so there is never a second waiter to
serve), a VPC becoming empty (its members and peerings are per-VPC queries with no account-wide list),
and the generic ``wait_for_status`` / ``wait_until_gone`` over a caller's own fetch (e.g. a snapshot's
deletion, which DigitalOcean completes at once).

``OCEAN_POLLING=per-resource`` restores the behaviour before issue 15 (every waiter polls its own item);
``polling_mode()`` is the one place that reads it.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import time
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import structlog

from .errors import NotFound, RateLimited, ServerError, TransportError, WaitCancelled, WaitTimeout
from .logs import get_logger
from .models.action import Action
from .models.meta import PageLinks
from .transport import deadline_scope

if TYPE_CHECKING:
    from .client import DigitalOceanClient
    from .waiters import PollSchedule, ProgressCallback

T = TypeVar("T")
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]
_log = get_logger("ocean.api.pollers")

POLLING_ENV = "OCEAN_POLLING"

# The first page of the actions list, and how many pages a tick may read (then per-item GETs).
ACTIONS_PER_PAGE = 50
ACTIONS_MAX_PAGES = 3
# With two or more waiters: ticks at least this far apart (the schedules' dense interval) ...
MIN_TICK_S = 1.0
# ... and a waiter before its dense window may be served up to this fraction of its expected duration late.
STRETCH_OF_EXPECTED = 0.1
_EPS = 1e-6

GoneMode = Literal["done", "error", "classify"]


def polling_mode() -> Literal["shared", "per-resource"]:
    """``per-resource`` when ``OCEAN_POLLING=per-resource`` (the behaviour before issue 15: every waiter
    polls its own item, every Read is its own GET); otherwise ``shared``."""
    value = os.environ.get(POLLING_ENV, "").strip().lower()
    return "per-resource" if value == "per-resource" else "shared"


# ----------------------------------------------------------------------------------------------- kinds


@dataclass
class _Listing:
    found: dict[Hashable, Any]
    gone: set[Hashable]  # absent from a complete list
    requests: int


class Kind:
    """How one kind of item is observed: one at a time (``get``) or many in one list (``list``)."""

    name = "item"

    async def get(self, client: DigitalOceanClient, key: Any) -> Any:
        raise NotImplementedError

    def listable(self, key: Hashable) -> bool:
        """Whether the list can still hold ``key``."""
        return True

    def use_list(self, keys: int) -> bool:
        """Whether a list serves ``keys`` waiting items more cheaply than per-item GETs."""
        return keys >= 2

    async def list(self, client: DigitalOceanClient, keys: set[Hashable]) -> _Listing:
        raise NotImplementedError


class ActionsKind(Kind):
    name = "actions"

    def __init__(self) -> None:
        self.off_list: set[Hashable] = set()

    async def get(self, client: DigitalOceanClient, key: Any) -> Any:
        return await client.actions.get(key)

    def listable(self, key: Hashable) -> bool:
        return key not in self.off_list

    async def list(self, client: DigitalOceanClient, keys: set[Hashable]) -> _Listing:
        wanted: set[Any] = set(keys)  # action ids
        per_page = min(200, max(ACTIONS_PER_PAGE, 2 * len(wanted)))
        found: dict[Hashable, Any] = {}
        page = 0
        while True:
            page += 1
            params = {"page": page, "per_page": per_page}
            data = await client.transport.request("GET", "/v2/actions", params=params) or {}
            items = [Action.model_validate(a) for a in data.get("actions") or []]
            found.update((a.id, a) for a in items if a.id in wanted)
            missing = wanted - found.keys()
            if not missing or not items:
                break
            oldest = min(a.id for a in items)
            if min(missing) >= oldest:
                break  # what is missing is within the listed range: per-item GETs tell
            pages = PageLinks.model_validate(data.get("links") or {}).pages
            if pages is None or not pages.next:
                break
            if page >= ACTIONS_MAX_PAGES:
                # Older than every listed action: newer actions only push it further down.
                self.off_list.update(k for k in missing if k < oldest)
                break
        return _Listing(found, set(), page)


class ListedKind(Kind):
    """Items of an account-wide list read whole (``per_page=200``); absent from it means gone. ``name`` is
    the client's service for them (``client.droplets``: its ``get`` and ``list``)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.pages: int | None = None  # pages of the last complete list

    def use_list(self, keys: int) -> bool:
        return keys >= 2 and (self.pages is None or self.pages < keys)

    async def get(self, client: DigitalOceanClient, key: Any) -> Any:
        return await getattr(client, self.name).get(key)

    async def list(self, client: DigitalOceanClient, keys: set[Hashable]) -> _Listing:
        paginator = getattr(client, self.name).list()
        listed = {item.id: item async for item in paginator}
        self.pages = paginator.pages_fetched
        found = {k: listed[k] for k in keys if k in listed}
        return _Listing(found, set(keys) - found.keys(), paginator.pages_fetched)


KINDS: dict[str, Callable[[], Kind]] = {
    "actions": ActionsKind,
    **{name: functools.partial(ListedKind, name) for name in ("droplets", "firewalls", "vpc_peerings")},
}

_TRANSIENT = (ServerError, TransportError, RateLimited)


@dataclass(frozen=True)
class _Gone:
    error: NotFound


# --------------------------------------------------------------------------------------------- waiters


@dataclass(eq=False)
class _Waiter:
    key: Hashable
    what: str
    action_id: int | None
    schedule: PollSchedule
    classify: Callable[[Any], tuple[bool, str | None]]
    on_value: Callable[[Any, PollSchedule], None] | None
    gone: GoneMode
    start: float
    deadline: float | None
    due: float = 0.0
    last_delay: float = 0.0
    polls: int = 0
    transient: int = 0
    last_status: str | None = None
    finished: bool = False
    inbox: asyncio.Queue[tuple[str, Any]] = field(default_factory=asyncio.Queue)
    # The context of the operation waiting: its requests and log lines are tied to it (its ``urn``, the
    # secrets the log filter takes out).
    context: contextvars.Context = field(default_factory=contextvars.copy_context)

    def plan(self, now: float, not_before: float | None = None) -> None:
        """The next due time, from the schedule, counted from ``now`` (when the last poll was sent, so
        a tick's own duration does not stretch the interval) but not before ``not_before``."""
        delay = self.schedule.next_delay(now - self.start)
        self.last_delay = delay
        due = max(now + delay, not_before if not_before is not None else now)
        self.due = due if self.deadline is None else min(due, self.deadline)

    def latest(self, crowded: bool) -> float:
        """The latest time this waiter may be served (``crowded``: it shares the poller)."""
        if not crowded:
            return self.due
        expected = self.schedule.expected_s
        if expected is None:
            slack = 0.5 * self.last_delay
        else:
            window = self.start + 0.75 * expected
            if self.due >= window - _EPS:
                return self.due  # where completion is likely: on time
            slack = min(window - self.due, max(self.last_delay, STRETCH_OF_EXPECTED * expected))
        late = self.due + max(0.0, slack)
        return late if self.deadline is None else min(late, self.deadline)


class Poller:
    """Serves every waiter of one kind for one client; see the module docstring."""

    def __init__(self, client: DigitalOceanClient, kind: Kind, clock: Clock, sleep: Sleep) -> None:
        self.client = client
        self.kind = kind
        self.clock = clock
        self.sleep = sleep
        self.waiters: list[_Waiter] = []
        self.requests = 0  # diagnostics: requests sent
        self.ticks = 0
        self._last_tick: float | None = None
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._on_stop: Callable[[Poller], None] | None = None

    # ------------------------------------------------------------------ membership

    def add(self, waiter: _Waiter) -> None:
        self.waiters.append(waiter)
        self._changed.set()
        if self._task is None or self._task.done():
            # A fresh context: the poller serves many resources, so it carries none's deadline or log context.
            loop = asyncio.get_running_loop()
            self._task = loop.create_task(self._run(), context=contextvars.Context())

    def remove(self, waiter: _Waiter) -> None:
        if waiter in self.waiters:
            self.waiters.remove(waiter)
            self._changed.set()

    def _finish(self, waiter: _Waiter, kind: str, payload: Any) -> None:
        waiter.finished = True
        waiter.inbox.put_nowait((kind, payload))
        self.remove(waiter)

    # ------------------------------------------------------------------ the loop

    def _wake_at(self) -> float:
        crowded = len(self.waiters) > 1
        wake = min(w.latest(crowded) for w in self.waiters)
        if crowded and self._last_tick is not None:
            wake = max(wake, self._last_tick + MIN_TICK_S)
        deadlines = [w.deadline for w in self.waiters if w.deadline is not None]
        return min([wake, *deadlines])

    async def _run(self) -> None:
        from .waiters import _race

        try:
            while self.waiters:
                self._changed.clear()
                delay = max(0.0, self._wake_at() - self.clock())
                interrupted, _ = await _race(self.sleep(delay), self._changed)
                if interrupted or not self.waiters:
                    continue  # someone came or left: plan again
                await self._tick()
        except BaseException as exc:
            # Nobody is left hanging: a bug, or the poller cancelled, ends every wait it serves.
            for w in list(self.waiters):
                if isinstance(exc, asyncio.CancelledError):
                    exc_out: BaseException = WaitCancelled(
                        w.what, self.clock() - w.start, w.last_status, w.action_id, "cancelled"
                    )
                else:
                    exc_out = exc
                self._finish(w, "error", exc_out)
            if not isinstance(exc, Exception):
                raise
        finally:
            if not self.waiters and self._on_stop is not None:
                self._on_stop(self)

    async def _tick(self) -> None:
        now = self.clock()
        waiters = list(self.waiters)
        due = [w for w in waiters if w.due <= now + _EPS or (w.deadline is not None and w.deadline <= now)]
        if not due:
            return
        self._last_tick = now
        self.ticks += 1
        listable = [w for w in waiters if self.kind.listable(w.key)]
        list_keys = {w.key for w in listable}
        use_list = self.kind.use_list(len(list_keys)) and any(w in due for w in listable)
        served = (listable + [w for w in due if w not in listable]) if use_list else due
        observed: dict[Hashable, Any] = {}
        requests = 0
        one_by_one = {w.key for w in served if not use_list or w not in listable}
        if use_list:
            # One request for everyone, made (and logged) as the waiter whose poll is due first.
            lead = min(due, key=lambda w: w.due)
            deadlines = [w.deadline for w in served if w.deadline is not None]
            left = max(0.0, min(deadlines) - now) if deadlines else None
            listing = await self._as(lead, self._list(list_keys, left, len(served)))
            if isinstance(listing, _Listing):
                requests += listing.requests
                observed.update(listing.found)
                for k in listing.gone:
                    observed[k] = _Gone(_absent(self.kind, k))
                one_by_one |= list_keys - listing.found.keys() - listing.gone
            else:
                requests += 1
                observed.update((k, listing) for k in list_keys)
        if one_by_one:
            asking = {w.key: w for w in served}
            keys = sorted(one_by_one, key=str)
            results = await asyncio.gather(*(self._as(asking[k], self._get(asking[k], now)) for k in keys))
            observed.update(zip(keys, results, strict=True))
            requests += len(keys)
        self.requests += requests
        _log.debug(
            "poll", kind=self.kind.name, waiters=len(served), requests=requests,
            list=use_list, per_item=len(one_by_one),
        )  # fmt: skip
        at = self.clock()
        for w in served:
            if not w.finished and w in self.waiters:  # not cancelled meanwhile
                w.context.run(self._deliver, w, observed[w.key], at, now)

    def _as(self, waiter: _Waiter, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run ``coro`` in (a copy of) ``waiter``'s context: its requests and logs are tied to the
        operation that waits (its ``urn``, its secrets kept out of the log)."""
        return asyncio.get_running_loop().create_task(coro, context=waiter.context.copy())

    async def _list(self, keys: set[Hashable], left: float | None, serves: int) -> _Listing | Exception:
        with deadline_scope(left, self.clock), structlog.contextvars.bound_contextvars(shared_by=serves):
            try:
                return await self.kind.list(self.client, keys)
            except Exception as exc:
                return exc

    async def _get(self, waiter: _Waiter, now: float) -> Any:
        left = None if waiter.deadline is None else max(0.0, waiter.deadline - now)
        with deadline_scope(left, self.clock):
            try:
                return await self.kind.get(self.client, waiter.key)
            except NotFound as exc:
                return _Gone(exc)
            except Exception as exc:
                return exc

    def _deliver(self, w: _Waiter, value: Any, now: float, sent: float) -> None:
        """Hand ``value`` (observed at ``now``, asked for at ``sent``) to waiter ``w``."""
        from .waiters import MAX_TRANSIENT_FAILURES, WaitProgress

        elapsed = now - w.start
        if isinstance(value, _Gone) and w.gone == "error":
            value = value.error
        if isinstance(value, Exception):
            w.polls += 1
            if not isinstance(value, _TRANSIENT):
                self._finish(w, "error", value)
                return
            w.transient += 1
            _log.info("wait_poll_failed", what=w.what, error=str(value), consecutive=w.transient)
            if w.transient >= MAX_TRANSIENT_FAILURES:
                self._finish(w, "error", value)
                return
        elif isinstance(value, _Gone) and w.gone == "done":
            w.polls += 1
            w.inbox.put_nowait(("progress", WaitProgress(w.what, elapsed, "gone", w.action_id, w.polls)))
            self._finish(w, "done", None)
            return
        else:
            if isinstance(value, _Gone):
                value = None  # ``classify`` decides what a disappearance means
            w.transient = 0
            w.polls += 1
            try:
                if w.on_value is not None and value is not None:
                    w.on_value(value, w.schedule)
                done, w.last_status = w.classify(value)
            except Exception as exc:
                self._finish(w, "error", exc)
                return
            progress = WaitProgress(w.what, elapsed, w.last_status, w.action_id, w.polls)
            w.inbox.put_nowait(("progress", progress))
            if done:
                _log.debug("wait_done", what=w.what, elapsed_s=round(elapsed, 3), polls=w.polls)
                self._finish(w, "done", value)
                return
        if w.deadline is not None and now >= w.deadline:
            self._finish(w, "error", WaitTimeout(w.what, elapsed, w.last_status, w.action_id, "timed out"))
            return
        w.plan(sent, not_before=now)


def _absent(kind: Kind, key: Hashable) -> NotFound:
    return NotFound(
        f"{kind.name[:-1].replace('_', ' ')} {key} is not in the list", status=404, error_id="not_found",
        method="GET", path=f"/v2/{kind.name}",
    )  # fmt: skip


# ----------------------------------------------------------------------------------- the registry

_pollers: weakref.WeakKeyDictionary[DigitalOceanClient, dict[tuple[Any, ...], Poller]] = (
    weakref.WeakKeyDictionary()
)


def poller_for(client: DigitalOceanClient, kind: str, clock: Clock, sleep: Sleep) -> Poller:
    """The running poller of ``kind`` for ``client`` and this clock (one is started if none runs)."""
    per_client = _pollers.setdefault(client, {})
    key = (kind, clock, sleep)
    poller = per_client.get(key)
    if poller is None:
        poller = per_client[key] = Poller(client, KINDS[kind](), clock, sleep)

        def stopped(p: Poller) -> None:
            if per_client.get(key) is p:
                del per_client[key]

        poller._on_stop = stopped
    return poller


async def watch(
    client: DigitalOceanClient,
    kind: str,
    key: Hashable,
    classify: Callable[[Any], tuple[bool, str | None]],
    *,
    what: str,
    schedule: PollSchedule,
    timeout: float | None,  # noqa: ASYNC109 - a deadline, not an I/O timeout
    cancel: asyncio.Event | None,
    on_progress: ProgressCallback | None,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    action_id: int | None = None,
    on_value: Callable[[Any, PollSchedule], None] | None = None,
    gone: GoneMode = "error",
) -> Any:
    """Wait on ``key`` through the shared poller of ``kind``: ``waiters._poll``'s contract (``classify``
    says done and status, may raise; ``gone``: what a 404 means), with one request serving every waiter."""
    from .waiters import _race, _report

    start = clock()
    if cancel is not None and cancel.is_set():
        raise WaitCancelled(what, 0.0, None, action_id, "cancelled")
    deadline = None if timeout is None else start + timeout
    waiter = _Waiter(key, what, action_id, schedule, classify, on_value, gone, start, deadline)
    waiter.plan(start)
    poller = poller_for(client, kind, clock, sleep)
    poller.add(waiter)
    try:
        while True:
            cancelled, item = await _race(waiter.inbox.get(), cancel)
            if cancelled or item is None:
                raise WaitCancelled(what, clock() - start, waiter.last_status, action_id, "cancelled")
            tag, payload = item
            if tag == "progress":
                await _report(on_progress, payload)
            elif tag == "done":
                return payload
            else:
                raise payload
    finally:
        poller.remove(waiter)


__all__ = [
    "ACTIONS_MAX_PAGES", "ACTIONS_PER_PAGE", "KINDS", "MIN_TICK_S", "POLLING_ENV", "Poller", "poller_for",
    "polling_mode", "watch",
]  # fmt: skip
