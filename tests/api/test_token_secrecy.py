# ruff: noqa: E501 - long literal tables read better on one line
"""The token never appears in logs, exception messages or reprs, whatever happens to the request."""

from __future__ import annotations

import io
import logging
import traceback

import httpx
import pytest

from ocean.api import configure_logging, errors, waiters

from ._support import DROPLET, FakeTime, Script, err, make_client, resp, run

TOKEN = "dop_v1_SECRET_8f3e2a9c41d7b6e5f0a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3"


def test_token_never_leaks(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    json_out, console_out = io.StringIO(), io.StringIO()
    caplog.set_level(logging.DEBUG, logger="ocean")
    texts: list[str] = []

    @run
    async def go() -> None:
        ft = FakeTime()
        s = Script(
            resp(200, {"droplet": DROPLET}),
            err(401, "unauthorized", "Unable to authenticate you."),
            httpx.ConnectError("connection refused"),
            resp(200, {"droplet": DROPLET}),
            err(500, "server_error", "x"),
            httpx.ReadTimeout("read timed out"),
            err(429, "too_many_requests", "slow", {"retry-after": "1"}),
            resp(201, {"action": {"id": 1, "status": "errored", "type": "reboot"}}),
            resp(200, {"action": {"id": 1, "status": "errored", "type": "reboot", "resource_id": 1}}),
        )
        c = make_client(s, ft, token=TOKEN)
        texts.extend([repr(c), str(c), repr(c.transport), repr(c.transport._client)])
        await c.droplets.get(1)
        calls = [
            c.droplets.get(1),
            c.droplets.get(1),
            c.droplets.create({"name": "a", "size": "s", "image": "i"}),
            c.droplets.create({"name": "a", "size": "s", "image": "i"}),
        ]
        for call in calls:
            try:
                await call
            except errors.ApiError as exc:
                texts.extend([str(exc), repr(exc), "".join(traceback.format_exception(exc))])
        await c.droplet_actions.post(1, "reboot")
        try:
            await waiters.wait_for_action(c, 1, clock=ft.clock, sleep=ft.sleep)
        except errors.ActionErrored as exc:
            texts.extend([str(exc), repr(exc), repr(exc.action)])
        for r in s.requests:
            texts.append(repr(r))
            texts.append(repr(r.headers))
        await c.aclose()

    configure_logging(logging.DEBUG, stream=json_out, json=True)
    go()
    configure_logging(logging.DEBUG, stream=console_out, json=False)
    go()
    configure_logging(logging.WARNING, stream=io.StringIO())
    captured = capsys.readouterr()
    logs = [json_out.getvalue(), console_out.getvalue(), caplog.text, captured.out, captured.err]
    logs += [str(r.msg) for r in caplog.records]
    assert "http_request" in json_out.getvalue() and "http_request" in console_out.getvalue()
    everything = "\n".join(texts + logs)
    assert len(everything) > 1000
    for needle in (TOKEN, TOKEN[10:30], TOKEN[-20:]):
        assert needle not in everything
