"""A registry garbage collection."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime

from ._base import OceanModel, open_enum

GC_STATUSES = (
    "requested",
    "waiting for write JWTs to expire",
    "scanning manifests",
    "deleting unreferenced blobs",
    "cancelling",
    "failed",
    "succeeded",
    "cancelled",
)
GC_TERMINAL_STATUSES = frozenset({"failed", "succeeded", "cancelled"})
GC_TYPES = (
    "untagged manifests only",
    "unreferenced blobs only",
    "untagged manifests and unreferenced blobs",
)


class GarbageCollection(OceanModel):
    """A garbage collection run; ends as ``succeeded``, ``failed`` or ``cancelled`` (``cancelling`` is not
    an end)."""

    uuid: str
    registry_name: str | None = None
    status: Annotated[str, open_enum("GarbageCollection.status", GC_STATUSES)] | None = None
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    blobs_deleted: int | None = None
    freed_bytes: int | None = None
    type: str | None = None

    @property
    def done(self) -> bool:
        return self.status in GC_TERMINAL_STATUSES
