"""HTTP handlers for VPCs, VPC peerings and firewalls."""

from __future__ import annotations

from ocean.emulator.pipeline import Call, Handler, Reply, paginate
from ocean.emulator.validation import Body

# Request bodies, as DigitalOcean's spec shapes them. The firewall paths document 400 for a bad body.
VPC_CREATE = Body(
    {"name": "string", "description": "string", "region": "string", "ip_range": "string"},
    required=("name", "region"),
)
VPC_FIELDS = {"name": "string", "description": "string", "default": "boolean"}
VPC_PUT = Body(VPC_FIELDS, required=("name",))
VPC_PATCH = Body(VPC_FIELDS)
PEERING_OF_VPC_CREATE = Body({"name": "string", "vpc_id": "string"}, required=("name", "vpc_id"))
PEERING_CREATE = Body({"name": "string", "vpc_ids": "array[string]"}, required=("name", "vpc_ids"))
PEERING_UPDATE = Body({"name": "string"}, required=("name",))
_RULES = {"inbound_rules": "array[object]", "outbound_rules": "array[object]"}
_NULLABLE = frozenset({"droplet_ids", "tags", "inbound_rules", "outbound_rules"})
FIREWALL = Body(
    {"name": "string", "droplet_ids": "array[integer]", "tags": "array[string]", **_RULES},
    required=("name",),
    one_of_required=("inbound_rules", "outbound_rules"),
    status=400,
    nullable=_NULLABLE,
)
FIREWALL_DROPLETS = Body({"droplet_ids": "array[integer]"}, required=("droplet_ids",), status=400)
FIREWALL_TAGS = Body({"tags": "array[string]"}, required=("tags",), status=400)
FIREWALL_RULES = Body(
    _RULES, one_of_required=("inbound_rules", "outbound_rules"), status=400, nullable=_NULLABLE
)


def create_vpc(call: Call) -> Reply:
    return 201, {"vpc": call.backend.create_vpc(VPC_CREATE.parse(call))}


def list_vpcs(call: Call) -> Reply:
    return 200, paginate(call, "vpcs", call.backend.list_vpcs())


def get_vpc(call: Call) -> Reply:
    return 200, {"vpc": call.backend.get_vpc(call.params["vpc_id"])}


def put_vpc(call: Call) -> Reply:
    return 200, {"vpc": call.backend.update_vpc(call.params["vpc_id"], VPC_PUT.parse(call), partial=False)}


def patch_vpc(call: Call) -> Reply:
    return 200, {"vpc": call.backend.update_vpc(call.params["vpc_id"], VPC_PATCH.parse(call), partial=True)}


def delete_vpc(call: Call) -> Reply:
    call.backend.delete_vpc(call.params["vpc_id"])
    return 204, None


def vpc_members(call: Call) -> Reply:
    members = call.backend.vpc_members(call.params["vpc_id"], call.query.get("resource_type"))
    return 200, paginate(call, "members", members)


def vpc_peerings_of_vpc(call: Call) -> Reply:
    peerings = call.backend.list_vpc_peerings(vpc_id=call.params["vpc_id"])
    return 200, paginate(call, "peerings", peerings)


def create_peering_of_vpc(call: Call) -> Reply:
    return 202, {
        "peering": call.backend.create_vpc_peering_from(
            call.params["vpc_id"], PEERING_OF_VPC_CREATE.parse(call)
        )
    }


def patch_peering_of_vpc(call: Call) -> Reply:
    peering_id = call.params["vpc_peering_id"]
    return 200, {
        "peering": call.backend.rename_vpc_peering_of(
            call.params["vpc_id"], peering_id, PEERING_UPDATE.parse(call)
        )
    }


def create_vpc_peering(call: Call) -> Reply:
    return 202, {"vpc_peering": call.backend.create_vpc_peering(PEERING_CREATE.parse(call))}


def list_vpc_peerings(call: Call) -> Reply:
    return 200, paginate(call, "vpc_peerings", call.backend.list_vpc_peerings())


def get_vpc_peering(call: Call) -> Reply:
    return 200, {"vpc_peering": call.backend.get_vpc_peering(call.params["vpc_peering_id"])}


