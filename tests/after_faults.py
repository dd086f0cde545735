"""Faults *after* the work: the emulator carries a request out (and commits it), then its answer is lost —
replaced by a 5xx error, or the connection is dropped without an answer. The failure that leaves a
resource at DigitalOcean while the client believes its create failed.

A thin ASGI wrapper around the real emulator app, served on a real socket by the emulator's own server
(so a dropped connection is a real one). It stands in until the emulator's own `"when": "after"` fault
rules (issue 9) are on main; then the tests switch to those.
"""

from __future__ import annotations

import fnmatch
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ocean.emulator.config import EmulatorConfig
from ocean.emulator.pipeline import TRANSPORT_SCOPE_KEY
from ocean.emulator.pytest_plugin import RunningEmulator
from ocean.emulator.server import EmulatorServer


@dataclass
class AfterRule:
    method: str
    path: str
    status: int | None = None
    drop_connection: bool = False
    times: int = 1
    fired: int = 0
    # Run after the work, before the answer is lost (e.g. someone else creates a look-alike meanwhile).
    then: Callable[[], None] | None = None


class AfterFaults:
    """ASGI middleware: for a matching request, run the emulator, discard its answer, then answer with
    `status` (DigitalOcean's error envelope) or close the connection."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._lock = threading.Lock()
        self.rules: list[AfterRule] = []
        # (method, path, the status the emulator answered) for each answer that was lost.
        self.lost: list[tuple[str, str, int]] = []

    def add(
        self,
        method: str,
        path: str,
        *,
        status: int | None = None,
        drop_connection: bool = False,
        times: int = 1,
        then: Callable[[], None] | None = None,
    ) -> AfterRule:
        assert (status is None) != (not drop_connection), "a status or a dropped connection"
        rule = AfterRule(method.upper(), path, status, drop_connection, times, then=then)
        with self._lock:
            self.rules.append(rule)
        return rule

    def _take(self, method: str, path: str) -> AfterRule | None:
        with self._lock:
            for rule in self.rules:
                if rule.method == method and fnmatch.fnmatchcase(path, rule.path) and rule.fired < rule.times:
                    rule.fired += 1
                    return rule
        return None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        rule = self._take(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if rule is None:
            await self.app(scope, receive, send)
            return
        answered: list[dict[str, Any]] = []

        async def discard(message: dict[str, Any]) -> None:
            answered.append(message)

        await self.app(scope, receive, discard)  # carried out and committed
        status = next((m["status"] for m in answered if m["type"] == "http.response.start"), 0)
        self.lost.append((scope["method"], scope["path"], status))
        if rule.then is not None:
            rule.then()
        if rule.drop_connection:
            scope[TRANSPORT_SCOPE_KEY].close()
            return
        assert rule.status is not None
        request_id = str(uuid.uuid4())
        body = json.dumps(
            {"id": "server_error", "message": "Server Error", "request_id": request_id}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": rule.status,
                "headers": [(b"content-type", b"application/json"), (b"x-request-id", request_id.encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


class LossyEmulator(RunningEmulator):
    """A running emulator whose answers can be lost after the work: `after.add(...)`."""

    after: AfterFaults


def start_lossy(**config: Any) -> LossyEmulator:
    config.setdefault("clock_mode", "scaled")
    config.setdefault("time_scale", 200.0)
    server = EmulatorServer(config=EmulatorConfig(**config))
    faults = AfterFaults(server.app)
    server.app = faults
    server.start()
    running = LossyEmulator(server)
    running.after = faults
    return running


@pytest.fixture
def lossy_emulator() -> Iterator[LossyEmulator]:
    """An emulator (scaled clock, 200x) whose answers can be lost after the work is done."""
    running = start_lossy()
    try:
        yield running
    finally:
        running.stop()
