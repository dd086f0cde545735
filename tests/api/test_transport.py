# ruff: noqa: E501 - long literal tables read better on one line
"""Fault sequences through httpx.MockTransport: what is retried, how long it waits, what is never retried."""

from __future__ import annotations

import time

import httpx
import pytest

from ocean import __version__
from ocean.api import deadline_scope, errors

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
