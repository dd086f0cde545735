# ruff: noqa: E501 - long literal tables read better on one line
"""Fault sequences through httpx.MockTransport: what is retried, how long it waits, what is never retried."""

from __future__ import annotations

import time

import httpx
import pytest

from ocean import __version__
from ocean.api import RateGovernor, RetryPolicy, deadline_scope, errors
from ocean.api.transport import Transport, remaining_deadline

from ._support import DROPLET, FakeTime, Script, err, make_client, resp, run

REGIONS = {"regions": [], "links": {}, "meta": {"total": 0}}
CREATE_BODY = {"name": "web-1", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}
CREATED = {"droplet": DROPLET, "links": {"actions": [{"id": 99, "rel": "create", "href": "https://x/99"}]}}


@run
async def test_auth_user_agent_and_json() -> None:
    s = Script(resp(200, REGIONS))
    async with make_client(s, token="tok-abc") as c:
        await c.regions.list()
    r = s.requests[0]
    assert r.headers["authorization"] == "Bearer tok-abc"
    assert r.headers["user-agent"] == f"pulumi-ocean/{__version__}"
    assert r.url.params["per_page"] == "200"


@run
async def test_get_retries_429_honouring_retry_after() -> None:
    ft = FakeTime()
    s = Script(err(429, "too_many_requests", "slow", {"retry-after": "3"}), resp(200, REGIONS))
    async with make_client(s, ft) as c:
        await c.regions.list()
    assert s.calls == 2
    assert 3.0 <= ft.sleeps[0] <= 3.3


@run
async def test_429_without_retry_after_uses_ratelimit_reset() -> None:
    ft = FakeTime()
    reset = str(int(time.time()) + 20)
    s = Script(
        err(429, "too_many_requests", "slow", {"ratelimit-reset": reset, "ratelimit-remaining": "0"}),
        resp(200, REGIONS),
    )
    async with make_client(s, ft) as c:
        await c.regions.list()
    assert s.calls == 2
    assert 17.0 <= ft.sleeps[0] <= 21.0


@run
async def test_5xx_burst_then_success_backs_off_exponentially() -> None:
    ft = FakeTime()
    s = Script(
        err(500, "server_error", "x"),
        err(502, "bad_gateway", "x"),
        err(503, "unavailable", "x"),
        resp(200, REGIONS),
    )
    async with make_client(s, ft) as c:
        await c.regions.list()
    assert s.calls == 4
    assert len(ft.sleeps) == 3
    # equal jitter: the n-th wait lies in [d/2, d] with d = 0.5 * 2**(n-1)
    for n, slept in enumerate(ft.sleeps, start=1):
        d = 0.5 * 2 ** (n - 1)
        assert d / 2 <= slept <= d


@run
async def test_5xx_gives_up_after_max_attempts() -> None:
    s = Script(default=err(500, "server_error", "still broken"))
    async with make_client(s) as c:
        with pytest.raises(errors.ServerError) as ei:
            await c.droplets.get(1)
    assert s.calls == 5
    assert ei.value.status == 500 and ei.value.path == "/v2/droplets/1"


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ReadError("reset"),
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("eof"),
    ],
)
@run
async def test_get_retries_connection_failures(exc: Exception) -> None:
    s = Script(exc, resp(200, {"droplet": DROPLET}))
    async with make_client(s) as c:
        d = await c.droplets.get(3164444)
    assert d.id == 3164444 and s.calls == 2


