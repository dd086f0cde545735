"""A VPC peering: a link between two VPCs."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime

from ._base import OceanModel, open_enum

VPC_PEERING_STATUSES = ("PROVISIONING", "ACTIVE", "DELETING")


class VpcPeering(OceanModel):
    """A peering between two VPCs; usable once ``status`` is ``ACTIVE``."""

    id: str
    name: str = ""
    vpc_ids: list[str] = []
    status: Annotated[str, open_enum("VpcPeering.status", VPC_PEERING_STATUSES)] | None = None
    created_at: AwareDatetime | None = None
