"""A snapshot of a droplet or volume (``/v2/snapshots``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, field_validator

from ._base import OceanModel, open_enum

SNAPSHOT_RESOURCE_TYPES = ("droplet", "volume")
DROPLET_SNAPSHOT_TYPES = ("snapshot", "backup")


class Snapshot(OceanModel):
    """A snapshot. Its ``id`` is a string here (droplet snapshot ids are numeric strings)."""

    id: str
    name: str = ""
    created_at: AwareDatetime | None = None
    regions: list[str] = []
    min_disk_size: int | None = None
    size_gigabytes: float | None = None
    resource_id: str = ""
    resource_type: Annotated[str, open_enum("Snapshot.resource_type", SNAPSHOT_RESOURCE_TYPES)] = "droplet"
    tags: list[str] | None = None

    @field_validator("id", "resource_id", mode="before")
    @classmethod
    def _str_id(cls, v: object) -> object:
        return str(v) if isinstance(v, int) else v


class DropletSnapshot(OceanModel):
    """A snapshot or backup as listed under ``/v2/droplets/{id}/snapshots`` (numeric id)."""

    id: int
    name: str = ""
    created_at: AwareDatetime | None = None
    regions: list[str] = []
    min_disk_size: int | None = None
    size_gigabytes: float | None = None
    type: Annotated[str, open_enum("DropletSnapshot.type", DROPLET_SNAPSHOT_TYPES)] = "snapshot"


# The issue names the model "Snapshots", after the spec's schema.
Snapshots = Snapshot
