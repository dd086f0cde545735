"""The emulator's state and behaviour without HTTP: the core and one service object per DigitalOcean
service, wired together. Use it in process::

    backend = Backend(EmulatorConfig(clock_mode="manual"))
    droplets, actions = backend.droplets.create({"name": "web", "size": "s-1vcpu-1gb", ...})
    backend.advance(30)
    assert backend.droplets.get(droplets[0]["id"])["status"] == "active"

Every service method is one atomic, committed operation (see :mod:`ocean.emulator.core`).
"""

from __future__ import annotations

from copy import deepcopy

from ocean.emulator.clock import Clock
from ocean.emulator.config import EmulatorConfig
from ocean.emulator.core import Core, Json
from ocean.emulator.errors import bad_request
from ocean.emulator.faults import FaultBook, FaultRule, parse_rule
from ocean.emulator.ratelimit import RateLimiter
from ocean.emulator.requestlog import RequestLog
from ocean.emulator.services.actions import DropletActions
from ocean.emulator.services.base import Links
from ocean.emulator.services.catalogue import Catalogue
from ocean.emulator.services.droplets import Droplets
from ocean.emulator.services.firewalls import Firewalls
from ocean.emulator.services.garbage_collections import GarbageCollections
from ocean.emulator.services.images import Images
from ocean.emulator.services.registries import Registries
from ocean.emulator.services.repositories import Repositories
from ocean.emulator.services.ssh_keys import SshKeys
from ocean.emulator.services.tags import Tags
from ocean.emulator.services.vpc_peerings import VpcPeerings
from ocean.emulator.services.vpcs import Vpcs
from ocean.emulator.store import Store


class Backend:
    """All of the emulator's behaviour: ``catalogue``, ``droplets``, ``actions``, ``images``, ``tags``,
    ``ssh_keys``, ``vpcs``, ``vpc_peerings``, ``firewalls``, ``registries``, ``repositories``,
    ``garbage_collections``, plus the control operations (reset, clock, faults, request log, state)."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        clock: Clock | None = None,
        store: Store | None = None,
    ) -> None:
        self.config = config or EmulatorConfig()
        self.core = core = Core(self.config, clock=clock, store=store)
        self.catalogue = Catalogue(core)
        self.droplets = Droplets(core)
        self.actions = DropletActions(core)
        self.images = Images(core)
        self.tags = Tags(core)
        self.ssh_keys = SshKeys(core)
        self.vpcs = Vpcs(core)
        self.vpc_peerings = VpcPeerings(core)
        self.firewalls = Firewalls(core)
        self.registries = Registries(core)
        self.repositories = Repositories(core)
        self.garbage_collections = GarbageCollections(core)

        # Siblings within one DigitalOcean service know each other; across services, only links.
        self.droplets.actions = self.actions
        self.actions.droplets = self.droplets
        self.registries.gcs = self.repositories.gcs = self.garbage_collections
        self.repositories.registries = self.garbage_collections.registries = self.registries
        self.garbage_collections.repositories = self.repositories
        links = Links(
            droplets=self.droplets,
            images=self.images,
            tags=self.tags,
            vpcs=self.vpcs,
            peerings=self.vpc_peerings,
            ssh_keys=self.ssh_keys,
        )
        for service in (
            self.catalogue, self.droplets, self.actions, self.images, self.tags, self.ssh_keys, self.vpcs,
            self.vpc_peerings, self.firewalls, self.registries, self.repositories, self.garbage_collections,
        ):  # fmt: skip
            service.links = links
        core.open()

    # ------------------------------------------------------------------ the core's parts

    @property
    def clock(self) -> Clock:
        return self.core.clock

    @property
    def faults(self) -> FaultBook:
        return self.core.faults

    @property
    def rate_limiter(self) -> RateLimiter:
        return self.core.rate_limiter

    @property
    def request_log(self) -> RequestLog:
        return self.core.request_log

    def now(self) -> float:
        return self.core.now()

    def close(self) -> None:
        self.core.close()

    # ------------------------------------------------------------------ control operations

    def reset(self) -> None:
        """Forget everything: resources, faults, request log, rate-limit counters (the clock keeps going)."""
        self.core.reset()
        self.core.faults.clear()
        self.core.rate_limiter.reset()
        self.core.request_log.clear()

    def advance(self, seconds: float) -> float:
        """Move the emulated clock forward and apply every lifecycle transition that became due."""
        with self.core.tx():
            self.core.touch()  # the clock itself is state: a restart resumes from here
            return self.clock.advance(seconds)

    def set_clock_mode(self, mode: str, scale: float | None = None) -> float:
        with self.core.tx():
            if mode not in ("manual", "scaled"):
                raise bad_request('mode must be "manual" or "scaled"')
            self.clock.set_mode(mode, scale)  # type: ignore[arg-type]
            return self.clock.now()

    def add_fault(self, rule: Json | FaultRule) -> FaultRule:
        parsed = rule if isinstance(rule, FaultRule) else parse_rule(rule)
        return self.core.faults.add(parsed)

    def clear_faults(self) -> None:
        self.core.faults.clear()

    def requests(self) -> Json:
        return self.core.request_log.snapshot()

    def dump_state(self) -> Json:
        with self.core.tx():
            state = deepcopy(self.core.s)
        state["now"] = self.clock.now()
        state["clock_mode"] = self.clock.mode
        state["faults"] = [r.to_json() for r in self.core.faults.rules()]
        return state

    def check_token(self, token: str) -> bool:
        if not token:
            return False
        return self.config.token is None or token == self.config.token
