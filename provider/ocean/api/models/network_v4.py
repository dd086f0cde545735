"""An IPv4 network interface of a droplet."""

from __future__ import annotations

from typing import Annotated

from ._base import OceanModel, open_enum

NETWORK_V4_TYPES = ("public", "private")


class NetworkV4(OceanModel):
    ip_address: str | None = None
    netmask: str | None = None
    gateway: str | None = None
    type: Annotated[str, open_enum("NetworkV4.type", NETWORK_V4_TYPES)] | None = None
