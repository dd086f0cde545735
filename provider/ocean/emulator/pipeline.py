"""The request pipeline every ``/v2`` route goes through: faults → bearer token → rate limit → handler →
JSON response with DigitalOcean's headers, error envelope and request log entry."""

from __future__ import annotations

import asyncio
import json
import math
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ocean.emulator.backend import Backend
from ocean.emulator.errors import NOT_FOUND_MESSAGE, EmulatorError, bad_request, not_found

Json = dict[str, Any]
Reply = tuple[int, Json | None]

#: The scope key where the HTTP protocol leaves its transport, so a fault can drop the connection.
TRANSPORT_SCOPE_KEY = "ocean.transport"

ERROR_IDS: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    412: "precondition_failed",
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


class ConnectionDropped(Exception):
    """Raised in-process (no socket to close) when a fault asks to drop the connection."""


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


def _dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def int_param(call: Call, name: str) -> int:
    """An integer path parameter; anything else is a resource that cannot exist (404)."""
    value = call.params[name]
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except ValueError as exc:
        raise not_found() from exc


def query_flag(call: Call, name: str) -> bool:
    return call.query.get(name, "").lower() in ("true", "1", "yes")


def error_body(status: int, error_id: str | None, message: str | None, request_id: str) -> Json:
    return {
        "id": error_id or ERROR_IDS.get(status, "error"),
        "message": message or ERROR_MESSAGES.get(status, "Error"),
        "request_id": request_id,
    }


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
        if fault is not None:
            if fault.delay_s:
                await asyncio.sleep(fault.delay_s)
            if fault.drop_connection:
                backend.request_log.record(method, path, template, 0, backend.now(), request_id)
                transport = request.scope.get(TRANSPORT_SCOPE_KEY)
                if transport is None:
                    raise ConnectionDropped(f"fault: dropped {method} {path}")
                transport.close()
                # Let the protocol see the disconnect before the handler returns.
                await asyncio.sleep(0.01)
                return _NoResponse()
        try:
            if fault is not None and fault.status is not None:
                raise EmulatorError(
                    fault.status,
                    fault.error_id or ERROR_IDS.get(fault.status, "error"),
                    fault.message or ERROR_MESSAGES.get(fault.status, "Injected fault"),
                )
            auth = request.headers.get("authorization", "")
            scheme, _, token = auth.partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not backend.check_token(token):
                raise EmulatorError(401, "unauthorized", "Unable to authenticate you")
            decision = backend.rate_limiter.hit(token)
            headers["ratelimit-limit"] = str(decision.limit)
            headers["ratelimit-remaining"] = str(decision.remaining)
            headers["ratelimit-reset"] = str(decision.reset)
            if not decision.allowed:
                headers["retry-after"] = str(decision.retry_after)
                raise EmulatorError(429, "too_many_requests", "API Rate limit exceeded.")
            body: Any = None
            if method in ("POST", "PUT", "PATCH", "DELETE"):
                raw = await request.body()
                if raw.strip():
                    try:
                        body = json.loads(raw)
                    except ValueError as exc:
                        raise bad_request(f"The request body is not valid JSON: {exc}") from exc
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
        backend.request_log.record(method, path, template, status, backend.now(), request_id)
        if payload is None:
            return Response(status_code=status, headers=headers)
        return Response(_dumps(payload), status_code=status, headers=headers, media_type="application/json")

    return endpoint