def patch_vpc_peering(call: Call) -> Reply:
    return 200, {
        "vpc_peering": call.backend.rename_vpc_peering(
            call.params["vpc_peering_id"], PEERING_UPDATE.parse(call)
        )
    }


def delete_vpc_peering(call: Call) -> Reply:
    return 202, {"vpc_peering": call.backend.delete_vpc_peering(call.params["vpc_peering_id"])}


def create_firewall(call: Call) -> Reply:
    return 202, {"firewall": call.backend.create_firewall(FIREWALL.parse(call))}


def list_firewalls(call: Call) -> Reply:
    return 200, paginate(call, "firewalls", call.backend.list_firewalls())


def droplet_firewalls(call: Call) -> Reply:
    firewalls = call.backend.list_firewalls(droplet_id=int(call.params["droplet_id"]))
    return 200, paginate(call, "firewalls", firewalls)


def get_firewall(call: Call) -> Reply:
    return 200, {"firewall": call.backend.get_firewall(call.params["firewall_id"])}


def put_firewall(call: Call) -> Reply:
    return 200, {"firewall": call.backend.replace_firewall(call.params["firewall_id"], FIREWALL.parse(call))}


def delete_firewall(call: Call) -> Reply:
    call.backend.delete_firewall(call.params["firewall_id"])
    return 204, None


def add_firewall_droplets(call: Call) -> Reply:
    call.backend.firewall_droplets(
        call.params["firewall_id"], FIREWALL_DROPLETS.parse(call)["droplet_ids"], add=True
    )
    return 204, None


def remove_firewall_droplets(call: Call) -> Reply:
    call.backend.firewall_droplets(
        call.params["firewall_id"], FIREWALL_DROPLETS.parse(call)["droplet_ids"], add=False
    )
    return 204, None


def add_firewall_tags(call: Call) -> Reply:
    call.backend.firewall_tags(call.params["firewall_id"], FIREWALL_TAGS.parse(call)["tags"], add=True)
    return 204, None


def remove_firewall_tags(call: Call) -> Reply:
    call.backend.firewall_tags(call.params["firewall_id"], FIREWALL_TAGS.parse(call)["tags"], add=False)
    return 204, None


def add_firewall_rules(call: Call) -> Reply:
    call.backend.firewall_rules(call.params["firewall_id"], FIREWALL_RULES.parse(call), add=True)
    return 204, None


def remove_firewall_rules(call: Call) -> Reply:
    call.backend.firewall_rules(call.params["firewall_id"], FIREWALL_RULES.parse(call), add=False)
    return 204, None


ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", "/v2/vpcs", create_vpc),
    ("GET", "/v2/vpcs", list_vpcs),
    ("GET", "/v2/vpcs/{vpc_id}", get_vpc),
    ("PUT", "/v2/vpcs/{vpc_id}", put_vpc),
    ("PATCH", "/v2/vpcs/{vpc_id}", patch_vpc),
    ("DELETE", "/v2/vpcs/{vpc_id}", delete_vpc),
    ("GET", "/v2/vpcs/{vpc_id}/members", vpc_members),
    ("GET", "/v2/vpcs/{vpc_id}/peerings", vpc_peerings_of_vpc),
    ("POST", "/v2/vpcs/{vpc_id}/peerings", create_peering_of_vpc),
    ("PATCH", "/v2/vpcs/{vpc_id}/peerings/{vpc_peering_id}", patch_peering_of_vpc),
    ("POST", "/v2/vpc_peerings", create_vpc_peering),
    ("GET", "/v2/vpc_peerings", list_vpc_peerings),
    ("GET", "/v2/vpc_peerings/{vpc_peering_id}", get_vpc_peering),
    ("PATCH", "/v2/vpc_peerings/{vpc_peering_id}", patch_vpc_peering),
    ("DELETE", "/v2/vpc_peerings/{vpc_peering_id}", delete_vpc_peering),
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
    ("GET", "/v2/droplets/{droplet_id:int}/firewalls", droplet_firewalls),
]
