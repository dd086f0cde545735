# ruff: noqa: E501 - long literal tables read better on one line
"""The rate governor: bursts, pacing inside 250/minute, 429 pauses and header-driven pacing."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from ocean.api import RateGovernor, shared_governor

from ._support import FakeTime, Script, err, make_client, resp, run


def _simulate(gov: RateGovernor, ft: FakeTime, n: int) -> list[float]:
    """Reserve n slots at the same instant; returns the send times."""
    return sorted(ft.now + gov.reserve() for _ in range(n))


def test_burst_then_paced_within_250_per_minute() -> None:
    ft = FakeTime()
    gov = RateGovernor(clock=ft.clock)
    sends = _simulate(gov, ft, 600)
    immediate = [t for t in sends if t == ft.now]
    assert 20 <= len(immediate) <= 40
    # any 60-second window holds fewer than 250 requests
    j = 0
    for i, t in enumerate(sends):
        while sends[j] <= t - 60:
            j += 1
        assert i - j + 1 < 250
    # and 100 parallel operations are all sent within about 20 s
    assert sends[99] - sends[0] < 25


def test_hourly_budget() -> None:
    ft = FakeTime()
    gov = RateGovernor(per_minute=10**6, clock=ft.clock)
    sends = _simulate(gov, ft, 6000)
    j = 0
    for i, t in enumerate(sends):
        while sends[j] <= t - 3600:
            j += 1
        assert i - j + 1 <= 4950


def test_pause_after_429_holds_everyone() -> None:
    ft = FakeTime()
    gov = RateGovernor(clock=ft.clock)
    gov.pause(12.0)
    assert 12.0 <= gov.reserve() <= 12.5


def test_low_remaining_budget_is_spread_until_reset() -> None:
    ft = FakeTime()
    wall = [1_000_000.0]
    gov = RateGovernor(per_minute=10**6, clock=ft.clock, wall=lambda: wall[0])
    gov.observe(
        httpx.Response(
            200,
            headers={
                "ratelimit-limit": "5000",
                "ratelimit-remaining": "125",
                "ratelimit-reset": str(wall[0] + 100),
            },
        )
    )
    waits = [gov.reserve() for _ in range(10)]
    # 100 spendable requests over 100 s: about one a second
    assert waits[0] == 0.0 and 8.0 <= waits[-1] <= 10.0
    gov.observe(
        httpx.Response(200, headers={"ratelimit-remaining": "0", "ratelimit-reset": str(wall[0] + 30)})
    )
    assert gov.reserve() >= 29.0


def test_shared_governor_is_per_base_url() -> None:
    a = shared_governor("https://api.example.test")
    assert shared_governor("https://api.example.test/") is a
    assert shared_governor("https://other.example.test") is not a


@run
async def test_429_pauses_the_shared_governor_for_concurrent_callers() -> None:
    # The governor's clock stands still, so any wait it asks for comes from the pause alone; each
    # client's sleeps are recorded on its own fake time.
    frozen, a_time, b_time = FakeTime(), FakeTime(), FakeTime()
    gov = RateGovernor(clock=frozen.clock)
    regions = resp(200, {"regions": [], "links": {}, "meta": {"total": 0}})
    a_script = Script(err(429, "too_many_requests", "slow", {"retry-after": "5"}), default=regions)
    b_script = Script(default=regions)
    async with (
        make_client(a_script, a_time, governor=gov) as a,
        make_client(b_script, b_time, governor=gov) as b,
    ):
        await a.regions.list()
        await b.regions.list()
    assert gov.throttled == 1 and a_script.calls == 2 and b_script.calls == 1
    # A: its retry waited for retry-after (plus < 0.25 s jitter), then for the governor's pause.
    assert len(a_time.sleeps) == 2 and 5.0 <= a_time.sleeps[0] < 5.25
    assert a_time.sleeps[1] == pytest.approx(5.0)
    # B never saw the 429, yet waited out the same pause before sending: one 429, not a storm.
    assert b_time.sleeps == [pytest.approx(5.0)]


@run
async def test_client_default_governor_is_process_wide() -> None:
    from ocean.api import DigitalOceanClient

    a = DigitalOceanClient("t", "https://api.x.test", transport=httpx.MockTransport(lambda r: resp(204)))
    b = DigitalOceanClient("t", "https://api.x.test/", transport=httpx.MockTransport(lambda r: resp(204)))
    other = DigitalOceanClient("t2", "https://api.x.test", transport=httpx.MockTransport(lambda r: resp(204)))
    assert a.governor is b.governor, "every client of one token shares its budget"
    assert other.governor is not a.governor, "DigitalOcean counts requests per token"
    await asyncio.gather(a.aclose(), b.aclose(), other.aclose())


def test_real_clock_smoke() -> None:
    gov = RateGovernor()
    t = time.monotonic()
    assert gov.reserve() == 0.0
    assert time.monotonic() - t < 1


def test_shared_governors_are_per_token_and_endpoint() -> None:
    from ocean.api import shared_governor

    a = shared_governor("https://api.digitalocean.com/", "token-a")
    assert shared_governor("https://api.digitalocean.com", "token-a") is a
    assert shared_governor("https://api.digitalocean.com", "token-b") is not a
    assert shared_governor("http://127.0.0.1:8080", "token-a") is not a


def test_the_documented_numbers_burst_35_then_212_5_per_minute() -> None:
    ft = FakeTime()
    gov = RateGovernor(clock=ft.clock)
    sends = _simulate(gov, ft, 300)
    assert sends.count(ft.now) == 35, "a burst of 0.14 x 250"
    gaps = {round(b - a, 9) for a, b in zip(sends[35:], sends[36:], strict=False)}
    assert gaps == {round(60 / (0.85 * 250), 9)}, "then 0.85 x 250 per minute, evenly"
    assert gov.requests == 300
    j = most = 0
    for i, t in enumerate(sends):
        while sends[j] <= t - 60:
            j += 1
        most = max(most, i - j + 1)
    assert most == 35 + 212, "at most 247 in any minute (the docstring's figure)"


def test_the_documented_hourly_numbers() -> None:
    ft = FakeTime()
    gov = RateGovernor(per_minute=10**6, clock=ft.clock)
    sends = _simulate(gov, ft, 3000)
    # (within a microsecond: 2,400 additions of 1.44 s leave a float's rounding)
    assert sum(1 for t in sends if t - ft.now < 1e-6) == 2400, "a burst of 0.48 x 5000"
    assert round(sends[2400] - sends[2399], 9) == round(3600 / (0.5 * 5000), 9)


def test_unlimited_governor_never_waits_and_counts() -> None:
    gov = RateGovernor.unlimited()
    assert [gov.reserve() for _ in range(1000)] == [0.0] * 1000
    assert gov.requests == 1000 and gov.enabled is False


def _observed(headers: dict[str, str], wall: float = 1_000_000.0) -> RateGovernor:
    gov = RateGovernor(per_minute=10**6, clock=FakeTime().clock, wall=lambda: wall)
    gov.observe(httpx.Response(200, headers=headers))
    return gov


def test_pacing_starts_below_a_fifth_of_the_limit_plus_a_reserve() -> None:
    reset = str(1_000_000.0 + 100)
    # limit 5000: a reserve of 25 (0.5 %) plus 1000; at 1026 left nothing is paced, at 1025 it is.
    relaxed = _observed({"ratelimit-limit": "5000", "ratelimit-remaining": "1026", "ratelimit-reset": reset})
    assert [relaxed.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]
    paced = _observed({"ratelimit-limit": "5000", "ratelimit-remaining": "1025", "ratelimit-reset": reset})
    assert [paced.reserve() for _ in range(2)] == [0.0, pytest.approx(100 / 1000)]
    # The account's own limit counts, not DigitalOcean's default: 1000 → 5 + 200.
    small = _observed({"ratelimit-limit": "1000", "ratelimit-remaining": "300", "ratelimit-reset": reset})
    assert [small.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]
    default = _observed({"ratelimit-remaining": "300", "ratelimit-reset": reset})
    assert default.reserve() == 0.0 and default.reserve() > 0.0, "without a limit header, 5000 is assumed"


def test_paced_requests_spend_the_budget_as_they_go() -> None:
    gov = _observed(
        {"ratelimit-limit": "5000", "ratelimit-remaining": "125", "ratelimit-reset": str(1_000_100.0)}
    )
    waits = [gov.reserve() for _ in range(10)]
    # 100 spendable over 100 s, one fewer after each request: the gaps grow as 100/100, 100/99, ...
    expected = [sum(100 / (100 - k) for k in range(n)) for n in range(10)]
    assert waits == pytest.approx(expected)


def test_no_budget_left_waits_for_the_reset() -> None:
    # remaining == the reserve: nothing spendable.
    gov = _observed(
        {"ratelimit-limit": "5000", "ratelimit-remaining": "25", "ratelimit-reset": str(1_000_030.0)}
    )
    assert gov.reserve() == pytest.approx(30.0)


def test_headers_that_are_missing_or_not_numbers_are_ignored() -> None:
    only_remaining = _observed({"ratelimit-remaining": "0"})
    assert only_remaining.reserve() == 0.0, "no reset time: nothing to spread the budget over"
    garbage = _observed({"ratelimit-limit": "lots", "ratelimit-remaining": "few", "ratelimit-reset": "soon"})
    assert [garbage.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]
