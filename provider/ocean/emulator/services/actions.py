"""Droplet actions: each is ``in-progress`` for its duration (``EmulatorConfig.action_duration``), then
``completed`` with its effect applied (or ``errored`` under a fault, leaving the droplet alone). A droplet
with an action in progress refuses new ones ("Droplet already has a pending event.").

Power actions follow DigitalOcean's rules:

- ``power_off`` of a droplet that is already off is refused: 422 "Droplet is already powered off."
  (terraform-provider-digitalocean's resize treats that very message as success), and ``power_on`` of a
  running one: 422 "Droplet is already powered on." (python-digitalocean: "APIError if droplet is already
  powered on"). A ``shutdown`` of an off droplet is accepted and changes nothing (terraform-provider-
  digitalocean: "DO API doesn't return an error if we try to shutdown an already shutdown droplet").
- A ``shutdown`` is a signal to the droplet's OS, not a power switch. The spec: it "guarantees that the
  command is issued, not that it succeeds. The preferred way to turn off a Droplet is to attempt a
  shutdown, with a reasonable timeout, followed by a ``power_off`` action". So the droplet goes ``off`` when
  its OS is done (``EmulatorConfig.guest_shutdown_s``, by default when the action completes), which may be
  after the action completed; an OS that ignores the signal (the fault ``{"action_type": "shutdown",
  "outcome": "ignored"}``) leaves it ``active`` although the action ``completed`` (digitalocean/api-v2#79,
  #91). While the shutdown action is in progress the droplet is locked, so a ``power_off`` is refused
  with "pending event" then too (hashicorp/packer#1786: "Forcefully shutting down Droplet... Error
  powering off droplet: ... Droplet already has a pending event.").

State slice: ``actions`` (by id). The droplets are this module's sibling in the same DigitalOcean service;
a snapshot becomes an image through the images' link.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ocean.api.models import DROPLET_ACTION_TYPES
from ocean.emulator import catalogue
from ocean.emulator.core import Json, JsonList, iso
from ocean.emulator.errors import not_found, unprocessable
from ocean.emulator.services.base import Service
from ocean.emulator.services.catalogue import Catalogue
from ocean.emulator.services.droplets import (
    DEFAULT_BACKUP_POLICY,
    backup_window,
    check_backup_policy,
    check_name,
)

if TYPE_CHECKING:
    from ocean.emulator.services.droplets import Droplets

FIRST_ACTION_ID = 2_000_000_000
#: The actions after which the droplet's power state is what the action says, whatever an OS still
#: shutting down from an earlier ``shutdown`` does.
POWER_ACTIONS = ("power_off", "power_on", "reboot", "power_cycle", "rebuild", "restore")
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


class DropletActions(Service):
    droplets: Droplets

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.core.on_due("action", self._on_due)
        self.core.on_due("guest_off", self._on_guest_off)

    def seed(self, doc: Json, now: float) -> None:
        doc["actions"] = {}
        doc["seq"]["action"] = FIRST_ACTION_ID

    @property
    def _actions(self) -> Json:
        return self.slice("actions")

    # ------------------------------------------------------------------ lifecycle

    @staticmethod
    def out(a: Json) -> Json:
        out = {k: v for k, v in a.items() if not k.startswith("_")}
        out["started_at"] = iso(a["started_at"])
        out["completed_at"] = iso(a["completed_at"]) if a["completed_at"] is not None else None
        if a["region_slug"]:
            out["region"] = Catalogue.region(a["region_slug"])
        return out

    def begin(self, droplet: Json, action_type: str, duration: float, params: Json) -> Json:
        """Start an action on ``droplet``: it locks the droplet until it ends ``duration`` from now."""
        action_id = self.core.next_id("action")
        outcome = self.core.faults.take_action_outcome(action_type) or "completed"
        ignored = outcome == "ignored"
        if ignored:
            outcome = "completed"  # DigitalOcean reports the signal delivered; the OS did nothing with it
        action: Json = {
            "id": action_id,
            "status": "in-progress",
            "type": action_type,
            "started_at": self.core.now(),
            "completed_at": None,
            "resource_id": droplet["id"],
            "resource_type": "droplet",
            "region_slug": droplet["region"],
            "_outcome": outcome,
            "_params": params,
        }
        self._actions[str(action_id)] = action
        droplet["_pending"] = action_id
        droplet["_pending_type"] = action_type
        self.core.schedule(duration, "action", str(action_id))
        if action_type == "shutdown" and outcome == "completed" and not ignored:
            # The OS powers the droplet off on its own time, which may be after the action completed.
            guest_s = self.config.guest_shutdown_s
            droplet["_guest_off"] = action_id
            self.core.schedule(duration if guest_s is None else guest_s, "guest_off", str(action_id))
        return action

    def _on_guest_off(self, ref: str, due: float) -> None:
        """The OS finished the shutdown that action ``ref`` signalled: the droplet is off, unless a power
        action since then decided its state."""
        action = self._actions.get(ref)
        if action is None:
            return
        droplet = self.droplets.find(action["resource_id"])
        if droplet is None or droplet.get("_guest_off") != action["id"]:
            return
        droplet["_guest_off"] = None
        if droplet["status"] == "active":
            droplet["status"] = "off"

    def _on_due(self, ref: str, due: float) -> None:
        action = self._actions.get(ref)
        if action is None or action["status"] != "in-progress":
            return
        action["status"] = action["_outcome"]
        action["completed_at"] = due
        droplet = self.droplets.find(action["resource_id"])
        if droplet is None:
            return
        if droplet.get("_pending") == action["id"]:
            droplet["_pending"] = None
            droplet["_pending_type"] = None
        if action["_outcome"] == "completed":
            self._apply(droplet, action["type"], action["_params"], due)

    def droplet_gone(self, droplet_id: int, at: float) -> None:
        """A droplet is gone: its unfinished actions error."""
        for action in self._actions.values():
            if action["resource_id"] == droplet_id and action["status"] == "in-progress":
                action["status"] = "errored"
                action["completed_at"] = at

    def _apply(self, d: Json, action_type: str, p: Json, at: float) -> None:
        if action_type in POWER_ACTIONS:
            d["_guest_off"] = None
        if action_type == "create":
            d["status"] = "active"
            self.droplets.assign_networks(d)
        elif action_type == "shutdown":
            pass  # the droplet goes off when its OS is done: see _on_guest_off
        elif action_type == "power_off":
            d["status"] = "off"
        elif action_type in ("power_on", "reboot", "power_cycle", "rebuild", "restore"):
            d["status"] = "active"
            if action_type in ("rebuild", "restore") and p.get("image") is not None:
                image = self.links.images.find(p["image"])
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
            d["snapshot_ids"].append(self.links.images.add_snapshot(d, p.get("name"), at))
        elif action_type == "enable_backups":
            if "backups" not in d["features"]:
                d["features"].insert(0, "backups")
            d["_backup_policy"] = {**DEFAULT_BACKUP_POLICY, **(p.get("backup_policy") or {})}
            d["next_backup_window"] = backup_window(at)
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
                self.droplets.assign_v6(d)

    # ------------------------------------------------------------------ validation

    def _validate(self, d: Json, action_type: str, body: Json) -> Json:
        """The parameters an action of ``action_type`` keeps, or 422."""
        if action_type == "rename":
            return {"name": check_name(body.get("name"))}
        if action_type == "resize":
            return self._validate_resize(d, body)
        if action_type == "snapshot":
            name = body.get("name")
            return {"name": self.links.images.check_name(name) if name else None}
        if action_type in ("rebuild", "restore"):
            image = body.get("image")
            if not isinstance(image, (str, int)) or self.links.images.find(image) is None:
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
            return {"backup_policy": check_backup_policy(policy) if policy is not None else None}
        return {}

    @staticmethod
    def _validate_resize(d: Json, body: Json) -> Json:
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

    # ------------------------------------------------------------------ the API

    def start(self, droplet_id: int, body: Json) -> Json:
        """Start a droplet action (``POST /v2/droplets/{id}/actions``)."""
        with self.core.tx():
            droplet = self.droplets.record(droplet_id)
            action_type = body.get("type")
            if action_type not in DROPLET_ACTION_TYPES:
                raise unprocessable(f"{action_type!r} is not a valid droplet action type")
            if droplet["_deleting"]:
                raise not_found()
            if droplet.get("_pending") is not None:
                raise unprocessable("Droplet already has a pending event.")
            if action_type == "power_off" and droplet["status"] == "off":
                raise unprocessable("Droplet is already powered off.")
            if action_type == "power_on" and droplet["status"] == "active":
                raise unprocessable("Droplet is already powered on.")
            params = self._validate(droplet, action_type, body)
            action = self.begin(droplet, action_type, self.config.action_duration(action_type), params)
            self.core.touch()
            self.core.settle()
            return self.out(action)

    def start_by_tag(self, tag_name: str, body: Json) -> JsonList:
        """``POST /v2/droplets/actions?tag_name=``: one action per droplet carrying the tag. All or nothing:
        a droplet with a pending event refuses the whole request."""
        with self.core.tx():
            action_type = body.get("type")
            if action_type not in TAG_ACTION_TYPES:
                raise unprocessable(
                    f"{action_type!r} can not be applied by tag; one of: {', '.join(TAG_ACTION_TYPES)}"
                )
            droplets = self.droplets.live_tagged(tag_name.lower())
            for droplet in droplets:
                if droplet.get("_pending") is not None:
                    raise unprocessable(f"Droplet {droplet['id']} already has a pending event.")
            params = [self._validate(d, action_type, body) for d in droplets]
            duration = self.config.action_duration(action_type)
            actions = [self.begin(d, action_type, duration, p) for d, p in zip(droplets, params, strict=True)]
            self.core.touch()
            out = [self.out(a) for a in actions]
            self.core.settle()
            return out

    def get(self, action_id: int, droplet_id: int | None = None) -> Json:
        with self.core.tx():
            action = self._actions.get(str(action_id))
            if action is None or (droplet_id is not None and action["resource_id"] != droplet_id):
                raise not_found()
            return self.out(action)

    def list(self, droplet_id: int | None = None) -> JsonList:
        with self.core.tx():
            if droplet_id is not None:
                self.droplets.record(droplet_id)
            actions = [
                a for a in self._actions.values() if droplet_id is None or a["resource_id"] == droplet_id
            ]
            # DigitalOcean lists the newest actions first.
            return [self.out(a) for a in sorted(actions, key=lambda a: -a["id"])]
