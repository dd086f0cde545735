"""HTTP handlers for VPCs and their members."""

from __future__ import annotations

from ocean.emulator.pipeline import Call, Handler, Reply, paginate
from ocean.emulator.validation import Body

VPC_CREATE = Body(
    {"name": "string", "description": "string", "region": "string", "ip_range": "string"},
    required=("name", "region"),
)
VPC_FIELDS = {"name": "string", "description": "string", "default": "boolean"}
VPC_PUT = Body(VPC_FIELDS, required=("name",))
VPC_PATCH = Body(VPC_FIELDS)


def create_vpc(call: Call) -> Reply:
    return 201, {"vpc": call.backend.vpcs.create(VPC_CREATE.parse(call))}


def list_vpcs(call: Call) -> Reply:
    return 200, paginate(call, "vpcs", call.backend.vpcs.list())


def get_vpc(call: Call) -> Reply:
    return 200, {"vpc": call.backend.vpcs.get(call.params["vpc_id"])}


def put_vpc(call: Call) -> Reply:
    return 200, {"vpc": call.backend.vpcs.update(call.params["vpc_id"], VPC_PUT.parse(call), partial=False)}


def patch_vpc(call: Call) -> Reply:
    return 200, {"vpc": call.backend.vpcs.update(call.params["vpc_id"], VPC_PATCH.parse(call), partial=True)}


def delete_vpc(call: Call) -> Reply:
    call.backend.vpcs.delete(call.params["vpc_id"])
    return 204, None


def vpc_members(call: Call) -> Reply:
    members = call.backend.vpcs.members(call.params["vpc_id"], call.query.get("resource_type"))
    return 200, paginate(call, "members", members)


ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", "/v2/vpcs", create_vpc),
    ("GET", "/v2/vpcs", list_vpcs),
    ("GET", "/v2/vpcs/{vpc_id}", get_vpc),
    ("PUT", "/v2/vpcs/{vpc_id}", put_vpc),
    ("PATCH", "/v2/vpcs/{vpc_id}", patch_vpc),
    ("DELETE", "/v2/vpcs/{vpc_id}", delete_vpc),
    ("GET", "/v2/vpcs/{vpc_id}/members", vpc_members),
]