@run
async def test_delete_and_put_retry_on_5xx() -> None:
    s = Script(
        err(503, "unavailable", "x"),
        resp(204),
        err(500, "e", "x"),
        resp(200, {"vpc": {"id": "v1", "name": "n"}}),
    )
    async with make_client(s) as c:
        await c.droplets.delete(1)
        vpc = await c.vpcs.update("v1", {"name": "n"})
    assert vpc.name == "n" and s.calls == 4


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.ReadError("connection reset by peer"),
        httpx.RemoteProtocolError("server disconnected"),
        httpx.WriteTimeout("w"),
    ],
)
@run
async def test_post_is_never_retried_after_an_ambiguous_failure(failure: Exception) -> None:
    s = Script(failure, default=resp(202, CREATED))
    async with make_client(s) as c:
        with pytest.raises(errors.AmbiguousRequestError) as ei:
            await c.droplets.create(CREATE_BODY)
    assert s.calls == 1
    assert (ei.value.method, ei.value.path) == ("POST", "/v2/droplets")


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@run
async def test_post_5xx_is_ambiguous_and_not_retried(status: int) -> None:
    s = Script(err(status, "server_error", "oops"), default=resp(202, CREATED))
    async with make_client(s) as c:
        with pytest.raises(errors.AmbiguousRequestError) as ei:
            await c.droplets.create(CREATE_BODY)
    assert s.calls == 1 and ei.value.status == status


@pytest.mark.parametrize("failure", [httpx.ConnectError("connection refused"), httpx.ConnectTimeout("t")])
@run
async def test_post_retried_when_it_never_reached_the_server(failure: Exception) -> None:
    s = Script(failure, failure, resp(202, CREATED))
    async with make_client(s) as c:
        created = await c.droplets.create(CREATE_BODY)
    assert s.calls == 3
    assert created.droplet.id == 3164444 and created.action_ids == [99]


@run
async def test_post_retried_on_429() -> None:
    ft = FakeTime()
    s = Script(err(429, "too_many_requests", "slow", {"retry-after": "1"}), resp(202, CREATED))
    async with make_client(s, ft) as c:
        created = await c.droplets.create(CREATE_BODY)
    assert s.calls == 2 and created.action_ids == [99]


@run
async def test_pending_event_is_retried_then_raised() -> None:
    pending = err(422, "unprocessable_entity", "Droplet already has a pending event.")
    ok = resp(201, {"action": {"id": 5, "status": "in-progress", "type": "reboot"}})
    s = Script(pending, ok)
    async with make_client(s) as c:
        a = await c.droplet_actions.post(1, "reboot")
    assert a.id == 5 and s.calls == 2
    s2 = Script(default=pending)
    async with make_client(s2) as c:
        with pytest.raises(errors.PendingEvent):
            await c.droplet_actions.post(1, "reboot")
    assert s2.calls == 6


@run
async def test_non_retryable_errors_are_raised_at_once() -> None:
    for status, cls in [
        (401, errors.Unauthorized),
        (404, errors.NotFound),
        (422, errors.Unprocessable),
        (403, errors.Forbidden),
        (409, errors.Conflict),
    ]:
        s = Script(default=err(status, "x", "no"))
        async with make_client(s) as c:
            with pytest.raises(cls):
                await c.droplets.get(1)
        assert s.calls == 1


@run
async def test_retries_never_go_beyond_the_deadline() -> None:
    ft = FakeTime()
    s = Script(default=err(429, "too_many_requests", "slow", {"retry-after": "30"}))
    async with make_client(s, ft) as c:
        start = ft.now
        with deadline_scope(10.0, ft.clock), pytest.raises(errors.RateLimited):
            await c.regions.list()
    assert s.calls == 1  # the only retry would have slept past the deadline
    assert ft.now - start < 10.0


@run
async def test_deadline_allows_retries_that_fit() -> None:
    ft = FakeTime()
    s = Script(err(500, "e", "x"), err(500, "e", "x"), resp(200, REGIONS))
    async with make_client(s, ft) as c:
        with deadline_scope(10.0, ft.clock):
            await c.regions.list()
    assert s.calls == 3


