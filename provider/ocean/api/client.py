"""``DigitalOceanClient``: the typed async DigitalOcean API client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

import httpx

from .coalesce import Reads
from .governor import RateGovernor
from .services import (
    Actions,
    DropletActions,
    Droplets,
    Firewalls,
    GarbageCollections,
    Images,
    Regions,
    Registries,
    Sizes,
    Snapshots,
    SshKeys,
    Tags,
    VpcPeerings,
    Vpcs,
)
from .transport import RetryPolicy, Transport


class DigitalOceanClient:
    """An async client for the DigitalOcean API.

    ``async with DigitalOceanClient(token) as client: droplet = await client.droplets.get(42)``

    ``client.reads`` reads one item like the services' ``get``, but concurrent reads of one kind are
    answered together by a list request (``ocean.api.coalesce``).

    Requests are authenticated with the token, pooled, retried where that is safe, paced by a rate
    governor shared with every other client of the same ``base_url`` in the process, and logged (without
    the token) to the ``ocean.api`` logger.
    """

    def __init__(
        self,
        token: str,
        base_url: str = "https://api.digitalocean.com",
        *,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        governor: RateGovernor | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.sleep = sleep
        self.clock = clock
        self.transport = Transport(
            token, self.base_url, timeout=timeout, transport=transport, governor=governor,
            sleep=sleep, clock=clock, retry=retry,
        )  # fmt: skip
        t = self.transport
        self.droplets = Droplets(t)
        self.droplet_actions = DropletActions(t)
        self.actions = Actions(t)
        self.tags = Tags(t)
        self.regions = Regions(t)
        self.sizes = Sizes(t)
        self.images = Images(t)
        self.snapshots = Snapshots(t)
        self.ssh_keys = SshKeys(t)
        self.firewalls = Firewalls(t)
        self.vpcs = Vpcs(t)
        self.vpc_peerings = VpcPeerings(t)
        self.registries = Registries(t)
        self.garbage_collections = GarbageCollections(t)
        # Single-item reads that concurrent operations share (ocean.api.coalesce); how recent a list is
        # counts on the client's clock (the window itself is real time: it waits for other requests).
        self.reads = Reads(self, clock=clock)

    @property
    def governor(self) -> RateGovernor:
        return self.transport.governor

    def __repr__(self) -> str:
        return f"DigitalOceanClient(base_url={self.base_url!r})"

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def __aenter__(self) -> DigitalOceanClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
