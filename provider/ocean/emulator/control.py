"""The ``/_emulator`` control API:

- ``POST /_emulator/reset``: forget every resource (registries, subscription, garbage collections too),
  fault, logged request and rate-limit counter (the clock keeps going);
- ``GET|POST /_emulator/clock``: ``{"advance_s": 30}``, ``{"mode": "manual"}``, ``{"mode": "scaled",
  "scale": 20}``;
- ``GET|POST|DELETE /_emulator/faults``: e.g. ``{"path": "/v2/droplets", "status": 500, "times": 2}``,
  ``{"method": "POST", "path": "/v2/droplets", "status": 502, "when": "after"}`` (the droplet is created,
  the answer lost), ``{"action_type": "resize", "outcome": "errored"}``, ``{"garbage_collection":
  "failed"}``, ``{"firewall": "failed", "times": 2}`` (the next two firewall changes end ``failed``); see
  :mod:`ocean.emulator.faults`;
- ``GET|DELETE /_emulator/requests`` (the request log) and ``GET /_emulator/state``;
- ``POST /_emulator/registry/{name}/push``: what ``docker push`` leaves behind, so storage usage, tier
  eligibility and garbage-collection savings become non-zero. ``{"repository": "web", "tag": "v1",
  "size_bytes": 12345}`` adds a manifest tagged ``v1`` with one layer blob of 12345 bytes (the repository
  is created on first push); pushing the same tag again leaves the previous manifest untagged.
  ``"blobs": [{"digest": "sha256:...", "compressed_size_bytes": n}, ...]`` instead of ``size_bytes``
  shares layers between manifests. Refused (409) while a garbage collection runs. Answers 201
  ``{"manifest": {...}, "registry": {...}}``;
- ``POST /_emulator/vpcs/{vpc_id}/members``: put a resource of a kind the emulator does not run (a load
  balancer, a Kubernetes cluster, a database, ...) into a VPC: ``{"urn": "do:loadbalancer:lb-1", "name":
  "lb-1", "leaves_after_s": 30}``. It is listed in ``GET /v2/vpcs/{id}/members`` and keeps the VPC from
  being deleted until it leaves (never, without ``leaves_after_s``). Answers 201 ``{"member": {...}}``.

Input is checked as strictly as ``/v2`` checks its own, and errors come in the same envelope
(``{"id", "message", "request_id"}`` with ``x-request-id``): a body that is not JSON is a 400; an unknown
key, a value of the wrong type or out of range is a 422 naming the field. Clock values are finite and
bounded, so no request can leave the emulator unable to show a date; ``reset`` always works.

Access: open when the emulator runs without a token. With ``--token`` the control API wants that bearer
token too, unless ``--control-token`` names a separate one (then only that one is accepted here).
``GET /_emulator/state`` never shows a droplet's user data, only its size and SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import uuid
from collections.abc import Callable, Coroutine
from copy import deepcopy
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ocean.emulator.backend import Backend
from ocean.emulator.clock import MAX_EPOCH, MAX_SCALE
from ocean.emulator.errors import EmulatorError, unprocessable
from ocean.emulator.faults import FaultRule, parse_rule
from ocean.emulator.log import get_logger
from ocean.emulator.pipeline import dumps, error_body, log_error, read_json

Json = dict[str, Any]
ControlEndpoint = Callable[[Request], Coroutine[Any, Any, Response]]
CLOCK_KEYS = ("advance_s", "mode", "scale")
_log = get_logger()


def _object(body: Any, allowed: tuple[str, ...]) -> Json:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise unprocessable("the request body must be a JSON object")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise unprocessable(f"unknown key {unknown[0]!r}; this call takes {', '.join(allowed)}")
    return body


def _number(body: Json, key: str, low: float, high: float, *, low_inclusive: bool = True) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (low <= value if low_inclusive else low < value) and value <= high
    if not ok:
        bound = "at least" if low_inclusive else "above"
        raise unprocessable(f"{key} must be a finite number, {bound} {low:g} and at most {high:g}")
    return float(value)


def _rules(body: Any) -> list[FaultRule]:
    """One rule, a list of rules, or ``{"rules": [...]}``; all are checked before any is added."""
    if isinstance(body, dict) and "rules" in body:
        _object(body, ("rules",))
        body = body["rules"]
    raw_rules = body if isinstance(body, list) else [body]
    if not raw_rules:
        raise unprocessable("rules must name at least one fault rule")
    return [parse_rule(raw) for raw in raw_rules]


def redacted(state: Json) -> Json:
    """The state document with every droplet's user data replaced by its size and digest."""
    out = deepcopy(state)
    for droplet in (out.get("droplets") or {}).values():
        user_data = droplet.pop("_user_data", None)
        if user_data is not None:
            data = str(user_data).encode()
            droplet["_user_data"] = {
                "redacted": True,
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
    return out


def control_routes(backend: Backend) -> list[Route]:
    config = backend.config
    control_token = config.control_token or config.token

    def authorized(request: Request) -> bool:
        if control_token is None:
            return True
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), control_token.encode()
        )

    def guarded(fn: Callable[[Request], Coroutine[Any, Any, tuple[int, Any]]]) -> ControlEndpoint:
        async def endpoint(request: Request) -> Response:
            request_id = str(uuid.uuid4())
            try:
                if not authorized(request):
                    raise EmulatorError(401, "unauthorized", "Unable to authenticate you")
                status, payload = await fn(request)
            except EmulatorError as err:
                status, payload = err.status, error_body(err.status, err.error_id, err.message, request_id)
            except Exception:
                _log.exception(
                    "unexpected_error", method=request.method, path=request.url.path, request_id=request_id
                )
                status, payload = 500, error_body(500, None, None, request_id)
            if status >= 400:
                log_error(request.method, request.url.path, status, payload, request_id)
            headers = {"x-request-id": request_id}
            return Response(
                dumps(payload), status_code=status, headers=headers, media_type="application/json"
            )

        return endpoint

    def clock_body() -> Json:
        return {"now": backend.clock.now(), "mode": backend.clock.mode, "scale": backend.clock.scale}

    async def reset(request: Request) -> tuple[int, Any]:
        backend.reset()
        return 200, {"reset": True, **clock_body()}

    async def clock(request: Request) -> tuple[int, Any]:
        if request.method == "POST":
            body = _object(await read_json(request), CLOCK_KEYS)
            mode = body.get("mode")
            if mode is not None and mode not in ("manual", "scaled"):
                raise unprocessable('mode must be "manual" or "scaled"')
            scale = _number(body, "scale", 0, MAX_SCALE, low_inclusive=False)
            room = max(0.0, MAX_EPOCH - backend.clock.now())
            advance = _number(body, "advance_s", 0, room)
            try:
                if mode is not None or scale is not None:
                    backend.set_clock_mode(mode or backend.clock.mode, scale)
                if advance is not None:
                    backend.advance(advance)
            except ValueError as exc:  # a scaled clock moved past the bound since it was checked
                raise unprocessable(f"advance_s: {exc}") from exc
        return 200, clock_body()

    async def faults(request: Request) -> tuple[int, Any]:
        if request.method == "DELETE":
            backend.clear_faults()
            return 200, {"faults": []}
        if request.method == "POST":
            rules = _rules(await read_json(request))
            return 201, {"faults": [backend.add_fault(rule).to_json() for rule in rules]}
        return 200, {"faults": [r.to_json() for r in backend.faults.rules()]}

    async def requests(request: Request) -> tuple[int, Any]:
        if request.method == "DELETE":
            backend.request_log.clear()
        return 200, backend.requests()

    async def state(request: Request) -> tuple[int, Any]:
        return 200, redacted(backend.dump_state())

    async def registry_push(request: Request) -> tuple[int, Any]:
        body = _object(await read_json(request), ("repository", "tag", "size_bytes", "blobs"))
        return 201, backend.repositories.push(request.path_params["name"], body)

    async def vpc_member(request: Request) -> tuple[int, Any]:
        body = _object(await read_json(request), ("urn", "name", "leaves_after_s"))
        return 201, {"member": backend.vpcs.add_member(request.path_params["vpc_id"], body)}

    return [
        Route("/_emulator/reset", guarded(reset), methods=["POST"]),
        Route("/_emulator/vpcs/{vpc_id}/members", guarded(vpc_member), methods=["POST"]),
        Route("/_emulator/clock", guarded(clock), methods=["GET", "POST"]),
        Route("/_emulator/faults", guarded(faults), methods=["GET", "POST", "DELETE"]),
        Route("/_emulator/requests", guarded(requests), methods=["GET", "DELETE"]),
        Route("/_emulator/state", guarded(state), methods=["GET"]),
        Route("/_emulator/registry/{name}/push", guarded(registry_push), methods=["POST"]),
    ]
