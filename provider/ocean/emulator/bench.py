"""How fast the emulator answers simple GETs (not a test): ``python -m ocean.emulator.bench``."""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

from ocean.emulator.config import EmulatorConfig
from ocean.emulator.server import EmulatorServer


def _client(base_url: str, seconds: float, connections: int, result: multiprocessing.Queue[int]) -> None:
    import threading

    import httpx

    deadline = time.monotonic() + seconds
    counts = [0] * connections

    def worker(i: int) -> None:
        with httpx.Client(base_url=base_url, headers={"Authorization": "Bearer bench"}) as client:
            while time.monotonic() < deadline:
                client.get("/v2/account").raise_for_status()
                counts[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.put(sum(counts))


def baseline_app() -> Any:
    """The floor to compare the emulator against: an app that answers GET /v2/account with a constant,
    served the same way (same uvicorn protocol, same socket) — so a ratio isolates the emulator's own
    work (auth, rate limiting, faults, request log, lifecycle) from the HTTP stack and the client."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    body = {"account": {"droplet_limit": 25, "email": "bench@example.com", "status": "active"}}

    async def account(request: Any) -> JSONResponse:
        return JSONResponse(body)

    return Starlette(routes=[Route("/v2/account", account)])


def measure_get_rate(seconds: float = 2.0, connections: int = 4, *, app: Any = None) -> float:
    """Simple authenticated GETs per second, served on loopback to a separate client process using
    keep-alive connections (rate limits lifted for the run). With `app`, that app is served instead
    of the emulator's (see `baseline_app`)."""
    config = EmulatorConfig(rate_limit_per_minute=10**9, rate_limit_per_hour=10**9)
    server = EmulatorServer(config=config)
    if app is not None:
        server.app = app
    with server:
        ctx = multiprocessing.get_context("spawn")
        queue: multiprocessing.Queue[int] = ctx.Queue()
        proc = ctx.Process(target=_client, args=(server.base_url, seconds, connections, queue))
        proc.start()
        total = queue.get(timeout=seconds + 60)
        proc.join(10)
    return total / seconds


if __name__ == "__main__":
    print(f"{measure_get_rate():.0f} GET/s")
