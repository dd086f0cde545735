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


def _most_in_any_minute(sends: list[float]) -> int:
    """The most sends in any half-open 60 s window (t - 60, t] (a send at exactly t - 60, computed as
    t - 60 + 60 in floating point, is out of it)."""
    j = most = 0
    for i, t in enumerate(sends):
        while sends[j] <= t - 60 + 1e-9:
            j += 1
        most = max(most, i - j + 1)
    return most


def test_burst_then_sliding_window_within_250_per_minute() -> None:
    ft = FakeTime()
    gov = RateGovernor(clock=ft.clock)
    sends = _simulate(gov, ft, 600)
    assert sends.count(ft.now) == 240, "a burst of 0.96 x 250 goes at once"
    assert _most_in_any_minute(sends) == 240, "and no 60 s window ever holds more"
    # each later request goes the moment the one 240 places before it is 60 s old
    assert sends[240] == ft.now + 60 and sends[480] == ft.now + 120


def test_100_concurrent_requests_go_at_once() -> None:
    ft = FakeTime()
    gov = RateGovernor(clock=ft.clock)
    assert [gov.reserve() for _ in range(100)] == [0.0] * 100


def test_the_241st_waits_until_the_first_ages_out() -> None:
    ft = FakeTime()
    gov = RateGovernor(clock=ft.clock)
    first = ft.now
    assert gov.reserve() == 0.0
    ft.now += 10.0
    assert [gov.reserve() for _ in range(200)] == [0.0] * 200, "a burst of 200 goes at once"
    ft.now += 20.0
    assert [gov.reserve() for _ in range(39)] == [0.0] * 39
    # 240 in the last 30 s: the next goes when the very first is 60 s old, not a moment earlier
    assert ft.now + gov.reserve() == pytest.approx(first + 60)
    # and the one after waits for the 200 sent at +10 s
    assert ft.now + gov.reserve() == pytest.approx(first + 70)


def test_sliding_window_holds_for_arrivals_spread_over_time() -> None:
    import random

    rnd = random.Random(15)
    ft = FakeTime()
    gov = RateGovernor(per_minute=40, clock=ft.clock)
    sends = []
    for _ in range(500):
        ft.now += rnd.choice([0.0, 0.0, 0.1, 0.5, 3.0])
        sends.append(ft.now + gov.reserve())
    assert sends == sorted(sends), "first come, first served"
    assert _most_in_any_minute(sends) == 38, "0.96 x 40, and full use of it"


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


# ------------------------------------------------------------------ the ledger shared by processes


def _process(directory: object, ft: FakeTime, wall: list[float], per_minute: int = 250) -> RateGovernor:
    """A governor as a new provider process of the same token would build it: its own clock, the ledger."""
    from pathlib import Path

    from ocean.api.governor import Ledger, governor_key

    ledger = Ledger.for_key(governor_key("https://api.example.test", "tok"), Path(str(directory)))
    return RateGovernor(per_minute=per_minute, clock=ft.clock, wall=lambda: wall[0], ledger=ledger)


def test_a_previous_process_spending_the_minute_delays_the_next(tmp_path: object) -> None:
    wall = [1_700_000_000.0]
    first = _process(tmp_path, FakeTime(), wall)
    assert [first.reserve() for _ in range(200)] == [0.0] * 200
    wall[0] += 5.0
    # A new process, whose monotonic clock has nothing in common with the first one's.
    ft = FakeTime(start=42.0)
    second = _process(tmp_path, ft, wall)
    assert [second.reserve() for _ in range(40)] == [0.0] * 40, "what the first left of the 240"
    assert second.reserve() == pytest.approx(55.0), "then it waits until the first's requests are 60 s old"
    # Without the ledger the second process would have started with a full minute.
    assert RateGovernor(clock=ft.clock).reserve() == 0.0


def test_the_ledger_forgets_what_is_older_than_a_minute(tmp_path: object) -> None:
    wall = [1_700_000_000.0]
    first = _process(tmp_path, FakeTime(), wall)
    for _ in range(240):
        first.reserve()
    wall[0] += 61.0
    second = _process(tmp_path, FakeTime(), wall)
    assert [second.reserve() for _ in range(240)] == [0.0] * 240
    from pathlib import Path

    (ledger,) = [p for p in Path(str(tmp_path)).iterdir()]
    assert len(ledger.read_text().splitlines()) == 240, "pruned to the last minute when read"
    assert "tok" not in ledger.name and "tok" not in ledger.read_text(), "the token is never written"


def test_a_corrupt_ledger_is_ignored(tmp_path: object) -> None:
    from pathlib import Path

    wall = [1_700_000_000.0]
    first = _process(tmp_path, FakeTime(), wall)
    for _ in range(100):
        first.reserve()
    (ledger,) = list(Path(str(tmp_path)).iterdir())
    with ledger.open("a") as f:
        f.write("garbage\nnan\ninf\n\x00\x01\n12")  # and a last line cut short by a crash
    second = _process(tmp_path, FakeTime(), wall)
    assert [second.reserve() for _ in range(140)] == [0.0] * 140, "the 100 good lines count, and only them"
    assert second.reserve() > 0


def test_an_unwritable_ledger_leaves_the_governor_in_memory(tmp_path: object) -> None:
    from pathlib import Path

    blocker = Path(str(tmp_path)) / "not-a-dir"
    blocker.write_text("a file where the directory should be")
    ft, wall = FakeTime(), [1_700_000_000.0]
    gov = _process(blocker, ft, wall)
    assert [gov.reserve() for _ in range(240)] == [0.0] * 240
    assert gov.reserve() == pytest.approx(60.0), "the window still works, in memory"


def test_ledger_location(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    from pathlib import Path

    from ocean.api.governor import ledger_dir

    monkeypatch.delenv("OCEAN_RATELIMIT_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert ledger_dir() == Path(str(tmp_path)) / "pulumi-ocean" / "ratelimit"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert ledger_dir() == Path.home() / ".cache" / "pulumi-ocean" / "ratelimit"
    monkeypatch.setenv("OCEAN_RATELIMIT_DIR", str(tmp_path))
    assert ledger_dir() == Path(str(tmp_path))
    monkeypatch.setenv("OCEAN_RATELIMIT_DIR", "off")
    assert ledger_dir() is None


def test_a_minute_budget_reported_by_the_server_seeds_the_window() -> None:
    # A server whose headers report a minute's budget (limit within the minute's) that is mostly spent by
    # another user of the token: the window starts from what it says, and frees up at its reset.
    ft, wall = FakeTime(), 1_000_000.0
    gov = RateGovernor(per_minute=40, clock=ft.clock, wall=lambda: wall)
    gov.observe(
        httpx.Response(
            200,
            headers={"ratelimit-limit": "40", "ratelimit-remaining": "12", "ratelimit-reset": str(wall + 20)},
        )
    )
    assert [gov.reserve() for _ in range(10)] == [0.0] * 10, "38 less the 28 spent"
    assert gov.reserve() == pytest.approx(20.0), "the server's window ends at its reset"
    # DigitalOcean's hourly budget does not enter the minute window.
    hourly = RateGovernor(clock=ft.clock, wall=lambda: wall)
    hourly.observe(
        httpx.Response(
            200,
            headers={
                "ratelimit-limit": "5000",
                "ratelimit-remaining": "4000",
                "ratelimit-reset": str(wall + 20),
            },
        )
    )
    assert [hourly.reserve() for _ in range(240)] == [0.0] * 240
