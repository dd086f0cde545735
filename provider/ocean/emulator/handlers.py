"""HTTP handlers for the core API: droplets (with backups, kernels, backup policies, bulk actions by tag),
actions, tags, snapshots, regions, sizes, images, account and SSH keys.

A handler turns a :class:`Call` into backend calls and a ``(status, json)`` reply; validation of the request
shape lives here, behaviour in the backend.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from ocean.emulator import catalogue
from ocean.emulator.errors import bad_request, not_found, unprocessable
from ocean.emulator.pipeline import Call, Json, Reply, paginate
from ocean.emulator.validation import Body

# Request bodies, as DigitalOcean's spec shapes them.
SSH_KEY_CREATE = Body({"name": "string", "public_key": "string"}, required=("name", "public_key"))
SSH_KEY_UPDATE = Body({"name": "string"})
IMAGE_UPDATE = Body({"name": "string", "distribution": "string", "description": "string"})
DROPLET_CREATE = Body(
    {
        "name": "string",
        "names": "array[string]",
        "region": "string",
        "size": "string",
        "image": "string|integer",
        "ssh_keys": "array[string|integer]",
        "backups": "boolean",
        "backup_policy": "object",
        "ipv6": "boolean",
        "monitoring": "boolean",
        "tags": "array[string]",
        "user_data": "string",
        "private_networking": "boolean",
        "volumes": "array[string]",
        "vpc_uuid": "string",
        "with_droplet_agent": "boolean",
        "public_networking": "boolean",
    },
    required=("size", "image"),
    one_of_required=("name", "names"),
    nullable=frozenset({"tags"}),
)
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
TAG_CREATE = Body({"name": "string"}, required=("name",))
TAG_RESOURCES = Body({"resources": "array[object]"}, required=("resources",))


def _int_param(call: Call, name: str) -> int:
    value = call.params[name]
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except ValueError as exc:
        raise not_found() from exc


def _query_flag(call: Call, name: str) -> bool:
    return call.query.get(name, "").lower() in ("true", "1", "yes")


# ---------------------------------------------------------------------- catalogue and account


def get_account(call: Call) -> Reply:
    return 200, {"account": call.backend.account()}


def list_ssh_keys(call: Call) -> Reply:
    return 200, paginate(call, "ssh_keys", call.backend.list_ssh_keys())


def create_ssh_key(call: Call) -> Reply:
    return 201, {"ssh_key": call.backend.create_ssh_key(SSH_KEY_CREATE.parse(call))}


def get_ssh_key(call: Call) -> Reply:
    return 200, {"ssh_key": call.backend.get_ssh_key(str(call.params["ssh_key_identifier"]))}


def update_ssh_key(call: Call) -> Reply:
    ref = str(call.params["ssh_key_identifier"])
    return 200, {"ssh_key": call.backend.update_ssh_key(ref, SSH_KEY_UPDATE.parse(call))}


def delete_ssh_key(call: Call) -> Reply:
    call.backend.delete_ssh_key(str(call.params["ssh_key_identifier"]))
    return 204, None


def list_regions(call: Call) -> Reply:
    return 200, paginate(call, "regions", call.backend.list_regions())


def list_sizes(call: Call) -> Reply:
    return 200, paginate(call, "sizes", call.backend.list_sizes())


def list_images(call: Call) -> Reply:
    images = call.backend.list_images(
        image_type=call.query.get("type"),
        private=_query_flag(call, "private"),
        tag_name=call.query.get("tag_name"),
    )
    return 200, paginate(call, "images", images)


def get_image(call: Call) -> Reply:
    ref: Any = call.params["image_id"]
    return 200, {"image": call.backend.get_image(ref)}


def update_image(call: Call) -> Reply:
    return 200, {"image": call.backend.update_image(str(call.params["image_id"]), IMAGE_UPDATE.parse(call))}


def delete_image(call: Call) -> Reply:
    call.backend.delete_image(str(call.params["image_id"]))
    return 204, None


# ---------------------------------------------------------------------- droplets


def create_droplets(call: Call) -> Reply:
    body = DROPLET_CREATE.parse(call)
    if "name" in body and "names" in body:
        raise unprocessable("Specify either name or names, not both.")
    droplets, actions = call.backend.create_droplets(body)
    links = {
        "actions": [
            {"id": a["id"], "rel": "create", "href": call.url(f"/v2/actions/{a['id']}")} for a in actions
        ]
    }
    if "names" in body:
        return 202, {"droplets": droplets, "links": links}
    return 202, {"droplet": droplets[0], "links": links}


def list_droplets(call: Call) -> Reply:
    droplets = call.backend.list_droplets(tag_name=call.query.get("tag_name"), name=call.query.get("name"))
    if call.query.get("type") == "gpus":
        droplets = []
    return 200, paginate(call, "droplets", droplets)


def get_droplet(call: Call) -> Reply:
    return 200, {"droplet": call.backend.get_droplet(_int_param(call, "droplet_id"))}


def delete_droplet(call: Call) -> Reply:
    call.backend.delete_droplet(_int_param(call, "droplet_id"))
    return 204, None


def delete_droplets_by_tag(call: Call) -> Reply:
    tag_name = call.query.get("tag_name")
    if not tag_name:
        raise bad_request("tag_name is required to delete Droplets by tag.")
    call.backend.delete_droplets_by_tag(tag_name)
    return 204, None


def droplet_backups(call: Call) -> Reply:
    return 200, paginate(call, "backups", call.backend.droplet_backups(_int_param(call, "droplet_id")))


def droplet_kernels(call: Call) -> Reply:
    return 200, paginate(call, "kernels", call.backend.droplet_kernels(_int_param(call, "droplet_id")))


def droplet_backup_policy(call: Call) -> Reply:
    return 200, {"policy": call.backend.droplet_backup_policy(_int_param(call, "droplet_id"))}


def droplet_backup_policies(call: Call) -> Reply:
    page = paginate(call, "policies", call.backend.droplet_backup_policies())
    page["policies"] = {str(p["droplet_id"]): p for p in page["policies"]}
    return 200, page


def supported_backup_policies(call: Call) -> Reply:
    return 200, {"supported_policies": deepcopy(catalogue.SUPPORTED_BACKUP_POLICIES)}


def droplet_neighbors(call: Call) -> Reply:
    call.backend.get_droplet(_int_param(call, "droplet_id"))
    # The emulator has no physical hosts: no droplet shares one.
    return 200, {"droplets": []}


def droplet_neighbor_ids(call: Call) -> Reply:
    return 200, {"neighbor_ids": []}


def droplet_snapshots(call: Call) -> Reply:
    snapshots = call.backend.droplet_snapshots_as_images(_int_param(call, "droplet_id"))
    return 200, paginate(call, "snapshots", snapshots)


# ---------------------------------------------------------------------- actions


def post_droplet_action(call: Call) -> Reply:
    body = DROPLET_ACTION.parse(call)
    action = call.backend.droplet_action(_int_param(call, "droplet_id"), body)
    return 201, {"action": action}


def post_droplet_actions_by_tag(call: Call) -> Reply:
    tag_name = call.query.get("tag_name")
    if not tag_name:
        raise bad_request("tag_name is required to act on Droplets by tag.")
    body = DROPLET_ACTION.parse(call)
    return 201, {"actions": call.backend.droplet_actions_by_tag(tag_name, body)}


def list_droplet_actions(call: Call) -> Reply:
    actions = call.backend.list_actions(droplet_id=_int_param(call, "droplet_id"))
    return 200, paginate(call, "actions", actions)


def get_droplet_action(call: Call) -> Reply:
    action = call.backend.get_action(_int_param(call, "action_id"), droplet_id=_int_param(call, "droplet_id"))
    return 200, {"action": action}


def list_actions(call: Call) -> Reply:
    return 200, paginate(call, "actions", call.backend.list_actions())


def get_action(call: Call) -> Reply:
    return 200, {"action": call.backend.get_action(_int_param(call, "action_id"))}


# ---------------------------------------------------------------------- tags


def create_tag(call: Call) -> Reply:
    return 201, {"tag": call.backend.create_tag(TAG_CREATE.parse(call)["name"])}


def list_tags(call: Call) -> Reply:
    return 200, paginate(call, "tags", call.backend.list_tags())


def get_tag(call: Call) -> Reply:
    return 200, {"tag": call.backend.get_tag(call.params["tag_id"])}


def delete_tag(call: Call) -> Reply:
    call.backend.delete_tag(call.params["tag_id"])
    return 204, None


def _resources(call: Call) -> list[Json]:
    resources: list[Json] = TAG_RESOURCES.parse(call)["resources"]
    if not resources:
        raise unprocessable("resources is required: a list of {resource_id, resource_type}")
    return resources


def tag_resources(call: Call) -> Reply:
    call.backend.tag_resources(call.params["tag_id"], _resources(call))
    return 204, None


def untag_resources(call: Call) -> Reply:
    call.backend.untag_resources(call.params["tag_id"], _resources(call))
    return 204, None


# ---------------------------------------------------------------------- snapshots


def list_snapshots(call: Call) -> Reply:
    resource_type = call.query.get("resource_type")
    return 200, paginate(call, "snapshots", call.backend.list_snapshots(resource_type=resource_type))


def get_snapshot(call: Call) -> Reply:
    return 200, {"snapshot": call.backend.get_snapshot(str(call.params["snapshot_id"]))}


def delete_snapshot(call: Call) -> Reply:
    call.backend.delete_snapshot(str(call.params["snapshot_id"]))
    return 204, None


def unknown_route(call: Call) -> Reply:
    raise not_found()
