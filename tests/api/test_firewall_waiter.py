"""The firewall waiter: progress names the pending droplets, `failed` ends it, the deadline holds."""

from __future__ import annotations

import httpx
import pytest

from ocean.api import errors, waiters
from ocean.api.waiters import WaitProgress

from ._support import FakeTime, make_client, resp, run


def _pending(*ids: int) -> list[dict[str, object]]:
    return [{"droplet_id": i, "removing": False, "status": "waiting"} for i in ids]


@run
async def test_progress_says_how_many_droplets_are_pending() -> None:
    ft = FakeTime()
    answers = iter(
        [
            {"status": "waiting", "pending_changes": _pending(1, 2, 3)},
            {"status": "waiting", "pending_changes": _pending(3)},
            {"status": "waiting", "pending_changes": []},
            {"status": "succeeded", "pending_changes": []},
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return resp(200, {"firewall": {"id": "fw", "name": "web", **next(answers)}})

    seen: list[WaitProgress] = []
    async with make_client(handler, ft) as c:
        fw = await waiters.wait_for_firewall_settled(
            c, "fw", clock=ft.clock, sleep=ft.sleep, on_progress=seen.append, what="firewall web"
        )
    assert fw.settled
    assert [p.status for p in seen] == [
        "3 droplets pending",
        "1 droplet pending",
        "status waiting",
        "status succeeded",
    ]


@run
async def test_failed_ends_the_wait_and_the_deadline_holds() -> None:
    ft = FakeTime()

    def failed(request: httpx.Request) -> httpx.Response:
        body = {"id": "fw", "status": "failed", "pending_changes": _pending(7)}
        return resp(200, {"firewall": body})

    async with make_client(failed, ft) as c:
        with pytest.raises(errors.WaitFailed) as info:
            await waiters.wait_for_firewall_settled(c, "fw", clock=ft.clock, sleep=ft.sleep)
    assert info.value.last_status == "failed"

    def waiting(request: httpx.Request) -> httpx.Response:
        return resp(200, {"firewall": {"id": "fw", "status": "waiting", "pending_changes": _pending(7)}})

    start = ft.now
    async with make_client(waiting, ft) as c:
        with pytest.raises(errors.WaitTimeout):
            await waiters.wait_for_firewall_settled(c, "fw", clock=ft.clock, sleep=ft.sleep, timeout=20)
    assert 20 <= ft.now - start <= 21
