"""Helpers for API client tests: a fake clock, scripted mock transports and an async runner."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import httpx

from ocean.api import DigitalOceanClient, RateGovernor, RetryPolicy

T = TypeVar("T")


def run(fn: Callable[..., Coroutine[Any, Any, T]]) -> Callable[..., T]:
    """Run an async test function with asyncio.run."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        return asyncio.run(fn(*args, **kwargs))

    return wrapper


class FakeTime:
    """A manual clock; ``sleep`` advances it instantly and records the delay."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Script:
    """A MockTransport handler answering each request with the next scripted step."""

    def __init__(self, *steps: Step, default: Step | None = None) -> None:
        self.steps = list(steps)
        self.default = default
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0) if self.steps else self.default
        if step is None:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return step(request)

    @property
    def calls(self) -> int:
        return len(self.requests)


def resp(status: int, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"content-type": "application/json", **(headers or {})},
    )


def err(
    status: int, error_id: str, message: str, headers: dict[str, str] | None = None, request_id: str = "req-1"
) -> httpx.Response:
    return resp(status, {"id": error_id, "message": message, "request_id": request_id}, headers)


def make_client(
    handler: Callable[[httpx.Request], httpx.Response],
    ft: FakeTime | None = None,
    token: str = "test-token",
    governor: RateGovernor | None = None,
    retry: RetryPolicy | None = None,
) -> DigitalOceanClient:
    ft = ft or FakeTime()
    return DigitalOceanClient(
        token,
        "https://api.digitalocean.com",
        transport=httpx.MockTransport(handler),
        governor=governor or RateGovernor.unlimited(),
        sleep=ft.sleep,
        clock=ft.clock,
        retry=retry,
    )


DROPLET = {
    "id": 3164444,
    "name": "example.com",
    "memory": 1024,
    "vcpus": 1,
    "disk": 25,
    "locked": False,
    "status": "active",
    "created_at": "2020-07-21T18:37:44Z",
    "features": ["backups", "ipv6"],
    "backup_ids": [],
    "next_backup_window": None,
    "snapshot_ids": [],
    "image": {"id": 63663980, "name": "20.04 (LTS) x64", "slug": "ubuntu-20-04-x64", "regions": []},
    "volume_ids": [],
    "size": {
        "slug": "s-1vcpu-1gb",
        "memory": 1024,
        "vcpus": 1,
        "disk": 25,
        "transfer": 1.0,
        "price_monthly": 5.0,
        "price_hourly": 0.00743,
        "regions": ["nyc3"],
        "available": True,
        "description": "Basic",
    },
    "size_slug": "s-1vcpu-1gb",
    "networks": {
        "v4": [
            {"ip_address": "10.128.192.124", "netmask": "255.255.0.0", "gateway": "nil", "type": "private"},
            {
                "ip_address": "192.241.165.154",
                "netmask": "255.255.255.0",
                "gateway": "192.241.165.1",
                "type": "public",
            },
        ],
        "v6": [
            {
                "ip_address": "2604:a880:0:1010::18a:a001",
                "netmask": 64,
                "gateway": "2604:a880:0:1010::1",
                "type": "public",
            }
        ],
    },
    "region": {"name": "New York 3", "slug": "nyc3", "features": [], "available": True, "sizes": []},
    "tags": ["web"],
    "vpc_uuid": "760e09ef-dc84-11e8-981e-3cfdfeaae000",
}


def action(action_id: int = 7, status: str = "in-progress", type_: str = "create") -> dict[str, Any]:
    return {
        "action": {
            "id": action_id,
            "status": status,
            "type": type_,
            "started_at": "2020-11-14T16:29:21Z",
            "completed_at": None,
            "resource_id": 3164444,
            "resource_type": "droplet",
            "region_slug": "nyc3",
        }
    }


async def gather(*aws: Awaitable[Any]) -> list[Any]:
    return list(await asyncio.gather(*aws))
