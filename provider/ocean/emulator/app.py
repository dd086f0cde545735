"""The emulator's ASGI application: the route table and the ``/_emulator`` control API.

Control API (no token needed):

- ``POST /_emulator/reset``: forget every resource (registries, subscription, garbage collections too),
  fault, logged request and rate-limit counter;
- ``GET|POST /_emulator/clock``: ``{"advance_s": 30}``, ``{"mode": "manual"}``, ``{"mode": "scaled",
  "scale": 20}``;
- ``GET|POST|DELETE /_emulator/faults``: e.g. ``{"path": "/v2/droplets", "status": 500, "times": 2}``,
  ``{"action_type": "resize", "outcome": "errored"}``, ``{"garbage_collection": "failed", "times": 1}``;
- ``GET|DELETE /_emulator/requests`` and ``GET /_emulator/state``;
- ``POST /_emulator/registry/{name}/push``: what ``docker push`` leaves behind, so storage usage,
  tier eligibility and garbage-collection savings become non-zero. Body ``{"repository": "web",
  "tag": "v1", "size_bytes": 12345}`` adds a manifest tagged ``v1`` with one layer blob of 12345 bytes
  (the repository is created on first push); pushing the same tag again leaves the previous manifest
  untagged. ``"blobs": [{"digest": "sha256:...", "compressed_size_bytes": n}, ...]`` instead of
  ``size_bytes`` shares layers between manifests. Refused (409) while a garbage collection runs.
  Answers 201 ``{"manifest": {...}, "registry": {...}}``. From CI::

      curl -X POST $EMULATOR/_emulator/registry/my-registry/push \\
           -d '{"repository": "web", "tag": "v1", "size_bytes": 52428800}'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ocean.emulator import handlers
from ocean.emulator.backend import Backend
from ocean.emulator.config import EmulatorConfig
from ocean.emulator.errors import EmulatorError
from ocean.emulator.pipeline import make_endpoint

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _template(path: str) -> str:
    """``/v2/droplets/{droplet_id:int}`` → ``/v2/droplets/{droplet_id}``."""
    parts = []
    for part in path.split("/"):
        if part.startswith("{") and ":" in part:
            part = part.split(":", 1)[0] + "}"
        parts.append(part)
    return "/".join(parts)


ControlEndpoint = Callable[[Request], Coroutine[Any, Any, Response]]


def _control_routes(backend: Backend) -> list[Route]:
    async def read_json(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if not raw.strip():
            return {}
        data = json.loads(raw)
        if not isinstance(data, dict) and not isinstance(data, list):
            raise EmulatorError(400, "bad_request", "expected a JSON object")
        return data if isinstance(data, dict) else {"rules": data}

    def guarded(fn: ControlEndpoint) -> ControlEndpoint:
        async def wrapper(request: Request) -> Response:
            try:
                return await fn(request)
            except EmulatorError as err:
                return JSONResponse({"id": err.error_id, "message": err.message}, status_code=err.status)
            except (ValueError, TypeError) as exc:
                return JSONResponse({"id": "bad_request", "message": str(exc)}, status_code=400)

        return wrapper

    def clock_body() -> dict[str, Any]:
        return {"now": backend.clock.now(), "mode": backend.clock.mode, "scale": backend.clock.scale}

    async def reset(request: Request) -> Response:
        backend.reset()
        return JSONResponse({"reset": True, **clock_body()})

    async def clock(request: Request) -> Response:
        if request.method == "POST":
            body = await read_json(request)
            if "mode" in body:
                backend.set_clock_mode(body["mode"], body.get("scale"))
            elif "scale" in body:
                backend.set_clock_mode(backend.clock.mode, float(body["scale"]))
            if "advance_s" in body:
                backend.advance(float(body["advance_s"]))
        return JSONResponse(clock_body())

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            backend.clear_faults()
            return JSONResponse({"faults": []})
        if request.method == "POST":
            body = await read_json(request)
            rules = body["rules"] if "rules" in body else [body]
            added = [backend.add_fault(rule).to_json() for rule in rules]
            return JSONResponse({"faults": added}, status_code=201)
        return JSONResponse({"faults": [r.to_json() for r in backend.faults.rules()]})

    async def requests(request: Request) -> Response:
        if request.method == "DELETE":
            backend.request_log.clear()
        return JSONResponse(backend.requests())

    async def state(request: Request) -> Response:
        return JSONResponse(backend.dump_state())

    async def registry_push(request: Request) -> Response:
        body = await read_json(request)
        return JSONResponse(backend.repositories.push(request.path_params["name"], body), status_code=201)

    return [
        Route("/_emulator/reset", guarded(reset), methods=["POST"]),
        Route("/_emulator/clock", guarded(clock), methods=["GET", "POST"]),
        Route("/_emulator/faults", guarded(faults), methods=["GET", "POST", "DELETE"]),
        Route("/_emulator/requests", guarded(requests), methods=["GET", "DELETE"]),
        Route("/_emulator/state", guarded(state), methods=["GET"]),
        Route("/_emulator/registry/{name}/push", guarded(registry_push), methods=["POST"]),
    ]


def create_app(
    backend: Backend | EmulatorConfig | None = None, *, config: EmulatorConfig | None = None
) -> Starlette:
    """The emulator as an ASGI app: from a :class:`Backend` (to share its state with in-process code), or
    from an :class:`EmulatorConfig` (or ``config=``) to have one built. ``app.state.backend`` is the
    backend either way, so a test can drive the clock in process (``app.state.backend.advance(30)``)."""
    if isinstance(backend, EmulatorConfig):
        backend, config = None, backend
    if backend is None:
        backend = Backend(config)
    routes: list[Route] = _control_routes(backend)
    for method, path, handler in handlers.ROUTES:
        endpoint = make_endpoint(backend, _template(path), handler)
        routes.append(Route(path, endpoint, methods=[method], include_in_schema=False))
    routes.append(
        Route("/{path:path}", make_endpoint(backend, "*", handlers.unknown_route), methods=ALL_METHODS)
    )
    app = Starlette(routes=routes)
    app.state.backend = backend
    return app
