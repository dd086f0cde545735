from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ocean.emulator.backend import Backend
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
def api(ocean_emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with ocean_emulator.client(timeout=10) as client:
        yield client


#: The SSH keys DigitalOcean's spec examples name in droplet creates: one by id, one by fingerprint.
SPEC_SSH_KEYS = [
    {"id": 289794, "fingerprint": "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa", "name": "spec-by-id"},
    {"id": 289795, "fingerprint": "3b:16:e4:bf:8b:00:8b:b8:59:8c:a9:d3:f0:19:fa:45", "name": "spec-by-fp"},
]


def seed_spec_ssh_keys(backend: Backend) -> None:
    """Give the account the keys the spec's examples name. Their ids and fingerprints are the spec's, so
    they are written into the state directly (a key added through the API gets its own)."""
    with backend.core.tx():
        for key in SPEC_SSH_KEYS:
            backend.core.s["ssh_keys"][str(key["id"])] = {
                **key,
                "public_key": "ssh-ed25519 AAAA spec@example",
            }
        backend.core.touch()


DROPLET = {"name": "web-1", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}


def create_droplet(api: httpx.Client, **overrides: Any) -> dict[str, Any]:
    response = api.post("/v2/droplets", json={**DROPLET, **overrides})
    assert response.status_code == 202, response.text
    droplet: dict[str, Any] = response.json()["droplet"]
    return droplet


def active_droplet(api: httpx.Client, ocean_emulator: RunningEmulator, **overrides: Any) -> dict[str, Any]:
    droplet = create_droplet(api, **overrides)
    ocean_emulator.control.advance(ocean_emulator.config.droplet_create_s)
    fresh: dict[str, Any] = api.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]
    assert fresh["status"] == "active"
    return fresh
