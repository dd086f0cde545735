"""A droplet size (plan): CPUs, memory, disk, transfer and prices."""

from __future__ import annotations

from ._base import OceanModel
from .disk_info import DiskInfo
from .gpu_info import GPUInfo


class Size(OceanModel):
    """A droplet size such as ``s-1vcpu-1gb``, with its monthly and hourly prices in USD."""

    slug: str
    memory: int = 0
    vcpus: int = 0
    disk: int = 0
    transfer: float = 0.0
    price_monthly: float = 0.0
    price_hourly: float = 0.0
    regions: list[str] = []
    available: bool = False
    description: str = ""
    disk_info: list[DiskInfo] | None = None
    gpu_info: GPUInfo | None = None
