"""HTTP handlers for droplet actions: start one (on a droplet, or on every droplet with a tag), read and
list them."""

from __future__ import annotations

from ocean.emulator.errors import bad_request
from ocean.emulator.pipeline import Call, Handler, Reply, int_param, paginate
from ocean.emulator.validation import Body

DROPLET_ACTION = Body(
    {
        "type": "string",
        "name": "string",
        "size": "string",
        "disk": "boolean",
        "image": "string|integer",
        "kernel": "integer",
        "backup_policy": "object",
    },
    required=("type",),
)


def post_droplet_action(call: Call) -> Reply:
    body = DROPLET_ACTION.parse(call)
    return 201, {"action": call.backend.actions.start(int_param(call, "droplet_id"), body)}


def post_droplet_actions_by_tag(call: Call) -> Reply:
    tag_name = call.query.get("tag_name")
    if not tag_name:
        raise bad_request("tag_name is required to act on Droplets by tag.")
    body = DROPLET_ACTION.parse(call)
    return 201, {"actions": call.backend.actions.start_by_tag(tag_name, body)}


def list_droplet_actions(call: Call) -> Reply:
    actions = call.backend.actions.list(droplet_id=int_param(call, "droplet_id"))
    return 200, paginate(call, "actions", actions)


def get_droplet_action(call: Call) -> Reply:
    action_id, droplet_id = int_param(call, "action_id"), int_param(call, "droplet_id")
    return 200, {"action": call.backend.actions.get(action_id, droplet_id=droplet_id)}


def list_actions(call: Call) -> Reply:
    return 200, paginate(call, "actions", call.backend.actions.list())


def get_action(call: Call) -> Reply:
    return 200, {"action": call.backend.actions.get(int_param(call, "action_id"))}


ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", "/v2/droplets/actions", post_droplet_actions_by_tag),
    ("GET", "/v2/droplets/{droplet_id}/actions", list_droplet_actions),
    ("POST", "/v2/droplets/{droplet_id}/actions", post_droplet_action),
    ("GET", "/v2/droplets/{droplet_id}/actions/{action_id}", get_droplet_action),
    ("GET", "/v2/actions", list_actions),
    ("GET", "/v2/actions/{action_id}", get_action),
]
