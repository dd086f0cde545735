"""An IPv6 network interface of a droplet."""

from __future__ import annotations

from typing import Annotated

from ._base import OceanModel, open_enum

NETWORK_V6_TYPES = ("public",)


class NetworkV6(OceanModel):
    ip_address: str | None = None
    netmask: int | None = None
    gateway: str | None = None
    type: Annotated[str, open_enum("NetworkV6.type", NETWORK_V6_TYPES)] | None = None
