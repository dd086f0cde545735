"""The emulator's ASGI application: the ``/v2`` route table (:mod:`ocean.emulator.handlers`, each route
wrapped in :mod:`ocean.emulator.pipeline`), the ``/_emulator`` control API (:mod:`ocean.emulator.control`),
and a catch-all that answers any other path with DigitalOcean's 404 envelope.

In process, without a socket::

    app = create_app(EmulatorConfig(clock_mode="manual"))
    transport = httpx.ASGITransport(app=app)
    ...                                     # any httpx client (or DigitalOceanClient(transport=...))
    app.state.backend.advance(30)           # move the emulated clock
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from ocean.emulator import handlers
from ocean.emulator.backend import Backend
from ocean.emulator.config import EmulatorConfig
from ocean.emulator.control import control_routes
from ocean.emulator.pipeline import make_endpoint

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _template(path: str) -> str:
    """``/v2/registries/{registry_name}/repositories/{repository_name:path}`` → ``.../{repository_name}``."""
    parts = []
    for part in path.split("/"):
        if part.startswith("{") and ":" in part:
            part = part.split(":", 1)[0] + "}"
        parts.append(part)
    return "/".join(parts)


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
    routes: list[Route] = control_routes(backend)
    for method, path, handler in handlers.ROUTES:
        endpoint = make_endpoint(backend, _template(path), handler)
        routes.append(Route(path, endpoint, methods=[method], include_in_schema=False))
    catch_all = make_endpoint(backend, "*", handlers.unknown_route)
    routes.append(Route("/{path:path}", catch_all, methods=ALL_METHODS))
    app = Starlette(routes=routes)
    app.state.backend = backend
    return app
