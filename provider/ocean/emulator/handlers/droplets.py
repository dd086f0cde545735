"""HTTP handlers for droplets: create, read, list, destroy (by id or tag), backups, backup policies,
kernels, neighbors and their snapshots."""

from __future__ import annotations

from ocean.emulator.errors import bad_request, unprocessable
from ocean.emulator.pipeline import Call, Handler, Reply, int_param, paginate
from ocean.emulator.validation import Body

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
        # The spec lists volume ids; godo sends {"id": ...} objects, which the live API takes too.
        "volumes": "array[string|object]",
        "vpc_uuid": "string",
        "with_droplet_agent": "boolean",
        "public_networking": "boolean",
    },
    required=("size", "image"),
    one_of_required=("name", "names"),
)


def _droplet_id(call: Call) -> int:
    return int_param(call, "droplet_id")


def create_droplets(call: Call) -> Reply:
    body = DROPLET_CREATE.parse(call)
    if "name" in body and "names" in body:
        raise unprocessable("Specify either name or names, not both.")
    droplets, actions = call.backend.droplets.create(body)
    links = {
        "actions": [
            {"id": a["id"], "rel": "create", "href": call.url(f"/v2/actions/{a['id']}")} for a in actions
        ]
    }
    if "names" in body:
        return 202, {"droplets": droplets, "links": links}
    return 202, {"droplet": droplets[0], "links": links}


def list_droplets(call: Call) -> Reply:
    droplets = call.backend.droplets.list(tag_name=call.query.get("tag_name"), name=call.query.get("name"))
    if call.query.get("type") == "gpus":
        droplets = []
    return 200, paginate(call, "droplets", droplets)


def get_droplet(call: Call) -> Reply:
    return 200, {"droplet": call.backend.droplets.get(_droplet_id(call))}


def delete_droplet(call: Call) -> Reply:
    call.backend.droplets.delete(_droplet_id(call))
    return 204, None


def delete_droplets_by_tag(call: Call) -> Reply:
    tag_name = call.query.get("tag_name")
    if not tag_name:
        raise bad_request("tag_name is required to delete Droplets by tag.")
    call.backend.droplets.delete_by_tag(tag_name)
    return 204, None


def droplet_backups(call: Call) -> Reply:
    return 200, paginate(call, "backups", call.backend.droplets.backups(_droplet_id(call)))


def droplet_kernels(call: Call) -> Reply:
    return 200, paginate(call, "kernels", call.backend.droplets.kernels(_droplet_id(call)))


def droplet_backup_policy(call: Call) -> Reply:
    return 200, {"policy": call.backend.droplets.backup_policy(_droplet_id(call))}


def droplet_backup_policies(call: Call) -> Reply:
    page = paginate(call, "policies", call.backend.droplets.backup_policies())
    page["policies"] = {str(p["droplet_id"]): p for p in page["policies"]}
    return 200, page


def supported_backup_policies(call: Call) -> Reply:
    return 200, {"supported_policies": call.backend.catalogue.supported_backup_policies()}


def droplet_neighbors(call: Call) -> Reply:
    call.backend.droplets.get(_droplet_id(call))
    # The emulator has no physical hosts: no droplet shares one.
    return 200, {"droplets": []}


def droplet_neighbor_ids(call: Call) -> Reply:
    return 200, {"neighbor_ids": []}


def droplet_snapshots(call: Call) -> Reply:
    return 200, paginate(call, "snapshots", call.backend.images.droplet_snapshots(_droplet_id(call)))


ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", "/v2/droplets", create_droplets),
    ("GET", "/v2/droplets", list_droplets),
    ("DELETE", "/v2/droplets", delete_droplets_by_tag),
    ("GET", "/v2/droplets/{droplet_id}", get_droplet),
    ("DELETE", "/v2/droplets/{droplet_id}", delete_droplet),
    ("GET", "/v2/droplets/{droplet_id}/snapshots", droplet_snapshots),
    ("GET", "/v2/droplets/{droplet_id}/backups", droplet_backups),
    ("GET", "/v2/droplets/{droplet_id}/backups/policy", droplet_backup_policy),
    ("GET", "/v2/droplets/backups/policies", droplet_backup_policies),
    ("GET", "/v2/droplets/backups/supported_policies", supported_backup_policies),
    ("GET", "/v2/droplets/{droplet_id}/kernels", droplet_kernels),
    ("GET", "/v2/droplets/{droplet_id}/neighbors", droplet_neighbors),
    ("GET", "/v2/reports/droplet_neighbors_ids", droplet_neighbor_ids),
]
