"""A fake DigitalOcean API and a fake clock for reconcile-logic tests (milliseconds, not minutes).

Droplets and actions follow DigitalOcean's rules closely enough to test the provider's logic: an
action is `in-progress` for its duration on the fake clock, then `completed` (or `errored` when told),
its effect applied then; a droplet with an action in progress refuses new ones with 422 "Droplet
already has a pending event."; resize needs the droplet off and never shrinks a grown disk. Returned
objects are the real `ocean.api.models`, so the resource code sees exactly what the client gives it.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from ocean.api import errors
from ocean.api.models import Action, Droplet, DropletBackupPolicy, Size, durations

SIZES = {
    "s-1vcpu-1gb": dict(memory=1024, vcpus=1, disk=25, price_monthly=6.0, price_hourly=0.00893),
    "s-1vcpu-2gb": dict(memory=2048, vcpus=1, disk=50, price_monthly=12.0, price_hourly=0.01786),
    "s-2vcpu-2gb": dict(memory=2048, vcpus=2, disk=60, price_monthly=18.0, price_hourly=0.02679),
    "s-2vcpu-4gb": dict(memory=4096, vcpus=2, disk=80, price_monthly=24.0, price_hourly=0.03571),
}

DEFAULT_POLICY = {"plan": "weekly", "weekday": "SUN", "hour": 0}
# DigitalOcean's typical durations, from the project's one table.
DURATIONS = dict(durations.ACTION_S)


class FakeClock:
    """Time that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


def _size(slug: str) -> Size:
    s = SIZES[slug]
    return Size.model_validate(
        {
            "slug": slug,
            "memory": s["memory"],
            "vcpus": s["vcpus"],
            "disk": s["disk"],
            "transfer": 1.0,
            "price_monthly": s["price_monthly"],
            "price_hourly": s["price_hourly"],
            "regions": ["nyc3"],
            "available": True,
            "description": slug,
        }
    )


def _http_error(
    cls: type[errors.ApiError], status: int, error_id: str, message: str, method: str, path: str
) -> Any:
    return cls(status=status, error_id=error_id, message=message, request_id="fake", method=method, path=path)


@dataclass
class FakeAction:
    id: int
    type: str
    droplet_id: int
    started: float
    duration: float
    outcome: str = "completed"
    params: dict[str, Any] = field(default_factory=dict)
    applied: bool = False


