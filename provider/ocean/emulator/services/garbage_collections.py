"""Registry garbage collections: ``requested`` → ``waiting for write JWTs to expire`` → ``scanning
manifests`` → ``deleting unreferenced blobs`` → ``succeeded`` (or ``failed`` under a fault), one stage per
``gc_stage_s``; ``{"cancel": true}`` → ``cancelling`` → ``cancelled`` after ``gc_cancel_s``. The registry is
read-only while one runs.

State slice: ``gcs`` (by uuid).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ocean.api.models.garbage_collection import GC_TYPES
from ocean.emulator.core import Json, JsonList, iso, public
from ocean.emulator.errors import conflict, not_found, unprocessable
from ocean.emulator.services.base import Service

if TYPE_CHECKING:
    from ocean.emulator.services.registries import Registries
    from ocean.emulator.services.repositories import Repositories

#: A garbage collection's stages, in order; each lasts ``config.gc_stage_s``.
GC_STAGES = (
    "requested",
    "waiting for write JWTs to expire",
    "scanning manifests",
    "deleting unreferenced blobs",
)
GC_ACTIVE_STATUSES = frozenset(GC_STAGES) | {"cancelling"}


class GarbageCollections(Service):
    registries: Registries
    repositories: Repositories

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.core.on_due("gc_stage", self._on_stage)
        self.core.on_due("gc_cancelled", self._on_cancelled)

    def seed(self, doc: Json, now: float) -> None:
        doc["gcs"] = {}

    @property
    def _gcs(self) -> Json:
        return self.slice("gcs")

    # ------------------------------------------------------------------ for the registry modules

    def active(self, registry_name: str) -> Json | None:
        for gc in self._gcs.values():
            if gc["registry_name"] == registry_name and gc["status"] in GC_ACTIVE_STATUSES:
                return gc  # type: ignore[no-any-return]
        return None

    def forget_registry(self, registry_name: str) -> None:
        for gc_id in [g for g, gc in self._gcs.items() if gc["registry_name"] == registry_name]:
            del self._gcs[gc_id]

    # ------------------------------------------------------------------ lifecycle

    @staticmethod
    def _out(gc: Json) -> Json:
        out = public(gc)
        out["created_at"] = iso(gc["created_at"])
        out["updated_at"] = iso(gc["updated_at"])
        return out

    def _on_stage(self, ref: str, due: float) -> None:
        gc = self._gcs.get(ref)
        if gc is None or gc["status"] not in GC_STAGES:
            return  # cancelled (or its registry deleted) meanwhile
        stage = GC_STAGES.index(gc["status"])
        gc["updated_at"] = due
        if stage + 1 < len(GC_STAGES):
            gc["status"] = GC_STAGES[stage + 1]
            self.core.schedule(self.config.gc_stage_s, "gc_stage", ref, at=due)
            return
        if gc["_outcome"] == "failed":
            gc["status"] = "failed"
            return
        registry = self.registries.find(gc["registry_name"])
        if registry is not None:
            gc["blobs_deleted"], gc["freed_bytes"] = self.repositories.collect(registry, gc["type"], due)
        gc["status"] = "succeeded"

    def _on_cancelled(self, ref: str, due: float) -> None:
        gc = self._gcs.get(ref)
        if gc is not None and gc["status"] == "cancelling":
            gc["status"] = "cancelled"
            gc["updated_at"] = due

    # ------------------------------------------------------------------ the API

    def start(self, name: str, gc_type: Any = None) -> Json:
        """Start a collection; 409 while one runs."""
        with self.core.tx():
            registry = self.registries.record(name)
            if gc_type is None:
                gc_type = "unreferenced blobs only"
            if gc_type not in GC_TYPES:
                raise unprocessable(f"type must be one of: {', '.join(GC_TYPES)}")
            if self.active(registry["name"]) is not None:
                raise conflict("A garbage collection is already running for this registry.")
            now = self.core.now()
            gc_id = str(uuid.uuid4())
            gc = self._gcs[gc_id] = {
                "uuid": gc_id,
                "registry_name": registry["name"],
                "status": GC_STAGES[0],
                "created_at": now,
                "updated_at": now,
                "blobs_deleted": 0,
                "freed_bytes": 0,
                "type": gc_type,
                "_outcome": self.core.faults.take_gc_outcome() or "succeeded",
                "_seq": self.core.next_id("event"),
            }
            self.core.schedule(self.config.gc_stage_s, "gc_stage", gc_id)
            self.core.settle()
            return self._out(gc)

    def get_active(self, name: str) -> Json:
        with self.core.tx():
            gc = self.active(self.registries.record(name)["name"])
            if gc is None:
                raise not_found("There is no active garbage collection for this registry.")
            return self._out(gc)

    def list(self, name: str) -> JsonList:
        with self.core.tx():
            registry = self.registries.record(name)
            gcs = [g for g in self._gcs.values() if g["registry_name"] == registry["name"]]
            return [self._out(g) for g in sorted(gcs, key=lambda g: -g["_seq"])]

    def update(self, name: str, gc_id: str, body: Json) -> Json:
        """``{"cancel": true}`` cancels an active collection."""
        with self.core.tx():
            registry = self.registries.record(name)
            gc = self._gcs.get(gc_id)
            if gc is None or gc["registry_name"] != registry["name"]:
                raise not_found()
            cancel = body.get("cancel")
            if cancel is not None and not isinstance(cancel, bool):
                raise unprocessable("cancel must be a boolean")
            if cancel and gc["status"] in GC_STAGES:
                gc["status"] = "cancelling"
                gc["updated_at"] = self.core.now()
                self.core.schedule(self.config.gc_cancel_s, "gc_cancelled", gc_id)
            elif cancel and gc["status"] not in GC_ACTIVE_STATUSES:
                raise conflict(f"The garbage collection has already ended ({gc['status']}).")
            self.core.touch()
            out = self._out(gc)
            self.core.settle()
            return out
