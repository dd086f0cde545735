"""Droplets: create (one or several), read, list, destroy (by id or tag), networks, backups, backup policies
and kernels. Their actions live in :mod:`ocean.emulator.services.actions` (the same DigitalOcean service,
split for size): a create is itself an action that takes ``droplet_create_s``.

State slices: ``droplets`` (by id) and ``departed_members`` (destroyed droplets their VPC still lists).
Images, VPCs, tags and SSH keys are asked through their links; a destroyed droplet stays readable for
``droplet_delete_s``, then is gone (:data:`DROPLET_GONE`), but its VPC lists it as a member for
``vpc_member_lag_s`` more, as DigitalOcean's VPC service lags behind its droplets.
"""

from __future__ import annotations

import re
from copy import deepcopy
from typing import TYPE_CHECKING, Any

from ocean.emulator import catalogue
from ocean.emulator.core import IdList, Json, JsonList, NameList, iso
from ocean.emulator.errors import not_found, unprocessable
from ocean.emulator.services.base import DROPLET_GONE, TAG_DELETED, Service
from ocean.emulator.services.catalogue import Catalogue

if TYPE_CHECKING:
    from ocean.emulator.services.actions import DropletActions

DROPLET_NAME_RE = re.compile(r"^[a-zA-Z0-9]?[a-z0-9A-Z.\-]*[a-z0-9A-Z]$")
DROPLET_NAME_MESSAGE = "Name Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)"
MAX_MULTI_CREATE = 10
FIRST_DROPLET_ID = 3164444
DEFAULT_BACKUP_POLICY: Json = {
    "plan": "weekly",
    "weekday": "SUN",
    "hour": 0,
    "window_length_hours": 4,
    "retention_period_days": 28,
}


WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
BACKUP_HOURS = (0, 4, 8, 12, 16, 20)


def check_backup_policy(policy: Any) -> Json:
    """The settings of a ``backup_policy`` (``plan``, ``weekday``, ``hour``) DigitalOcean accepts; 422
    naming the setting otherwise. Other keys (the read-only ``window_length_hours`` and
    ``retention_period_days``, or the ``day`` of one of the spec's own examples) are ignored, as the live
    API ignores them."""
    if not isinstance(policy, dict):
        raise unprocessable("backup_policy must be an object")
    settings: Json = {}
    if policy.get("plan") is not None:
        if policy["plan"] not in ("daily", "weekly"):
            raise unprocessable("backup_policy.plan must be daily or weekly")
        settings["plan"] = policy["plan"]
    if policy.get("weekday") is not None:
        if policy["weekday"] not in WEEKDAYS:
            raise unprocessable(f"backup_policy.weekday must be one of {', '.join(WEEKDAYS)}")
        settings["weekday"] = policy["weekday"]
    hour = policy.get("hour")
    if hour is not None:
        if not isinstance(hour, int) or isinstance(hour, bool) or hour not in BACKUP_HOURS:
            raise unprocessable("backup_policy.hour must be one of 0, 4, 8, 12, 16, 20")
        settings["hour"] = hour
    return settings


def check_name(name: Any) -> str:
    if not isinstance(name, str) or len(name) > 255 or not DROPLET_NAME_RE.match(name):
        raise unprocessable(DROPLET_NAME_MESSAGE)
    return name


