"""The emulator's state and behaviour, without HTTP.

State is one JSON-able document (``self.s``); lifecycles are scheduled as timed events and applied when
anything is read or written after their due time (moto ``ManagedState`` style, no background threads). Every
public method takes the lock, settles due events, does its work and commits the document to the store
before returning, so a response is only sent once its mutation is durable.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import ipaddress
import re
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from datetime import UTC, datetime
from typing import Any

from ocean.api.models import DROPLET_ACTION_TYPES, GC_TYPES
from ocean.emulator import catalogue
from ocean.emulator.clock import Clock
from ocean.emulator.config import EmulatorConfig
from ocean.emulator.errors import (
    EmulatorError,
    bad_request,
    conflict,
    forbidden,
    not_found,
    precondition_failed,
    unprocessable,
)
from ocean.emulator.faults import FaultBook, FaultRule, parse_rule
from ocean.emulator.ratelimit import RateLimiter
from ocean.emulator.store import MemoryStore, SqliteStore, Store

Json = dict[str, Any]

API_ORIGIN = "https://api.digitalocean.com"
DROPLET_NAME_RE = re.compile(r"^[a-zA-Z0-9]?[a-z0-9A-Z.\-]*[a-z0-9A-Z]$")
TAG_NAME_RE = re.compile(r"^[a-zA-Z0-9_\-:]+$")
VPC_NAME_RE = re.compile(r"^[a-zA-Z0-9\-.]+$")
MAX_MULTI_CREATE = 10
STATE_VERSION = 1

REGISTRY_HOST = "registry.digitalocean.com"
REGISTRY_NAME_RE = re.compile(r"^[a-z0-9-]{1,63}$")
REPOSITORY_NAME_RE = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")
IMAGE_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
REGISTRY_TIER_SLUGS = tuple(t["slug"] for t in catalogue.REGISTRY_TIERS)
ELIGIBILITY_REASONS = ("OverRepositoryLimit", "OverStorageLimit")
#: The legacy ``/v2/registry`` paths once the account has several registries (the spec's own wording).
LEGACY_REGISTRY_MESSAGE = (
    "This API is not supported if you have created multiple registries. Please use "
    "\u2018/v2/registries/{registry_name}\u2019 instead. Refer to "
    "https://docs.digitalocean.com/reference/api/digitalocean/#tag/Container-Registry for more info."
)
#: A garbage collection's stages, in order; each lasts ``config.gc_stage_s``.
GC_STAGES = (
    "requested",
    "waiting for write JWTs to expire",
    "scanning manifests",
    "deleting unreferenced blobs",
)
GC_ACTIVE_STATUSES = frozenset(GC_STAGES) | {"cancelling"}

#: The action types ``POST /v2/droplets/actions?tag_name=`` accepts (the spec's mapping for it).
TAG_ACTION_TYPES = (
    "enable_backups",
    "disable_backups",
    "power_cycle",
    "shutdown",
    "power_off",
    "power_on",
    "enable_ipv6",
    "snapshot",
)
DEFAULT_BACKUP_POLICY: Json = {
    "plan": "weekly",
    "weekday": "SUN",
    "hour": 0,
    "window_length_hours": 4,
    "retention_period_days": 28,
}


def iso(epoch: float) -> str:
    """DigitalOcean's timestamp format: UTC, whole seconds, ``Z`` suffix."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _public(d: Json) -> Json:
    return {k: v for k, v in d.items() if not k.startswith("_")}


class RequestLog:
    """The last N requests served, and counts per method and path template since the last reset."""

    def __init__(self, size: int) -> None:
        self._lock = threading.Lock()
        self._entries: deque[Json] = deque(maxlen=size)
        self._counts: Counter[str] = Counter()

    def record(self, method: str, path: str, template: str, status: int, at: float, request_id: str) -> None:
        with self._lock:
            self._entries.append(
                {
                    "method": method,
                    "path": path,
                    "template": template,
                    "status": status,
                    "time": at,
                    "request_id": request_id,
                }
            )
            self._counts[f"{method} {template}"] += 1

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._counts.clear()

    def snapshot(self) -> Json:
        with self._lock:
            entries = list(self._entries)
            return {"requests": entries, "counts": dict(self._counts), "total": self._counts.total()}


