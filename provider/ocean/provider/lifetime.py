"""The provider process ends when the engine that started it goes away.

The engine normally kills its plugins when it is done, but not always: an engine that is killed, or
one that forgets a plugin (Pulumi v3.79's `pulumi import` does), leaves the provider running forever
under PID 1. So a provider started by an engine watches two things and stops its server when either
says the engine is gone:

- its parent process: the engine starts the provider (the launchers `exec` it), so a new parent PID
  means the engine exited;
- the engine's gRPC endpoint (the address on the command line): once it has answered, a connection
  that cannot be made again means the engine stopped serving.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import grpc

CHECK_INTERVAL_S = 0.5


async def engine_gone(engine_address: str, *, interval: float = CHECK_INTERVAL_S) -> str:
    """Returns (with the reason) once the engine that started this process has gone away."""
    parent = os.getppid()
    channel = grpc.aio.insecure_channel(engine_address)
    seen_ready = False
    try:
        while True:
            if os.getppid() != parent:
                return f"the engine's process (pid {parent}) exited"
            state = channel.get_state(try_to_connect=True)
            if state == grpc.ChannelConnectivity.READY:
                seen_ready = True
            elif seen_ready and state == grpc.ChannelConnectivity.TRANSIENT_FAILURE:
                return f"the engine's endpoint {engine_address} closed"
            await asyncio.sleep(interval)
    finally:
        await channel.close()


async def stop_with_engine(engine_address: str, server: Any) -> None:
    """Stops `server` (a grpc.aio.Server) when the engine is gone."""
    reason = await engine_gone(engine_address)
    try:
        from ocean.api.logs import get_logger  # loaded late: the engine waits for the provider's start-up

        get_logger("ocean.provider").info("provider exiting", reason=reason)
    except Exception:  # noqa: BLE001 - the engine's end of stderr may be gone too; stop regardless
        pass
    await server.stop(grace=1.0)
