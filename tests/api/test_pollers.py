"""Shared pollers against the emulator (in process, manual clock moved by the waiters' injected sleep):
one request per tick for many waiters, paging and the per-item fallback for an action off the first
page, cancellation, errors, timeouts, the other kinds, and ``OCEAN_POLLING=per-resource``. Requests are
counted from the emulator's own request log."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from ocean.api import errors, pollers, waiters
from ocean.api.waiters import WaitProgress
from tests.resources.emulated import DROPLET, TOKEN, Emulated

LIST = "GET /v2/actions"
ONE = "GET /v2/actions/{action_id}"
_names = itertools.count()


@pytest.fixture
def do(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulated]:
    monkeypatch.delenv(pollers.POLLING_ENV, raising=False)
    emulated = Emulated()
    yield emulated
    emulated.close()


def create(do: Emulated, n: int, *, every_s: float = 0.0) -> list[int]:
    """``n`` droplets created elsewhere, ``every_s`` apart; their create action ids, oldest first."""
    ids = []
    for _ in range(n):
        _, actions = do.backend.droplets.create({**DROPLET, "name": f"d{next(_names)}"})
        ids.append(int(actions[0]["id"]))
        if every_s:
            do.advance(every_s)
    return ids


def counts(do: Emulated) -> dict[str, int]:
    return dict(do.backend.requests()["counts"])


def forget_requests(do: Emulated) -> None:
    do.backend.request_log.clear()


async def gather(*aws: Any) -> list[Any]:
    return list(await asyncio.gather(*aws))


async def wait_all(do: Emulated, ids: list[int], **kw: Any) -> list[Any]:
    return list(
        await asyncio.gather(
            *(waiters.wait_for_action(do.api, i, clock=do.clock, sleep=do.sleep, **kw) for i in ids),
            return_exceptions=True,
        )
    )


def test_polling_mode_reads_one_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(pollers.POLLING_ENV, raising=False)
    assert pollers.polling_mode() == "shared"
    monkeypatch.setenv(pollers.POLLING_ENV, "per-resource")
    assert pollers.polling_mode() == "per-resource"
    monkeypatch.setenv(pollers.POLLING_ENV, "shared")
    assert pollers.polling_mode() == "shared"


def test_one_waiter_alone_polls_its_own_action_as_before(do: Emulated) -> None:
    (action_id,) = create(do, 1)
    forget_requests(do)
    start = do.now
    (done,) = do.run(wait_all(do, [action_id]))
    assert done.status == "completed"
    got = counts(do)
    assert LIST not in got and 5 <= got[ONE] <= 16, got
    assert 30 <= do.now - start <= 31, "noticed within about a second"


def test_many_waiters_one_request_per_tick(do: Emulated) -> None:
    (single,) = create(do, 1)
    forget_requests(do)
    do.run(wait_all(do, [single]))
    alone = counts(do)[ONE]

    created_at = do.now
    ids = create(do, 10, every_s=0.3)  # as the governor paces creates
    forget_requests(do)
    progress: dict[int, list[WaitProgress]] = {i: [] for i in ids}
    results = do.run(
        gather(
            *(
                waiters.wait_for_action(
                    do.api, i, clock=do.clock, sleep=do.sleep, on_progress=progress[i].append
                )
                for i in ids
            )
        )
    )
    assert [a.status for a in results] == ["completed"] * 10
    got = counts(do)
    # One list request per tick (a last waiter left alone polls its own action instead): for ten
    # waiters about as many requests as one waiter alone needs.
    assert got.get(ONE, 0) <= 2, got
    assert got[LIST] + got.get(ONE, 0) <= alone + 3, (got, alone)
    # Every waiter saw every tick after it joined, and noticed its action within about a second.
    last_done = created_at + 0.3 * 9 + 30
    assert do.now <= last_done + 1.0 + 1e-6
    assert all(p[-1].status == "completed" for p in progress.values())
    ticks = got[LIST] + got.get(ONE, 0)
    assert max(len(p) for p in progress.values()) <= ticks
    assert all(len(p) >= got[LIST] - 4 for p in progress.values()), "each tick serves every waiter"
    assert not pollers._pollers.get(do.api), "the poller stops when nobody waits"


def test_an_action_on_the_second_page_is_found_by_paging(
    do: Emulated, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pollers, "ACTIONS_PER_PAGE", 5)
    old, *_, a, b = create(do, 8)  # the oldest is on the second page
    forget_requests(do)
    ticks: list[WaitProgress] = []
    results = do.run(wait_all(do, [old, a, b], on_progress=ticks.append))
    assert [r.status for r in results] == ["completed"] * 3
    got = counts(do)
    assert ONE not in got
    polls = [p for p in ticks if p.action_id == old]
    assert got[LIST] == 2 * len(polls), "two pages every tick, no more"


def test_a_waiter_whose_action_falls_off_the_first_pages_gets_its_own_get(
    do: Emulated, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pollers, "ACTIONS_PER_PAGE", 5)
    monkeypatch.setattr(pollers, "ACTIONS_MAX_PAGES", 1)
    old, *_, a, b = create(do, 12)  # more than a page of newer actions
    forget_requests(do)
    results = do.run(wait_all(do, [old, a, b]))
    assert [r.status for r in results] == ["completed"] * 3
    got = counts(do)
    singles = [
        r["path"] for r in do.backend.requests()["requests"] if r["template"] == "/v2/actions/{action_id}"
    ]
    assert singles and set(singles) == {f"/v2/actions/{old}"}, "only the action off the page, by its own GET"
    assert got[LIST] >= 5
    # Once off the page it is polled on its own schedule, not at every tick.
    assert got[ONE] <= 16


def test_a_cancelled_waiter_leaves_and_the_others_finish(do: Emulated) -> None:
    ids = create(do, 3)
    cancel = asyncio.Event()
    seen: list[WaitProgress] = []

    def stop_after_two(p: WaitProgress) -> None:
        seen.append(p)
        if p.polls == 2:
            cancel.set()

    async def go() -> list[Any]:
        first = waiters.wait_for_action(
            do.api, ids[0], clock=do.clock, sleep=do.sleep, cancel=cancel, on_progress=stop_after_two
        )
        rest = [waiters.wait_for_action(do.api, i, clock=do.clock, sleep=do.sleep) for i in ids[1:]]
        return list(await asyncio.gather(first, *rest, return_exceptions=True))

    forget_requests(do)
    first, *rest = do.run(go())
    assert isinstance(first, errors.WaitCancelled) and len(seen) == 2
    assert first.last_status == "in-progress"
    assert [r.status for r in rest] == ["completed", "completed"]
    assert ONE not in counts(do)
    assert not pollers._pollers.get(do.api)


def test_every_waiter_is_cancelled_and_the_poller_stops(do: Emulated) -> None:
    ids = create(do, 3)
    cancel = asyncio.Event()

    async def go() -> list[Any]:
        tasks = [
            asyncio.ensure_future(
                waiters.wait_for_action(do.api, i, clock=do.clock, sleep=do.sleep, cancel=cancel)
            )
            for i in ids
        ]
        await asyncio.sleep(0)
        cancel.set()
        return list(await asyncio.gather(*tasks, return_exceptions=True))

    results = do.run(go())
    assert all(isinstance(r, errors.WaitCancelled) for r in results)
    assert not pollers._pollers.get(do.api)


def test_a_poller_error_reaches_every_waiter(do: Emulated) -> None:
    ids = create(do, 4)
    do.backend.add_fault({"method": "GET", "path": "/v2/actions", "status": 403, "times": 1})
    results = do.run(wait_all(do, ids))
    assert all(isinstance(r, errors.Forbidden) for r in results), results
    assert counts(do)[LIST] == 1


def test_a_transient_failure_is_counted_per_waiter_and_tolerated(do: Emulated) -> None:
    ids = create(do, 3)
    # More 500s than the transport retries: one failed tick for every waiter.
    do.backend.add_fault({"method": "GET", "path": "/v2/actions", "status": 500, "times": 5})
    progress: list[WaitProgress] = []
    results = do.run(wait_all(do, ids, on_progress=progress.append))
    assert [r.status for r in results] == ["completed"] * 3
    firsts = [p for p in progress if p.polls == 1]
    assert not firsts, "the failed tick counts as a poll for every waiter, without progress"


def test_an_errored_action_fails_its_waiter_only(do: Emulated) -> None:
    ids = create(do, 2)
    droplet_ids = [do.backend.actions.get(i)["resource_id"] for i in ids]
    do.advance(30)
    do.backend.add_fault({"action_type": "reboot", "outcome": "errored"})
    bad = int(do.act(droplet_ids[0], "reboot")["id"])
    good = int(do.act(droplet_ids[1], "power_cycle")["id"])
    results = do.run(wait_all(do, [bad, good]))
    assert isinstance(results[0], errors.ActionErrored) and results[0].action_id == bad
    assert results[1].status == "completed"


def test_timeouts_are_per_waiter(do: Emulated) -> None:
    ids = create(do, 2)
    start = do.now

    async def go() -> list[Any]:
        short = waiters.wait_for_action(do.api, ids[0], clock=do.clock, sleep=do.sleep, timeout=5)
        long = waiters.wait_for_action(do.api, ids[1], clock=do.clock, sleep=do.sleep, timeout=600)

        async def timed(aw: Any) -> Any:
            try:
                return await aw
            except errors.WaitTimeout as e:
                return (e, do.now)

        return list(await asyncio.gather(timed(short), timed(long)))

    (timeout, at), done = do.run(go())
    assert isinstance(timeout, errors.WaitTimeout) and timeout.action_id == ids[0]
    assert at - start == pytest.approx(5, abs=0.01), "the last poll comes at the deadline"
    assert timeout.last_status == "in-progress"
    assert done.status == "completed"


def test_per_resource_mode_polls_each_action_with_its_own_get(
    do: Emulated, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(pollers.POLLING_ENV, "per-resource")
    ids = create(do, 5)
    forget_requests(do)
    results = do.run(wait_all(do, ids))
    assert [r.status for r in results] == ["completed"] * 5
    got = counts(do)
    assert LIST not in got, got
    # Each waiter sleeps on its own here (and moves the shared manual clock): only the pattern is
    # compared, one GET of its own action per poll of each waiter.
    per_action = [r["path"] for r in do.backend.requests()["requests"]]
    assert set(per_action) == {f"/v2/actions/{i}" for i in ids}
    assert all(per_action.count(f"/v2/actions/{i}") >= 3 for i in ids)
    assert not pollers._pollers.get(do.api), "no shared poller ran"


def test_deleted_droplets_are_seen_gone_in_one_list(do: Emulated) -> None:
    droplets = [do.make_droplet(f"gone-{i}") for i in range(5)]
    for d in droplets:
        do.backend.droplets.delete(d)
    forget_requests(do)
    seen: list[str | None] = []
    do.run(
        gather(
            *(
                waiters.wait_for_droplet_gone(
                    do.api,
                    d,
                    clock=do.clock,
                    sleep=do.sleep,
                    timeout=120,
                    on_progress=lambda p: seen.append(p.status),
                )  # fmt: skip
                for d in droplets
            )
        )
    )
    got = counts(do)
    assert "GET /v2/droplets/{droplet_id}" not in got and got["GET /v2/droplets"] >= 1
    assert seen.count("gone") == 5


def test_firewalls_and_peerings_share_their_lists(do: Emulated) -> None:
    droplet = do.make_droplet("fw-target")
    rule = {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["0.0.0.0/0"]}}
    firewalls = [
        str(
            do.backend.firewalls.create(
                {"name": f"fw{i}", "inbound_rules": [rule], "droplet_ids": [droplet]}
            )["id"]
        )
        for i in range(3)
    ]
    peerings = [
        str(
            do.backend.vpc_peerings.create(
                {"name": f"p{i}", "vpc_ids": [do.make_vpc(f"a{i}"), do.make_vpc(f"b{i}")]}
            )["id"]
        )
        for i in range(3)
    ]
    forget_requests(do)

    async def go() -> list[Any]:
        fws = [
            waiters.wait_for_firewall_settled(do.api, f, clock=do.clock, sleep=do.sleep) for f in firewalls
        ]
        ps = [waiters.wait_for_peering(do.api, p, clock=do.clock, sleep=do.sleep) for p in peerings]
        return list(await asyncio.gather(*fws, *ps))

    results = do.run(go())
    assert all(r.settled for r in results[:3]) and all(r.status == "ACTIVE" for r in results[3:])
    got = counts(do)
    assert "GET /v2/firewalls/{firewall_id}" not in got and got["GET /v2/firewalls"] >= 1
    assert "GET /v2/vpc_peerings/{vpc_peering_id}" not in got and got["GET /v2/vpc_peerings"] >= 1


def test_one_debug_line_per_poll_names_kind_waiters_and_requests(
    do: Emulated, caplog: pytest.LogCaptureFixture
) -> None:
    ids = create(do, 3)
    forget_requests(do)
    with caplog.at_level("DEBUG", logger="ocean.api.pollers"):
        do.run(wait_all(do, ids))
    polls = [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == "poll"]
    got = counts(do)
    assert len(polls) == got[LIST] + got.get(ONE, 0)
    assert all(p["kind"] == "actions" and p["requests"] == 1 for p in polls)
    assert polls[0]["waiters"] == 3
    assert TOKEN not in str(polls), "no secrets in the log"
