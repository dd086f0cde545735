"""A registry's repositories, manifests, tags and blobs: listing (v1 and v2), untagging and deleting (refused
while a garbage collection runs), and the control API's push.

State: each registry record's ``_repos`` (repository → ``{manifests: {digest: manifest}}``) and ``_blobs``
(digest → compressed size), reached through :meth:`Registries.record`.
"""

from __future__ import annotations

import hashlib
import re
from copy import deepcopy
from typing import TYPE_CHECKING, Any

from ocean.emulator.core import Json, JsonList, iso, public
from ocean.emulator.errors import conflict, not_found, unprocessable
from ocean.emulator.services.base import Service

if TYPE_CHECKING:
    from ocean.emulator.services.garbage_collections import GarbageCollections
    from ocean.emulator.services.registries import Registries

REPOSITORY_NAME_RE = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")
IMAGE_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class Repositories(Service):
    registries: Registries
    gcs: GarbageCollections

    def _repo(self, registry: Json, repository: str) -> Json:
        repo = registry["_repos"].get(repository)
        if repo is None:
            raise not_found()
        return repo  # type: ignore[no-any-return]

    @staticmethod
    def _manifest_out(registry: Json, repository: str, m: Json) -> Json:
        return {
            "registry_name": registry["name"],
            "repository": repository,
            "digest": m["digest"],
            "compressed_size_bytes": m["compressed_size_bytes"],
            "size_bytes": m["size_bytes"],
            "updated_at": iso(m["updated_at"]),
            "tags": list(m["tags"]),
            "blobs": deepcopy(m["blobs"]),
        }

    def _tags_of(self, registry: Json, repository: str) -> JsonList:
        repo = self._repo(registry, repository)
        tags = [
            {
                "registry_name": registry["name"],
                "repository": repository,
                "tag": tag,
                "manifest_digest": m["digest"],
                "compressed_size_bytes": m["compressed_size_bytes"],
                "size_bytes": m["size_bytes"],
                "updated_at": iso(m["updated_at"]),
                "_seq": m["_seq"],
            }
            for m in repo["manifests"].values()
            for tag in m["tags"]
        ]
        tags.sort(key=lambda t: -t["_seq"])
        return [public(t) for t in tags]

    def _manifests_of(self, registry: Json, repository: str) -> JsonList:
        repo = self._repo(registry, repository)
        manifests = sorted(repo["manifests"].values(), key=lambda m: -m["_seq"])
        return [self._manifest_out(registry, repository, m) for m in manifests]

    def _writable(self, registry: Json) -> None:
        if self.gcs.active(registry["name"]) is not None:
            raise conflict(
                f"The registry {registry['name']} is read-only while a garbage collection runs; "
                "try again when it has finished."
            )

    # ------------------------------------------------------------------ the API

    def list(self, name: str, v2: bool = True) -> JsonList:
        """``repositoriesV2`` (latest manifest, tag and manifest counts), or the deprecated v1 listing
        (latest tag, tag count)."""
        with self.core.tx():
            registry = self.registries.record(name)
            out = []
            for repository in sorted(registry["_repos"]):
                manifests = self._manifests_of(registry, repository)
                tags = self._tags_of(registry, repository)
                if v2:
                    entry: Json = {
                        "registry_name": registry["name"],
                        "name": repository,
                        "tag_count": len(tags),
                        "manifest_count": len(manifests),
                    }
                    if manifests:
                        entry["latest_manifest"] = manifests[0]
                else:
                    entry = {"registry_name": registry["name"], "name": repository, "tag_count": len(tags)}
                    if tags:
                        entry["latest_tag"] = tags[0]
                out.append(entry)
            return out

    def tags(self, name: str, repository: str) -> JsonList:
        with self.core.tx():
            return self._tags_of(self.registries.record(name), repository)

    def manifests(self, name: str, repository: str) -> JsonList:
        with self.core.tx():
            return self._manifests_of(self.registries.record(name), repository)

    def delete_tag(self, name: str, repository: str, tag: str) -> None:
        """Untag: the manifest stays (untagged) and keeps its blobs until a garbage collection that
        includes untagged manifests."""
        with self.core.tx():
            registry = self.registries.record(name)
            repo = self._repo(registry, repository)
            manifest = next((m for m in repo["manifests"].values() if tag in m["tags"]), None)
            if manifest is None:
                raise not_found()
            self._writable(registry)
            manifest["tags"].remove(tag)
            self.registries.changed(registry)

    def delete_manifest(self, name: str, repository: str, digest: str) -> None:
        """Delete a manifest and its tags; its blobs stay stored, unreferenced, until garbage collection."""
        with self.core.tx():
            registry = self.registries.record(name)
            repo = self._repo(registry, repository)
            if digest not in repo["manifests"]:
                raise not_found()
            self._writable(registry)
            del repo["manifests"][digest]
            if not repo["manifests"]:
                del registry["_repos"][repository]
            self.registries.changed(registry)

    def delete(self, name: str, repository: str) -> None:
        with self.core.tx():
            registry = self.registries.record(name)
            self._repo(registry, repository)
            self._writable(registry)
            del registry["_repos"][repository]
            self.registries.changed(registry)

    # ------------------------------------------------------------------ garbage collection's sweep

    def collect(self, registry: Json, gc_type: str, at: float) -> tuple[int, int]:
        """Remove what a collection of ``gc_type`` frees; returns (blobs deleted, bytes freed)."""
        if "untagged manifests" in gc_type:
            for repository, repo in list(registry["_repos"].items()):
                repo["manifests"] = {d: m for d, m in repo["manifests"].items() if m["tags"]}
                if not repo["manifests"]:
                    del registry["_repos"][repository]
        if "unreferenced blobs" not in gc_type:
            return 0, 0
        referenced = {
            b["digest"]
            for repo in registry["_repos"].values()
            for m in repo["manifests"].values()
            for b in m["blobs"]
        }
        unreferenced = {d: s for d, s in registry["_blobs"].items() if d not in referenced}
        for digest in unreferenced:
            del registry["_blobs"][digest]
        self.registries.changed(registry, at)
        return len(unreferenced), sum(unreferenced.values())

    # ------------------------------------------------------------------ control API: docker push

    def _digest(self, *parts: Any) -> str:
        seed = "/".join(str(p) for p in parts) + f"#{self.core.next_id('blob')}"
        return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()

    def push(self, name: str, body: Json) -> Json:
        """What ``docker push`` would leave behind. A new manifest tagged ``tag`` in ``repository``
        (created on first push), with one layer blob of ``size_bytes`` (or the given ``blobs``, reusing
        digests to share layers). Pushing a tag again leaves the old manifest untagged."""
        with self.core.tx():
            registry = self.registries.record(name)
            repository, tag = body.get("repository"), body.get("tag")
            if not isinstance(repository, str) or not REPOSITORY_NAME_RE.match(repository):
                raise unprocessable("repository must be a lowercase repository name, e.g. web or team/web")
            if not isinstance(tag, str) or not IMAGE_TAG_RE.match(tag):
                raise unprocessable("tag must be a Docker tag: letters, digits, _, . and -, up to 128")
            size = body.get("size_bytes")
            if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 1):
                raise unprocessable("size_bytes must be a positive integer")
            blobs_in = body.get("blobs")
            if blobs_in is None:
                if size is None:
                    raise unprocessable("size_bytes (or blobs) is required: a positive integer")
                blobs_in = [
                    {"digest": self._digest(name, repository, tag, "layer"), "compressed_size_bytes": size}
                ]
            if not isinstance(blobs_in, list) or not blobs_in:
                raise unprocessable("blobs must be a non-empty list of {digest, compressed_size_bytes}")
            blobs: JsonList = []
            for i, blob in enumerate(blobs_in):
                blob_size = blob.get("compressed_size_bytes") if isinstance(blob, dict) else None
                if not isinstance(blob_size, int) or isinstance(blob_size, bool) or blob_size < 1:
                    raise unprocessable(f"blobs[{i}].compressed_size_bytes must be a positive integer")
                digest = blob.get("digest") or self._digest(name, repository, tag, "blob")
                if not isinstance(digest, str) or len(digest) > 256:
                    raise unprocessable(f"blobs[{i}].digest must be a string (a sha256: digest)")
                blobs.append({"digest": digest, "compressed_size_bytes": blob_size})
            self._writable(registry)
            repo = registry["_repos"].setdefault(repository, {"manifests": {}})
            for other in repo["manifests"].values():
                if tag in other["tags"]:
                    other["tags"].remove(tag)
            total = sum(int(b["compressed_size_bytes"]) for b in blobs)
            seq = self.core.next_id("blob")
            manifest = {
                "digest": self._digest(name, repository, tag, "manifest"),
                "compressed_size_bytes": total,
                "size_bytes": total if size is None else size,
                "updated_at": self.core.now(),
                "tags": [tag],
                "blobs": blobs,
                "_seq": seq,
            }
            repo["manifests"][manifest["digest"]] = manifest
            for blob in blobs:
                registry["_blobs"][blob["digest"]] = blob["compressed_size_bytes"]
            self.registries.changed(registry)
            return {
                "manifest": self._manifest_out(registry, repository, manifest),
                "registry": self.registries.out(registry),
            }
