"""Disk information of a droplet or size."""

from __future__ import annotations

from typing import Annotated

from ._base import OceanModel, open_enum

DISK_TYPES = ("local", "boot", "scratch")


class DiskSize(OceanModel):
    amount: int | None = None
    unit: str | None = None


class DiskInfo(OceanModel):
    """One disk: its type (``local``, ``boot``, ``scratch``) and size."""

    type: Annotated[str, open_enum("DiskInfo.type", DISK_TYPES)] | None = None
    size: DiskSize | None = None
