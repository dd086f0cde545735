"""Waiting for DigitalOcean to finish things: actions, garbage collections and resource states.

Polling is adaptive (``PollSchedule``): the first poll comes after 0.5 s; then the interval grows by 1.6x
towards the window where completion is likely (from 0.75x to 1.35x + 3 s of the kind's expected duration;
for long operations up to 0.2x expected between polls), polls every second inside that window (every
expected/30 s for operations longer than 30 s), and backs off again (to a 10 s cap) past it. So an
action is noticed within about a second of completing when it takes about as long as usual, with few
requests before. Garbage collections, whose length cannot be predicted, are polled by the stage they
report instead (``GcPollSchedule``).

Every wait honours a deadline (``timeout``) and a cancellation signal (an ``asyncio.Event``), reports
progress through ``on_progress(WaitProgress)`` after each poll, and takes an injected clock and sleep.

Waits on actions, droplets, firewalls and VPC peerings go through the shared pollers (``pollers.py``):
one request serves every resource waiting at that moment, each on its own schedule. Garbage
collections, a VPC becoming empty and the generic ``wait_for_status`` / ``wait_until_gone`` poll their
own item (``_poll``; see ``pollers.py`` for why), as does everything with ``OCEAN_POLLING=per-resource``.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from . import pollers
from .errors import (
    ActionErrored,
    GarbageCollectionFailed,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    WaitCancelled,
    WaitFailed,
    WaitTimeout,
)
from .logs import get_logger
from .models import durations
from .transport import deadline_scope

if TYPE_CHECKING:
    from .client import DigitalOceanClient
    from .models.action import Action
    from .models.droplet import Droplet
    from .models.firewall import Firewall
    from .models.garbage_collection import GarbageCollection
    from .models.vpc_peering import VpcPeering

T = TypeVar("T")
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]
_log = get_logger("ocean.api.waiters")

# Typical durations, from the project's one table: polls are dense where completion is likely.
EXPECTED_ACTION_S: dict[str, float] = durations.ACTION_S
EXPECTED_GC_S = durations.GARBAGE_COLLECTION_S
EXPECTED_FIREWALL_S = durations.FIREWALL_SETTLE_S
EXPECTED_PEERING_S = durations.VPC_PEERING_CREATE_S
EXPECTED_DELETE_S = durations.DROPLET_DELETE_S

# Consecutive transient failures (after the transport's own retries) tolerated while polling.
MAX_TRANSIENT_FAILURES = 8


@dataclass(frozen=True)
class WaitProgress:
    """What a wait reports after each poll."""

    what: str
    elapsed_s: float
    status: str | None
    action_id: int | None
    polls: int


ProgressCallback = Callable[[WaitProgress], Any]


class PollSchedule:
    """Adaptive poll intervals; see the module docstring."""

    def __init__(
        self,
        expected_s: float | None = None,
        *,
        first: float = 0.5,
        growth: float = 1.6,
        dense: float = 1.0,
        cap: float = 10.0,
        min_delay: float = 0.2,
    ) -> None:
        self.expected_s = expected_s
        self.first = first
        self.growth = growth
        self.dense = dense
        self.cap = cap
        self.min_delay = min_delay
        self._interval = first
        self._late: float | None = None
        self._polls = 0

    def next_delay(self, elapsed: float) -> float:
        """Seconds from now (``elapsed`` seconds into the wait) to the next poll."""
        self._polls += 1
        if self._polls == 1:
            return self.first
        if self.expected_s is None:
            self._interval = min(self.cap, self._interval * self.growth)
            return self._interval
        lo = 0.75 * self.expected_s
        hi = 1.35 * self.expected_s + 3.0
        if elapsed < lo:
            # Completion is unlikely yet: back off, further for long operations, but land on ``lo``.
            self._interval = min(max(self.cap, 0.2 * self.expected_s), self._interval * self.growth)
            return max(self.min_delay, min(self._interval, lo - elapsed))
        if elapsed <= hi:
            return max(self.dense, self.expected_s / 30.0)
        self._late = min(self.cap, (self._late or self.dense) * self.growth)
        return self._late


async def _report(on_progress: ProgressCallback | None, progress: WaitProgress) -> None:
    if on_progress is None:
        return
    try:
        result = on_progress(progress)
        if inspect.isawaitable(result):
            await result
    except Exception as exc:  # a broken progress display must not break the wait
        _log.warning("progress_callback_failed", what=progress.what, error=repr(exc))


async def _race(aw: Awaitable[T], cancel: asyncio.Event | None) -> tuple[bool, T | None]:
    """Run ``aw`` unless ``cancel`` fires first; returns (cancelled, result)."""
    if cancel is None:
        return False, await aw
    if cancel.is_set():
        if inspect.iscoroutine(aw):
            aw.close()
        return True, None
    task: asyncio.Future[T] = asyncio.ensure_future(aw)
    stopper: asyncio.Future[Any] = asyncio.ensure_future(cancel.wait())
    try:
        await asyncio.wait([task, stopper], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for fut in (task, stopper):
            if not fut.done():
                fut.cancel()
        await asyncio.gather(task, stopper, return_exceptions=True)
    if task.done() and not task.cancelled():
        return False, task.result()  # finished (or failed) before or with the cancel: use it
    return True, None


async def _poll(
    fetch: Callable[[], Awaitable[T]],
    classify: Callable[[T], tuple[bool, str | None]],
    *,
    what: str,
    schedule: PollSchedule,
    timeout: float | None,  # noqa: ASYNC109 - a deadline, not an I/O timeout
    cancel: asyncio.Event | None,
    on_progress: ProgressCallback | None,
    clock: Clock,
    sleep: Sleep,
    action_id: int | None = None,
    on_value: Callable[[T, PollSchedule], None] | None = None,
    gone_ok: bool = False,
) -> T | None:
    start = clock()
    deadline = None if timeout is None else start + timeout
    polls = 0
    last_status: str | None = None
    transient = 0

    def elapsed() -> float:
        return clock() - start

    while True:
        delay = schedule.next_delay(elapsed())
        if deadline is not None:
            delay = min(delay, max(0.0, deadline - clock()))
        cancelled, _ = await _race(sleep(delay), cancel)
        if cancelled:
            raise WaitCancelled(what, elapsed(), last_status, action_id, "cancelled")
        left = None if deadline is None else max(0.0, deadline - clock())
        try:
            with deadline_scope(left, clock):
                cancelled, value = await _race(fetch(), cancel)
        except NotFound:
            if not gone_ok:
                raise
            polls += 1
            await _report(on_progress, WaitProgress(what, elapsed(), "gone", action_id, polls))
            return None
        except (ServerError, TransportError, RateLimited) as exc:
            transient += 1
            polls += 1
            _log.info("wait_poll_failed", what=what, error=str(exc), consecutive=transient)
            if transient >= MAX_TRANSIENT_FAILURES:
                raise
        else:
            if cancelled:
                raise WaitCancelled(what, elapsed(), last_status, action_id, "cancelled")
            transient = 0
            polls += 1
            v: T = value  # type: ignore[assignment]
            if on_value is not None:
                on_value(v, schedule)
            done, last_status = classify(v)
            await _report(on_progress, WaitProgress(what, elapsed(), last_status, action_id, polls))
            if done:
                _log.debug(
                    "wait_done", what=what, elapsed_s=round(elapsed(), 3), polls=polls, status=last_status
                )
                return v
        if deadline is not None and clock() >= deadline:
            raise WaitTimeout(what, elapsed(), last_status, action_id, "timed out")


async def _wait(
    client: DigitalOceanClient,
    kind: str,
    key: Any,
    fetch: Callable[[], Awaitable[T]],
    classify: Callable[[Any], tuple[bool, str | None]],
    *,
    what: str,
    schedule: PollSchedule,
    timeout: float | None,  # noqa: ASYNC109 - a deadline, not an I/O timeout
    cancel: asyncio.Event | None,
    on_progress: ProgressCallback | None,
    clock: Clock,
    sleep: Sleep,
    action_id: int | None = None,
    on_value: Callable[[Any, PollSchedule], None] | None = None,
    gone: pollers.GoneMode = "error",
) -> T | None:
    """Wait on item ``key`` of ``kind`` through its shared poller, or with ``fetch`` on its own when
    ``OCEAN_POLLING=per-resource``. What a 404 means (``gone``): ``error`` raises ``NotFound``; ``done``
    ends the wait with None; ``classify`` hands None to ``classify`` (``fetch`` then maps a 404 to None
    itself, for the per-resource mode)."""
    if pollers.polling_mode() == "per-resource":
        return await _poll(
            fetch, classify, what=what, schedule=schedule, timeout=timeout, cancel=cancel,
            on_progress=on_progress, clock=clock, sleep=sleep, action_id=action_id, on_value=on_value,
            gone_ok=gone == "done",
        )  # fmt: skip
    result: T | None = await pollers.watch(
        client, kind, key, classify, what=what, schedule=schedule, timeout=timeout, cancel=cancel,
        on_progress=on_progress, clock=clock, sleep=sleep, action_id=action_id, on_value=on_value,
        gone=gone,
    )  # fmt: skip
    return result


async def wait_for_action(
    client: DigitalOceanClient,
    action_id: int,
    *,
    timeout: float | None = None,  # noqa: ASYNC109 - a deadline, not an I/O timeout
    cancel: asyncio.Event | None = None,
    on_progress: ProgressCallback | None = None,
    expected_s: float | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    what: str | None = None,
) -> Action:
    """Wait until action ``action_id`` is ``completed``; raises ``ActionErrored`` if it ``errored``."""
    label = what or f"action {action_id}"
    schedule = PollSchedule(expected_s)

    def learn(action: Action, sched: PollSchedule) -> None:
        if sched.expected_s is None:
            sched.expected_s = EXPECTED_ACTION_S.get(action.type)

    def classify(action: Action) -> tuple[bool, str | None]:
        if action.status == "errored":
            raise ActionErrored(action, what)
        return action.status == "completed", action.status

    result = await _wait(
        client, "actions", action_id, lambda: client.actions.get(action_id), classify, what=label,
        schedule=schedule, timeout=timeout, cancel=cancel, on_progress=on_progress, clock=clock, sleep=sleep,
        action_id=action_id, on_value=learn,
    )  # fmt: skip
    assert result is not None
    return result


class GcPollSchedule(PollSchedule):
    """Poll intervals for a garbage collection, steered by the stages it reports.

    Nobody knows in advance how long a collection takes (waiting for write JWTs to expire alone can take
    up to 15 minutes), but it reports its stages in order, and ``updated_at - created_at`` over the
    stages passed tells how long a stage lasts for this registry. So:

    - until one stage has ended, back off from 0.5 s to ``cap`` (or a tenth of the time waited so far,
      for long ones; at most MAX_INTERVAL);
    - then poll every quarter of a stage (at least ``cap``, at most MAX_INTERVAL), and never wait more
      than half a stage, so that no stage goes unseen;
    - in the last stage (``deleting unreferenced blobs``) expect the end one stage length after it
      began, and poll as ``PollSchedule`` does around an expected completion (densely from 0.75x to
      1.35x + 3 s, every ``dense`` s or a thirtieth of a stage), so that the end is noticed within about
      a second with few requests;
    - ``cancelling``, or a last stage whose length cannot be estimated: every ``dense`` s for
      ``dense_window_s``, then back off to ``cap``.
    """

    STAGES = (
        "requested",
        "waiting for write JWTs to expire",
        "scanning manifests",
        "deleting unreferenced blobs",
    )
    FINAL_STAGES = frozenset({"deleting unreferenced blobs", "cancelling"})
    MAX_INTERVAL = 60.0

    def __init__(self, *, cap: float = 10.0, dense: float = 1.0, dense_window_s: float = 30.0) -> None:
        super().__init__(None, cap=cap, dense=dense)
        self.dense_window_s = dense_window_s
        self.stage_s: float | None = None
        self._status: str | None = None
        self._final: PollSchedule | None = None
        self._final_since: float | None = None
        self._last_delay = 0.0

    def observe(self, gc: GarbageCollection, elapsed: float) -> None:
        """Tell the schedule what a poll ``elapsed`` seconds into the wait saw."""
        status = gc.status
        if status in self.STAGES and gc.created_at is not None and gc.updated_at is not None:
            index = self.STAGES.index(status)
            span = (gc.updated_at - gc.created_at).total_seconds()
            if index >= 1 and span > 0:
                self.stage_s = span / index
        if status == self._status:
            return
        self._status = status
        self._final = None
        self._final_since = None
        if status in self.FINAL_STAGES:
            # The stage began somewhere within the last wait: count half of that wait as gone already.
            self._final_since = elapsed - self._last_delay / 2
            if status == "deleting unreferenced blobs" and self.stage_s is not None:
                self._final = PollSchedule(self.stage_s, first=self.dense, dense=self.dense, cap=self.cap)

    def next_delay(self, elapsed: float) -> float:
        if self._final is not None and self._final_since is not None:
            delay = self._final.next_delay(elapsed - self._final_since)
        elif self._final_since is not None and elapsed - self._final_since <= self.dense_window_s:
            self._polls += 1
            delay = self.dense
            self._interval = self.dense
        else:
            self._polls += 1
            if self._polls == 1:
                delay = self.first
            else:
                self._interval = min(self._ceiling(elapsed), self._interval * self.growth)
                delay = self._interval
        self._last_delay = delay
        return delay

    def _ceiling(self, elapsed: float) -> float:
        """The longest wait between polls before the last stage."""
        if self.stage_s is None:
            # No stage has ended yet: a tenth of the time waited so far, at least ``cap``.
            return min(self.MAX_INTERVAL, max(self.cap, elapsed / 10.0))
        # A quarter of a stage, at least ``cap``, never more than half a stage (no stage goes unseen).
        longest = min(self.MAX_INTERVAL, max(self.cap, self.stage_s / 4.0), self.stage_s / 2.0)
        return max(self.dense, longest)


async def wait_for_gc(
    client: DigitalOceanClient,
    registry: str,
    uuid: str,
    *,
    timeout: float | None = None,  # noqa: ASYNC109 - a deadline, not an I/O timeout
    cancel: asyncio.Event | None = None,
    on_progress: ProgressCallback | None = None,
    expected_s: float | None = EXPECTED_GC_S,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    what: str | None = None,
    raise_on_failed: bool = False,
) -> GarbageCollection:
    """Wait until garbage collection ``uuid`` is ``succeeded``, ``failed`` or ``cancelled``.

    ``cancelling`` is not an end. Polling follows ``GcPollSchedule`` (``expected_s``, the usual length of
    a whole collection, sets how far apart polls get in the early stages: a sixth of it, 1-10 s). Each
    poll reports the current status through ``on_progress``. Returns the final garbage collection (or
    raises ``GarbageCollectionFailed`` on ``failed`` when ``raise_on_failed``).
    """
    label = what or f"garbage collection {uuid} of registry {registry}"
    cap = 10.0 if expected_s is None else max(1.0, min(10.0, expected_s / 6.0))
    schedule = GcPollSchedule(cap=cap)
    start = clock()

    def classify(gc: GarbageCollection) -> tuple[bool, str | None]:
        if gc.status == "failed" and raise_on_failed:
            raise GarbageCollectionFailed(registry, uuid)
        return gc.done, gc.status

    def learn(gc: GarbageCollection, sched: PollSchedule) -> None:
        if isinstance(sched, GcPollSchedule):
            sched.observe(gc, clock() - start)

    # Its own poll, not a shared poller: an account has one registry and its collections run one at a
    # time, so there is never a second garbage collection to serve with the same request.
    result = await _poll(
        lambda: client.garbage_collections.get(registry, uuid), classify, what=label,
        schedule=schedule, timeout=timeout, cancel=cancel, on_progress=on_progress,
        clock=clock, sleep=sleep, on_value=learn,
    )  # fmt: skip
    assert result is not None
    return result


async def wait_for_status(
    fetch: Callable[[], Awaitable[T]],
    predicate: Callable[[T], bool],
    *,
    what: str,
    timeout: float | None = None,  # noqa: ASYNC109 - a deadline, not an I/O timeout
    cancel: asyncio.Event | None = None,
    on_progress: ProgressCallback | None = None,
    expected_s: float | None = None,
    status_of: Callable[[T], str | None] | None = None,
    failed: Callable[[T], bool] | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> T:
    """Poll ``fetch()`` until ``predicate(value)``; returns that value.

    ``status_of`` names the status shown in progress (default: the value's ``status`` attribute);
    ``failed(value)`` ends the wait with ``WaitFailed``. The caller's own fetch cannot be shared: this
    polls its item alone (the ready-made waits below share a poller).
    """
    return await _wait_for_status(
        None, "", None, fetch, predicate, what=what, timeout=timeout, cancel=cancel, on_progress=on_progress,
        expected_s=expected_s, status_of=status_of, failed=failed, clock=clock, sleep=sleep,
    )  # fmt: skip


async def _wait_for_status(
    client: DigitalOceanClient | None,
    kind: str,
    key: Any,
    fetch: Callable[[], Awaitable[T]],
    predicate: Callable[[T], bool],
    *,
    what: str,
    timeout: float | None = None,  # noqa: ASYNC109 - a deadline, not an I/O timeout
    cancel: asyncio.Event | None = None,
    on_progress: ProgressCallback | None = None,
    expected_s: float | None = None,
    status_of: Callable[[T], str | None] | None = None,
    failed: Callable[[T], bool] | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> T:
    """``wait_for_status``, through the shared poller of ``kind`` when a ``client`` is given."""
    get_status = status_of or (lambda v: _status_str(getattr(v, "status", None)))
    start = clock()

    def classify(value: T) -> tuple[bool, str | None]:
        status = get_status(value)
        if failed is not None and failed(value):
            raise WaitFailed(what, clock() - start, status, None, "failed")
        return predicate(value), status

    kw: dict[str, Any] = dict(
        what=what, schedule=PollSchedule(expected_s), timeout=timeout, cancel=cancel,
        on_progress=on_progress, clock=clock, sleep=sleep,
    )  # fmt: skip
    if client is None:
        result = await _poll(fetch, classify, **kw)
    else:
        result = await _wait(client, kind, key, fetch, classify, **kw)
    assert result is not None
    value: T = result
    return value


async def wait_until_gone(
    fetch: Callable[[], Awaitable[Any]],
    *,
    what: str,
    timeout: float | None = None,  # noqa: ASYNC109 - a deadline, not an I/O timeout
    cancel: asyncio.Event | None = None,
    on_progress: ProgressCallback | None = None,
    expected_s: float | None = EXPECTED_DELETE_S,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> None:
    """Poll ``fetch()`` until it raises ``errors.NotFound`` (its item alone: for a droplet use
    ``wait_for_droplet_gone``, which shares a poller)."""
    await _poll(
        fetch, lambda v: (False, _status_str(getattr(v, "status", None)) or "present"), what=what,
        schedule=PollSchedule(expected_s), timeout=timeout, cancel=cancel, on_progress=on_progress,
        clock=clock, sleep=sleep, gone_ok=True,
    )  # fmt: skip


def _status_str(value: Any) -> str | None:
    return None if value is None else str(value)


# Ready-made waits for the product's resources.


async def wait_for_droplet_gone(
    client: DigitalOceanClient,
    droplet_id: int,
    *,
    what: str | None = None,
    timeout: float | None = None,  # noqa: ASYNC109 - a deadline, not an I/O timeout
    cancel: asyncio.Event | None = None,
    on_progress: ProgressCallback | None = None,
    expected_s: float | None = EXPECTED_DELETE_S,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> None:
    """Until droplet ``droplet_id`` answers 404 (or is absent from a complete droplet list)."""
    await _wait(
        client, "droplets", droplet_id, lambda: client.droplets.get(droplet_id),
        lambda v: (False, _status_str(getattr(v, "status", None)) or "present"),
        what=what or f"droplet {droplet_id} deletion", schedule=PollSchedule(expected_s), timeout=timeout,
        cancel=cancel, on_progress=on_progress, clock=clock, sleep=sleep, gone="done",
    )  # fmt: skip


async def wait_for_droplet(
    client: DigitalOceanClient, droplet_id: int, predicate: Callable[[Droplet], bool], **kw: Any
) -> Droplet:
    """Until ``predicate(droplet)`` (e.g. it is off); ``wait_for_status``'s keywords. A 404 raises."""
    kw.setdefault("what", f"droplet {droplet_id}")
    return await _wait_for_status(
        client, "droplets", droplet_id, lambda: client.droplets.get(droplet_id), predicate, **kw
    )


def firewall_progress(firewall: Firewall) -> str:
    """What a firewall wait is waiting on, for the progress line: ``3 droplets pending`` while DigitalOcean
    applies it to droplets, else its status."""
    pending = len(firewall.pending_changes or [])
    if firewall.status == "failed":
        return "failed"
    if pending:
        return f"{pending} droplet{'s' if pending != 1 else ''} pending"
    return f"status {firewall.status or 'unknown'}"


async def wait_for_firewall_settled(client: DigitalOceanClient, firewall_id: str, **kw: Any) -> Firewall:
    """Until the firewall is ``succeeded`` with no ``pending_changes``; ``failed`` raises ``WaitFailed``.

    Progress reports the pending droplets (``firewall_progress``)."""
    kw.setdefault("expected_s", EXPECTED_FIREWALL_S)
    kw.setdefault("status_of", firewall_progress)
    return await _wait_for_status(
        client, "firewalls", firewall_id, lambda: client.firewalls.get(firewall_id), lambda f: f.settled,
        what=kw.pop("what", f"firewall {firewall_id} to settle"), failed=lambda f: f.status == "failed", **kw,
    )  # fmt: skip


async def wait_for_peering_active(client: DigitalOceanClient, peering_id: str, **kw: Any) -> VpcPeering:
    kw.setdefault("expected_s", EXPECTED_PEERING_S)
    return await _wait_for_status(
        client, "vpc_peerings", peering_id, lambda: client.vpc_peerings.get(peering_id),
        lambda p: p.status == "ACTIVE",
        what=kw.pop("what", f"VPC peering {peering_id} to be active"), **kw,
    )  # fmt: skip


# VPC peerings. A wait passes only through the statuses listed for its goal; any other status (an error
# state DigitalOcean may add, DELETING while provisioning) or a peering that disappears before it is
# ACTIVE ends the wait at once with ``WaitFailed``, whose ``last_status`` says what was seen.
PEERING_PASSES_THROUGH: dict[str, frozenset[str]] = {
    "ACTIVE": frozenset({"PROVISIONING"}),
    "gone": frozenset({"DELETING"}),
}
GONE = "gone"


class PeeringDisappeared(WaitFailed):
    """The peering answered 404 while it should have become ACTIVE."""


async def wait_for_peering(
    client: DigitalOceanClient,
    peering_id: str,
    *,
    until: str = "ACTIVE",
    what: str | None = None,
    timeout: float | None = None,  # noqa: ASYNC109 - a deadline, not an I/O timeout
    cancel: asyncio.Event | None = None,
    on_progress: ProgressCallback | None = None,
    expected_s: float | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> VpcPeering | None:
    """Wait for VPC peering ``peering_id`` to be ``ACTIVE`` (``until="ACTIVE"``: from ``PROVISIONING``)
    or to be gone (``until="gone"``: from ``DELETING`` to 404). Returns the active peering, or None."""
    if until not in PEERING_PASSES_THROUGH:
        raise ValueError(f"until must be one of {sorted(PEERING_PASSES_THROUGH)}")
    label = what or f"VPC peering {peering_id} to be {until}"
    passes = PEERING_PASSES_THROUGH[until]
    start = clock()
    seen: list[str | None] = [None]

    async def fetch() -> VpcPeering | None:
        try:
            return await client.vpc_peerings.get(peering_id)
        except NotFound:
            if until == GONE:
                raise
            return None  # gone while it should become ACTIVE: classify() says so

    def classify(peering: VpcPeering | None) -> tuple[bool, str | None]:
        if peering is None:
            raise PeeringDisappeared(label, clock() - start, seen[0], None, "disappeared (404 Not Found)")
        status = _status_str(peering.status)
        seen[0] = status
        if status == until:
            return True, status
        if status not in passes:
            raise WaitFailed(label, clock() - start, status, None, f"went to status {status!r}")
        return False, status

    if expected_s is None:
        expected_s = EXPECTED_PEERING_S if until == "ACTIVE" else EXPECTED_DELETE_S
    return await _wait(
        client, "vpc_peerings", peering_id, fetch, classify, what=label, schedule=PollSchedule(expected_s),
        timeout=timeout, cancel=cancel, on_progress=on_progress, clock=clock, sleep=sleep,
        gone="done" if until == GONE else "classify",
    )  # fmt: skip


# A VPC is deleted only once nothing is in it. Members DigitalOcean still lists although they are going
# away (a droplet that already answers 404, a peering in DELETING) are waited for; so is a set of members
# that keeps shrinking. When nothing has left for VPC_SETTLE_S and nothing is known to be going away, the
# wait ends with ``VpcNotEmpty`` instead of sitting out the whole delete timeout.
VPC_SETTLE_S = 15.0
# A VPC is deleted right after its members: what keeps it busy then is DigitalOcean listing members that
# are already gone, for about this long, so polls are densest around then.
EXPECTED_VACATED_S = durations.VPC_MEMBER_LAG_S
VPC_MEMBER_PROBES = 3


@dataclass(frozen=True)
class VpcOccupant:
    """Something that keeps a VPC from being deleted: a member resource or a peering."""

    kind: str  # droplet, loadbalancer, kubernetes, dbaas, … or "peering"
    name: str
    ref: str  # the member's URN, or the peering's id
    going_away: bool = False

    def describe(self) -> str:
        note = ", being deleted" if self.going_away else ""
        return f"{self.kind} {self.name!r} ({self.ref}{note})"


class VpcNotEmpty(WaitFailed):
    """A VPC still has members or peerings: nothing left for a while and nothing is going away
    (``timed_out`` False), or the wait's deadline passed first (``timed_out`` True)."""

    def __init__(
        self, what: str, elapsed_s: float, occupants: tuple[VpcOccupant, ...], *, timed_out: bool
    ) -> None:
        self.occupants = occupants
        self.timed_out = timed_out
        reason = "timed out" if timed_out else "nothing in it is being deleted"
        super().__init__(what, elapsed_s, describe_occupants(occupants), None, reason)


def describe_occupants(occupants: tuple[VpcOccupant, ...]) -> str:
    listed = "; ".join(o.describe() for o in occupants)
    return f"{len(occupants)} left: {listed}" if occupants else "empty"


async def vpc_occupants(
    client: DigitalOceanClient, vpc_id: str, *, probes: int = VPC_MEMBER_PROBES
) -> tuple[VpcOccupant, ...]:
    """The VPC's members and peerings; up to ``probes`` droplet members are looked up, and one that
    answers 404 is marked as going away (DigitalOcean lists members for a while after they are gone)."""
    occupants: list[VpcOccupant] = []
    async for member in client.vpcs.members(vpc_id):
        going = False
        if member.kind == "droplet" and member.resource_id.isdigit() and probes > 0:
            probes -= 1
            try:
                await client.droplets.get(int(member.resource_id))
            except NotFound:
                going = True
        occupants.append(VpcOccupant(member.kind, member.name, member.urn, going))
    async for peering in client.vpcs.peerings(vpc_id):
        occupants.append(VpcOccupant("peering", peering.name, peering.id, peering.status == "DELETING"))
    return tuple(occupants)


async def wait_for_vpc_vacated(
    client: DigitalOceanClient,
    vpc_id: str,
    *,
    what: str | None = None,
    settle_s: float = VPC_SETTLE_S,
    timeout: float | None = None,  # noqa: ASYNC109 - a deadline, not an I/O timeout
    cancel: asyncio.Event | None = None,
    on_progress: ProgressCallback | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> None:
    """Wait until VPC ``vpc_id`` has no members and no peerings (or is gone); see VPC_SETTLE_S.

    Progress reports name what remains. Raises ``VpcNotEmpty`` (with the occupants) when nothing is
    going away, or when the deadline passes."""
    label = what or f"VPC {vpc_id} to be empty"
    start = clock()
    last: list[Any] = [None, start]  # the occupants last seen (their refs), when they last changed
    latest: list[tuple[VpcOccupant, ...]] = [()]

    def classify(occupants: tuple[VpcOccupant, ...]) -> tuple[bool, str | None]:
        latest[0] = occupants
        refs = frozenset(o.ref for o in occupants)
        if refs != last[0]:
            last[0], last[1] = refs, clock()
        status = describe_occupants(occupants)
        if not occupants:
            return True, status
        if not any(o.going_away for o in occupants) and clock() - last[1] >= settle_s:
            raise VpcNotEmpty(label, clock() - start, occupants, timed_out=False)
        return False, status

    # Its own poll, not a shared poller: members and peerings are listed per VPC (no account-wide list
    # answers "what is still in VPC x"), and VPCs are deleted after what was in them, rarely many at once.
    try:
        await _poll(
            lambda: vpc_occupants(client, vpc_id), classify, what=label,
            schedule=PollSchedule(EXPECTED_VACATED_S, cap=min(10.0, max(1.0, settle_s / 3))), timeout=timeout,
            cancel=cancel, on_progress=on_progress, clock=clock, sleep=sleep, gone_ok=True,
        )  # fmt: skip
    except WaitTimeout:
        raise VpcNotEmpty(label, clock() - start, latest[0], timed_out=True) from None


__all__ = [
    "EXPECTED_ACTION_S", "GcPollSchedule", "PollSchedule", "WaitProgress", "firewall_progress",
    "wait_for_action", "wait_for_droplet", "wait_for_droplet_gone",
    "wait_for_firewall_settled", "wait_for_gc", "wait_for_peering_active",
    "wait_for_status", "wait_until_gone",
    # VPCs and peerings
    "GONE", "PEERING_PASSES_THROUGH", "PeeringDisappeared", "VPC_SETTLE_S", "VpcNotEmpty", "VpcOccupant",
    "describe_occupants", "vpc_occupants", "wait_for_peering", "wait_for_vpc_vacated",
]  # fmt: skip
