"""HTTP handlers for tags."""

from __future__ import annotations

from ocean.emulator.errors import unprocessable
from ocean.emulator.pipeline import Call, Handler, Json, Reply, paginate
from ocean.emulator.validation import Body

TAG_CREATE = Body({"name": "string"}, required=("name",))
TAG_RESOURCES = Body({"resources": "array[object]"}, required=("resources",))


def create_tag(call: Call) -> Reply:
    return 201, {"tag": call.backend.tags.create(TAG_CREATE.parse(call)["name"])}


def list_tags(call: Call) -> Reply:
    return 200, paginate(call, "tags", call.backend.tags.list())


def get_tag(call: Call) -> Reply:
    return 200, {"tag": call.backend.tags.get(call.params["tag_id"])}


def delete_tag(call: Call) -> Reply:
    call.backend.tags.delete(call.params["tag_id"])
    return 204, None


def _resources(call: Call) -> list[Json]:
    resources: list[Json] = TAG_RESOURCES.parse(call)["resources"]
    if not resources:
        raise unprocessable("resources is required: a list of {resource_id, resource_type}")
    return resources


def tag_resources(call: Call) -> Reply:
    call.backend.tags.tag_resources(call.params["tag_id"], _resources(call))
    return 204, None


def untag_resources(call: Call) -> Reply:
    call.backend.tags.untag_resources(call.params["tag_id"], _resources(call))
    return 204, None


ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", "/v2/tags", create_tag),
    ("GET", "/v2/tags", list_tags),
    ("GET", "/v2/tags/{tag_id}", get_tag),
    ("DELETE", "/v2/tags/{tag_id}", delete_tag),
    ("POST", "/v2/tags/{tag_id}/resources", tag_resources),
    ("DELETE", "/v2/tags/{tag_id}/resources", untag_resources),
]
