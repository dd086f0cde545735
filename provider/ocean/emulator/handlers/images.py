"""HTTP handlers for images and snapshots."""

from __future__ import annotations

from typing import Any

from ocean.emulator.pipeline import Call, Handler, Reply, paginate, query_flag
from ocean.emulator.validation import Body

IMAGE_UPDATE = Body({"name": "string", "distribution": "string", "description": "string"})


def list_images(call: Call) -> Reply:
    images = call.backend.images.list(
        image_type=call.query.get("type"),
        private=query_flag(call, "private"),
        tag_name=call.query.get("tag_name"),
    )
    return 200, paginate(call, "images", images)


def get_image(call: Call) -> Reply:
    ref: Any = call.params["image_id"]
    return 200, {"image": call.backend.images.get(ref)}


def update_image(call: Call) -> Reply:
    return 200, {"image": call.backend.images.update(str(call.params["image_id"]), IMAGE_UPDATE.parse(call))}


def delete_image(call: Call) -> Reply:
    call.backend.images.delete(str(call.params["image_id"]))
    return 204, None


def list_snapshots(call: Call) -> Reply:
    resource_type = call.query.get("resource_type")
    return 200, paginate(call, "snapshots", call.backend.images.list_snapshots(resource_type=resource_type))


def get_snapshot(call: Call) -> Reply:
    return 200, {"snapshot": call.backend.images.get_snapshot(str(call.params["snapshot_id"]))}


def delete_snapshot(call: Call) -> Reply:
    call.backend.images.delete_snapshot(str(call.params["snapshot_id"]))
    return 204, None


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/v2/images", list_images),
    ("GET", "/v2/images/{image_id}", get_image),
    ("PUT", "/v2/images/{image_id}", update_image),
    ("DELETE", "/v2/images/{image_id}", delete_image),
    ("GET", "/v2/snapshots", list_snapshots),
    ("GET", "/v2/snapshots/{snapshot_id}", get_snapshot),
    ("DELETE", "/v2/snapshots/{snapshot_id}", delete_snapshot),
]
