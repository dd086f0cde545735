"""DigitalOcean for the resources' tests: the emulator itself, in process, behind the real client.

One model of DigitalOcean: the resources talk to ``ocean.api.DigitalOceanClient`` exactly as in
production, through ``httpx.ASGITransport`` to the emulator's app (``create_app``), whose services hold
the rules, the lifecycles and DigitalOcean's durations (``ocean.api.models.durations``). The emulator's
clock is manual, and the operation's injected ``sleep`` moves it: a 60 s resize takes milliseconds, and
every status is seen at a known emulated time.

``Emulated.sent`` records every request the provider made (method, path, JSON body, status, and the
provider's clock when the answer came), so tests assert on what the provider asked DigitalOcean to do
and when, not on what a second model of DigitalOcean happens to keep.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from ocean.api import DigitalOceanClient, RateGovernor
from ocean.emulator.app import create_app
from ocean.emulator.backend import Backend
from ocean.emulator.config import EmulatorConfig
from ocean.resources.base import Context

T = TypeVar("T")
TOKEN = "resource-tests"
BASE_URL = "http://emulator.invalid"
DROPLET = {"region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}


@dataclass(frozen=True)
class Sent:
    """One request the provider made, and DigitalOcean's answer."""

    method: str
    path: str
    body: Any
    status: int
    at: float  # the provider's clock when the answer came

    @property
    def action(self) -> str | None:
        """The droplet action type, for ``POST /v2/droplets/{id}/actions``."""
        if self.method == "POST" and self.path.endswith("/actions") and isinstance(self.body, dict):
            return str(self.body.get("type"))
        return None


class _Recording(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, emulated: Emulated) -> None:
        self.inner = inner
        self.emulated = emulated

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        content = request.content
        body = json.loads(content) if content else None
        for hook in self.emulated.hooks:
            if hook[0](request.method, request.url.path, body):
                self.emulated.hooks.remove(hook)  # one hook per request, each once
                hook[1]()
                break
        response = await self.inner.handle_async_request(request)
        sent = Sent(request.method, request.url.path, body, response.status_code, self.emulated.now)
        self.emulated.sent.append(sent)
        return response


@dataclass
class Seen:
    """What the operations told the user: status lines (with the clock), warnings, notes."""

    reports: list[tuple[float, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def said(self, text: str) -> bool:
        return any(text in message for _, message in self.reports)


class Emulated:
    """The emulator in process with a manual clock, a client for it, and contexts for operations.

    ``Emulated(droplet_delete_s=30, ...)`` takes :class:`~ocean.emulator.config.EmulatorConfig` fields
    (rate limits are off: they count real time, which these tests do not spend)."""

    def __init__(self, **config: Any) -> None:
        config = {"rate_limit_per_minute": 0, "rate_limit_per_hour": 0, **config}
        self.config = EmulatorConfig(clock_mode="manual", **config)
        self.app = create_app(self.config)
        self.backend: Backend = self.app.state.backend
        self.now = 0.0
        self.sent: list[Sent] = []
        self.hooks: list[tuple[Callable[[str, str, Any], bool], Callable[[], None]]] = []
        self.seen = Seen()
        self.loop = asyncio.new_event_loop()
        self.api = DigitalOceanClient(
            TOKEN, BASE_URL, transport=_Recording(httpx.ASGITransport(app=self.app), self),
            governor=RateGovernor.unlimited(), sleep=self.sleep, clock=self.clock,
        )  # fmt: skip

    # ------------------------------------------------------------------ time

    def clock(self) -> float:
        """The provider's clock: seconds since the test began, moved only by sleeping."""
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass, for the provider and for DigitalOcean alike."""
        seconds = max(0.0, seconds)
        self.now += seconds
        self.backend.advance(seconds)

    # ------------------------------------------------------------------ running operations

    def ctx(
        self,
        urn: str,
        *,
        timeout: float | None = None,
        cancel: asyncio.Event | None = None,
        shared: dict[str, Any] | None = None,
    ) -> Context:
        seen = self.seen

        async def report(message: str) -> None:
            seen.reports.append((self.now, message))

        async def warn(message: str) -> None:
            seen.warnings.append(message)

        async def notify(message: str) -> None:
            seen.notes.append(message)

        return Context(
            api=self.api, urn=urn, timeout=timeout, cancel=cancel or asyncio.Event(), report=report,
            warn=warn, notify=notify, shared=shared if shared is not None else {}, clock=self.clock,
            sleep=self.sleep,
        )  # fmt: skip

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        self.loop.run_until_complete(self.api.aclose())
        self.loop.close()
        self.backend.close()

    # ------------------------------------------------------------------ what was asked

    def mark(self) -> int:
        """A point in the request record, for ``since=``."""
        return len(self.sent)

    def posted(self, since: int = 0) -> list[str]:
        """The droplet actions requested, in order (refused requests included)."""
        return [s.action for s in self.sent[since:] if s.action is not None]

    def requests(self, method: str | None = None, path: str = "", since: int = 0) -> list[Sent]:
        """The requests made (``path``: a prefix), optionally of one method."""
        return [
            s for s in self.sent[since:] if (method is None or s.method == method) and s.path.startswith(path)
        ]

    # ------------------------------------------------------------------ DigitalOcean, out of band

    def before(self, method: str, path: str, then: Callable[[], None]) -> None:
        """Run ``then`` once, just before the provider's next ``method`` request to a path starting with
        ``path`` reaches DigitalOcean (to make something happen between two of the provider's requests)."""
        self.hooks.append((lambda m, p, _body: m == method and p.startswith(path), then))

    def before_action(self, kind: str, then: Callable[[], None]) -> None:
        """Run ``then`` once, just before the provider's next request for a ``kind`` droplet action."""

        def match(method: str, path: str, body: Any) -> bool:
            return method == "POST" and path.endswith("/actions") and (body or {}).get("type") == kind

        self.hooks.append((match, then))

    def droplet(self, droplet_id: int | str) -> dict[str, Any]:
        """The droplet as DigitalOcean shows it."""
        return self.backend.droplets.get(int(droplet_id))

    def act(self, droplet_id: int | str, kind: str, **params: Any) -> dict[str, Any]:
        """Someone else starts an action on the droplet (the clock does not move)."""
        return self.backend.actions.start(int(droplet_id), {"type": kind, **params})

    def act_and_wait(self, droplet_id: int | str, kind: str, **params: Any) -> None:
        """Someone else runs an action on the droplet to completion."""
        self.act(droplet_id, kind, **params)
        self.advance(self.config.action_duration(kind))

    def make_droplet(self, name: str, **body: Any) -> int:
        """A droplet created elsewhere (not by the provider), already active."""
        (droplet,), _ = self.backend.droplets.create({**DROPLET, "name": name, **body})
        self.advance(self.config.droplet_create_s)
        return int(droplet["id"])

    def make_vpc(self, name: str, region: str = "nyc3", **body: Any) -> str:
        return str(self.backend.vpcs.create({"name": name, "region": region, **body})["id"])
