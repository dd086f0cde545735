"""Images and snapshots: DigitalOcean's distribution images (seeded, read-only) and the account's own
droplet snapshots, which are images of type ``snapshot`` served under ``/v2/images`` and ``/v2/snapshots``.

State slice: ``images`` (the account's images by id).
"""

from __future__ import annotations

import unicodedata
from copy import deepcopy
from typing import Any

from ocean.emulator import catalogue
from ocean.emulator.core import Json, JsonList, as_id, iso, public
from ocean.emulator.errors import forbidden, not_found, unprocessable
from ocean.emulator.services.base import Service

FIRST_IMAGE_ID = 170_000_000
MAX_NAME = 255


def check_image_name(name: Any) -> str:
    """An image or snapshot name: 1-255 characters, no control characters (the spec gives no pattern;
    DigitalOcean's control panel shows the name as a title)."""
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise unprocessable(f"name must be 1-{MAX_NAME} characters")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in name):
        raise unprocessable("name must not contain control characters")
    return name


class Images(Service):
    def seed(self, doc: Json, now: float) -> None:
        doc["images"] = {}
        doc["seq"]["image"] = FIRST_IMAGE_ID

    @property
    def _images(self) -> Json:
        return self.slice("images")

    # ------------------------------------------------------------------ link (for droplets)

    def find(self, ref: Any) -> Json | None:
        image_id = as_id(ref)
        if image_id is not None:
            if image_id in catalogue.DISTRIBUTION_IMAGES:
                return deepcopy(catalogue.DISTRIBUTION_IMAGES[image_id])
            image = self._images.get(str(image_id))
            return deepcopy(image) if image is not None else None
        for image in catalogue.DISTRIBUTION_IMAGES.values():
            if image["slug"] == ref:
                return deepcopy(image)
        return None

    def check_name(self, name: Any) -> str:
        return check_image_name(name)

    def out(self, image: Json) -> Json:
        return public(image)

    def add_snapshot(self, droplet: Json, name: str | None, at: float) -> int:
        image_id = self.core.next_id("image")
        self._images[str(image_id)] = {
            "id": image_id,
            "name": name or f"{droplet['name']}-{int(at)}",
            "distribution": droplet["image"].get("distribution", "Unknown"),
            "slug": None,
            "public": False,
            "regions": [droplet["region"]],
            "created_at": iso(at),
            "type": "snapshot",
            "min_disk_size": droplet["disk"],
            "size_gigabytes": round(min(droplet["disk"], 2.0 + droplet["disk"] * 0.05), 2),
            "description": "",
            "tags": [],
            "status": "available",
            "error_message": "",
            "_droplet_id": droplet["id"],
        }
        self.core.touch()
        return image_id

    # ------------------------------------------------------------------ images

    def list(
        self, image_type: str | None = None, private: bool = False, tag_name: str | None = None
    ) -> JsonList:
        with self.core.tx():
            images: JsonList = []
            if not private:
                images.extend(deepcopy(list(catalogue.DISTRIBUTION_IMAGES.values())))
            images.extend(self.out(i) for i in self._images.values())
            if image_type == "distribution":
                images = [i for i in images if i["type"] == "base"]
            elif image_type == "application":
                images = []
            if tag_name is not None:
                images = [i for i in images if tag_name.lower() in [t.lower() for t in i.get("tags") or []]]
            return images

    def get(self, ref: str | int) -> Json:
        with self.core.tx():
            image = self.find(ref)
            if image is None:
                raise not_found()
            return self.out(image)

    def update(self, ref: str, body: Json) -> Json:
        """``PUT /v2/images/{id}``: rename or describe one of the account's own images."""
        with self.core.tx():
            image = self._images.get(str(ref))
            if image is None:
                if self.find(ref) is not None:
                    raise forbidden("You can only update your own images.")
                raise not_found()
            for key in ("name", "description", "distribution"):
                if key in body and not isinstance(body[key], str):
                    raise unprocessable(f"{key} must be a string")
            if "name" in body:
                check_image_name(body["name"])
            for key in ("name", "description", "distribution"):
                if key in body:
                    image[key] = body[key]
            self.core.touch()
            return self.out(image)

    def delete(self, ref: str) -> None:
        with self.core.tx():
            if str(ref) not in self._images:
                if self.find(ref) is not None:
                    raise forbidden("You can only delete your own images.")
                raise not_found()
            self.delete_snapshot(str(ref))

    # ------------------------------------------------------------------ snapshots

    @staticmethod
    def _snapshot_out(image: Json) -> Json:
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

    def _of_droplet(self, droplet_id: int) -> JsonList:
        ids = self.links.droplets.snapshot_ids(droplet_id)
        return [self._images[str(i)] for i in ids if str(i) in self._images]

    def list_snapshots(self, resource_type: str | None = None, droplet_id: int | None = None) -> JsonList:
        with self.core.tx():
            if resource_type == "volume":
                return []
            if droplet_id is not None:
                return [self._snapshot_out(i) for i in self._of_droplet(droplet_id)]
            return [self._snapshot_out(i) for i in self._images.values() if i["type"] == "snapshot"]

    def droplet_snapshots(self, droplet_id: int) -> JsonList:
        """``GET /v2/droplets/{id}/snapshots`` answers with image objects."""
        with self.core.tx():
            return [self.out(i) for i in self._of_droplet(droplet_id)]

    def get_snapshot(self, snapshot_id: str) -> Json:
        with self.core.tx():
            image = self._images.get(str(snapshot_id))
            if image is None or image["type"] != "snapshot":
                raise not_found()
            return self._snapshot_out(image)

    def delete_snapshot(self, snapshot_id: str) -> None:
        with self.core.tx():
            image = self._images.pop(str(snapshot_id), None)
            if image is None or image["type"] != "snapshot":
                raise not_found()
            self.links.droplets.forget_snapshot(image["_droplet_id"], image["id"])
            self.core.touch()
