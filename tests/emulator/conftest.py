from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ocean.emulator.pytest_plugin import RunningEmulator
from tests.openapi_spec import skip_unless_available

from .spec_check import SpecChecker, load_spec


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    skip_unless_available()
    return load_spec()


@pytest.fixture(scope="session")
def checker(spec: dict[str, Any]) -> SpecChecker:
    return SpecChecker(spec)


@pytest.fixture
def api(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with emulator.client(timeout=10) as client:
        yield client


DROPLET = {"name": "web-1", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}


def create_droplet(api: httpx.Client, **overrides: Any) -> dict[str, Any]:
    response = api.post("/v2/droplets", json={**DROPLET, **overrides})
    assert response.status_code == 202, response.text
    droplet: dict[str, Any] = response.json()["droplet"]
    return droplet


def active_droplet(api: httpx.Client, emulator: RunningEmulator, **overrides: Any) -> dict[str, Any]:
    droplet = create_droplet(api, **overrides)
    emulator.control.advance(emulator.config.droplet_create_s)
    fresh: dict[str, Any] = api.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]
    assert fresh["status"] == "active"
    return fresh
