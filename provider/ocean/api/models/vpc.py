"""A VPC: a private network in one region."""

from __future__ import annotations

from pydantic import AwareDatetime

from ._base import OceanModel


class Vpc(OceanModel):
    """A VPC with its ``ip_range`` (CIDR), region and whether it is the region's default."""

    id: str
    urn: str | None = None
    name: str = ""
    description: str | None = None
    region: str | None = None
    ip_range: str | None = None
    default: bool | None = None
    created_at: AwareDatetime | None = None
