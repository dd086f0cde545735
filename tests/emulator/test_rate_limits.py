"""Rate limits are counted in real seconds, whatever the emulated clock does, and ``retry-after`` and
``ratelimit-reset`` say real time. The limiter's wall clock is replaced by a fake one the test moves, so no
test waits and none depends on where in the real minute it runs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ocean.emulator.pytest_plugin import RunningEmulator

#: An hour boundary in 2023, plus 15 s: far from the emulated clock (which starts at today's date).
HOUR = 1_700_002_800
START = HOUR + 15


class FakeWall:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _limited(factory: Any, **config: Any) -> tuple[RunningEmulator, FakeWall]:
    emu: RunningEmulator = factory(rate_limit_per_minute=3, rate_limit_per_hour=8, **config)
    wall = FakeWall(START)
    emu.backend.rate_limiter.wall = wall
    return emu, wall


@pytest.mark.parametrize(
    "clock", [{"clock_mode": "manual"}, {"clock_mode": "scaled", "time_scale": 20.0}], ids=["manual", "x20"]
)
def test_budgets_and_headers_are_in_real_time(ocean_emulator_factory: Any, clock: dict[str, Any]) -> None:
    emu, wall = _limited(ocean_emulator_factory, **clock)
    with emu.client() as api:
        for remaining in (7, 6, 5):
            ok = api.get("/v2/account")
            assert ok.status_code == 200
            assert ok.headers["ratelimit-limit"] == "8"
            assert ok.headers["ratelimit-remaining"] == str(remaining)
            # A real epoch: the end of the real hour, not of the emulated one.
            assert ok.headers["ratelimit-reset"] == str(HOUR + 3600)
        limited = api.get("/v2/account")
        assert limited.status_code == 429
        assert limited.json()["id"] == "too_many_requests"
        assert limited.json()["message"] == "API Rate limit exceeded."
        assert limited.json()["request_id"] == limited.headers["x-request-id"]
        # Real seconds to the next real minute, at any time scale.
        assert limited.headers["retry-after"] == "45"
        # Another token has its own budget.
        with httpx.Client(base_url=emu.base_url, headers={"Authorization": "Bearer other"}) as other:
            assert other.get("/v2/account").status_code == 200
        # Emulated time does not refill a budget: an hour of it passes, the client is still over.
        emu.control.advance(3600)
        assert api.get("/v2/account").status_code == 429
        wall.now += 44
        assert api.get("/v2/account").status_code == 429
        wall.now += 1  # retry-after has passed, in real time
        assert api.get("/v2/account").status_code == 200
        api.get("/v2/account")
        api.get("/v2/account")
        wall.now += 60
        api.get("/v2/account")
        hourly = api.get("/v2/account")
        assert hourly.status_code == 200 and hourly.headers["ratelimit-remaining"] == "0"
        over = api.get("/v2/account")
        assert over.status_code == 429 and over.headers["ratelimit-remaining"] == "0"
        assert int(over.headers["retry-after"]) == HOUR + 3600 - int(wall.now)
        wall.now = HOUR + 3600
        assert api.get("/v2/account").status_code == 200


def test_a_stopped_clock_does_not_hold_a_burst_back_forever(ocean_emulator_factory: Any) -> None:
    emu, wall = _limited(ocean_emulator_factory, clock_mode="manual")
    with emu.client() as api:
        statuses = [api.get("/v2/account").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        # The emulated clock never moves; real time does.
        wall.now += 60
        assert api.get("/v2/account").status_code == 200


def test_zero_turns_a_limit_off(ocean_emulator_factory: Any) -> None:
    unlimited = ocean_emulator_factory(rate_limit_per_minute=0, rate_limit_per_hour=0)
    with unlimited.client() as api:
        answers = [api.get("/v2/account") for _ in range(300)]
    assert {a.status_code for a in answers} == {200}
    assert not any("ratelimit-limit" in a.headers for a in answers)

    hourly_only = ocean_emulator_factory(rate_limit_per_minute=0, rate_limit_per_hour=5)
    hourly_only.backend.rate_limiter.wall = FakeWall(START)
    with hourly_only.client() as api:
        answers = [api.get("/v2/account") for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert answers[0].headers["ratelimit-limit"] == "5"

    minute_only = ocean_emulator_factory(rate_limit_per_minute=2, rate_limit_per_hour=0)
    minute_only.backend.rate_limiter.wall = FakeWall(START)
    with minute_only.client() as api:
        answers = [api.get("/v2/account") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].headers["ratelimit-limit"] == "2"
    assert answers[0].headers["ratelimit-reset"] == str(HOUR + 60)