class Backend:
    """All of the emulator's behaviour. Thread-safe; every method is one atomic, committed operation."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        clock: Clock | None = None,
        store: Store | None = None,
    ) -> None:
        self.config = config or EmulatorConfig()
        self.clock = clock or Clock(self.config.clock_mode, self.config.time_scale)
        self.faults = FaultBook()
        self.rate_limiter = RateLimiter(
            self.clock, self.config.rate_limit_per_minute, self.config.rate_limit_per_hour
        )
        self.request_log = RequestLog(self.config.request_log_size)
        self._lock = threading.RLock()
        if store is None:
            store = SqliteStore(self.config.state_file) if self.config.state_file else MemoryStore()
        self._store = store
        self._dirty = False
        loaded = store.load()
        if loaded is not None and loaded.get("version") == STATE_VERSION:
            self.s: Json = loaded
            self.clock.set(float(loaded.get("clock", 0.0)))
        else:
            self.s = self._fresh_state()
            self._commit()

    # ------------------------------------------------------------------ plumbing

    def _fresh_state(self) -> Json:
        now = self.clock.now()
        s: Json = {
            "version": STATE_VERSION,
            "clock": now,
            "seq": {
                "droplet": 3164444,
                "action": 2_000_000_000,
                "image": 170_000_000,
                "event": 0,
                "ip": 0,
                "blob": 0,
            },
            "droplets": {},
            "actions": {},
            "tags": {},
            "images": {},
            "vpcs": {},
            "firewalls": {},
            "peerings": {},
            "ssh_keys": {},
            "registries": {},
            "subscription": None,
            "gcs": {},
            "events": [],
        }
        for slug, ip_range in catalogue.DEFAULT_VPC_RANGES.items():
            vpc_id = catalogue.DEFAULT_VPC_IDS.get(slug) or str(uuid.uuid5(uuid.NAMESPACE_URL, f"vpc/{slug}"))
            s["vpcs"][vpc_id] = {
                "id": vpc_id,
                "urn": f"do:vpc:{vpc_id}",
                "name": f"default-{slug}",
                "description": "",
                "region": slug,
                "ip_range": ip_range,
                "default": True,
                "created_at": iso(now),
                "_next_host": 2,
            }
        return s

    def _commit(self) -> None:
        self.s["clock"] = self.clock.now()
        self._store.save(self.s)
        self._dirty = False

    @contextmanager
    def _tx(self) -> Iterator[None]:
        """One operation: settle due lifecycle events, run, settle events due now, commit if changed."""
        with self._lock:
            self._settle()
            try:
                yield
            finally:
                self._settle()
                if self._dirty:
                    self._commit()

    def _touch(self) -> None:
        self._dirty = True

    def _next_id(self, kind: str) -> int:
        # .get: a state file written before a counter existed still loads.
        self.s["seq"][kind] = self.s["seq"].get(kind, 0) + 1
        return int(self.s["seq"][kind])

    def _schedule(self, delay: float, kind: str, ref: str, at: float | None = None) -> float:
        due = (self.clock.now() if at is None else at) + max(0.0, delay)
        heapq.heappush(self.s["events"], [due, self._next_id("event"), kind, ref])
        self._touch()
        return due

    def _settle(self) -> None:
        events: list[list[Any]] = self.s["events"]
        if not events:
            return
        now = self.clock.now()
        while events and events[0][0] <= now:
            due, _seq, kind, ref = heapq.heappop(events)
            self._touch()
            handler = getattr(self, f"_on_{kind}")
            handler(ref, float(due))

    def close(self) -> None:
        with self._lock:
            if self._dirty:
                self._commit()
            self._store.close()

    # ------------------------------------------------------------------ control operations

    def reset(self) -> None:
        """Forget everything: resources, faults, request log, rate-limit counters (the clock keeps going)."""
        with self._lock:
            self.s = self._fresh_state()
            self.faults.clear()
            self.rate_limiter.reset()
            self.request_log.clear()
            self._commit()

    def advance(self, seconds: float) -> float:
        """Move the emulated clock forward and apply every lifecycle transition that became due."""
        with self._tx():
            self._touch()  # the clock itself is state: a restart resumes from here
            return self.clock.advance(seconds)

    def set_clock_mode(self, mode: str, scale: float | None = None) -> float:
        with self._tx():
            if mode not in ("manual", "scaled"):
                raise bad_request('mode must be "manual" or "scaled"')
            self.clock.set_mode(mode, scale)  # type: ignore[arg-type]
            return self.clock.now()

    def add_fault(self, rule: Json | FaultRule) -> FaultRule:
        parsed = rule if isinstance(rule, FaultRule) else parse_rule(rule)
        return self.faults.add(parsed)

    def clear_faults(self) -> None:
        self.faults.clear()

    def requests(self) -> Json:
        return self.request_log.snapshot()

    def dump_state(self) -> Json:
        with self._tx():
            state = deepcopy(self.s)
        state["now"] = self.clock.now()
        state["clock_mode"] = self.clock.mode
        state["faults"] = [r.to_json() for r in self.faults.rules()]
        return state

    def check_token(self, token: str) -> bool:
        if not token:
            return False
        return self.config.token is None or token == self.config.token

    # ------------------------------------------------------------------ catalogue

    def list_regions(self) -> list[Json]:
        return deepcopy(list(catalogue.REGIONS.values()))

    def list_sizes(self) -> list[Json]:
        return deepcopy(list(catalogue.SIZES.values()))

    def account(self) -> Json:
        return deepcopy(catalogue.ACCOUNT)

    def _region(self, slug: str) -> Json:
        return deepcopy(catalogue.REGIONS[slug])

    def _image_out(self, image: Json) -> Json:
        return _public(image)

    def list_images(
        self, image_type: str | None = None, private: bool = False, tag_name: str | None = None
    ) -> list[Json]:
        with self._tx():
            images: list[Json] = []
            if not private:
                images.extend(deepcopy(list(catalogue.DISTRIBUTION_IMAGES.values())))
            images.extend(self._image_out(i) for i in self.s["images"].values())
            if image_type == "distribution":
                images = [i for i in images if i["type"] == "base"]
            elif image_type == "application":
                images = []
            if tag_name is not None:
                images = [i for i in images if tag_name.lower() in [t.lower() for t in i.get("tags") or []]]
            return images

    def _find_image(self, ref: str | int) -> Json | None:
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            image_id = int(ref)
            if image_id in catalogue.DISTRIBUTION_IMAGES:
                return deepcopy(catalogue.DISTRIBUTION_IMAGES[image_id])
            image = self.s["images"].get(str(image_id))
            return deepcopy(image) if image is not None else None
        for image in catalogue.DISTRIBUTION_IMAGES.values():
            if image["slug"] == ref:
                return deepcopy(image)
        return None

    def get_image(self, ref: str | int) -> Json:
        with self._tx():
            image = self._find_image(ref)
            if image is None:
                raise not_found()
            return self._image_out(image)

    # ------------------------------------------------------------------ snapshots

    def _snapshot_out(self, image: Json) -> Json:
        return {
            "id": str(image["id"]),
            "name": image["name"],
            "created_at": image["created_at"],
            "regions": list(image["regions"]),
            "min_disk_size": image["min_disk_size"],
            "size_gigabytes": image["size_gigabytes"],
            "resource_id": str(image["_droplet_id"]),
            "resource_type": "droplet",
            "tags": list(image.get("tags") or []),
        }

    def list_snapshots(self, resource_type: str | None = None, droplet_id: int | None = None) -> list[Json]:
        with self._tx():
            if resource_type == "volume":
                return []
            if droplet_id is not None:
                droplet = self._droplet(droplet_id)
                return [
                    self._snapshot_out(self.s["images"][str(i)])
                    for i in droplet["snapshot_ids"]
                    if str(i) in self.s["images"]
                ]
            return [self._snapshot_out(i) for i in self.s["images"].values() if i["type"] == "snapshot"]

    def droplet_snapshots_as_images(self, droplet_id: int) -> list[Json]:
        """``GET /v2/droplets/{id}/snapshots`` answers with image objects."""
        with self._tx():
            droplet = self._droplet(droplet_id)
            return [
                self._image_out(self.s["images"][str(i)])
                for i in droplet["snapshot_ids"]
                if str(i) in self.s["images"]
            ]

    def get_snapshot(self, snapshot_id: str) -> Json:
        with self._tx():
            image = self.s["images"].get(str(snapshot_id))
            if image is None or image["type"] != "snapshot":
                raise not_found()
            return self._snapshot_out(image)

    def delete_snapshot(self, snapshot_id: str) -> None:
        with self._tx():
            image = self.s["images"].pop(str(snapshot_id), None)
            if image is None or image["type"] != "snapshot":
                raise not_found()
            droplet = self.s["droplets"].get(str(image["_droplet_id"]))
            if droplet is not None and image["id"] in droplet["snapshot_ids"]:
                droplet["snapshot_ids"].remove(image["id"])
            self._touch()

    # ------------------------------------------------------------------ tags

    def _tag_key(self, name: str) -> str:
        return name.lower()

    def _ensure_tag(self, name: str) -> Json:
        if not isinstance(name, str) or not name or len(name) > 255 or not TAG_NAME_RE.match(name):
            raise unprocessable(
                "tag names must be 1-255 characters: letters, numbers, colons, dashes and underscores"
            )
        key = self._tag_key(name)
        tag = self.s["tags"].get(key)
        if tag is None:
            tag = self.s["tags"][key] = {"name": name, "_last_droplet": None}
            self._touch()
        return tag  # type: ignore[no-any-return]

    def _tag_out(self, tag: Json) -> Json:
        key = self._tag_key(tag["name"])
        count = sum(1 for d in self.s["droplets"].values() if key in (t.lower() for t in d["tags"]))
        last = tag.get("_last_droplet")
        last_uri = f"{API_ORIGIN}/v2/droplets/{last}" if last and count else ""
        empty = {"count": 0, "last_tagged_uri": ""}
        return {
            "name": tag["name"],
            "resources": {
                "count": count,
                "last_tagged_uri": last_uri,
                "droplets": {"count": count, "last_tagged_uri": last_uri},
                "images": dict(empty),
                "volumes": dict(empty),
                "volume_snapshots": dict(empty),
                "databases": dict(empty),
            },
        }

    def create_tag(self, name: str) -> Json:
        """Create a tag; an existing tag (compared case-insensitively) is returned unchanged."""
        with self._tx():
            return self._tag_out(self._ensure_tag(name))

    def list_tags(self) -> list[Json]:
        with self._tx():
            return [self._tag_out(t) for t in self.s["tags"].values()]

    def get_tag(self, name: str) -> Json:
        with self._tx():
            tag = self.s["tags"].get(self._tag_key(name))
            if tag is None:
                raise not_found()
            return self._tag_out(tag)

    def delete_tag(self, name: str) -> None:
        with self._tx():
            key = self._tag_key(name)
            if self.s["tags"].pop(key, None) is None:
                raise not_found()
            for droplet in self.s["droplets"].values():
                droplet["tags"] = [t for t in droplet["tags"] if t.lower() != key]
            for fw in self.s["firewalls"].values():
                fw["tags"] = [t for t in fw["tags"] if t.lower() != key]
            self._touch()

    def _tag_droplet(self, droplet: Json, tag: Json) -> None:
        if tag["name"].lower() not in (t.lower() for t in droplet["tags"]):
            droplet["tags"].append(tag["name"])
        tag["_last_droplet"] = droplet["id"]
        self._touch()

    def _resource_droplets(self, resources: list[Json]) -> list[Json]:
        droplets = []
        for res in resources:
            if not isinstance(res, dict):
                raise bad_request("resources must be objects with resource_id and resource_type")
            rtype = res.get("resource_type")
            if rtype not in ("droplet", "image", "volume", "volume_snapshot"):
                raise unprocessable(f"resource_type {rtype!r} is not supported")
            if rtype != "droplet":
                raise unprocessable(f"the emulator only tags droplets, not {rtype}")
            droplet = self.s["droplets"].get(str(res.get("resource_id")))
            if droplet is None:
                raise not_found()
            droplets.append(droplet)
        return droplets

    def tag_resources(self, name: str, resources: list[Json]) -> None:
        with self._tx():
            tag = self.s["tags"].get(self._tag_key(name))
            if tag is None:
                raise not_found()
            for droplet in self._resource_droplets(resources):
                self._tag_droplet(droplet, tag)

    def untag_resources(self, name: str, resources: list[Json]) -> None:
        with self._tx():
            key = self._tag_key(name)
            if key not in self.s["tags"]:
                raise not_found()
            for droplet in self._resource_droplets(resources):
                droplet["tags"] = [t for t in droplet["tags"] if t.lower() != key]
                self._touch()

    # ------------------------------------------------------------------ VPCs (the part droplets need)

    def _default_vpc(self, region: str) -> Json:
        for vpc in self.s["vpcs"].values():
            if vpc["region"] == region and vpc["default"]:
                return vpc  # type: ignore[no-any-return]
        raise unprocessable(f"no default VPC in region {region}")  # pragma: no cover - seeded

    def _allocate_private_ip(self, vpc: Json) -> str:
        network = ipaddress.ip_network(vpc["ip_range"])
        host = int(vpc.get("_next_host", 2))
        vpc["_next_host"] = host + 1
        return str(network.network_address + host)

    # ------------------------------------------------------------------ droplets

    def _droplet(self, droplet_id: int | str) -> Json:
        droplet = self.s["droplets"].get(str(droplet_id))
        if droplet is None:
            raise not_found()
        return droplet  # type: ignore[no-any-return]

    def _droplet_out(self, d: Json) -> Json:
        out = {k: v for k, v in d.items() if not k.startswith("_")}
        out["locked"] = d.get("_pending") is not None and d.get("_pending_type") != "create"
        out["created_at"] = iso(d["created_at"])
        out["size"] = deepcopy(catalogue.SIZES[d["size_slug"]])
        out["region"] = self._region(d["region"])
        out["image"] = self._image_out(d["image"])
        out["tags"] = list(d["tags"])
        out["features"] = list(d["features"])
        out["networks"] = deepcopy(d["networks"])
        return out

    def _resolve_region(self, body: Json, vpc: Json | None) -> str:
        region = body.get("region")
        if region is None:
            return vpc["region"] if vpc is not None else "nyc3"
        if not isinstance(region, str):
            raise unprocessable("You specified an invalid region for Droplet creation.")
        if region in catalogue.REGIONS:
            return region
        # A bare prefix ("nyc") picks any datacenter of that region, as DigitalOcean does.
        for slug in catalogue.REGIONS:
            if re.sub(r"\d+$", "", slug) == region:
                return slug
        raise unprocessable("You specified an invalid region for Droplet creation.")

    def create_droplets(self, body: Json) -> tuple[list[Json], list[Json]]:
        """Create one droplet (``name``) or several (``names``); returns (droplets, create actions)."""
        with self._tx():
            if "names" in body:
                names = body["names"]
                if not isinstance(names, list) or not names:
                    raise unprocessable("names must be a non-empty list of droplet names")
                if len(names) > MAX_MULTI_CREATE:
                    raise unprocessable(f"You may only create up to {MAX_MULTI_CREATE} Droplets at once.")
            elif "name" in body:
                names = [body["name"]]
            else:
                raise unprocessable("Name is required (name, or names to create several Droplets).")
            for name in names:
                if not isinstance(name, str) or len(name) > 255 or not DROPLET_NAME_RE.match(name):
                    raise unprocessable(
                        "Name Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)"
                    )
            vpc: Json | None = None
            vpc_uuid = body.get("vpc_uuid")
            if vpc_uuid is not None:
                vpc = self.s["vpcs"].get(str(vpc_uuid))
                if vpc is None:
                    raise unprocessable("The VPC you specified could not be found.")
            region = self._resolve_region(body, vpc)
            if vpc is not None and vpc["region"] != region:
                raise unprocessable("The VPC you specified is not in the Droplet's region.")
            size_slug = body.get("size")
            if not isinstance(size_slug, str) or size_slug not in catalogue.SIZES:
                raise unprocessable("You specified an invalid size for Droplet creation.")
            size = catalogue.SIZES[size_slug]
            if region not in size["regions"]:
                raise unprocessable(f"Size is not available in this region ({size_slug} in {region}).")
            image_ref = body.get("image")
            image = self._find_image(image_ref) if isinstance(image_ref, (str, int)) else None
            if image is None:
                raise unprocessable("You specified an invalid image for Droplet creation.")
            if image["type"] != "base" and region not in image["regions"]:
                raise unprocessable("The image you specified is not available in this region.")
            if (image.get("min_disk_size") or 0) > size["disk"]:
                raise unprocessable("The size you selected is too small for the image you specified.")
            tags = body.get("tags") or []
            if not isinstance(tags, list):
                raise unprocessable("tags must be a list of tag names")
            for flag in ("ipv6", "monitoring", "backups", "private_networking", "public_networking"):
                if flag in body and not isinstance(body[flag], bool):
                    raise unprocessable(f"{flag} must be a boolean")
            user_data = body.get("user_data")
            if user_data is not None and not isinstance(user_data, str):
                raise unprocessable("user_data must be a string")
            if user_data is not None and len(user_data.encode()) > 64 * 1024:
                raise unprocessable("user_data is limited to 64 KiB")
            tag_objs = [self._ensure_tag(t) for t in tags]
            if vpc is None:
                vpc = self._default_vpc(region)

            droplets, actions = [], []
            now = self.clock.now()
            for name in names:
                droplet_id = self._next_id("droplet")
                backups = bool(body.get("backups", False))
                features = ["private_networking"]
                if backups:
                    features.insert(0, "backups")
                if body.get("ipv6"):
                    features.append("ipv6")
                if body.get("monitoring"):
                    features.append("monitoring")
                if body.get("with_droplet_agent", True):
                    features.append("droplet_agent")
                droplet: Json = {
                    "id": droplet_id,
                    "name": name,
                    "memory": size["memory"],
                    "vcpus": size["vcpus"],
                    "disk": size["disk"],
                    "disk_info": [{"type": "local", "size": {"amount": size["disk"], "unit": "gib"}}],
                    "locked": False,
                    "status": "new",
                    "kernel": None,
                    "created_at": now,
                    "features": features,
                    "backup_ids": [],
                    "next_backup_window": None,
                    "snapshot_ids": [],
                    "image": image,
                    "volume_ids": [],
                    "size_slug": size_slug,
                    "networks": {"v4": [], "v6": []},
                    "region": region,
                    "tags": [],
                    "vpc_uuid": vpc["id"],
                    "_user_data": user_data,
                    "_ssh_keys": list(body.get("ssh_keys") or []),
                    "_public_networking": bool(body.get("public_networking", True)),
                    "_backup_policy": (
                        {**DEFAULT_BACKUP_POLICY, **(body.get("backup_policy") or {})} if backups else None
                    ),
                    "_pending": None,
                    "_pending_type": None,
                    "_deleting": False,
                }
                if backups:
                    droplet["next_backup_window"] = self._backup_window(now)
                self.s["droplets"][str(droplet_id)] = droplet
                for tag in tag_objs:
                    self._tag_droplet(droplet, tag)
                action = self._start_action(droplet, "create", self.config.droplet_create_s, {})
                droplets.append(droplet)
                actions.append(action)
            self._touch()
            self._settle()  # zero-length lifecycles complete within the same request
            return [self._droplet_out(d) for d in droplets], [self._action_out(a) for a in actions]

    def _backup_window(self, now: float) -> Json:
        start = (int(now // 86400) + 1) * 86400
        return {"start": iso(start), "end": iso(start + 4 * 3600)}

    def _assign_networks(self, droplet: Json) -> None:
        seq = self._next_id("ip")
        region = droplet["region"]
        v4: list[Json] = []
        vpc = self.s["vpcs"].get(droplet["vpc_uuid"]) or self._default_vpc(region)
        network = ipaddress.ip_network(vpc["ip_range"])
        v4.append(
            {
                "ip_address": self._allocate_private_ip(vpc),
                "netmask": str(network.netmask),
                "gateway": "<nil>",
                "type": "private",
            }
        )
        if droplet.get("_public_networking", True):
            prefix = catalogue.PUBLIC_V4_PREFIX[region]
            v4.insert(
                0,
                {
                    "ip_address": f"{prefix}.{16 + (seq // 250) % 200}.{2 + seq % 250}",
                    "netmask": "255.255.240.0",
                    "gateway": f"{prefix}.16.1",
                    "type": "public",
                },
            )
        droplet["networks"]["v4"] = v4
        if "ipv6" in droplet["features"]:
            self._assign_v6(droplet, seq)

    def _assign_v6(self, droplet: Json, seq: int | None = None) -> None:
        seq = self._next_id("ip") if seq is None else seq
        prefix = catalogue.PUBLIC_V6_PREFIX[droplet["region"]]
        droplet["networks"]["v6"] = [
            {
                "ip_address": f"{prefix}::{seq:x}:1",
                "netmask": 64,
                "gateway": f"{prefix}::1",
                "type": "public",
            }
        ]

    def get_droplet(self, droplet_id: int) -> Json:
        with self._tx():
            return self._droplet_out(self._droplet(droplet_id))

    def list_droplets(self, tag_name: str | None = None, name: str | None = None) -> list[Json]:
        with self._tx():
            droplets = list(self.s["droplets"].values())
            if tag_name is not None:
                key = tag_name.lower()
                droplets = [d for d in droplets if key in (t.lower() for t in d["tags"])]
            if name is not None:
                droplets = [d for d in droplets if d["name"] == name]
            return [self._droplet_out(d) for d in droplets]

    def delete_droplet(self, droplet_id: int) -> None:
        """Destroy a droplet: it stays readable for ``droplet_delete_s`` emulated seconds, then 404s."""
        with self._tx():
            self._delete_droplet(self._droplet(droplet_id))

    def _delete_droplet(self, droplet: Json) -> None:
        if droplet["_deleting"]:
            return
        droplet["_deleting"] = True
        self._touch()
        self._schedule(self.config.droplet_delete_s, "droplet_gone", str(droplet["id"]))

    def delete_droplets_by_tag(self, tag_name: str) -> None:
        with self._tx():
            key = tag_name.lower()
            for droplet in list(self.s["droplets"].values()):
                if key in (t.lower() for t in droplet["tags"]):
                    self._delete_droplet(droplet)

    def _on_droplet_gone(self, ref: str, due: float) -> None:
        droplet = self.s["droplets"].pop(ref, None)
        if droplet is None:
            return
        droplet_id = droplet["id"]
        for fw in self.s["firewalls"].values():
            if droplet_id in fw["droplet_ids"]:
                fw["droplet_ids"].remove(droplet_id)
        for action in self.s["actions"].values():
            if action["resource_id"] == droplet_id and action["status"] == "in-progress":
                action["status"] = "errored"
                action["completed_at"] = due

    # ------------------------------------------------------------------ actions

    def _action_out(self, a: Json) -> Json:
        out = {k: v for k, v in a.items() if not k.startswith("_")}
        out["started_at"] = iso(a["started_at"])
        out["completed_at"] = iso(a["completed_at"]) if a["completed_at"] is not None else None
        out["region"] = self._region(a["region_slug"]) if a["region_slug"] else None
        if out["region"] is None:
            del out["region"]
        return out

    def _start_action(self, droplet: Json, action_type: str, duration: float, params: Json) -> Json:
        action_id = self._next_id("action")
        outcome = self.faults.take_action_outcome(action_type) or "completed"
        action: Json = {
            "id": action_id,
            "status": "in-progress",
            "type": action_type,
            "started_at": self.clock.now(),
            "completed_at": None,
            "resource_id": droplet["id"],
            "resource_type": "droplet",
            "region_slug": droplet["region"],
            "_outcome": outcome,
            "_params": params,
        }
        self.s["actions"][str(action_id)] = action
        droplet["_pending"] = action_id
        droplet["_pending_type"] = action_type
        self._schedule(duration, "action", str(action_id))
        return action

    def _on_action(self, ref: str, due: float) -> None:
        action = self.s["actions"].get(ref)
        if action is None or action["status"] != "in-progress":
            return
        droplet = self.s["droplets"].get(str(action["resource_id"]))
        action["status"] = action["_outcome"]
        action["completed_at"] = due
        if droplet is None:
            return
        if droplet.get("_pending") == action["id"]:
            droplet["_pending"] = None
            droplet["_pending_type"] = None
        if action["_outcome"] == "completed":
            self._apply_action(droplet, action["type"], action["_params"], due)

    def _apply_action(self, d: Json, action_type: str, p: Json, at: float) -> None:
        if action_type == "create":
            d["status"] = "active"
            self._assign_networks(d)
        elif action_type in ("power_off", "shutdown"):
            d["status"] = "off"
        elif action_type in ("power_on", "reboot", "power_cycle", "rebuild", "restore"):
            d["status"] = "active"
            if action_type in ("rebuild", "restore") and p.get("image") is not None:
                image = self._find_image(p["image"])
                if image is not None:
                    d["image"] = image
        elif action_type == "rename":
            d["name"] = p["name"]
        elif action_type == "resize":
            size = catalogue.SIZES[p["size"]]
            d["size_slug"] = p["size"]
            d["memory"] = size["memory"]
            d["vcpus"] = size["vcpus"]
            if p.get("disk"):
                d["disk"] = size["disk"]
                d["disk_info"] = [{"type": "local", "size": {"amount": size["disk"], "unit": "gib"}}]
        elif action_type == "snapshot":
            image_id = self._next_id("image")
            self.s["images"][str(image_id)] = {
                "id": image_id,
                "name": p.get("name") or f"{d['name']}-{int(at)}",
                "distribution": d["image"].get("distribution", "Unknown"),
                "slug": None,
                "public": False,
                "regions": [d["region"]],
                "created_at": iso(at),
                "type": "snapshot",
                "min_disk_size": d["disk"],
                "size_gigabytes": round(min(d["disk"], 2.0 + d["disk"] * 0.05), 2),
                "description": "",
                "tags": [],
                "status": "available",
                "error_message": "",
                "_droplet_id": d["id"],
            }
            d["snapshot_ids"].append(image_id)
        elif action_type == "enable_backups":
            if "backups" not in d["features"]:
                d["features"].insert(0, "backups")
            d["_backup_policy"] = {**DEFAULT_BACKUP_POLICY, **(p.get("backup_policy") or {})}
            d["next_backup_window"] = self._backup_window(at)
        elif action_type == "disable_backups":
            d["features"] = [f for f in d["features"] if f != "backups"]
            d["_backup_policy"] = None
            d["next_backup_window"] = None
        elif action_type == "change_backup_policy":
            d["_backup_policy"] = {**(d.get("_backup_policy") or DEFAULT_BACKUP_POLICY), **p["backup_policy"]}
        elif action_type == "enable_ipv6":
            if "ipv6" not in d["features"]:
                d["features"].append("ipv6")
            if not d["networks"]["v6"]:
                self._assign_v6(d)

    def droplet_action(self, droplet_id: int, body: Json) -> Json:
        """Start a droplet action (``POST /v2/droplets/{id}/actions``)."""
        with self._tx():
            droplet = self._droplet(droplet_id)
            action_type = body.get("type")
            if action_type not in DROPLET_ACTION_TYPES:
                raise unprocessable(f"{action_type!r} is not a valid droplet action type")
            if droplet["_deleting"]:
                raise not_found()
            if droplet.get("_pending") is not None:
                raise unprocessable("Droplet already has a pending event.")
            params = self._validate_action(droplet, action_type, body)
            duration = self.config.action_duration(action_type)
            action = self._start_action(droplet, action_type, duration, params)
            self._touch()
            self._settle()
            return self._action_out(action)

    def _validate_action(self, d: Json, action_type: str, body: Json) -> Json:
        if action_type == "rename":
            name = body.get("name")
            if not isinstance(name, str) or len(name) > 255 or not DROPLET_NAME_RE.match(name):
                raise unprocessable(
                    "Name Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)"
                )
            return {"name": name}
        if action_type == "resize":
            size_slug = body.get("size")
            if not isinstance(size_slug, str) or size_slug not in catalogue.SIZES:
                raise unprocessable("You specified an invalid size for Droplet resize.")
            disk = body.get("disk", False)
            if not isinstance(disk, bool):
                raise unprocessable("disk must be a boolean")
            if d["status"] != "off":
                raise unprocessable("Droplet must be powered off before it can be resized.")
            size = catalogue.SIZES[size_slug]
            if d["region"] not in size["regions"]:
                raise unprocessable("Size is not available in this region.")
            if size["disk"] < d["disk"]:
                raise unprocessable(
                    f"This size is not available because it has a smaller disk "
                    f"({size['disk']} GB) than the Droplet ({d['disk']} GB)."
                )
            if size_slug == d["size_slug"]:
                raise unprocessable("Droplet is already this size.")
            return {"size": size_slug, "disk": disk}
        if action_type == "snapshot":
            name = body.get("name")
            if name is not None and not isinstance(name, str):
                raise unprocessable("name must be a string")
            return {"name": name}
        if action_type in ("rebuild", "restore"):
            image = body.get("image")
            if not isinstance(image, (str, int)) or self._find_image(image) is None:
                raise unprocessable(f"You specified an invalid image for Droplet {action_type}.")
            return {"image": image}
        if action_type == "change_kernel":
            if not isinstance(body.get("kernel"), int):
                raise unprocessable("kernel must be a kernel id")
            return {"kernel": body["kernel"]}
        if action_type in ("enable_backups", "change_backup_policy"):
            policy = body.get("backup_policy")
            if action_type == "change_backup_policy" and not isinstance(policy, dict):
                raise unprocessable("backup_policy is required")
            if policy is not None:
                self._check_backup_policy(policy)
            return {"backup_policy": policy}
        if action_type == "enable_ipv6" and "ipv6" in d["features"]:
            return {}
        return {}

    def droplet_actions_by_tag(self, tag_name: str, body: Json) -> list[Json]:
        """``POST /v2/droplets/actions?tag_name=``: one action per droplet carrying the tag. All or nothing:
        a droplet with a pending event refuses the whole request."""
        with self._tx():
            action_type = body.get("type")
            if action_type not in TAG_ACTION_TYPES:
                raise unprocessable(
                    f"{action_type!r} can not be applied by tag; one of: {', '.join(TAG_ACTION_TYPES)}"
                )
            key = tag_name.lower()
            droplets = [
                d
                for d in self.s["droplets"].values()
                if not d["_deleting"] and key in (t.lower() for t in d["tags"])
            ]
            for droplet in droplets:
                if droplet.get("_pending") is not None:
                    raise unprocessable(f"Droplet {droplet['id']} already has a pending event.")
            params = [self._validate_action(d, action_type, body) for d in droplets]
            duration = self.config.action_duration(action_type)
            actions = [
                self._start_action(d, action_type, duration, p) for d, p in zip(droplets, params, strict=True)
            ]
            self._touch()
            out = [self._action_out(a) for a in actions]
            self._settle()
            return out

    def droplet_backups(self, droplet_id: int) -> list[Json]:
        with self._tx():
            droplet = self._droplet(droplet_id)
            backups = [self.s["images"][str(i)] for i in droplet["backup_ids"] if str(i) in self.s["images"]]
            return [
                {
                    "id": b["id"],
                    "name": b["name"],
                    "created_at": b["created_at"],
                    "regions": list(b["regions"]),
                    "min_disk_size": b["min_disk_size"],
                    "size_gigabytes": b["size_gigabytes"],
                    "type": "backup",
                }
                for b in backups
            ]

    def droplet_kernels(self, droplet_id: int) -> list[Json]:
        with self._tx():
            self._droplet(droplet_id)
            return deepcopy(catalogue.KERNELS)

    def _backup_policy_record(self, d: Json) -> Json:
        enabled = "backups" in d["features"]
        record: Json = {"droplet_id": d["id"], "backup_enabled": enabled}
        if enabled:
            record["backup_policy"] = deepcopy(d.get("_backup_policy") or DEFAULT_BACKUP_POLICY)
            if d.get("next_backup_window"):
                record["next_backup_window"] = deepcopy(d["next_backup_window"])
        return record

    def droplet_backup_policy(self, droplet_id: int) -> Json:
        with self._tx():
            return self._backup_policy_record(self._droplet(droplet_id))

    def droplet_backup_policies(self) -> list[Json]:
        with self._tx():
            return [self._backup_policy_record(d) for d in self.s["droplets"].values()]

    def update_image(self, ref: str, body: Json) -> Json:
        """``PUT /v2/images/{id}``: rename or describe one of the account's own images."""
        with self._tx():
            image = self.s["images"].get(str(ref))
            if image is None:
                if self._find_image(ref) is not None:
                    raise forbidden("You can only update your own images.")
                raise not_found()
            for key in ("name", "description", "distribution"):
                if key in body:
                    if not isinstance(body[key], str):
                        raise unprocessable(f"{key} must be a string")
                    image[key] = body[key]
            self._touch()
            return self._image_out(image)

    def delete_image(self, ref: str) -> None:
        with self._tx():
            if str(ref) not in self.s["images"]:
                if self._find_image(ref) is not None:
                    raise forbidden("You can only delete your own images.")
                raise not_found()
        self.delete_snapshot(str(ref))

    def _check_backup_policy(self, policy: Any) -> None:
        if not isinstance(policy, dict):
            raise unprocessable("backup_policy must be an object")
        if policy.get("plan", "weekly") not in ("daily", "weekly"):
            raise unprocessable("backup_policy.plan must be daily or weekly")
        if policy.get("weekday", "SUN") not in ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"):
            raise unprocessable("backup_policy.weekday is not a weekday")
        if policy.get("hour", 0) not in (0, 4, 8, 12, 16, 20):
            raise unprocessable("backup_policy.hour must be one of 0, 4, 8, 12, 16, 20")

    def get_action(self, action_id: int, droplet_id: int | None = None) -> Json:
        with self._tx():
            action = self.s["actions"].get(str(action_id))
            if action is None or (droplet_id is not None and action["resource_id"] != droplet_id):
                raise not_found()
            return self._action_out(action)

    def list_actions(self, droplet_id: int | None = None) -> list[Json]:
        with self._tx():
            if droplet_id is not None:
                self._droplet(droplet_id)
            actions = [
                a for a in self.s["actions"].values() if droplet_id is None or a["resource_id"] == droplet_id
            ]
            # DigitalOcean lists the newest actions first.
            return [self._action_out(a) for a in sorted(actions, key=lambda a: -a["id"])]

    # ------------------------------------------------------------------ VPCs

    def _vpc(self, vpc_id: str) -> Json:
        vpc = self.s["vpcs"].get(str(vpc_id))
        if vpc is None:
            raise not_found()
        return vpc  # type: ignore[no-any-return]

    def _check_vpc_name(self, name: Any, exclude: str | None = None) -> str:
        if not isinstance(name, str) or not name or len(name) > 255 or not VPC_NAME_RE.match(name):
            raise unprocessable("name must be letters, numbers, dashes and dots")
        for vpc in self.s["vpcs"].values():
            if vpc["name"] == name and vpc["id"] != exclude:
                raise unprocessable(f"A VPC with the name {name!r} already exists.")
        return name

    def _free_ip_range(self) -> str:
        taken = [ipaddress.ip_network(v["ip_range"]) for v in self.s["vpcs"].values()]
        for second in range(128, 256):
            for third in range(0, 256, 16):
                candidate = ipaddress.ip_network(f"10.{second}.{third}.0/20")
                if not any(candidate.overlaps(t) for t in taken):
                    return str(candidate)
        raise unprocessable("no free ip_range left")  # pragma: no cover

    def create_vpc(self, body: Json) -> Json:
        with self._tx():
            name = self._check_vpc_name(body.get("name"))
            region = body.get("region")
            if region not in catalogue.REGIONS:
                raise unprocessable("You specified an invalid region for the VPC.")
            description = body.get("description", "")
            if not isinstance(description, str) or len(description) > 255:
                raise unprocessable("description must be a string of at most 255 characters")
            ip_range = body.get("ip_range")
            if ip_range is None:
                ip_range = self._free_ip_range()
            else:
                try:
                    network = ipaddress.ip_network(str(ip_range))
                except ValueError as exc:
                    raise unprocessable(f"ip_range {ip_range!r} is not a valid CIDR block") from exc
                if network.version != 4 or not network.is_private or not 16 <= network.prefixlen <= 24:
                    raise unprocessable("ip_range must be a private IPv4 block between /16 and /24")
                for other in self.s["vpcs"].values():
                    if network.overlaps(ipaddress.ip_network(other["ip_range"])):
                        raise unprocessable(f"ip_range {ip_range} overlaps the VPC {other['name']}.")
                ip_range = str(network)
            vpc_id = str(uuid.uuid4())
            self.s["vpcs"][vpc_id] = {
                "id": vpc_id,
                "urn": f"do:vpc:{vpc_id}",
                "name": name,
                "description": description,
                "region": region,
                "ip_range": ip_range,
                "default": False,
                "created_at": iso(self.clock.now()),
                "_next_host": 2,
            }
            self._touch()
            return _public(self.s["vpcs"][vpc_id])

    def list_vpcs(self) -> list[Json]:
        with self._tx():
            return [_public(v) for v in self.s["vpcs"].values()]

    def get_vpc(self, vpc_id: str) -> Json:
        with self._tx():
            return _public(self._vpc(vpc_id))

    def update_vpc(self, vpc_id: str, body: Json, partial: bool) -> Json:
        with self._tx():
            vpc = self._vpc(vpc_id)
            if not partial and "name" not in body:
                raise unprocessable("name is required")
            if "name" in body:
                name = self._check_vpc_name(body["name"], exclude=vpc["id"])
            if "description" in body and not isinstance(body["description"], str):
                raise unprocessable("description must be a string")
            if "default" in body and not isinstance(body["default"], bool):
                raise unprocessable("default must be a boolean")
            if body.get("default") is False and vpc["default"]:
                raise unprocessable("A region must keep a default VPC: make another VPC the default instead.")
            if "name" in body:
                vpc["name"] = name
            if "description" in body:
                vpc["description"] = body["description"]
            if body.get("default") is True:
                for other in self.s["vpcs"].values():
                    if other["region"] == vpc["region"]:
                        other["default"] = False
                vpc["default"] = True
            self._touch()
            return _public(vpc)

    def vpc_members(self, vpc_id: str, resource_type: str | None = None) -> list[Json]:
        with self._tx():
            vpc = self._vpc(vpc_id)
            if resource_type not in (None, "droplet"):
                return []
            return [
                {"urn": f"do:droplet:{d['id']}", "name": d["name"], "created_at": iso(d["created_at"])}
                for d in self.s["droplets"].values()
                if d["vpc_uuid"] == vpc["id"]
            ]

    def delete_vpc(self, vpc_id: str) -> None:
        with self._tx():
            vpc = self._vpc(vpc_id)
            if vpc["default"]:
                raise forbidden("Can not delete the default VPC of a region.")
            if any(d["vpc_uuid"] == vpc["id"] for d in self.s["droplets"].values()):
                raise forbidden("Can not delete a VPC with members.")
            if any(vpc["id"] in p["vpc_ids"] for p in self.s["peerings"].values()):
                raise forbidden("Can not delete a VPC with VPC peerings.")
            del self.s["vpcs"][vpc["id"]]
            self._touch()

    # ------------------------------------------------------------------ VPC peerings

    def _peering(self, peering_id: str) -> Json:
        peering = self.s["peerings"].get(str(peering_id))
        if peering is None:
            raise not_found()
        return peering  # type: ignore[no-any-return]

    def _check_peering_name(self, name: Any, exclude: str | None = None) -> str:
        valid = isinstance(name, str) and 0 < len(name) <= 255 and re.match(r"^[a-zA-Z0-9\-]+$", name)
        if not valid:
            raise unprocessable("name must be letters, numbers and dashes")
        for peering in self.s["peerings"].values():
            if peering["name"] == name and peering["id"] != exclude:
                raise unprocessable(f"A VPC peering with the name {name!r} already exists.")
        return str(name)

    def create_vpc_peering(self, body: Json) -> Json:
        with self._tx():
            name = self._check_peering_name(body.get("name"))
            vpc_ids: Any = body.get("vpc_ids")
            two = isinstance(vpc_ids, list) and len(vpc_ids) == 2
            if not two or not all(isinstance(v, str) for v in vpc_ids):
                raise unprocessable("vpc_ids must list exactly two VPC ids")
            if vpc_ids[0] == vpc_ids[1]:
                raise unprocessable("A VPC can not be peered with itself.")
            vpcs = []
            for vpc_id in vpc_ids:
                vpc = self.s["vpcs"].get(vpc_id)
                if vpc is None:
                    raise unprocessable(f"VPC {vpc_id} could not be found.")
                vpcs.append(vpc)
            if ipaddress.ip_network(vpcs[0]["ip_range"]).overlaps(ipaddress.ip_network(vpcs[1]["ip_range"])):
                raise unprocessable("The VPCs' ip ranges overlap.")
            for peering in self.s["peerings"].values():
                if set(peering["vpc_ids"]) == set(vpc_ids):
                    raise unprocessable("These VPCs are already peered.")
            peering_id = str(uuid.uuid4())
            peering = self.s["peerings"][peering_id] = {
                "id": peering_id,
                "name": name,
                "vpc_ids": list(vpc_ids),
                "created_at": iso(self.clock.now()),
                "status": "PROVISIONING",
            }
            self._schedule(self.config.vpc_peering_create_s, "peering_active", peering_id)
            self._settle()
            return dict(peering)

    def create_vpc_peering_from(self, vpc_id: str, body: Json) -> Json:
        """``POST /v2/vpcs/{vpc_id}/peerings``: peer ``vpc_id`` with ``body["vpc_id"]``."""
        with self._tx():
            self._vpc(vpc_id)
        return self.create_vpc_peering({"name": body.get("name"), "vpc_ids": [vpc_id, body.get("vpc_id")]})

    def rename_vpc_peering_of(self, vpc_id: str, peering_id: str, body: Json) -> Json:
        """``PATCH /v2/vpcs/{vpc_id}/peerings/{id}``: only a peering of that VPC."""
        with self._tx():
            if vpc_id not in self._peering(peering_id)["vpc_ids"]:
                raise not_found()
        return self.rename_vpc_peering(peering_id, body)

    def _on_peering_active(self, ref: str, due: float) -> None:
        peering = self.s["peerings"].get(ref)
        if peering is not None and peering["status"] == "PROVISIONING":
            peering["status"] = "ACTIVE"

    def _on_peering_gone(self, ref: str, due: float) -> None:
        self.s["peerings"].pop(ref, None)

    def list_vpc_peerings(self, vpc_id: str | None = None) -> list[Json]:
        with self._tx():
            if vpc_id is not None:
                self._vpc(vpc_id)
            return [dict(p) for p in self.s["peerings"].values() if vpc_id is None or vpc_id in p["vpc_ids"]]

    def get_vpc_peering(self, peering_id: str) -> Json:
        with self._tx():
            return dict(self._peering(peering_id))

    def rename_vpc_peering(self, peering_id: str, body: Json) -> Json:
        with self._tx():
            peering = self._peering(peering_id)
            peering["name"] = self._check_peering_name(body.get("name"), exclude=peering["id"])
            self._touch()
            return dict(peering)

    def delete_vpc_peering(self, peering_id: str) -> Json:
        with self._tx():
            peering = self._peering(peering_id)
            if peering["status"] != "DELETING":
                peering["status"] = "DELETING"
                self._schedule(self.config.vpc_peering_delete_s, "peering_gone", peering["id"])
            out = dict(peering)
            self._settle()
            return out

    # ------------------------------------------------------------------ firewalls

    def _firewall(self, firewall_id: str) -> Json:
        fw = self.s["firewalls"].get(str(firewall_id))
        if fw is None:
            raise not_found()
        return fw  # type: ignore[no-any-return]

    def _check_droplet_ids(self, ids: Any) -> list[int]:
        if ids is None:
            return []
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise unprocessable("droplet_ids must be a list of integers")
        missing = [i for i in ids if str(i) not in self.s["droplets"]]
        if missing:
            raise unprocessable(f"droplet_ids: Droplet(s) {', '.join(map(str, missing))} could not be found.")
        return list(dict.fromkeys(ids))

    def _check_fw_tags(self, tags: Any) -> list[str]:
        if tags is None:
            return []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise unprocessable("tags must be a list of tag names")
        return [self._ensure_tag(t)["name"] for t in tags]

    def _check_rules(self, rules: Any, direction: str) -> list[Json]:
        if rules is None:
            return []
        side = "sources" if direction == "inbound" else "destinations"
        if not isinstance(rules, list):
            raise unprocessable(f"{direction}_rules must be a list")
        out = []
        for rule in rules:
            if not isinstance(rule, dict):
                raise unprocessable(f"{direction}_rules entries must be objects")
            protocol = rule.get("protocol")
            if protocol not in ("tcp", "udp", "icmp"):
                raise unprocessable(f"{direction}_rules: protocol must be tcp, udp or icmp")
            ports = rule.get("ports", "0" if protocol == "icmp" else None)
            if protocol != "icmp":
                if not isinstance(ports, str) or not re.match(r"^(all|0|\d{1,5}(-\d{1,5})?)$", ports):
                    raise unprocessable(
                        f"{direction}_rules: ports must be a port, a range like 8000-9000, or all"
                    )
                for bound in re.findall(r"\d+", ports):
                    if int(bound) > 65535:
                        raise unprocessable(f"{direction}_rules: port {bound} is out of range")
                if ports == "all":
                    ports = "0"
            target = rule.get(side)
            if not isinstance(target, dict):
                raise unprocessable(f"{direction}_rules: {side} is required")
            keys = ("addresses", "droplet_ids", "load_balancer_uids", "kubernetes_ids", "tags")
            if not any(target.get(k) for k in keys):
                raise unprocessable(
                    f"{direction}_rules: {side} must name at least one address, droplet or tag"
                )
            clean: Json = {}
            for key in keys:
                if target.get(key):
                    value = target[key]
                    if not isinstance(value, list):
                        raise unprocessable(f"{direction}_rules: {side}.{key} must be a list")
                    if key == "addresses":
                        for address in value:
                            try:
                                ipaddress.ip_network(str(address), strict=False)
                            except ValueError as exc:
                                raise unprocessable(f"{address!r} is not a valid address or CIDR") from exc
                    if key == "droplet_ids":
                        value = self._check_droplet_ids(value)
                    if key == "tags":
                        value = self._check_fw_tags(value)
                    clean[key] = list(value)
            out.append({"protocol": protocol, "ports": str(ports), side: clean})
        return out

    def _firewall_droplets(self, fw: Json) -> list[int]:
        tagged = {
            d["id"]
            for d in self.s["droplets"].values()
            if {t.lower() for t in d["tags"]} & {t.lower() for t in fw["tags"]}
        }
        return sorted(set(fw["droplet_ids"]) | tagged)

    def _firewall_changed(self, fw: Json, removed: list[int] | None = None) -> None:
        fw["status"] = "waiting"
        fw["_pending"] = [
            {"droplet_id": i, "removing": False, "status": "waiting"} for i in self._firewall_droplets(fw)
        ] + [{"droplet_id": i, "removing": True, "status": "waiting"} for i in removed or []]
        self._schedule(self.config.firewall_settle_s, "firewall_settle", fw["id"])

    def _on_firewall_settle(self, ref: str, due: float) -> None:
        fw = self.s["firewalls"].get(ref)
        if fw is None:
            return
        # Only the latest change settles the firewall.
        if any(e[2] == "firewall_settle" and e[3] == ref for e in self.s["events"]):
            return
        fw["status"] = "succeeded"
        fw["_pending"] = []

    def _firewall_out(self, fw: Json) -> Json:
        out = _public(fw)
        out["pending_changes"] = deepcopy(fw["_pending"])
        out["droplet_ids"] = list(fw["droplet_ids"])
        out["tags"] = list(fw["tags"])
        return out

    def _firewall_body(self, body: Json, exclude: str | None = None) -> Json:
        name = body.get("name")
        pattern = r"^[a-zA-Z0-9][a-zA-Z0-9.\-]+$"
        if not isinstance(name, str) or len(name) > 255 or not re.match(pattern, name):
            raise unprocessable("name must start with a letter or number and use letters, numbers, . and -")
        inbound = self._check_rules(body.get("inbound_rules"), "inbound")
        outbound = self._check_rules(body.get("outbound_rules"), "outbound")
        if not inbound and not outbound:
            raise unprocessable("At least one inbound or outbound rule is required.")
        return {
            "name": name,
            "inbound_rules": inbound,
            "outbound_rules": outbound,
            "droplet_ids": self._check_droplet_ids(body.get("droplet_ids")),
            "tags": self._check_fw_tags(body.get("tags")),
        }

    def create_firewall(self, body: Json) -> Json:
        with self._tx():
            fields = self._firewall_body(body)
            fw_id = str(uuid.uuid4())
            fw: Json = {"id": fw_id, "status": "waiting", "created_at": iso(self.clock.now()), **fields}
            fw["_pending"] = []
            self.s["firewalls"][fw_id] = fw
            self._firewall_changed(fw)
            self._settle()
            return self._firewall_out(fw)

    def list_firewalls(self, droplet_id: int | None = None) -> list[Json]:
        with self._tx():
            if droplet_id is not None:
                self._droplet(droplet_id)
            return [
                self._firewall_out(f)
                for f in self.s["firewalls"].values()
                if droplet_id is None or droplet_id in self._firewall_droplets(f)
            ]

    def get_firewall(self, firewall_id: str) -> Json:
        with self._tx():
            return self._firewall_out(self._firewall(firewall_id))

    def replace_firewall(self, firewall_id: str, body: Json) -> Json:
        with self._tx():
            fw = self._firewall(firewall_id)
            before = set(self._firewall_droplets(fw))
            fw.update(self._firewall_body(body))
            self._firewall_changed(fw, sorted(before - set(self._firewall_droplets(fw))))
            self._settle()
            return self._firewall_out(fw)

    def delete_firewall(self, firewall_id: str) -> None:
        with self._tx():
            self._firewall(firewall_id)
            del self.s["firewalls"][str(firewall_id)]
            self._touch()

    def firewall_droplets(self, firewall_id: str, droplet_ids: Any, add: bool) -> None:
        with self._tx():
            fw = self._firewall(firewall_id)
            if not isinstance(droplet_ids, list) or not droplet_ids:
                raise bad_request("droplet_ids is required")
            ids = self._check_droplet_ids(droplet_ids)
            before = set(self._firewall_droplets(fw))
            if add:
                fw["droplet_ids"] = list(dict.fromkeys(fw["droplet_ids"] + ids))
            else:
                fw["droplet_ids"] = [i for i in fw["droplet_ids"] if i not in ids]
            self._firewall_changed(fw, sorted(before - set(self._firewall_droplets(fw))))

    def firewall_tags(self, firewall_id: str, tags: Any, add: bool) -> None:
        with self._tx():
            fw = self._firewall(firewall_id)
            if not isinstance(tags, list) or not tags:
                raise bad_request("tags is required")
            before = set(self._firewall_droplets(fw))
            if add:
                names = self._check_fw_tags(tags)
                current = {t.lower() for t in fw["tags"]}
                fw["tags"] = fw["tags"] + [t for t in names if t.lower() not in current]
            else:
                drop = {str(t).lower() for t in tags}
                fw["tags"] = [t for t in fw["tags"] if t.lower() not in drop]
            self._firewall_changed(fw, sorted(before - set(self._firewall_droplets(fw))))

    def firewall_rules(self, firewall_id: str, body: Json, add: bool) -> None:
        with self._tx():
            fw = self._firewall(firewall_id)
            inbound = self._check_rules(body.get("inbound_rules"), "inbound")
            outbound = self._check_rules(body.get("outbound_rules"), "outbound")
            if not inbound and not outbound:
                raise bad_request("inbound_rules or outbound_rules is required")
            if add:
                fw["inbound_rules"] += [r for r in inbound if r not in fw["inbound_rules"]]
                fw["outbound_rules"] += [r for r in outbound if r not in fw["outbound_rules"]]
            else:
                fw["inbound_rules"] = [r for r in fw["inbound_rules"] if r not in inbound]
                fw["outbound_rules"] = [r for r in fw["outbound_rules"] if r not in outbound]
            self._firewall_changed(fw)

    # ------------------------------------------------------------------ SSH keys

    def _ssh_keys(self) -> Json:
        # setdefault: state files written before SSH keys were emulated still load.
        keys: Json = self.s.setdefault("ssh_keys", {})
        return keys

    def _ssh_key(self, ref: str) -> Json:
        keys = self._ssh_keys()
        key = keys.get(str(ref))
        if key is None:
            key = next((k for k in keys.values() if k["fingerprint"] == ref), None)
        if key is None:
            raise not_found()
        return key  # type: ignore[no-any-return]

    @staticmethod
    def _ssh_key_name(name: Any) -> str:
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise unprocessable("name is required: a human-readable display name")
        return name

    def create_ssh_key(self, body: Json) -> Json:
        with self._tx():
            name = self._ssh_key_name(body.get("name"))
            public_key = body.get("public_key")
            parts = public_key.split() if isinstance(public_key, str) else []
            try:
                blob = base64.b64decode(parts[1], validate=True) if len(parts) >= 2 else b""
            except ValueError:
                blob = b""
            if not blob or not parts[0].startswith(("ssh-", "ecdsa-", "sk-")):
                raise unprocessable("Key invalid, key should be of the form `type key [comment]`")
            digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
            fingerprint = ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
            if any(k["fingerprint"] == fingerprint for k in self._ssh_keys().values()):
                raise unprocessable("SSH Key is already in use on your account")
            key_id = self._next_id("ssh_key") + 512189
            key = {"id": key_id, "fingerprint": fingerprint, "public_key": public_key, "name": name}
            self._ssh_keys()[str(key_id)] = key
            self._touch()
            return dict(key)

    def list_ssh_keys(self) -> list[Json]:
        with self._tx():
            return [dict(k) for k in self._ssh_keys().values()]

    def get_ssh_key(self, ref: str) -> Json:
        with self._tx():
            return dict(self._ssh_key(ref))

    def update_ssh_key(self, ref: str, body: Json) -> Json:
        with self._tx():
            key = self._ssh_key(ref)
            key["name"] = self._ssh_key_name(body.get("name"))
            self._touch()
            return dict(key)

    def delete_ssh_key(self, ref: str) -> None:
        with self._tx():
            key = self._ssh_key(ref)
            del self._ssh_keys()[str(key["id"])]
            self._touch()

    # ------------------------------------------------------------------ container registries

    def _tier(self, slug: str) -> Json:
        for tier in catalogue.REGISTRY_TIERS:
            if tier["slug"] == slug:
                return tier
        raise unprocessable(f"tier_slug must be one of {', '.join(REGISTRY_TIER_SLUGS)}")

    @staticmethod
    def _tier_out(tier: Json) -> Json:
        return {k: v for k, v in tier.items() if k != "max_registries"}

    def _registry(self, name: str) -> Json:
        registry = self.s["registries"].get(str(name))
        if registry is None:
            raise not_found()
        return registry  # type: ignore[no-any-return]

    def _only_registry(self) -> Json:
        """The account's one registry, for the legacy ``/v2/registry`` paths that do not name it."""
        registries = list(self.s["registries"].values())
        if len(registries) > 1:
            raise precondition_failed(LEGACY_REGISTRY_MESSAGE)
        if not registries:
            raise not_found()
        return registries[0]  # type: ignore[no-any-return]

    @staticmethod
    def _storage(registry: Json) -> int:
        return sum(int(size) for size in registry["_blobs"].values())

    def _usage(self) -> tuple[int, int]:
        """Account-wide (repositories, stored bytes): what subscription tiers are measured against."""
        registries = self.s["registries"].values()
        return sum(len(r["_repos"]) for r in registries), sum(self._storage(r) for r in registries)

    def _ineligibility(self, tier: Json, extra_registries: int = 0) -> list[str]:
        repositories, storage = self._usage()
        reasons = []
        if tier["included_repositories"] and repositories > tier["included_repositories"]:
            reasons.append("OverRepositoryLimit")
        if not tier["allow_storage_overage"] and storage > tier["included_storage_bytes"]:
            reasons.append("OverStorageLimit")
        if len(self.s["registries"]) + extra_registries > tier["max_registries"]:
            reasons.append("OverRegistryLimit")
        return reasons

    def _subscription_out(self) -> Json:
        sub = self.s["subscription"]
        if sub is None:
            raise not_found("You have no container registry subscription: create a registry first.")
        return {
            "tier": self._tier_out(self._tier(sub["tier_slug"])),
            "created_at": iso(sub["created_at"]),
            "updated_at": iso(sub["updated_at"]),
        }

    def _set_tier(self, slug: Any, extra_registries: int = 0) -> None:
        if not isinstance(slug, str):
            raise unprocessable(f"tier_slug must be one of {', '.join(REGISTRY_TIER_SLUGS)}")
        tier = self._tier(slug)
        reasons = self._ineligibility(tier, extra_registries)
        if reasons:
            raise precondition_failed(f"registry is not eligible for tier because: [{', '.join(reasons)}]")
        now = self.clock.now()
        sub = self.s["subscription"]
        if sub is None:
            self.s["subscription"] = {"tier_slug": slug, "created_at": now, "updated_at": now}
        elif sub["tier_slug"] != slug:
            sub["tier_slug"] = slug
            sub["updated_at"] = now
        self._touch()

    def _registry_out(self, registry: Json, with_subscription: bool = False) -> Json:
        out: Json = {
            "name": registry["name"],
            "created_at": iso(registry["created_at"]),
            "region": registry["region"],
            "storage_usage_bytes": self._storage(registry),
            "storage_usage_bytes_updated_at": iso(registry["_usage_updated_at"]),
        }
        if with_subscription and self.s["subscription"] is not None:
            out["subscription"] = self._subscription_out()
        return out

    def _check_registry_name(self, name: Any) -> str:
        if not isinstance(name, str) or not REGISTRY_NAME_RE.match(name):
            raise unprocessable("name must be 1-63 characters: lowercase letters, numbers and dashes")
        return name

    def create_registry(self, body: Json, legacy: bool = False) -> Json:
        """``POST /v2/registries`` (and the legacy ``POST /v2/registry``): sets the subscription tier when
        ``subscription_tier_slug`` is given, else uses the account's existing subscription."""
        with self._tx():
            name = self._check_registry_name(body.get("name"))
            region = body.get("region", catalogue.REGISTRY_REGIONS[0])
            if region not in catalogue.REGISTRY_REGIONS:
                raise unprocessable(f"region must be one of {', '.join(catalogue.REGISTRY_REGIONS)}")
            if name in self.s["registries"]:
                raise conflict(f"A registry named {name!r} already exists.")
            slug = body.get("subscription_tier_slug")
            if slug is None:
                if self.s["subscription"] is None:
                    raise unprocessable("subscription_tier_slug is required: the account has no subscription")
                slug = self.s["subscription"]["tier_slug"]
            self._set_tier(slug, extra_registries=1)
            now = self.clock.now()
            registry = self.s["registries"][name] = {
                "name": name,
                "region": region,
                "created_at": now,
                "_usage_updated_at": now,
                "_repos": {},
                "_blobs": {},
            }
            self._touch()
            return self._registry_out(registry, with_subscription=legacy)

    def list_registries(self) -> list[Json]:
        with self._tx():
            return [self._registry_out(r) for r in self.s["registries"].values()]

    def get_registry(self, name: str | None = None) -> Json:
        """A registry by name, or (``name=None``) the account's only one, with its subscription."""
        with self._tx():
            if name is None:
                return self._registry_out(self._only_registry(), with_subscription=True)
            return self._registry_out(self._registry(name))

    def delete_registry(self, name: str | None = None) -> None:
        with self._tx():
            registry = self._only_registry() if name is None else self._registry(name)
            del self.s["registries"][registry["name"]]
            for gc_id in [g for g, gc in self.s["gcs"].items() if gc["registry_name"] == registry["name"]]:
                del self.s["gcs"][gc_id]
            self._touch()

    def validate_registry_name(self, name: Any) -> None:
        with self._tx():
            if self._check_registry_name(name) in self.s["registries"]:
                raise conflict(f"The registry name {name!r} is already in use.")

    def docker_credentials(self, name: str | None, read_write: bool, expiry_s: int | None) -> Json:
        with self._tx():
            registry = self._only_registry() if name is None else self._registry(name)
            scope = "rw" if read_write else "ro"
            expires = f":{int(self.clock.now()) + expiry_s}" if expiry_s else ""
            user = f"emulator-{registry['name']}-{scope}{expires}"
            auth = base64.b64encode(f"{user}:{user}".encode()).decode()
            return {"auths": {REGISTRY_HOST: {"auth": auth}}}

    def get_subscription(self) -> Json:
        with self._tx():
            return self._subscription_out()

    def update_subscription(self, body: Json) -> Json:
        with self._tx():
            slug = body.get("tier_slug")
            self._set_tier(slug)
            return self._subscription_out()

    def registry_options(self) -> Json:
        with self._tx():
            tiers = []
            for tier in catalogue.REGISTRY_TIERS:
                reasons = self._ineligibility(tier)
                tiers.append(
                    {
                        **self._tier_out(tier),
                        "eligible": not reasons,
                        # The spec's enum knows the two usage reasons only; the registry count still makes
                        # a tier ineligible (changing to it answers 412 OverRegistryLimit).
                        "eligibility_reasons": [r for r in reasons if r in ELIGIBILITY_REASONS],
                    }
                )
            return {"available_regions": list(catalogue.REGISTRY_REGIONS), "subscription_tiers": tiers}

    # ---------------------------------------------------- repositories, manifests and tags

    def _repo(self, registry: Json, repository: str) -> Json:
        repo = registry["_repos"].get(repository)
        if repo is None:
            raise not_found()
        return repo  # type: ignore[no-any-return]

    def _manifest_out(self, registry: Json, repository: str, m: Json) -> Json:
        return {
            "registry_name": registry["name"],
            "repository": repository,
            "digest": m["digest"],
            "compressed_size_bytes": m["compressed_size_bytes"],
            "size_bytes": m["size_bytes"],
            "updated_at": iso(m["updated_at"]),
            "tags": list(m["tags"]),
            "blobs": deepcopy(m["blobs"]),
        }

    def _tags_of(self, registry: Json, repository: str) -> list[Json]:
        repo = self._repo(registry, repository)
        tags = [
            {
                "registry_name": registry["name"],
                "repository": repository,
                "tag": tag,
                "manifest_digest": m["digest"],
                "compressed_size_bytes": m["compressed_size_bytes"],
                "size_bytes": m["size_bytes"],
                "updated_at": iso(m["updated_at"]),
                "_seq": m["_seq"],
            }
            for m in repo["manifests"].values()
            for tag in m["tags"]
        ]
        tags.sort(key=lambda t: -t["_seq"])
        return [_public(t) for t in tags]

    def _manifests_of(self, registry: Json, repository: str) -> list[Json]:
        repo = self._repo(registry, repository)
        manifests = sorted(repo["manifests"].values(), key=lambda m: -m["_seq"])
        return [self._manifest_out(registry, repository, m) for m in manifests]

    def list_repositories(self, name: str, v2: bool = True) -> list[Json]:
        """``repositoriesV2`` (latest manifest, tag and manifest counts), or the deprecated v1 listing
        (latest tag, tag count)."""
        with self._tx():
            registry = self._registry(name)
            out = []
            for repository in sorted(registry["_repos"]):
                manifests = self._manifests_of(registry, repository)
                tags = self._tags_of(registry, repository)
                if v2:
                    entry: Json = {
                        "registry_name": registry["name"],
                        "name": repository,
                        "tag_count": len(tags),
                        "manifest_count": len(manifests),
                    }
                    if manifests:
                        entry["latest_manifest"] = manifests[0]
                else:
                    entry = {"registry_name": registry["name"], "name": repository, "tag_count": len(tags)}
                    if tags:
                        entry["latest_tag"] = tags[0]
                out.append(entry)
            return out

    def list_repository_tags(self, name: str, repository: str) -> list[Json]:
        with self._tx():
            return self._tags_of(self._registry(name), repository)

    def list_repository_manifests(self, name: str, repository: str) -> list[Json]:
        with self._tx():
            return self._manifests_of(self._registry(name), repository)

    def _active_gc(self, registry_name: str) -> Json | None:
        for gc in self.s["gcs"].values():
            if gc["registry_name"] == registry_name and gc["status"] in GC_ACTIVE_STATUSES:
                return gc  # type: ignore[no-any-return]
        return None

    def _writable(self, registry: Json) -> None:
        if self._active_gc(registry["name"]) is not None:
            raise conflict(
                f"The registry {registry['name']} is read-only while a garbage collection runs; "
                "try again when it has finished."
            )

    def _changed(self, registry: Json) -> None:
        registry["_usage_updated_at"] = self.clock.now()
        self._touch()

    def delete_repository_tag(self, name: str, repository: str, tag: str) -> None:
        """Untag: the manifest stays (untagged) and keeps its blobs until a garbage collection that
        includes untagged manifests."""
        with self._tx():
            registry = self._registry(name)
            repo = self._repo(registry, repository)
            manifest = next((m for m in repo["manifests"].values() if tag in m["tags"]), None)
            if manifest is None:
                raise not_found()
            self._writable(registry)
            manifest["tags"].remove(tag)
            self._changed(registry)

    def delete_repository_manifest(self, name: str, repository: str, digest: str) -> None:
        """Delete a manifest and its tags; its blobs stay stored, unreferenced, until garbage collection."""
        with self._tx():
            registry = self._registry(name)
            repo = self._repo(registry, repository)
            if digest not in repo["manifests"]:
                raise not_found()
            self._writable(registry)
            del repo["manifests"][digest]
            if not repo["manifests"]:
                del registry["_repos"][repository]
            self._changed(registry)

    def delete_repository(self, name: str, repository: str) -> None:
        with self._tx():
            registry = self._registry(name)
            self._repo(registry, repository)
            self._writable(registry)
            del registry["_repos"][repository]
            self._changed(registry)

    def _digest(self, *parts: Any) -> str:
        seed = "/".join(str(p) for p in parts) + f"#{self._next_id('blob')}"
        return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()

    def registry_push(self, name: str, body: Json) -> Json:
        """Control API: what ``docker push`` would leave behind. A new manifest tagged ``tag`` in
        ``repository`` (created on first push), with one layer blob of ``size_bytes`` (or the given
        ``blobs``, reusing digests to share layers). Pushing a tag again leaves the old manifest untagged."""
        with self._tx():
            registry = self._registry(name)
            repository, tag = body.get("repository"), body.get("tag")
            if not isinstance(repository, str) or not REPOSITORY_NAME_RE.match(repository):
                raise bad_request("repository must be a lowercase repository name, e.g. web or team/web")
            if not isinstance(tag, str) or not IMAGE_TAG_RE.match(tag):
                raise bad_request("tag must be a Docker tag: letters, digits, _, . and -, up to 128")
            blobs_in = body.get("blobs")
            if blobs_in is None:
                size = body.get("size_bytes")
                if not isinstance(size, int) or isinstance(size, bool) or size < 1:
                    raise bad_request("size_bytes must be a positive integer")
                blobs_in = [
                    {"digest": self._digest(name, repository, tag, "layer"), "compressed_size_bytes": size}
                ]
            if not isinstance(blobs_in, list) or not blobs_in:
                raise bad_request("blobs must be a non-empty list of {digest, compressed_size_bytes}")
            blobs: list[Json] = []
            for blob in blobs_in:
                size = blob.get("compressed_size_bytes") if isinstance(blob, dict) else None
                if not isinstance(size, int) or isinstance(size, bool) or size < 1:
                    raise bad_request("each blob needs a positive integer compressed_size_bytes")
                digest = blob.get("digest") or self._digest(name, repository, tag, "blob")
                blobs.append({"digest": str(digest), "compressed_size_bytes": size})
            self._writable(registry)
            repo = registry["_repos"].setdefault(repository, {"manifests": {}})
            for other in repo["manifests"].values():
                if tag in other["tags"]:
                    other["tags"].remove(tag)
            total = sum(int(b["compressed_size_bytes"]) for b in blobs)
            size_bytes = body.get("size_bytes", total)
            seq = self._next_id("blob")
            manifest = {
                "digest": self._digest(name, repository, tag, "manifest"),
                "compressed_size_bytes": total,
                "size_bytes": size_bytes if isinstance(size_bytes, int) else total,
                "updated_at": self.clock.now(),
                "tags": [tag],
                "blobs": blobs,
                "_seq": seq,
            }
            repo["manifests"][manifest["digest"]] = manifest
            for blob in blobs:
                registry["_blobs"][blob["digest"]] = blob["compressed_size_bytes"]
            self._changed(registry)
            return {
                "manifest": self._manifest_out(registry, repository, manifest),
                "registry": self._registry_out(registry),
            }

    # ---------------------------------------------------- garbage collection

    def _gc_out(self, gc: Json) -> Json:
        out = _public(gc)
        out["created_at"] = iso(gc["created_at"])
        out["updated_at"] = iso(gc["updated_at"])
        return out

    def start_garbage_collection(self, name: str, gc_type: Any = None) -> Json:
        """Start a collection: ``requested`` → ``waiting for write JWTs to expire`` → ``scanning
        manifests`` → ``deleting unreferenced blobs`` → ``succeeded`` (or ``failed`` under a fault), one
        stage per ``gc_stage_s``. The registry is read-only until it ends."""
        with self._tx():
            registry = self._registry(name)
            if gc_type is None:
                gc_type = "unreferenced blobs only"
            if gc_type not in GC_TYPES:
                raise unprocessable(f"type must be one of: {', '.join(GC_TYPES)}")
            if self._active_gc(registry["name"]) is not None:
                raise conflict("A garbage collection is already running for this registry.")
            now = self.clock.now()
            gc_id = str(uuid.uuid4())
            gc = self.s["gcs"][gc_id] = {
                "uuid": gc_id,
                "registry_name": registry["name"],
                "status": GC_STAGES[0],
                "created_at": now,
                "updated_at": now,
                "blobs_deleted": 0,
                "freed_bytes": 0,
                "type": gc_type,
                "_outcome": self.faults.take_gc_outcome() or "succeeded",
                "_seq": self._next_id("event"),
            }
            self._schedule(self.config.gc_stage_s, "gc_stage", gc_id)
            self._settle()
            return self._gc_out(gc)

    def _on_gc_stage(self, ref: str, due: float) -> None:
        gc = self.s["gcs"].get(ref)
        if gc is None or gc["status"] not in GC_STAGES:
            return  # cancelled (or its registry deleted) meanwhile
        stage = GC_STAGES.index(gc["status"])
        gc["updated_at"] = due
        if stage + 1 < len(GC_STAGES):
            gc["status"] = GC_STAGES[stage + 1]
            self._schedule(self.config.gc_stage_s, "gc_stage", ref, at=due)
            return
        if gc["_outcome"] == "failed":
            gc["status"] = "failed"
            return
        registry = self.s["registries"].get(gc["registry_name"])
        if registry is not None:
            gc["blobs_deleted"], gc["freed_bytes"] = self._collect(registry, gc["type"], due)
        gc["status"] = "succeeded"

    def _collect(self, registry: Json, gc_type: str, at: float) -> tuple[int, int]:
        if "untagged manifests" in gc_type:
            for repository, repo in list(registry["_repos"].items()):
                repo["manifests"] = {d: m for d, m in repo["manifests"].items() if m["tags"]}
                if not repo["manifests"]:
                    del registry["_repos"][repository]
        if "unreferenced blobs" not in gc_type:
            return 0, 0
        referenced = {
            b["digest"]
            for repo in registry["_repos"].values()
            for m in repo["manifests"].values()
            for b in m["blobs"]
        }
        unreferenced = {d: s for d, s in registry["_blobs"].items() if d not in referenced}
        for digest in unreferenced:
            del registry["_blobs"][digest]
        registry["_usage_updated_at"] = at
        return len(unreferenced), sum(unreferenced.values())

    def _on_gc_cancelled(self, ref: str, due: float) -> None:
        gc = self.s["gcs"].get(ref)
        if gc is not None and gc["status"] == "cancelling":
            gc["status"] = "cancelled"
            gc["updated_at"] = due

    def get_active_garbage_collection(self, name: str) -> Json:
        with self._tx():
            gc = self._active_gc(self._registry(name)["name"])
            if gc is None:
                raise not_found("There is no active garbage collection for this registry.")
            return self._gc_out(gc)

    def list_garbage_collections(self, name: str) -> list[Json]:
        with self._tx():
            registry = self._registry(name)
            gcs = [g for g in self.s["gcs"].values() if g["registry_name"] == registry["name"]]
            return [self._gc_out(g) for g in sorted(gcs, key=lambda g: -g["_seq"])]

    def update_garbage_collection(self, name: str, gc_id: str, body: Json) -> Json:
        """``{"cancel": true}`` cancels an active collection: ``cancelling``, then ``cancelled`` after
        ``gc_cancel_s``."""
        with self._tx():
            registry = self._registry(name)
            gc = self.s["gcs"].get(gc_id)
            if gc is None or gc["registry_name"] != registry["name"]:
                raise not_found()
            cancel = body.get("cancel")
            if cancel is not None and not isinstance(cancel, bool):
                raise unprocessable("cancel must be a boolean")
            if cancel and gc["status"] in GC_STAGES:
                gc["status"] = "cancelling"
                gc["updated_at"] = self.clock.now()
                self._schedule(self.config.gc_cancel_s, "gc_cancelled", gc_id)
            elif cancel and gc["status"] not in GC_ACTIVE_STATUSES:
                raise conflict(f"The garbage collection has already ended ({gc['status']}).")
            self._touch()
            out = self._gc_out(gc)
            self._settle()
            return out

    # ------------------------------------------------------------------ time helpers for the handlers

    def now(self) -> float:
        return self.clock.now()

    @staticmethod
    def real_time() -> float:
        return time.time()


__all__ = ["Backend", "EmulatorError", "RequestLog", "forbidden", "iso"]