def test_request_logs_method_path_status_duration_request_id_attempt(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    caplog.set_level(logging.DEBUG, logger="ocean")

    @run
    async def go() -> None:
        s = Script(
            err(500, "e", "x", request_id="rid-9"),
            resp(200, {"droplet": DROPLET}, {"x-request-id": "rid-10"}),
        )
        async with make_client(s) as c:
            await c.droplets.get(1)

    go()
    events = [
        r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == "http_request"
    ]
    assert len(events) == 2
    first, second = events
    for e in events:
        assert {"method", "path", "status", "duration_ms", "request_id", "attempt"} <= set(e)
    assert (first["status"], first["attempt"], first["request_id"]) == (500, 1, "rid-9")
    assert (second["status"], second["attempt"], second["request_id"]) == (200, 2, "rid-10")
    assert second["method"] == "GET" and second["path"] == "/v2/droplets/1"


# ------------------------------------------------------------------------------------------------------
# The retry policy's numbers, exactly: a Transport with a fixed jitter draw.


def _transport(ft: FakeTime, handler: Script, *, rng: float = 0.5, **kw: object) -> Transport:
    kw.setdefault("governor", RateGovernor.unlimited())
    return Transport(
        "t",
        transport=httpx.MockTransport(handler),
        sleep=ft.sleep,
        clock=ft.clock,
        rng=lambda: rng,
        **kw,  # type: ignore[arg-type]
    )


@run
async def test_backoff_doubles_from_half_a_second_with_equal_jitter_up_to_30_s() -> None:
    for rng, share in ((0.0, 0.5), (1.0, 1.0)):
        ft = FakeTime()
        s = Script(default=err(500, "e", "x"))
        t = _transport(ft, s, rng=rng, retry=RetryPolicy(max_attempts=10))
        with pytest.raises(errors.ServerError):
            await t.request("GET", "/v2/regions")
        await t.aclose()
        assert s.calls == 10
        assert ft.sleeps == [share * d for d in (0.5, 1, 2, 4, 8, 16, 30, 30, 30)]


@run
async def test_pending_events_back_off_from_two_seconds_and_give_up_after_six_attempts() -> None:
    ft = FakeTime()
    s = Script(default=err(422, "unprocessable_entity", "Droplet already has a pending event."))
    t = _transport(ft, s, rng=0.0)
    with pytest.raises(errors.PendingEvent):
        await t.request("POST", "/v2/droplets/1/actions", json={"type": "reboot"})
    await t.aclose()
    assert s.calls == 6 and ft.sleeps == [1.0, 2.0, 4.0, 8.0, 15.0], "2, 4, 8, 16, 30 (capped), half of each"


@run
async def test_429_gives_up_after_eight_attempts() -> None:
    ft = FakeTime()
    s = Script(default=err(429, "too_many_requests", "slow", {"retry-after": "1"}))
    t = _transport(ft, s, rng=0.0)
    with pytest.raises(errors.RateLimited):
        await t.request("GET", "/v2/regions")
    await t.aclose()
    assert s.calls == 8 and ft.sleeps == [1.0] * 7


@run
async def test_a_long_retry_after_is_capped_at_two_minutes_for_the_caller_and_everyone() -> None:
    ft, frozen = FakeTime(), FakeTime()
    gov = RateGovernor(clock=frozen.clock)
    s = Script(err(429, "too_many_requests", "slow", {"retry-after": "600"}), resp(200, REGIONS))
    t = _transport(ft, s, rng=1.0, governor=gov)
    await t.request("GET", "/v2/regions")
    await t.aclose()
    assert ft.sleeps == [120.25, 120.0], "retry-after capped (plus 0.25 s jitter), then the shared pause"


@pytest.mark.parametrize("headers", [{}, {"ratelimit-reset": "soon"}])
@run
async def test_a_429_that_says_nothing_pauses_everyone_a_second_and_backs_off(
    headers: dict[str, str],
) -> None:
    ft, frozen = FakeTime(), FakeTime()
    gov = RateGovernor(clock=frozen.clock)
    s = Script(err(429, "too_many_requests", "slow", headers), resp(200, REGIONS))
    t = _transport(ft, s, rng=0.5, governor=gov)
    await t.request("GET", "/v2/regions")
    await t.aclose()
    assert ft.sleeps == [0.375, 1.0], "the first backoff (0.25-0.5 s), then the one-second shared pause"


@run
async def test_400_is_an_error_and_a_body_that_is_not_json_a_server_error() -> None:
    ft = FakeTime()
    s = Script(
        err(400, "bad_request", "malformed"), resp(200, None), default=httpx.Response(200, content=b"<html>")
    )
    t = _transport(ft, s)
    with pytest.raises(errors.BadRequest):
        await t.request("GET", "/v2/regions")
    assert await t.request("GET", "/v2/regions") is None, "an empty body is None"
    with pytest.raises(errors.ServerError, match="not JSON"):
        await t.request("GET", "/v2/regions")
    await t.aclose()


@run
async def test_the_deadline_bounds_each_request_timeout_and_the_governor_wait() -> None:
    ft, frozen = FakeTime(), FakeTime()
    gov = RateGovernor(clock=frozen.clock)
    seen: list[dict[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return resp(200, REGIONS)

    t = _transport(ft, Script(default=handler), governor=gov)
    await t.request("GET", "/v2/regions")
    with deadline_scope(2.0, ft.clock):
        await t.request("GET", "/v2/regions")
    with deadline_scope(0.01, ft.clock):
        await t.request("GET", "/v2/regions")
    gov.pause(60.0)
    with deadline_scope(5.0, ft.clock):
        await t.request("GET", "/v2/regions")
    await t.aclose()
    assert (seen[0]["read"], seen[0]["connect"]) == (30.0, 10.0), "the defaults"
    assert (seen[1]["read"], seen[1]["connect"]) == (2.0, 2.0)
    assert seen[2]["read"] == 0.05, "never below 50 ms"
    assert ft.sleeps == [5.0], "the governor's pause is cut to the deadline"


def test_nested_deadlines_keep_the_earlier_one() -> None:
    ft = FakeTime()
    with deadline_scope(5.0, ft.clock):
        with deadline_scope(10.0, ft.clock):
            assert remaining_deadline() == 5.0
        with deadline_scope(2.0, ft.clock):
            assert remaining_deadline() == 2.0
        assert remaining_deadline() == 5.0
    assert remaining_deadline() is None


@run
async def test_a_retry_that_would_end_exactly_at_the_deadline_is_not_made() -> None:
    ft = FakeTime()
    s = Script(default=err(500, "e", "x"))
    t = _transport(ft, s, rng=0.0)
    with deadline_scope(0.25, ft.clock), pytest.raises(errors.ServerError):
        await t.request("GET", "/v2/regions")  # the first backoff is 0.25 s
    await t.aclose()
    assert s.calls == 1


@run
async def test_absolute_and_relative_paths_and_short_error_text() -> None:
    ft = FakeTime()
    s = Script(resp(200, REGIONS), resp(200, REGIONS), default=httpx.ReadError("x" * 1000))
    t = _transport(ft, s, retry=RetryPolicy(max_attempts=1))
    await t.request("GET", "https://api.digitalocean.com/v2/droplets?page=2&per_page=200")
    await t.request("GET", "v2/regions")
    with pytest.raises(errors.TransportError) as info:
        await t.request("GET", "/v2/regions")
    await t.aclose()
    assert [str(r.url) for r in s.requests[:2]] == [
        "https://api.digitalocean.com/v2/droplets?page=2&per_page=200",
        "https://api.digitalocean.com/v2/regions",
    ]
    assert "x" * 300 in str(info.value) and "x" * 301 not in str(info.value)


def test_reads_are_logged_at_debug_and_changes_at_info(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG, logger="ocean")

    @run
    async def go() -> None:
        t = _transport(FakeTime(), Script(resp(200, REGIONS), resp(204)))
        await t.request("GET", "/v2/regions")
        await t.request("DELETE", "/v2/droplets/1")
        await t.aclose()

    go()
    levels = {
        r.msg["method"]: r.levelname
        for r in caplog.records
        if isinstance(r.msg, dict) and r.msg.get("event") == "http_request"
    }
    assert levels == {"GET": "DEBUG", "DELETE": "INFO"}
