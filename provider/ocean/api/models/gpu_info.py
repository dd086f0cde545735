"""GPU information of a GPU droplet or size."""

from __future__ import annotations

from ._base import OceanModel


class GPUVram(OceanModel):
    amount: int | None = None
    unit: str | None = None


class GPUInfo(OceanModel):
    """The GPUs of a droplet: count, model and video memory."""

    count: int | None = None
    model: str | None = None
    vram: GPUVram | None = None
