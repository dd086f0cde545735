"""HTTP handlers for cloud firewalls. The firewall paths document 400 (not 422) for a bad body."""

from __future__ import annotations

from ocean.emulator.pipeline import Call, Handler, Reply, int_param, paginate
from ocean.emulator.validation import Body

_RULES = {"inbound_rules": "array[object]", "outbound_rules": "array[object]"}
FIREWALL = Body(
    {"name": "string", "droplet_ids": "array[integer]", "tags": "array[string]", **_RULES},
    required=("name",),
    one_of_required=("inbound_rules", "outbound_rules"),
    status=400,
)
FIREWALL_DROPLETS = Body({"droplet_ids": "array[integer]"}, required=("droplet_ids",), status=400)
FIREWALL_TAGS = Body({"tags": "array[string]"}, required=("tags",), status=400)
FIREWALL_RULES = Body(_RULES, one_of_required=("inbound_rules", "outbound_rules"), status=400)


def _id(call: Call) -> str:
    return str(call.params["firewall_id"])


def create_firewall(call: Call) -> Reply:
    return 202, {"firewall": call.backend.firewalls.create(FIREWALL.parse(call))}


def list_firewalls(call: Call) -> Reply:
    return 200, paginate(call, "firewalls", call.backend.firewalls.list())


def droplet_firewalls(call: Call) -> Reply:
    firewalls = call.backend.firewalls.list(droplet_id=int_param(call, "droplet_id"))
    return 200, paginate(call, "firewalls", firewalls)


def get_firewall(call: Call) -> Reply:
    return 200, {"firewall": call.backend.firewalls.get(_id(call))}


def put_firewall(call: Call) -> Reply:
    return 200, {"firewall": call.backend.firewalls.replace(_id(call), FIREWALL.parse(call))}


def delete_firewall(call: Call) -> Reply:
    call.backend.firewalls.delete(_id(call))
    return 204, None


def add_firewall_droplets(call: Call) -> Reply:
    call.backend.firewalls.droplets(_id(call), FIREWALL_DROPLETS.parse(call)["droplet_ids"], add=True)
    return 204, None


def remove_firewall_droplets(call: Call) -> Reply:
    call.backend.firewalls.droplets(_id(call), FIREWALL_DROPLETS.parse(call)["droplet_ids"], add=False)
    return 204, None


def add_firewall_tags(call: Call) -> Reply:
    call.backend.firewalls.tags(_id(call), FIREWALL_TAGS.parse(call)["tags"], add=True)
    return 204, None


def remove_firewall_tags(call: Call) -> Reply:
    call.backend.firewalls.tags(_id(call), FIREWALL_TAGS.parse(call)["tags"], add=False)
    return 204, None


def add_firewall_rules(call: Call) -> Reply:
    call.backend.firewalls.rules(_id(call), FIREWALL_RULES.parse(call), add=True)
    return 204, None


def remove_firewall_rules(call: Call) -> Reply:
    call.backend.firewalls.rules(_id(call), FIREWALL_RULES.parse(call), add=False)
    return 204, None


ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", "/v2/firewalls", create_firewall),
    ("GET", "/v2/firewalls", list_firewalls),
    ("GET", "/v2/firewalls/{firewall_id}", get_firewall),
    ("PUT", "/v2/firewalls/{firewall_id}", put_firewall),
    ("DELETE", "/v2/firewalls/{firewall_id}", delete_firewall),
    ("POST", "/v2/firewalls/{firewall_id}/droplets", add_firewall_droplets),
    ("DELETE", "/v2/firewalls/{firewall_id}/droplets", remove_firewall_droplets),
    ("POST", "/v2/firewalls/{firewall_id}/tags", add_firewall_tags),
    ("DELETE", "/v2/firewalls/{firewall_id}/tags", remove_firewall_tags),
    ("POST", "/v2/firewalls/{firewall_id}/rules", add_firewall_rules),
    ("DELETE", "/v2/firewalls/{firewall_id}/rules", remove_firewall_rules),
    ("GET", "/v2/droplets/{droplet_id}/firewalls", droplet_firewalls),
]
