"""pytest fixtures for testing against the local DigitalOcean API emulator.

Registered automatically (entry point ``pytest11: ocean_emulator``) wherever ``pulumi-ocean`` is installed;
the fixture names are namespaced so they do not collide with your own:

- ``ocean_emulator``: a running emulator with a **manual** clock (time moves only when the test advances it);
- ``ocean_emulator_factory``: start emulators with your own :class:`~ocean.emulator.config.EmulatorConfig`
  settings.

Example::

    def test_droplet_becomes_active(ocean_emulator):
        client = ocean_emulator.client()
        droplet = client.post("/v2/droplets", json={...}).json()["droplet"]
        ocean_emulator.control.advance(30)
        assert client.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]["status"] == "active"
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from ocean.emulator.backend import Backend
from ocean.emulator.clock import Clock
from ocean.emulator.config import EmulatorConfig
from ocean.emulator.server import EmulatorServer

TEST_TOKEN = "emulator-test-token"


class EmulatorControl:
    """The ``/_emulator`` control API over HTTP, as used by tests."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(base_url=base_url, timeout=10, headers=headers)

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        response = self._client.request(method, f"/_emulator{path}", json=body)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        """Forget all resources, faults, logged requests and rate-limit counters."""
        self._call("POST", "/reset")

    def advance(self, seconds: float) -> float:
        """Move the emulated clock forward; returns the new emulated epoch time."""
        return float(self._call("POST", "/clock", {"advance_s": seconds})["now"])

    def set_clock(self, mode: str, scale: float | None = None) -> float:
        """Switch the clock to ``manual`` or ``scaled`` (with ``scale`` emulated seconds per real second)."""
        body: dict[str, Any] = {"mode": mode}
        if scale is not None:
            body["scale"] = scale
        return float(self._call("POST", "/clock", body)["now"])

    def now(self) -> float:
        return float(self._call("GET", "/clock")["now"])

    def fault(self, **rule: Any) -> dict[str, Any]:
        """Inject a fault, e.g. ``fault(method="POST", path="/v2/droplets", status=500, times=2)``,
        ``fault(path="/v2/actions/*", delay_s=3)``, ``fault(path="/v2/droplets/*", drop_connection=True)``,
        ``fault(action_type="resize", outcome="errored")``, ``fault(garbage_collection="failed")`` or
        ``fault(firewall="failed", times=2)``."""
        result: dict[str, Any] = self._call("POST", "/faults", rule)["faults"][0]
        return result

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def requests(self) -> dict[str, Any]:
        """The request log: ``{"requests": [{method, path, template, status, time, request_id}], "counts":
        {"GET /v2/droplets/{droplet_id}": n, ...}, "total": n}``."""
        result: dict[str, Any] = self._call("GET", "/requests")
        return result

    def push_image(self, registry: str, repository: str, tag: str, size_bytes: int) -> dict[str, Any]:
        """Seed ``registry`` as ``docker push registry.digitalocean.com/<registry>/<repository>:<tag>``
        would: a manifest with one layer blob of ``size_bytes``. Returns ``{"manifest", "registry"}``."""
        body = {"repository": repository, "tag": tag, "size_bytes": size_bytes}
        result: dict[str, Any] = self._call("POST", f"/registry/{registry}/push", body)
        return result

    def add_vpc_member(
        self, vpc_id: str, urn: str, name: str, leaves_after_s: float | None = None
    ) -> dict[str, Any]:
        """Put a resource the emulator does not run (``urn`` such as ``do:loadbalancer:lb-1``) into a VPC:
        listed as a member, it keeps the VPC from being deleted until it leaves (``leaves_after_s``)."""
        body: dict[str, Any] = {"urn": urn, "name": name}
        if leaves_after_s is not None:
            body["leaves_after_s"] = leaves_after_s
        result: dict[str, Any] = self._call("POST", f"/vpcs/{vpc_id}/members", body)["member"]
        return result

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/state")
        return result

    def close(self) -> None:
        self._client.close()


class RunningEmulator:
    """A started emulator as handed to tests: ``base_url``, ``backend``, ``clock``, ``control``, ``token``."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.base_url: str = server.base_url
        self.backend: Backend = server.backend
        self.clock: Clock = server.backend.clock
        self.config: EmulatorConfig = server.config
        self.token: str = server.config.token or TEST_TOKEN
        self.control = EmulatorControl(server.base_url, server.config.control_token or server.config.token)

    @property
    def headers(self) -> dict[str, str]:
        """Authorization header accepted by this emulator."""
        return {"Authorization": f"Bearer {self.token}"}

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client pointed at the emulator with a valid token (close it, or use it as a context)."""
        return httpx.Client(base_url=self.base_url, headers=self.headers, **kwargs)

    def stop(self) -> None:
        self.control.close()
        self.server.stop()


def _start(**config_kwargs: Any) -> RunningEmulator:
    config_kwargs.setdefault("clock_mode", "manual")
    server = EmulatorServer(config=EmulatorConfig(**config_kwargs)).start()
    return RunningEmulator(server)


@pytest.fixture
def ocean_emulator() -> Iterator[RunningEmulator]:
    """A running DigitalOcean API emulator for one test, on a free loopback port, with a MANUAL clock.

    Nothing changes with time until the test calls ``ocean_emulator.control.advance(seconds)`` (or, in
    process, ``ocean_emulator.backend.advance(seconds)``): a droplet stays ``new`` until 30 emulated seconds
    have passed. Attributes:
    ``base_url``, ``backend`` (in-process state), ``clock``, ``control`` (reset/advance/fault/clear_faults/
    requests over the HTTP control API), ``token`` and ``headers`` (any non-empty bearer token is accepted).
    """
    running = _start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def ocean_emulator_factory() -> Iterator[Callable[..., RunningEmulator]]:
    """Start emulators with custom settings: ``ocean_emulator_factory(time_scale=50, clock_mode="scaled",
    rate_limit_per_minute=5, token="secret", state_file=str(tmp_path / "state.db"))``. Keyword arguments are
    :class:`~ocean.emulator.config.EmulatorConfig` fields; the clock is manual unless ``clock_mode`` says
    otherwise. Every emulator started is stopped at teardown."""
    started: list[RunningEmulator] = []

    def factory(**config_kwargs: Any) -> RunningEmulator:
        running = _start(**config_kwargs)
        started.append(running)
        return running

    try:
        yield factory
    finally:
        for running in reversed(started):
            running.stop()
