"""The request pipeline every ``/v2`` route goes through: faults → bearer token → rate limit → JSON body →
handler → JSON response with DigitalOcean's headers and error envelope, an entry in the request log and,
for an error, a line in the emulator's log.

Every answer is DigitalOcean's: an error is ``{"id", "message", "request_id"}`` with the same request id in
``x-request-id``, including a body that is too large (413) or nested too deeply (400), an id that can not
be an integer (404) and an unexpected exception (500, with its traceback in the emulator's log).
"""

from __future__ import annotations

import asyncio
import json
import math
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ocean.emulator.backend import Backend
from ocean.emulator.core import as_id
from ocean.emulator.errors import NOT_FOUND_MESSAGE, EmulatorError, bad_request, not_found
from ocean.emulator.faults import FaultRule
from ocean.emulator.log import get_logger

Json = dict[str, Any]
Reply = tuple[int, Json | None]

#: The scope key where the HTTP protocol leaves its transport, so a fault can drop the connection.
TRANSPORT_SCOPE_KEY = "ocean.transport"
#: The largest request body accepted (DigitalOcean's own bodies are far smaller; user data is 64 KiB).
MAX_BODY_BYTES = 1024 * 1024
#: How deeply a request body's JSON may nest.
MAX_JSON_DEPTH = 32

ERROR_IDS: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    412: "precondition_failed",
    413: "request_too_large",
    422: "unprocessable_entity",
    429: "too_many_requests",
    500: "server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}
ERROR_MESSAGES: dict[int, str] = {
    401: "Unable to authenticate you",
    404: NOT_FOUND_MESSAGE,
    429: "API Rate limit exceeded.",
    500: "Server Error",
    503: "Service Unavailable",
}

_log = get_logger()


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised in process (no socket to close) when a fault drops the connection: an httpx client behind
    ``httpx.ASGITransport`` sees the transport error it would see on a real socket."""


@dataclass
class Call:
    """What a handler sees of one request."""

    backend: Backend
    method: str
    path: str
    params: dict[str, Any]
    query: QueryParams
    body: Any
    base_url: str

    def json(self) -> Json:
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise bad_request("The request body must be a JSON object.")
        return self.body

    def url(self, path: str, **query: Any) -> str:
        return f"{self.base_url}{path}" + (f"?{urlencode(query)}" if query else "")


Handler = Callable[[Call], Reply]


class _NoResponse(Response):
    """Sends nothing: the connection was closed by a fault."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        return None


def dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def int_param(call: Call, name: str) -> int:
    """An integer path parameter; anything else (not digits, or too large for an id) names a resource
    that can not exist: 404."""
    value = as_id(call.params[name])
    if value is None:
        raise not_found()
    return value


def query_flag(call: Call, name: str) -> bool:
    return call.query.get(name, "").lower() in ("true", "1", "yes")


def error_body(status: int, error_id: str | None, message: str | None, request_id: str) -> Json:
    return {
        "id": error_id or ERROR_IDS.get(status, "error"),
        "message": message or ERROR_MESSAGES.get(status, "Error"),
        "request_id": request_id,
    }


def _depth(value: Any) -> int:
    """How deeply ``value`` nests (iteratively: a deep value must not exhaust the stack here either)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item)
    return deepest


async def read_json(request: Request) -> Any:
    """The request's JSON body (``None`` when empty): 413 over :data:`MAX_BODY_BYTES`, 400 when it is not
    JSON or nests deeper than :data:`MAX_JSON_DEPTH`."""
    too_large = EmulatorError(
        413, "request_too_large", f"The request body is larger than {MAX_BODY_BYTES} bytes."
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and len(declared) < 20 and int(declared) > MAX_BODY_BYTES:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise too_large
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return None
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise bad_request(f"The request body nests deeper than {MAX_JSON_DEPTH} levels.") from exc
    except ValueError as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}") from exc
    if _depth(body) > MAX_JSON_DEPTH:
        raise bad_request(f"The request body nests deeper than {MAX_JSON_DEPTH} levels.")
    return body


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def paginate(call: Call, key: str, items: list[Json]) -> Json:
    """One page of ``items`` with DigitalOcean's ``links.pages`` (absolute URLs) and ``meta.total``."""
    try:
        per_page = min(200, max(1, int(call.query.get("per_page", 20))))
        page = max(1, int(call.query.get("page", 1)))
    except ValueError as exc:
        raise bad_request("page and per_page must be integers") from exc
    total = len(items)
    last = max(1, math.ceil(total / per_page))
    start = (page - 1) * per_page
    body: Json = {key: items[start : start + per_page], "links": {}, "meta": {"total": total}}

    def url(n: int) -> str:
        query = dict(call.query)
        query["page"] = str(n)
        query["per_page"] = str(per_page)
        return call.url(call.path, **query)

    pages: dict[str, str] = {}
    if page > 1:
        pages["first"] = url(1)
        pages["prev"] = url(min(page - 1, last))
    if page < last:
        pages["next"] = url(page + 1)
        pages["last"] = url(last)
    if pages:
        body["links"]["pages"] = pages
    return body


