"""A droplet: a DigitalOcean virtual machine."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field

from ._base import OceanModel, open_enum
from .action import ActionLink
from .disk_info import DiskInfo
from .droplet_next_backup_window import DropletNextBackupWindow
from .gpu_info import GPUInfo
from .image import Image
from .kernel import Kernel
from .network_v4 import NetworkV4
from .network_v6 import NetworkV6
from .region import Region
from .size import Size

DROPLET_STATUSES = ("new", "active", "off", "archive")


class DropletNetworks(OceanModel):
    v4: list[NetworkV4] = []
    v6: list[NetworkV6] = []


class Droplet(OceanModel):
    """A droplet as DigitalOcean reports it; ``status`` is ``new`` until it has booted, then ``active``."""

    id: int
    name: str
    memory: int = 0
    vcpus: int = 0
    disk: int = 0
    disk_info: list[DiskInfo] | None = None
    locked: bool = False
    status: Annotated[str, open_enum("Droplet.status", DROPLET_STATUSES)] = "new"
    kernel: Kernel | None = None
    created_at: AwareDatetime | None = None
    features: list[str] = []
    backup_ids: list[int] = []
    next_backup_window: DropletNextBackupWindow | None = None
    snapshot_ids: list[int] = []
    image: Image = Field(default_factory=Image)
    volume_ids: list[str] = []
    size: Size | None = None
    size_slug: str = ""
    networks: DropletNetworks = Field(default_factory=DropletNetworks)
    region: Region | None = None
    tags: list[str] = []
    vpc_uuid: str | None = None
    gpu_info: GPUInfo | None = None

    def _ip(self, family: str, kind: str) -> str | None:
        nets: list[NetworkV4] | list[NetworkV6] = self.networks.v4 if family == "v4" else self.networks.v6
        for net in nets:
            if net.type == kind and net.ip_address:
                return net.ip_address
        return None

    @property
    def public_ipv4(self) -> str | None:
        return self._ip("v4", "public")

    @property
    def private_ipv4(self) -> str | None:
        return self._ip("v4", "private")

    @property
    def public_ipv6(self) -> str | None:
        return self._ip("v6", "public")


class DropletCreated(OceanModel):
    """What ``POST /v2/droplets`` returns: the new droplet and the ids of its create actions."""

    droplet: Droplet
    action_ids: list[int] = []
    links: list[ActionLink] = []