def backup_window(now: float) -> Json:
    start = (int(now // 86400) + 1) * 86400
    return {"start": iso(start), "end": iso(start + 4 * 3600)}


class Droplets(Service):
    actions: DropletActions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.core.on_due("droplet_gone", self._on_gone)
        self.core.on_due("member_gone", self._on_member_gone)
        self.core.subscribe(TAG_DELETED, self._forget_tag)

    def seed(self, doc: Json, now: float) -> None:
        doc["droplets"] = {}
        doc["departed_members"] = {}
        doc["seq"].update({"droplet": FIRST_DROPLET_ID, "ip": 0})

    @property
    def _droplets(self) -> Json:
        return self.slice("droplets")

    def record(self, droplet_id: int | str) -> Json:
        """A droplet's record (for its actions), or 404."""
        droplet = self._droplets.get(str(droplet_id))
        if droplet is None:
            raise not_found()
        return droplet  # type: ignore[no-any-return]

    def find(self, droplet_id: int | str) -> Json | None:
        droplet: Json | None = self._droplets.get(str(droplet_id))
        return droplet

    def live_tagged(self, tag_key: str) -> JsonList:
        """The records of the droplets carrying a tag, except those being destroyed."""
        return [
            d
            for d in self._droplets.values()
            if not d["_deleting"] and tag_key in (t.lower() for t in d["tags"])
        ]

    # ------------------------------------------------------------------ link

    def exists(self, droplet_id: int) -> bool:
        return str(droplet_id) in self._droplets

    def require(self, droplet_id: int) -> None:
        self.record(droplet_id)

    def tagged(self, tag_keys: set[str]) -> set[int]:
        if not tag_keys:
            return set()
        return {d["id"] for d in self._droplets.values() if {t.lower() for t in d["tags"]} & tag_keys}

    def add_tag(self, droplet_id: int, tag_name: str) -> None:
        droplet = self.record(droplet_id)
        if tag_name.lower() not in (t.lower() for t in droplet["tags"]):
            droplet["tags"].append(tag_name)
        self.core.touch()

    def remove_tag(self, droplet_id: int, tag_key: str) -> None:
        droplet = self.record(droplet_id)
        droplet["tags"] = [t for t in droplet["tags"] if t.lower() != tag_key]
        self.core.touch()

    def members_of_vpc(self, vpc_id: str) -> JsonList:
        departed = self.slice("departed_members").values()
        # In the order they were created, gone or not.
        members = sorted(
            (d for d in [*self._droplets.values(), *departed] if d["vpc_uuid"] == vpc_id),
            key=lambda d: d["id"],
        )
        return [
            {"urn": f"do:droplet:{d['id']}", "name": d["name"], "created_at": iso(d["created_at"])}
            for d in members
        ]

    def snapshot_ids(self, droplet_id: int) -> IdList:
        return list(self.record(droplet_id)["snapshot_ids"])

    def forget_snapshot(self, droplet_id: int, image_id: int) -> None:
        droplet = self._droplets.get(str(droplet_id))
        if droplet is not None and image_id in droplet["snapshot_ids"]:
            droplet["snapshot_ids"].remove(image_id)
            self.core.touch()

    def _forget_tag(self, key: str) -> None:
        for droplet in self._droplets.values():
            droplet["tags"] = [t for t in droplet["tags"] if t.lower() != key]

    # ------------------------------------------------------------------ output

    def out(self, d: Json) -> Json:
        out = {k: v for k, v in d.items() if not k.startswith("_")}
        out["locked"] = d.get("_pending") is not None and d.get("_pending_type") != "create"
        out["created_at"] = iso(d["created_at"])
        out["size"] = Catalogue.size(d["size_slug"])
        out["region"] = Catalogue.region(d["region"])
        out["image"] = self.links.images.out(d["image"])
        out["tags"] = list(d["tags"])
        out["features"] = list(d["features"])
        out["networks"] = deepcopy(d["networks"])
        return out

    # ------------------------------------------------------------------ create

    def _names(self, body: Json) -> NameList:
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
        return [check_name(name) for name in names]

    def _ssh_keys(self, refs: Any) -> IdList:
        """The ids of the keys a create names by id or fingerprint; 422 (DigitalOcean's message) for any
        that is not a key of the account."""
        if not isinstance(refs, list):
            raise unprocessable("ssh_keys must be a list of SSH key ids or fingerprints")
        keys = [self.links.ssh_keys.resolve(ref) for ref in refs]
        invalid = [str(ref) for ref, key in zip(refs, keys, strict=True) if key is None]
        if invalid:
            raise unprocessable(f"{', '.join(invalid)} are invalid key identifiers for Droplet creation.")
        return list(dict.fromkeys(int(key["id"]) for key in keys if key is not None))

    def _placement(self, body: Json) -> tuple[str, Json | None]:
        """The region and the VPC (``None``: the region's default) a create asks for."""
        vpc: Json | None = None
        vpc_uuid = body.get("vpc_uuid")
        if vpc_uuid is not None:
            vpc = self.links.vpcs.record(str(vpc_uuid))
            if vpc is None:
                raise unprocessable("The VPC you specified could not be found.")
        region = body.get("region")
        if region is None:
            region = vpc["region"] if vpc is not None else "nyc3"
        else:
            region = Catalogue.resolve_region(region)
        if vpc is not None and vpc["region"] != region:
            raise unprocessable("The VPC you specified is not in the Droplet's region.")
        return region, vpc

    def create(self, body: Json) -> tuple[JsonList, JsonList]:
        """Create one droplet (``name``) or several (``names``); returns (droplets, create actions)."""
        with self.core.tx():
            names = self._names(body)
            region, vpc = self._placement(body)
            size_slug = body.get("size")
            if not isinstance(size_slug, str) or size_slug not in catalogue.SIZES:
                raise unprocessable("You specified an invalid size for Droplet creation.")
            size = catalogue.SIZES[size_slug]
            if region not in size["regions"]:
                raise unprocessable(f"Size is not available in this region ({size_slug} in {region}).")
            image_ref = body.get("image")
            image = self.links.images.find(image_ref) if isinstance(image_ref, (str, int)) else None
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
            user_data = body.get("user_data") or None  # "" is no user data
            if user_data is not None and not isinstance(user_data, str):
                raise unprocessable("user_data must be a string")
            if user_data is not None and len(user_data.encode()) > 64 * 1024:
                raise unprocessable("user_data is limited to 64 KiB")
            policy = body.get("backup_policy")
            policy = check_backup_policy(policy) if policy is not None else {}
            ssh_keys = self._ssh_keys(body.get("ssh_keys") or [])
            tag_names = [self.links.tags.ensure(t) for t in tags]
            vpc_id = (vpc or self.links.vpcs.default_for(region))["id"]

            droplets, actions = [], []
            for name in names:
                droplet = self._new(body, name, region, size_slug, image, vpc_id, user_data)
                droplet["_ssh_keys"] = list(ssh_keys)
                if droplet["_backup_policy"] is not None:
                    droplet["_backup_policy"].update(policy)
                for tag in tag_names:
                    self.add_tag(droplet["id"], tag)
                    self.links.tags.note_tagged(tag, droplet["id"])
                action = self.actions.begin(droplet, "create", self.config.droplet_create_s, {})
                droplets.append(droplet)
                actions.append(action)
            self.core.touch()
            self.core.settle()  # zero-length lifecycles complete within the same request
            return [self.out(d) for d in droplets], [self.actions.out(a) for a in actions]

    def _new(
        self, body: Json, name: str, region: str, size_slug: str, image: Json, vpc_id: str, user_data: Any
    ) -> Json:
        size = catalogue.SIZES[size_slug]
        now = self.core.now()
        droplet_id = self.core.next_id("droplet")
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
            "next_backup_window": backup_window(now) if backups else None,
            "snapshot_ids": [],
            "image": image,
            "volume_ids": [],
            "size_slug": size_slug,
            "networks": {"v4": [], "v6": []},
            "region": region,
            "tags": [],
            "vpc_uuid": vpc_id,
            "_user_data": user_data,
            "_ssh_keys": [],
            "_public_networking": bool(body.get("public_networking", True)),
            "_backup_policy": dict(DEFAULT_BACKUP_POLICY) if backups else None,
            "_pending": None,
            "_pending_type": None,
            "_deleting": False,
        }
        self._droplets[str(droplet_id)] = droplet
        return droplet

    # ------------------------------------------------------------------ networks (assigned when active)

    def assign_networks(self, droplet: Json) -> None:
        seq = self.core.next_id("ip")
        region = droplet["region"]
        vpc = self.links.vpcs.record(droplet["vpc_uuid"]) or self.links.vpcs.default_for(region)
        address, netmask = self.links.vpcs.allocate_private_ip(vpc["id"])
        v4: JsonList = [{"ip_address": address, "netmask": netmask, "gateway": "<nil>", "type": "private"}]
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
            self.assign_v6(droplet, seq)

    def assign_v6(self, droplet: Json, seq: int | None = None) -> None:
        seq = self.core.next_id("ip") if seq is None else seq
        prefix = catalogue.PUBLIC_V6_PREFIX[droplet["region"]]
        droplet["networks"]["v6"] = [
            {"ip_address": f"{prefix}::{seq:x}:1", "netmask": 64, "gateway": f"{prefix}::1", "type": "public"}
        ]

    # ------------------------------------------------------------------ read, list, destroy

    def get(self, droplet_id: int) -> Json:
        with self.core.tx():
            return self.out(self.record(droplet_id))

    def list(self, tag_name: str | None = None, name: str | None = None) -> JsonList:
        with self.core.tx():
            droplets = list(self._droplets.values())
            if tag_name is not None:
                key = tag_name.lower()
                droplets = [d for d in droplets if key in (t.lower() for t in d["tags"])]
            if name is not None:
                droplets = [d for d in droplets if d["name"] == name]
            return [self.out(d) for d in droplets]

    def delete(self, droplet_id: int) -> None:
        """Destroy a droplet: it stays readable for ``droplet_delete_s`` emulated seconds, then 404s."""
        with self.core.tx():
            self._destroy(self.record(droplet_id))

    def delete_by_tag(self, tag_name: str) -> None:
        with self.core.tx():
            key = tag_name.lower()
            for droplet in list(self._droplets.values()):
                if key in (t.lower() for t in droplet["tags"]):
                    self._destroy(droplet)

    def _destroy(self, droplet: Json) -> None:
        if droplet["_deleting"]:
            return
        droplet["_deleting"] = True
        self.core.touch()
        self.core.schedule(self.config.droplet_delete_s, "droplet_gone", str(droplet["id"]))

    def _on_gone(self, ref: str, due: float) -> None:
        droplet = self._droplets.pop(ref, None)
        if droplet is None:
            return
        self.core.emit(DROPLET_GONE, droplet_id=droplet["id"])
        self.actions.droplet_gone(droplet["id"], due)
        lag = self.config.vpc_member_lag_s
        if lag > 0:
            self.slice("departed_members")[ref] = {
                k: droplet[k] for k in ("id", "name", "created_at", "vpc_uuid")
            }
            self.core.schedule(lag, "member_gone", ref, at=due)

    def _on_member_gone(self, ref: str, due: float) -> None:
        self.slice("departed_members").pop(ref, None)

    # ------------------------------------------------------------------ backups, policies, kernels

    def backups(self, droplet_id: int) -> JsonList:
        with self.core.tx():
            droplet = self.record(droplet_id)
            backups = [b for b in (self.links.images.find(i) for i in droplet["backup_ids"]) if b is not None]
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

    def kernels(self, droplet_id: int) -> JsonList:
        with self.core.tx():
            self.record(droplet_id)
            return deepcopy(catalogue.KERNELS)

    @staticmethod
    def _policy_record(d: Json) -> Json:
        enabled = "backups" in d["features"]
        record: Json = {"droplet_id": d["id"], "backup_enabled": enabled}
        if enabled:
            record["backup_policy"] = deepcopy(d.get("_backup_policy") or DEFAULT_BACKUP_POLICY)
            if d.get("next_backup_window"):
                record["next_backup_window"] = deepcopy(d["next_backup_window"])
        return record

    def backup_policy(self, droplet_id: int) -> Json:
        with self.core.tx():
            return self._policy_record(self.record(droplet_id))

    def backup_policies(self) -> JsonList:
        with self.core.tx():
            return [self._policy_record(d) for d in self._droplets.values()]