def fault_error(fault: FaultRule) -> EmulatorError:
    assert fault.status is not None
    return EmulatorError(
        fault.status,
        fault.error_id or ERROR_IDS.get(fault.status, "error"),
        fault.message or ERROR_MESSAGES.get(fault.status, "Injected fault"),
    )


async def drop_connection(request: Request, what: str) -> Response:
    """Close the client's connection without an answer (in process: raise :class:`ConnectionDropped`)."""
    transport = request.scope.get(TRANSPORT_SCOPE_KEY)
    if transport is None:
        raise ConnectionDropped(f"fault: dropped {what}")
    transport.close()
    # Let the protocol see the disconnect before the endpoint returns.
    await asyncio.sleep(0.01)
    return _NoResponse()


def log_error(method: str, path: str, status: int, payload: Json, request_id: str) -> None:
    _log.info(
        "error_answer", method=method, path=path, status=status, error_id=payload.get("id"),
        message=payload.get("message"), request_id=request_id,
    )  # fmt: skip


def make_endpoint(
    backend: Backend, template: str, handler: Handler
) -> Callable[[Request], Coroutine[Any, Any, Response]]:
    """Wrap a handler in the ``/v2`` pipeline."""

    async def endpoint(request: Request) -> Response:
        method = request.method
        path = request.url.path
        request_id = str(uuid.uuid4())
        headers: dict[str, str] = {"x-request-id": request_id}
        status: int
        payload: Any

        fault = backend.faults.take_http(method, path) if backend.faults else None
        before = fault if fault is not None and fault.when == "before" else None
        after = fault if fault is not None and fault.when == "after" else None
        if before is not None:
            if before.delay_s:
                await asyncio.sleep(before.delay_s)
            if before.drop_connection:
                backend.request_log.record(method, path, template, 0, backend.now(), request_id)
                return await drop_connection(request, f"{method} {path}")
        try:
            if before is not None and before.status is not None:
                raise fault_error(before)
            auth = request.headers.get("authorization", "")
            scheme, _, token = auth.partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not backend.check_token(token):
                raise EmulatorError(401, "unauthorized", "Unable to authenticate you")
            decision = backend.rate_limiter.hit(token)
            if decision.limit is not None:
                headers["ratelimit-limit"] = str(decision.limit)
                headers["ratelimit-remaining"] = str(decision.remaining)
                headers["ratelimit-reset"] = str(decision.reset)
            if not decision.allowed:
                headers["retry-after"] = str(decision.retry_after)
                raise EmulatorError(429, "too_many_requests", "API Rate limit exceeded.")
            body = await read_json(request) if method in ("POST", "PUT", "PATCH", "DELETE") else None
            call = Call(
                backend=backend,
                method=method,
                path=path,
                params=request.path_params,
                query=request.query_params,
                body=body,
                base_url=str(request.base_url).rstrip("/"),
            )
            status, payload = handler(call)
        except EmulatorError as err:
            status, payload = err.status, error_body(err.status, err.error_id, err.message, request_id)
        except Exception:
            _log.exception("unexpected_error", method=method, path=path, request_id=request_id)
            status, payload = 500, error_body(500, None, None, request_id)
        if after is not None:
            # The request was carried out (and committed); now its answer is lost.
            if after.delay_s:
                await asyncio.sleep(after.delay_s)
            if after.drop_connection:
                backend.request_log.record(method, path, template, 0, backend.now(), request_id)
                return await drop_connection(request, f"the answer to {method} {path}")
            if after.status is not None:
                lost = fault_error(after)
                status, payload = (
                    lost.status,
                    error_body(lost.status, lost.error_id, lost.message, request_id),
                )
        backend.request_log.record(method, path, template, status, backend.now(), request_id)
        if status >= 400:
            log_error(method, path, status, payload, request_id)
        if payload is None:
            return Response(status_code=status, headers=headers)
        return Response(dumps(payload), status_code=status, headers=headers, media_type="application/json")

    return endpoint
