"""A droplet kernel (legacy; most droplets manage their own kernel)."""

from __future__ import annotations

from ._base import OceanModel


class Kernel(OceanModel):
    id: int | None = None
    name: str | None = None
    version: str | None = None
