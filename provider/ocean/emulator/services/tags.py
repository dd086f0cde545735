"""Tags: names compared case-insensitively, applied to droplets (and named by firewalls).

State slice: ``tags`` (by lower-cased name: ``{name, _last_droplet}``). Which droplets carry a tag is the
droplets' state, asked through their link; deleting a tag emits :data:`TAG_DELETED`.
"""

from __future__ import annotations

import re
from typing import Any

from ocean.emulator.core import IdList, Json, JsonList, as_id
from ocean.emulator.errors import bad_request, not_found, unprocessable
from ocean.emulator.services.base import TAG_DELETED, Service

API_ORIGIN = "https://api.digitalocean.com"
TAG_NAME_RE = re.compile(r"^[a-zA-Z0-9_\-:]+$")
RESOURCE_TYPES = ("droplet", "image", "volume", "volume_snapshot")


def tag_key(name: str) -> str:
    return name.lower()


class Tags(Service):
    def seed(self, doc: Json, now: float) -> None:
        doc["tags"] = {}

    @property
    def _tags(self) -> Json:
        return self.slice("tags")

    # ------------------------------------------------------------------ link

    def _ensure(self, name: Any) -> Json:
        if not isinstance(name, str) or not name or len(name) > 255 or not TAG_NAME_RE.match(name):
            raise unprocessable(
                "tag names must be 1-255 characters: letters, numbers, colons, dashes and underscores"
            )
        tag = self._tags.get(tag_key(name))
        if tag is None:
            tag = self._tags[tag_key(name)] = {"name": name, "_last_droplet": None}
            self.core.touch()
        return tag

    def ensure(self, name: Any) -> str:
        return str(self._ensure(name)["name"])

    def note_tagged(self, name: str, droplet_id: int) -> None:
        self._tags[tag_key(name)]["_last_droplet"] = droplet_id
        self.core.touch()

    # ------------------------------------------------------------------ the API

    def _out(self, tag: Json) -> Json:
        count = len(self.links.droplets.tagged({tag_key(tag["name"])}))
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

    def _tag(self, name: str) -> Json:
        tag = self._tags.get(tag_key(name))
        if tag is None:
            raise not_found()
        return tag  # type: ignore[no-any-return]

    def create(self, name: str) -> Json:
        """Create a tag; an existing tag (compared case-insensitively) is returned unchanged."""
        with self.core.tx():
            return self._out(self._ensure(name))

    def list(self) -> JsonList:
        with self.core.tx():
            return [self._out(t) for t in self._tags.values()]

    def get(self, name: str) -> Json:
        with self.core.tx():
            return self._out(self._tag(name))

    def delete(self, name: str) -> None:
        with self.core.tx():
            self._tag(name)
            del self._tags[tag_key(name)]
            self.core.emit(TAG_DELETED, key=tag_key(name))
            self.core.touch()

    def _droplet_ids(self, resources: JsonList) -> IdList:
        ids = []
        for res in resources:
            if not isinstance(res, dict):
                raise bad_request("resources must be objects with resource_id and resource_type")
            rtype = res.get("resource_type")
            if rtype not in RESOURCE_TYPES:
                raise unprocessable(f"resource_type {rtype!r} is not supported")
            if rtype != "droplet":
                raise unprocessable(f"the emulator only tags droplets, not {rtype}")
            droplet_id = as_id(res.get("resource_id"))
            if droplet_id is None or not self.links.droplets.exists(droplet_id):
                raise not_found()
            ids.append(droplet_id)
        return ids

    def tag_resources(self, name: str, resources: JsonList) -> None:
        with self.core.tx():
            tag = self._tag(name)
            for droplet_id in self._droplet_ids(resources):
                self.links.droplets.add_tag(droplet_id, tag["name"])
                self.note_tagged(tag["name"], droplet_id)

    def untag_resources(self, name: str, resources: JsonList) -> None:
        with self.core.tx():
            self._tag(name)
            for droplet_id in self._droplet_ids(resources):
                self.links.droplets.remove_tag(droplet_id, tag_key(name))
