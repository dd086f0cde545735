"""How fast the emulator answers simple GETs (not a test): ``python -m ocean.emulator.bench``."""

from __future__ import annotations

import multiprocessing
import time

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


def measure_get_rate(seconds: float = 2.0, connections: int = 4) -> float:
    """Simple authenticated GETs per second, served on loopback to a separate client process using
    keep-alive connections (rate limits lifted for the run)."""
    config = EmulatorConfig(rate_limit_per_minute=10**9, rate_limit_per_hour=10**9)
    with EmulatorServer(config=config) as server:
        ctx = multiprocessing.get_context("spawn")
        queue: multiprocessing.Queue[int] = ctx.Queue()
        proc = ctx.Process(target=_client, args=(server.base_url, seconds, connections, queue))
        proc.start()
        total = queue.get(timeout=seconds + 60)
        proc.join(10)
    return total / seconds


if __name__ == "__main__":
    print(f"{measure_get_rate():.0f} GET/s")
