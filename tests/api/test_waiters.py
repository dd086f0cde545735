# ruff: noqa: E501 - long literal tables read better on one line
"""Waiters with a fake clock: completion, errored, timeout, cancellation, GC, progress, poll schedule."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from ocean.api import errors, waiters
from ocean.api.waiters import PollSchedule, WaitProgress

from ._support import FakeTime, Script, make_client, resp, run


class ActionServer:
    """Answers GET /v2/actions/{id}: in-progress until ``done_at`` (fake time), then ``final``."""

    def __init__(self, ft: FakeTime, done_at: float, final: str = "completed", type_: str = "create") -> None:
        self.ft, self.done_at, self.final, self.type = ft, done_at, final, type_
        self.polls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.polls += 1
        status = self.final if self.ft.now >= self.done_at else "in-progress"
        return resp(
            200,
            {
                "action": {
                    "id": 42,
                    "status": status,
                    "type": self.type,
                    "resource_id": 7,
                    "resource_type": "droplet",
                }
            },
        )


@run
async def test_wait_for_action_completes_and_reports_progress() -> None:
    ft = FakeTime()
    srv = ActionServer(ft, ft.now + 30)
    seen: list[WaitProgress] = []
    async with make_client(srv, ft) as c:
        a = await waiters.wait_for_action(
            c, 42, clock=ft.clock, sleep=ft.sleep, on_progress=seen.append, what="droplet web-1 create"
        )
    assert a.status == "completed"
    assert seen and seen[-1].status == "completed" and seen[-1].action_id == 42
    assert [p.polls for p in seen] == list(range(1, len(seen) + 1))
    assert all(p.what == "droplet web-1 create" for p in seen)
    assert seen[0].elapsed_s == pytest.approx(0.5)  # the first poll comes soon
    elapsed = seen[-1].elapsed_s
    assert 30 <= elapsed <= 31.0  # noticed within about a second
    # Without hammering: about 8 polls backing off to the dense window (0.75 x the expected 30 s), then
    # one a second until it completes.
    assert srv.polls <= 16


@run
async def test_async_progress_callback_is_awaited() -> None:
    ft = FakeTime()
    got: list[str | None] = []

    async def cb(p: WaitProgress) -> None:
        got.append(p.status)

    async with make_client(ActionServer(ft, ft.now + 2, type_="rename"), ft) as c:
        await waiters.wait_for_action(c, 42, clock=ft.clock, sleep=ft.sleep, on_progress=cb)
    assert got[-1] == "completed"


@run
async def test_errored_action_raises_with_id_type_and_resource() -> None:
    ft = FakeTime()
    async with make_client(ActionServer(ft, ft.now + 5, final="errored", type_="resize"), ft) as c:
        with pytest.raises(errors.ActionErrored) as ei:
            await waiters.wait_for_action(c, 42, clock=ft.clock, sleep=ft.sleep)
    e = ei.value
    assert (e.action_id, e.action_type, e.resource_id, e.resource_type) == (42, "resize", 7, "droplet")
    assert "42" in str(e) and "resize" in str(e) and "droplet 7" in str(e)
    assert e.action.status == "errored"


@run
async def test_timeout() -> None:
    ft = FakeTime()
    start = ft.now
    async with make_client(ActionServer(ft, ft.now + 10_000), ft) as c:
        with pytest.raises(errors.WaitTimeout) as ei:
            await waiters.wait_for_action(c, 42, timeout=60, clock=ft.clock, sleep=ft.sleep)
    assert ei.value.last_status == "in-progress" and ei.value.action_id == 42
    assert ft.now - start == pytest.approx(60, abs=0.01)


@run
async def test_cancellation_during_sleep() -> None:
    ft = FakeTime()
    cancel = asyncio.Event()
    seen: list[WaitProgress] = []

    def on_progress(p: WaitProgress) -> None:
        seen.append(p)
        if p.polls == 3:
            cancel.set()

    async with make_client(ActionServer(ft, ft.now + 10_000), ft) as c:
        with pytest.raises(errors.WaitCancelled) as ei:
            await waiters.wait_for_action(
                c, 42, cancel=cancel, clock=ft.clock, sleep=ft.sleep, on_progress=on_progress
            )
    assert len(seen) == 3 and ei.value.last_status == "in-progress"


@run
async def test_cancellation_interrupts_a_real_sleep() -> None:
    cancel = asyncio.Event()
    ft = FakeTime()

    async def long_sleep(_s: float) -> None:
        await asyncio.sleep(3600)

    async with make_client(ActionServer(ft, 10**9), ft) as c:
        task = asyncio.create_task(waiters.wait_for_action(c, 42, cancel=cancel, sleep=long_sleep))
        await asyncio.sleep(0.01)
        cancel.set()
        with pytest.raises(errors.WaitCancelled):
            await asyncio.wait_for(task, 2)


@run
async def test_gc_cancelling_is_not_terminal_then_cancelled() -> None:
    ft = FakeTime()
    statuses = iter(["requested", "scanning manifests", "cancelling", "cancelling", "cancelled"])
    current = {"s": "requested"}

    def handler(request: httpx.Request) -> httpx.Response:
        gc = {"uuid": "gc-1", "registry_name": "reg", "status": current["s"]}
        if request.url.path.endswith("/garbage-collection"):
            current["s"] = next(statuses, "cancelled")
            gc["status"] = current["s"]
            return resp(200, {"garbage_collection": gc})
        return resp(200, {"garbage_collections": [gc]})

    seen: list[str | None] = []
    async with make_client(handler, ft) as c:
        gc = await waiters.wait_for_gc(
            c, "reg", "gc-1", clock=ft.clock, sleep=ft.sleep, on_progress=lambda p: seen.append(p.status)
        )
    assert gc.status == "cancelled"
    assert seen == ["requested", "scanning manifests", "cancelling", "cancelling", "cancelled"]


@run
async def test_gc_finished_is_found_in_the_list_when_no_longer_active() -> None:
    ft = FakeTime()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/garbage-collection"):
            return resp(404, {"id": "not_found", "message": "no active garbage collection"})
        return resp(
            200,
            {
                "garbage_collections": [
                    {"uuid": "other", "status": "succeeded"},
                    {"uuid": "gc-1", "status": "failed"},
                ]
            },
        )

    async with make_client(handler, ft) as c:
        gc = await waiters.wait_for_gc(c, "reg", "gc-1", clock=ft.clock, sleep=ft.sleep)
        assert gc.status == "failed"
        with pytest.raises(errors.GarbageCollectionFailed):
            await waiters.wait_for_gc(c, "reg", "gc-1", clock=ft.clock, sleep=ft.sleep, raise_on_failed=True)


@run
async def test_wait_for_status_firewall_settled_and_failed() -> None:
    ft = FakeTime()
    seq = iter(
        [
            {
                "status": "waiting",
                "pending_changes": [{"droplet_id": 1, "removing": False, "status": "waiting"}],
            },
            {
                "status": "succeeded",
                "pending_changes": [{"droplet_id": 1, "removing": False, "status": "waiting"}],
            },
            {"status": "succeeded", "pending_changes": []},
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return resp(200, {"firewall": {"id": "fw", "name": "n", **next(seq)}})

    async with make_client(handler, ft) as c:
        fw = await waiters.wait_for_firewall_settled(c, "fw", clock=ft.clock, sleep=ft.sleep)
        assert fw.settled

    def failing(request: httpx.Request) -> httpx.Response:
        return resp(200, {"firewall": {"id": "fw", "status": "failed", "pending_changes": []}})

    async with make_client(failing, ft) as c:
        with pytest.raises(errors.WaitFailed):
            await waiters.wait_for_firewall_settled(c, "fw", clock=ft.clock, sleep=ft.sleep)


@run
async def test_peering_active_polls_until_active_and_reports_each_status() -> None:
    ft = FakeTime()
    seq = iter(["PROVISIONING", "PROVISIONING", "ACTIVE"])
    script = Script(
        default=lambda r: resp(
            200, {"vpc_peering": {"id": "p", "name": "n", "vpc_ids": [], "status": next(seq)}}
        )
    )
    seen: list[waiters.WaitProgress] = []
    async with make_client(script, ft) as c:
        p = await waiters.wait_for_peering_active(
            c, "p", clock=ft.clock, sleep=ft.sleep, on_progress=seen.append
        )
    assert p.status == "ACTIVE"
    assert script.calls == 3 and all(r.url.path == "/v2/vpc_peerings/p" for r in script.requests)
    assert [s.status for s in seen] == ["PROVISIONING", "PROVISIONING", "ACTIVE"]
    assert seen[0].what == "VPC peering p to be active"
    assert len(ft.sleeps) == 3, "a pause before each poll, none once the peering is active"


@run
async def test_wait_until_gone() -> None:
    ft = FakeTime()
    n = {"i": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        n["i"] += 1
        if n["i"] < 4:
            return resp(200, {"droplet": {"id": 1, "name": "x", "status": "active"}})
        return resp(404, {"id": "not_found", "message": "gone"})

    seen: list[str | None] = []
    async with make_client(handler, ft) as c:
        await waiters.wait_until_gone(
            lambda: c.droplets.get(1),
            what="droplet 1 deleted",
            clock=ft.clock,
            sleep=ft.sleep,
            on_progress=lambda p: seen.append(p.status),
        )
    assert seen == ["active", "active", "active", "gone"]


@run
async def test_transient_poll_failures_are_tolerated() -> None:
    ft = FakeTime()
    seq: list[Any] = [resp(500, {"id": "e", "message": "x"})] * 5 + [
        resp(200, {"action": {"id": 42, "status": "completed", "type": "reboot"}})
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        r = seq.pop(0)
        assert isinstance(r, httpx.Response)
        return r

    async with make_client(handler, ft) as c:
        a = await waiters.wait_for_action(c, 42, clock=ft.clock, sleep=ft.sleep)
    assert a.status == "completed"


def test_poll_schedule_is_dense_near_the_expected_duration() -> None:
    for expected in (2.0, 10.0, 35.0, 120.0):
        sched = PollSchedule(expected)
        t, times = 0.0, []
        while t < 3 * expected:
            t += sched.next_delay(t)
            times.append(t)
        assert times[0] == 0.5
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        window = [g for a, g in zip(times, gaps, strict=False) if 0.75 * expected <= a <= 1.35 * expected]
        assert window and max(window) <= max(1.0, expected / 30) + 1e-9
        assert max(gaps) <= max(10.0, 0.2 * expected) + 1e-6
        before = [a for a in times if a < 0.75 * expected]
        assert len(before) <= 10  # few polls before completion is likely


def test_poll_schedule_without_expectation_backs_off_to_cap() -> None:
    sched = PollSchedule(None)
    delays = [sched.next_delay(0) for _ in range(20)]
    assert delays[0] == 0.5
    assert all(b >= a for a, b in zip(delays, delays[1:], strict=False))
    assert delays[-1] == 10.0


class GcServer:
    """A garbage collection whose four stages last ``stage_s`` each (fake time), then ``final``; answers
    the active-collection GET while it runs and the list once it has ended."""

    STAGES = [
        "requested",
        "waiting for write JWTs to expire",
        "scanning manifests",
        "deleting unreferenced blobs",
    ]

    def __init__(self, ft: FakeTime, stage_s: float, final: str = "succeeded") -> None:
        self.ft, self.stage_s, self.final = ft, stage_s, final
        self.start = ft.now
        self.polls = 0

    def gc(self) -> dict[str, Any]:
        from datetime import UTC, datetime

        index = int((self.ft.now - self.start) // self.stage_s)
        status = self.STAGES[index] if index < 4 else self.final
        stamp = lambda t: datetime.fromtimestamp(t, UTC).isoformat()  # noqa: E731
        return {
            "uuid": "gc-1",
            "registry_name": "reg",
            "status": status,
            "created_at": stamp(self.start),
            "updated_at": stamp(self.start + min(index, 4) * self.stage_s),
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.polls += 1
        gc = self.gc()
        if request.url.path.endswith("/garbage-collection"):
            if gc["status"] not in self.STAGES:
                return resp(404, {"id": "not_found", "message": "no active garbage collection"})
            return resp(200, {"garbage_collection": gc})
        return resp(200, {"garbage_collections": [gc]})


# Stages far longer than the expected collection (durations.GARBAGE_COLLECTION_S): the schedule learns
# the stage length from the statuses it sees, so polls stay bounded by about a few per stage.
@pytest.mark.parametrize(
    ("stage_s", "max_late", "max_polls"), [(5.0, 1.0, 16), (120.0, 4.0, 60), (600.0, 20.0, 90)]
)
@run
async def test_gc_schedule_sees_every_stage_and_notices_the_end_promptly(
    stage_s: float, max_late: float, max_polls: int
) -> None:
    ft = FakeTime()
    server = GcServer(ft, stage_s)
    seen: list[str] = []
    async with make_client(server, ft) as c:
        gc = await waiters.wait_for_gc(
            c,
            "reg",
            "gc-1",
            clock=ft.clock,
            sleep=ft.sleep,
            on_progress=lambda p: seen.append(p.status) if not seen or seen[-1] != p.status else None,
        )
    assert gc.status == "succeeded"
    assert seen == [*GcServer.STAGES, "succeeded"], "no stage goes unseen"
    late = ft.now - server.start - 4 * stage_s
    assert 0 <= late <= max_late, late
    assert server.polls <= max_polls, server.polls


@run
async def test_gc_cancelling_is_polled_densely() -> None:
    ft = FakeTime()
    schedule = waiters.GcPollSchedule()
    from ocean.api.models import GarbageCollection

    schedule.next_delay(0.0)
    schedule.observe(GarbageCollection.model_validate({"uuid": "g", "status": "cancelling"}), 40.0)
    assert [schedule.next_delay(40.0 + i) for i in range(3)] == [1.0, 1.0, 1.0]
    assert schedule.next_delay(100.0) > 1.0, "backs off after the dense window"
    del ft


def test_poll_schedule_numbers_and_window_edges() -> None:
    # Without an expectation: 0.5 s, then x1.6 each time, up to 10 s.
    sched = PollSchedule(None)
    delays = [sched.next_delay(0) for _ in range(9)]
    assert delays == pytest.approx([0.5, 0.8, 1.28, 2.048, 3.2768, 5.24288, 8.388608, 10.0, 10.0])
    # Expecting 120 s: dense from 0.75x (90 s) to 1.35x + 3 s (165 s), every 120/30 = 4 s; then backing off.
    sched = PollSchedule(120.0)
    assert sched.next_delay(0.0) == 0.5
    assert sched.next_delay(89.9) == pytest.approx(0.2), "never less than 0.2 s, landing on the window"
    assert sched.next_delay(90.0) == 4.0 and sched.next_delay(165.0) == 4.0
    assert sched.next_delay(165.1) == pytest.approx(1.6) and sched.next_delay(170.0) == pytest.approx(2.56)


@run
async def test_a_broken_progress_display_never_breaks_the_wait() -> None:
    ft = FakeTime()

    def broken(_: WaitProgress) -> None:
        raise RuntimeError("display gone")

    async with make_client(ActionServer(ft, ft.now + 3), ft) as c:
        action = await waiters.wait_for_action(c, 42, clock=ft.clock, sleep=ft.sleep, on_progress=broken)
    assert action.status == "completed"


@run
async def test_a_wait_cancelled_before_it_starts_sends_nothing_and_leaves_no_coroutine_behind() -> None:
    import gc
    import warnings

    ft = FakeTime()
    cancel = asyncio.Event()
    cancel.set()
    server = ActionServer(ft, ft.now + 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with make_client(server, ft) as c:
            with pytest.raises(errors.WaitCancelled):
                await waiters.wait_for_action(c, 42, cancel=cancel, clock=ft.clock, sleep=ft.sleep)
        gc.collect()
    assert server.polls == 0 and ft.sleeps == []
    assert not [w for w in caught if "never awaited" in str(w.message)]


@run
async def test_the_last_sleep_ends_exactly_at_the_deadline() -> None:
    ft = FakeTime()
    start = ft.now
    async with make_client(ActionServer(ft, ft.now + 100), ft) as c:
        with pytest.raises(errors.WaitTimeout) as info:
            await waiters.wait_for_action(c, 42, timeout=0.7, clock=ft.clock, sleep=ft.sleep)
    assert ft.sleeps == pytest.approx([0.5, 0.2]) and ft.now - start == pytest.approx(0.7)
    assert info.value.elapsed_s == pytest.approx(0.7)


@run
async def test_eight_failed_polls_in_a_row_end_the_wait_but_a_success_between_resets_the_count() -> None:
    from ocean.api import RetryPolicy

    ft = FakeTime()
    failed = resp(500, {"id": "e", "message": "x"})

    def action(status: str) -> httpx.Response:
        return resp(200, {"action": {"id": 42, "status": status, "type": "reboot"}})

    # No retries in the client: every failed poll counts.
    seq = [failed] * 7 + [action("in-progress")] + [failed] * 7 + [action("completed")]
    script = Script(*seq)
    seen: list[WaitProgress] = []
    async with make_client(script, ft, retry=RetryPolicy(max_attempts=1)) as c:
        done = await waiters.wait_for_action(c, 42, clock=ft.clock, sleep=ft.sleep, on_progress=seen.append)
    assert done.status == "completed" and script.calls == 16
    assert [p.polls for p in seen] == [8, 16], "failed polls are counted too"
    script = Script(*[failed] * 8, default=action("completed"))
    async with make_client(script, ft, retry=RetryPolicy(max_attempts=1)) as c:
        with pytest.raises(errors.ServerError):
            await waiters.wait_for_action(c, 42, clock=ft.clock, sleep=ft.sleep)
    assert script.calls == 8


@run
async def test_gc_wait_names_the_collection_and_a_failed_wait_its_elapsed_time() -> None:
    ft = FakeTime()
    gc = {"uuid": "gc-1", "registry_name": "reg", "status": "succeeded"}
    seen: list[str] = []
    async with make_client(Script(default=resp(200, {"garbage_collection": gc})), ft) as c:
        await waiters.wait_for_gc(
            c, "reg", "gc-1", clock=ft.clock, sleep=ft.sleep, on_progress=lambda p: seen.append(p.what)
        )
    assert seen == ["garbage collection gc-1 of registry reg"]
    start = ft.now
    failing = resp(200, {"firewall": {"id": "fw", "status": "failed", "pending_changes": []}})
    async with make_client(Script(default=failing), ft) as c:
        with pytest.raises(errors.WaitFailed) as info:
            await waiters.wait_for_firewall_settled(c, "fw", clock=ft.clock, sleep=ft.sleep)
    assert info.value.elapsed_s == pytest.approx(ft.now - start) and info.value.elapsed_s > 0
