"""HTTP transport: auth, timeouts, connection reuse, retries, rate governing and request logging.

Retry policy (tenacity):

* GET, PUT, PATCH, DELETE: retried on 429, 5xx, 422 "pending event" and connection failures.
* POST: retried only when DigitalOcean provably did not act on it: the connection was never made
  (connect error/timeout, pool timeout), or it answered 429 or 422 "pending event". After an ambiguous
  failure (read timeout, reset, 5xx) a retry could create a second droplet, so ``AmbiguousRequestError``
  is raised instead and the caller looks the resource up.
* Waits: ``retry-after`` if present, else ``ratelimit-reset``, else exponential backoff with equal jitter
  (base 0.5 s, doubling, cap 30 s: 0.25-0.5, 0.5-1, 1-2, 2-4 s, ...; pending events start at 2 s).
  A 429 also pauses the shared governor so concurrent callers do not pile on.
* Attempts: 5 for 5xx/connection errors, 8 for 429, 6 for pending events; never a wait that would end
  after the caller's deadline (``deadline_scope``).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import random
import ssl
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from .. import __version__
from .errors import (
    AmbiguousRequestError,
    ApiError,
    PendingEvent,
    RateLimited,
    ServerError,
    TransportError,
    error_from_response,
)
from .governor import RateGovernor, shared_governor
from .logs import get_logger

USER_AGENT = f"pulumi-ocean/{__version__}"
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Failures where the request cannot have reached DigitalOcean.
_NEVER_SENT: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

Sleep = Callable[[float], Awaitable[Any]]
Clock = Callable[[], float]

_log = get_logger("ocean.api.http")


@dataclass(frozen=True)
class _Deadline:
    at: float
    clock: Clock

    def remaining(self) -> float:
        return self.at - self.clock()


_deadline: contextvars.ContextVar[_Deadline | None] = contextvars.ContextVar(
    "ocean_api_deadline", default=None
)


@contextlib.contextmanager
def deadline_scope(seconds: float | None, clock: Clock = time.monotonic) -> Iterator[None]:
    """Within this block no request (including its retries) runs past ``seconds`` from now."""
    if seconds is None:
        yield
        return
    new = _Deadline(clock() + seconds, clock)
    old = _deadline.get()
    if old is not None and old.remaining() < new.remaining():
        new = old
    token = _deadline.set(new)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining_deadline() -> float | None:
    d = _deadline.get()
    return None if d is None else d.remaining()


@dataclass(frozen=True)
class RetryPolicy:
    """Numbers of the retry policy (see the module docstring)."""

    max_attempts: int = 5
    max_attempts_429: int = 8
    max_attempts_pending: int = 6
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    pending_base: float = 2.0
    max_retry_after: float = 120.0


class Transport:
    """One authenticated, pooled, retrying, governed connection to the DigitalOcean API."""

    def __init__(
        self,
        token: str,
        base_url: str = "https://api.digitalocean.com",
        *,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        governor: RateGovernor | None = None,
        sleep: Sleep | None = None,
        clock: Clock = time.monotonic,
        wall: Clock = time.time,
        retry: RetryPolicy | None = None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.governor = governor if governor is not None else shared_governor(self.base_url, token)
        self._sleep: Sleep = sleep if sleep is not None else _asyncio_sleep
        self._clock = clock
        self._wall = wall
        self.retry = retry or RetryPolicy()
        self._rng = rng
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {token.strip()}",
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            transport=transport,
            # Plain http (the emulator) needs no CA bundle; https shares one per process.
            verify=tls_context() if self.base_url.startswith("https://") and transport is None else False,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32, keepalive_expiry=30.0),
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """Send a request; returns the decoded JSON body (``None`` for an empty body)."""
        method = method.upper()
        path = _relative(path)
        idempotent = method in IDEMPOTENT
        retrying = AsyncRetrying(
            retry=retry_if_exception(lambda e: isinstance(e, ApiError) and e.retryable),
            wait=self._wait,
            stop=self._stop,
            sleep=self._sleep,
            reraise=True,
            before_sleep=self._before_sleep,
        )
        async for attempt in retrying:
            with attempt:
                return await self._send_once(
                    method, path, params, json, attempt.retry_state.attempt_number, idempotent
                )
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send_once(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        json: Any,
        attempt: int,
        idempotent: bool,
    ) -> Any:
        wait = self.governor.reserve()
        if wait > 0:
            left = remaining_deadline()
            if left is not None and wait > left:
                wait = max(0.0, left)
            await self._sleep(wait)
        timeout = self.timeout
        left = remaining_deadline()
        if left is not None:
            timeout = max(0.05, min(timeout, left))
        started = self._clock()
        try:
            response = await self._client.request(
                method, path, params=params, json=json,
                timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            )  # fmt: skip
        except httpx.TransportError as exc:
            duration_ms = round((self._clock() - started) * 1000, 1)
            reason = f"{type(exc).__name__}: {_safe(exc)}"
            never_sent = isinstance(exc, _NEVER_SENT)
            _log.warning(
                "http_request_failed", method=method, path=path, status=None, duration_ms=duration_ms,
                request_id=None, attempt=attempt, error=reason, reached_server=not never_sent,
            )  # fmt: skip
            cls = TransportError if (idempotent or never_sent) else AmbiguousRequestError
            raise cls(reason, method=method, path=path, base_url=self.base_url) from None
        duration_ms = round((self._clock() - started) * 1000, 1)
        self.governor.observe(response)
        request_id = response.headers.get("x-request-id")
        status = response.status_code
        if status >= 400:
            await response.aread()
            err = error_from_response(response, method, path)
            _log.warning(
                "http_request", method=method, path=path, status=status, duration_ms=duration_ms,
                request_id=err.request_id, attempt=attempt, error_id=err.error_id, error=err.message,
            )  # fmt: skip
            if isinstance(err, ServerError) and not idempotent:
                raise AmbiguousRequestError(
                    err.message, status=status, error_id=err.error_id,
                    request_id=err.request_id, method=method, path=path, base_url=self.base_url,
                ) from None  # fmt: skip
            if isinstance(err, RateLimited):
                if err.retry_after is None:
                    err.retry_after = self._until_reset(response)
                self.governor.pause(min(err.retry_after or 1.0, self.retry.max_retry_after))
            raise err
        level = "debug" if method == "GET" else "info"
        getattr(_log, level)(
            "http_request", method=method, path=path, status=status, duration_ms=duration_ms,
            request_id=request_id, attempt=attempt,
        )  # fmt: skip
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ServerError(
                "response body is not JSON", status=status, request_id=request_id, method=method, path=path
            ) from None

    def _until_reset(self, response: httpx.Response) -> float | None:
        reset = response.headers.get("ratelimit-reset")
        if reset is None:
            return None
        try:
            return max(0.0, float(reset) - self._wall())
        except ValueError:
            return None

    def _backoff(self, n: int, base: float) -> float:
        d = min(self.retry.backoff_cap, base * float(2 ** (n - 1)))
        return d / 2 + self._rng() * d / 2

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        n = state.attempt_number
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            # A little jitter so callers released together do not arrive together.
            return float(min(exc.retry_after, self.retry.max_retry_after) + self._rng() * 0.25)
        if isinstance(exc, PendingEvent):
            return self._backoff(n, self.retry.pending_base)
        return self._backoff(n, self.retry.backoff_base)

    def _stop(self, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        limit = self.retry.max_attempts
        if isinstance(exc, RateLimited):
            limit = self.retry.max_attempts_429
        elif isinstance(exc, PendingEvent):
            limit = self.retry.max_attempts_pending
        if state.attempt_number >= limit:
            return True
        left = remaining_deadline()
        upcoming = state.upcoming_sleep or 0.0
        return left is not None and upcoming >= left

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, ApiError):
            _log.info(
                "http_retry", method=exc.method, path=exc.path, status=exc.status,
                attempt=state.attempt_number, sleep_s=round(state.upcoming_sleep or 0.0, 3),
            )  # fmt: skip


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The process's TLS context, as httpx makes it (certifi's CA bundle, SSL_CERT_FILE/SSL_CERT_DIR
    honoured). Loading the bundle takes about 0.1 s: once per process, and the provider does it in the
    background before its first request (provider/server.py, `_warm_up`)."""
    return httpx.create_ssl_context()


async def _asyncio_sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


def _relative(path: str) -> str:
    """Accept an absolute URL (as in ``links.pages.next``) and keep only its path and query."""
    if path.startswith(("http://", "https://")):
        parts = urlsplit(path)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return path if path.startswith("/") else "/" + path


def _safe(exc: BaseException) -> str:
    # httpx messages never include headers, but be defensive about what ends up in logs.
    text = str(exc) or type(exc).__name__
    return text[:300]