class FakeDigitalOcean:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.droplets: dict[int, dict[str, Any]] = {}
        self.actions: dict[int, FakeAction] = {}
        self.log: list[str] = []  # "POST shutdown", "GET droplet", ...
        self.errored: dict[str, int] = {}  # action type → how many of the next ones error
        self.durations = dict(DURATIONS)
        self._ids = itertools.count(101)
        self._action_ids = itertools.count(9001)
        self.droplet_actions = SimpleNamespace(post=self._post_action)
        self.actions_api = SimpleNamespace(get=self._get_action)
        self.tags = SimpleNamespace(create=self._noop, tag_resources=self._tag, untag_resources=self._untag)
        self.sizes = SimpleNamespace(list=self._sizes)

    # --------------------------------------------------------------------------------- lifecycle

    def _settle(self) -> None:
        for a in self.actions.values():
            if a.applied or self.clock() < a.started + a.duration:
                continue
            a.applied = True
            d = self.droplets.get(a.droplet_id)
            if d is None or a.outcome == "errored":
                continue
            if a.type == "create":
                d["status"] = "active"
            elif a.type in ("shutdown", "power_off"):
                d["status"] = "off"
            elif a.type == "power_on":
                d["status"] = "active"
            elif a.type == "rename":
                d["name"] = a.params["name"]
            elif a.type == "resize":
                d["size"] = a.params["size"]
                if a.params.get("disk"):
                    d["disk"] = SIZES[a.params["size"]]["disk"]
            elif a.type == "enable_backups":
                d["features"].add("backups")
                d["policy"] = a.params.get("backup_policy") or DEFAULT_POLICY
            elif a.type == "change_backup_policy":
                d["policy"] = a.params["backup_policy"]
            elif a.type == "disable_backups":
                d["features"].discard("backups")
            elif a.type == "enable_ipv6":
                d["features"].add("ipv6")

    def _busy(self, droplet_id: int) -> bool:
        return any(
            not a.applied and a.droplet_id == droplet_id and self.clock() < a.started + a.duration
            for a in self.actions.values()
        )

    def _start(self, droplet_id: int, kind: str, **params: Any) -> FakeAction:
        outcome = "completed"
        if self.errored.get(kind, 0) > 0:
            self.errored[kind] -= 1
            outcome = "errored"
        a = FakeAction(
            next(self._action_ids),
            kind,
            droplet_id,
            self.clock(),
            self.durations.get(kind, 5.0),
            outcome,
            params,
        )
        self.actions[a.id] = a
        return a

    def _action_model(self, a: FakeAction) -> Action:
        done = self.clock() >= a.started + a.duration
        return Action.model_validate(
            {
                "id": a.id,
                "status": a.outcome if done else "in-progress",
                "type": a.type,
                "started_at": "2026-11-26T00:00:00Z",
                "completed_at": None,
                "resource_id": a.droplet_id,
                "resource_type": "droplet",
                "region_slug": "nyc3",
            }
        )

    # ------------------------------------------------------------------------------ the client API

    async def create(self, body: dict[str, Any]) -> Any:
        self.log.append("POST droplet")
        droplet_id = next(self._ids)
        self.droplets[droplet_id] = {
            "name": body["name"],
            "size": body["size"],
            "disk": SIZES[body["size"]]["disk"],
            "status": "new",
            "tags": list(body.get("tags") or []),
            "image": body["image"],
            "features": {f for f in ("ipv6", "backups", "monitoring") if body.get(f)},
        }
        if body.get("backup_policy"):
            self.droplets[droplet_id]["policy"] = body["backup_policy"]
        action = self._start(droplet_id, "create")
        return SimpleNamespace(droplet=self._droplet_model(droplet_id), action_ids=[action.id])

    async def get(self, droplet_id: int) -> Droplet:
        self.log.append("GET droplet")
        self._settle()
        if droplet_id not in self.droplets:
            raise _http_error(
                errors.NotFound,
                404,
                "not_found",
                "The resource you were accessing could not be found.",
                "GET",
                f"/v2/droplets/{droplet_id}",
            )
        return self._droplet_model(droplet_id)

    async def backup_policy(self, droplet_id: int) -> DropletBackupPolicy:
        self.log.append("GET backup policy")
        self._settle()
        d = self.droplets[droplet_id]
        return DropletBackupPolicy.model_validate(
            {
                "droplet_id": droplet_id,
                "backup_enabled": "backups" in d["features"],
                "backup_policy": {**DEFAULT_POLICY, **d.get("policy", {}), "window_length_hours": 4},
            }
        )

    async def delete(self, droplet_id: int) -> None:
        self.log.append("DELETE droplet")
        self.droplets.pop(droplet_id, None)

    def _droplet_model(self, droplet_id: int) -> Droplet:
        d = self.droplets[droplet_id]
        size = SIZES[d["size"]]
        image = d["image"]
        return Droplet.model_validate(
            {
                "id": droplet_id,
                "name": d["name"],
                "memory": size["memory"],
                "vcpus": size["vcpus"],
                "disk": d["disk"],
                "locked": self._busy(droplet_id),
                "status": d["status"],
                "created_at": "2026-11-26T00:00:00Z",
                "features": sorted(d["features"]),
                "backup_ids": [],
                "snapshot_ids": [],
                "volume_ids": [],
                "tags": d["tags"],
                "vpc_uuid": "vpc-default",
                "size_slug": d["size"],
                "size": _size(d["size"]).model_dump(),
                "region": {
                    "slug": "nyc3",
                    "name": "New York 3",
                    "sizes": [],
                    "features": [],
                    "available": True,
                },
                "image": {
                    "id": 777,
                    "slug": image if isinstance(image, str) else None,
                    "name": "Ubuntu",
                    "distribution": "Ubuntu",
                    "public": True,
                    "regions": ["nyc3"],
                    "type": "base",
                },
                "networks": {
                    "v4": [
                        {
                            "ip_address": "10.0.0.2",
                            "netmask": "255.255.0.0",
                            "gateway": "10.0.0.1",
                            "type": "private",
                        },
                        {
                            "ip_address": "203.0.113.7",
                            "netmask": "255.255.240.0",
                            "gateway": "203.0.113.1",
                            "type": "public",
                        },
                    ],
                    "v6": [
                        {
                            "ip_address": "2604:a880::1",
                            "netmask": 64,
                            "gateway": "2604:a880::",
                            "type": "public",
                        }
                    ]
                    if "ipv6" in d["features"]
                    else [],
                },
            }
        )

    async def _post_action(self, droplet_id: int, kind: str, **params: Any) -> Action:
        self.log.append(f"POST {kind}")
        self._settle()
        path = f"/v2/droplets/{droplet_id}/actions"
        if self._busy(droplet_id):
            raise _http_error(
                errors.PendingEvent,
                422,
                "unprocessable_entity",
                "Droplet already has a pending event.",
                "POST",
                path,
            )
        d = self.droplets[droplet_id]
        if kind == "resize":
            if d["status"] != "off":
                raise _http_error(
                    errors.Unprocessable,
                    422,
                    "unprocessable_entity",
                    "Droplet must be powered off before resizing.",
                    "POST",
                    path,
                )
            if SIZES[params["size"]]["disk"] < d["disk"]:
                raise _http_error(
                    errors.Unprocessable,
                    422,
                    "unprocessable_entity",
                    "This size is not available because it has a smaller disk.",
                    "POST",
                    path,
                )
        if kind == "power_off" and d["status"] == "off":
            raise _http_error(
                errors.Unprocessable,
                422,
                "unprocessable_entity",
                "Droplet is already powered off.",
                "POST",
                path,
            )
        return self._action_model(self._start(droplet_id, kind, **params))

    async def _get_action(self, action_id: int) -> Action:
        self.log.append("GET action")
        self._settle()
        return self._action_model(self.actions[action_id])

    async def _noop(self, *args: Any) -> None:
        return None

    async def _tag(self, name: str, resources: list[tuple[str, str]]) -> None:
        self.log.append(f"TAG {name}")
        for rid, _ in resources:
            tags = self.droplets[int(rid)]["tags"]
            if name.lower() not in {t.lower() for t in tags}:
                tags.append(name)

    async def _untag(self, name: str, resources: list[tuple[str, str]]) -> None:
        self.log.append(f"UNTAG {name}")
        for rid, _ in resources:
            d = self.droplets[int(rid)]
            d["tags"] = [t for t in d["tags"] if t.lower() != name.lower()]

    async def _sizes(self) -> list[Size]:
        return [_size(slug) for slug in SIZES]

    def posted(self) -> list[str]:
        """The actions requested, in order (pending-event refusals included)."""
        return [
            entry.removeprefix("POST ")
            for entry in self.log
            if entry.startswith("POST ") and entry != "POST droplet"
        ]


class FakeApi:
    """The attribute layout of `DigitalOceanClient` over a FakeDigitalOcean."""

    def __init__(self, do: FakeDigitalOcean) -> None:
        self.droplets = do
        self.droplet_actions = do.droplet_actions
        self.actions = do.actions_api
        self.tags = do.tags
        self.sizes = do.sizes
