"""Waiting for DigitalOcean to finish things: actions, garbage collections and resource states.

Polling is adaptive (``PollSchedule``): the first poll comes after 0.5 s; then the interval grows by 1.6x
towards the window where completion is likely (from 0.75x to 1.35x + 3 s of the kind's expected duration;
for long operations up to 0.2x expected between polls), polls every second inside that window (every
expected/30 s for operations longer than 30 s), and backs off again (to a 10 s cap) past it. So an
action is noticed within about a second of completing when it takes about as long as usual, with few
requests before.

Every wait honours a deadline (``timeout``) and a cancellation signal (an ``asyncio.Event``), reports
progress through ``on_progress(WaitProgress)`` after each poll, and takes an injected clock and sleep.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

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
from .transport import deadline_scope

if TYPE_CHECKING:
    from .client import DigitalOceanClient
    from .models.action import Action
    from .models.firewall import Firewall
    from .models.garbage_collection import GarbageCollection
    from .models.vpc_peering import VpcPeering

T = TypeVar("T")
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]
_log = get_logger("ocean.api.waiters")

# Typical durations (seconds) per action type, from DigitalOcean's behaviour; used to poll densely
# where completion is likely.
EXPECTED_ACTION_S: dict[str, float] = {
    "create": 35.0,
    "destroy": 5.0,
    "power_on": 10.0,
    "power_off": 8.0,
    "shutdown": 15.0,
    "reboot": 20.0,
    "power_cycle": 15.0,
    "resize": 60.0,
    "rebuild": 60.0,
    "restore": 60.0,
    "rename": 2.0,
    "snapshot": 120.0,
    "enable_ipv6": 5.0,
    "enable_backups": 3.0,
    "disable_backups": 3.0,
    "change_backup_policy": 3.0,
    "password_reset": 10.0,
    "change_kernel": 5.0,
}
EXPECTED_GC_S = 60.0
EXPECTED_FIREWALL_S = 5.0
EXPECTED_PEERING_S = 30.0
EXPECTED_DELETE_S = 5.0

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

    result = await _poll(
        lambda: client.actions.get(action_id), classify, what=label, schedule=schedule, timeout=timeout,
        cancel=cancel, on_progress=on_progress, clock=clock, sleep=sleep, action_id=action_id, on_value=learn,
    )  # fmt: skip
    assert result is not None
    return result


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

    ``cancelling`` is not an end. Returns the final garbage collection (or raises
    ``GarbageCollectionFailed`` on ``failed`` when ``raise_on_failed``).
    """
    label = what or f"garbage collection {uuid} of registry {registry}"

    def classify(gc: GarbageCollection) -> tuple[bool, str | None]:
        if gc.status == "failed" and raise_on_failed:
            raise GarbageCollectionFailed(registry, uuid)
        return gc.done, gc.status

    result = await _poll(
        lambda: client.garbage_collections.get(registry, uuid), classify, what=label,
        schedule=PollSchedule(expected_s), timeout=timeout, cancel=cancel, on_progress=on_progress,
        clock=clock, sleep=sleep,
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
    ``failed(value)`` ends the wait with ``WaitFailed``.
    """
    get_status = status_of or (lambda v: _status_str(getattr(v, "status", None)))
    start = clock()

    def classify(value: T) -> tuple[bool, str | None]:
        status = get_status(value)
        if failed is not None and failed(value):
            raise WaitFailed(what, clock() - start, status, None, "failed")
        return predicate(value), status

    result = await _poll(
        fetch, classify, what=what, schedule=PollSchedule(expected_s), timeout=timeout, cancel=cancel,
        on_progress=on_progress, clock=clock, sleep=sleep,
    )  # fmt: skip
    assert result is not None
    return result


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
    """Poll ``fetch()`` until it raises ``errors.NotFound``."""
    await _poll(
        fetch, lambda v: (False, _status_str(getattr(v, "status", None)) or "present"), what=what,
        schedule=PollSchedule(expected_s), timeout=timeout, cancel=cancel, on_progress=on_progress,
        clock=clock, sleep=sleep, gone_ok=True,
    )  # fmt: skip


def _status_str(value: Any) -> str | None:
    return None if value is None else str(value)


# Ready-made waits for the product's resources.


async def wait_for_firewall_settled(client: DigitalOceanClient, firewall_id: str, **kw: Any) -> Firewall:
    """Until the firewall is ``succeeded`` with no ``pending_changes``; ``failed`` raises ``WaitFailed``."""
    kw.setdefault("expected_s", EXPECTED_FIREWALL_S)
    return await wait_for_status(
        lambda: client.firewalls.get(firewall_id), lambda f: f.settled,
        what=kw.pop("what", f"firewall {firewall_id} to settle"), failed=lambda f: f.status == "failed", **kw,
    )  # fmt: skip


async def wait_for_peering_active(client: DigitalOceanClient, peering_id: str, **kw: Any) -> VpcPeering:
    kw.setdefault("expected_s", EXPECTED_PEERING_S)
    return await wait_for_status(
        lambda: client.vpc_peerings.get(peering_id), lambda p: p.status == "ACTIVE",
        what=kw.pop("what", f"VPC peering {peering_id} to be active"), **kw,
    )  # fmt: skip


__all__ = [
    "EXPECTED_ACTION_S", "PollSchedule", "WaitProgress", "wait_for_action", "wait_for_firewall_settled",
    "wait_for_gc", "wait_for_peering_active", "wait_for_status", "wait_until_gone",
]  # fmt: skip
