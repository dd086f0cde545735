"""HTTP handlers for VPC peerings, under ``/v2/vpc_peerings`` and scoped to a VPC under
``/v2/vpcs/{vpc_id}/peerings``."""

from __future__ import annotations

from ocean.emulator.pipeline import Call, Handler, Reply, paginate
from ocean.emulator.validation import Body

PEERING_OF_VPC_CREATE = Body({"name": "string", "vpc_id": "string"}, required=("name", "vpc_id"))
PEERING_CREATE = Body({"name": "string", "vpc_ids": "array[string]"}, required=("name", "vpc_ids"))
PEERING_UPDATE = Body({"name": "string"}, required=("name",))


def vpc_peerings_of_vpc(call: Call) -> Reply:
    peerings = call.backend.vpc_peerings.list(vpc_id=call.params["vpc_id"])
    return 200, paginate(call, "peerings", peerings)


def create_peering_of_vpc(call: Call) -> Reply:
    body = PEERING_OF_VPC_CREATE.parse(call)
    return 202, {"peering": call.backend.vpc_peerings.create_from(call.params["vpc_id"], body)}


def patch_peering_of_vpc(call: Call) -> Reply:
    vpc_id, peering_id = call.params["vpc_id"], call.params["vpc_peering_id"]
    return 200, {
        "peering": call.backend.vpc_peerings.rename_of(vpc_id, peering_id, PEERING_UPDATE.parse(call))
    }


def create_vpc_peering(call: Call) -> Reply:
    return 202, {"vpc_peering": call.backend.vpc_peerings.create(PEERING_CREATE.parse(call))}


def list_vpc_peerings(call: Call) -> Reply:
    return 200, paginate(call, "vpc_peerings", call.backend.vpc_peerings.list())


def get_vpc_peering(call: Call) -> Reply:
    return 200, {"vpc_peering": call.backend.vpc_peerings.get(call.params["vpc_peering_id"])}


def patch_vpc_peering(call: Call) -> Reply:
    peering_id = call.params["vpc_peering_id"]
    return 200, {"vpc_peering": call.backend.vpc_peerings.rename(peering_id, PEERING_UPDATE.parse(call))}


def delete_vpc_peering(call: Call) -> Reply:
    return 202, {"vpc_peering": call.backend.vpc_peerings.delete(call.params["vpc_peering_id"])}


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/v2/vpcs/{vpc_id}/peerings", vpc_peerings_of_vpc),
    ("POST", "/v2/vpcs/{vpc_id}/peerings", create_peering_of_vpc),
    ("PATCH", "/v2/vpcs/{vpc_id}/peerings/{vpc_peering_id}", patch_peering_of_vpc),
    ("POST", "/v2/vpc_peerings", create_vpc_peering),
    ("GET", "/v2/vpc_peerings", list_vpc_peerings),
    ("GET", "/v2/vpc_peerings/{vpc_peering_id}", get_vpc_peering),
    ("PATCH", "/v2/vpc_peerings/{vpc_peering_id}", patch_vpc_peering),
    ("DELETE", "/v2/vpc_peerings/{vpc_peering_id}", delete_vpc_peering),
]
