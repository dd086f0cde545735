"""Regions, sizes, images, snapshots, tags and the account's SSH keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..models.image import Image
from ..models.region import Region
from ..models.size import Size
from ..models.snapshot import Snapshot
from ..models.ssh_key import SshKey
from ..models.tag import Tag
from ..pagination import Paginator
from ._base import Service, seg


class Regions(Service):
    async def list(self) -> list[Region]:
        return await Paginator(self._t, "/v2/regions", "regions", Region).collect()


class Sizes(Service):
    async def list(self) -> list[Size]:
        return await Paginator(self._t, "/v2/sizes", "sizes", Size).collect()


class Images(Service):
    async def get(self, id_or_slug: int | str) -> Image:
        """An image by numeric id or by slug (``ubuntu-24-04-x64``)."""
        return await self._get(f"/v2/images/{seg(id_or_slug)}", "image", Image)

    async def update(self, image_id: int | str, body: dict[str, Any]) -> Image:
        """``PUT``: rename or describe one of the account's own images (snapshots, backups, custom)."""
        return await self._send("PUT", f"/v2/images/{seg(image_id)}", "image", Image, body)

    def list(
        self,
        type: str | None = None,
        private: bool | None = None,
        tag_name: str | None = None,  # noqa: A002
    ) -> Paginator[Image]:
        private_s = None if private is None else str(private).lower()
        params = {"type": type, "private": private_s, "tag_name": tag_name}
        return Paginator(self._t, "/v2/images", "images", Image, params)


class Snapshots(Service):
    async def get(self, snapshot_id: int | str) -> Snapshot:
        return await self._get(f"/v2/snapshots/{seg(snapshot_id)}", "snapshot", Snapshot)

    def list(self, resource_type: str | None = None) -> Paginator[Snapshot]:
        return Paginator(self._t, "/v2/snapshots", "snapshots", Snapshot, {"resource_type": resource_type})

    async def delete(self, snapshot_id: int | str) -> None:
        await self._t.request("DELETE", f"/v2/snapshots/{seg(snapshot_id)}")


class SshKeys(Service):
    """``/v2/account/keys`` (read only: the keys droplets can be created with)."""

    async def list(self) -> list[SshKey]:
        return await Paginator(self._t, "/v2/account/keys", "ssh_keys", SshKey).collect()


class Tags(Service):
    async def create(self, name: str) -> Tag:
        return await self._send("POST", "/v2/tags", "tag", Tag, {"name": name})

    async def get(self, name: str) -> Tag:
        return await self._get(f"/v2/tags/{seg(name)}", "tag", Tag)

    def list(self) -> Paginator[Tag]:
        return Paginator(self._t, "/v2/tags", "tags", Tag)

    async def delete(self, name: str) -> None:
        await self._t.request("DELETE", f"/v2/tags/{seg(name)}")

    async def tag_resources(self, name: str, resources: Sequence[tuple[str, str]]) -> None:
        """Apply tag ``name`` to ``[(resource_id, resource_type)]`` (types: droplet, image, volume, ...)."""
        await self._t.request("POST", f"/v2/tags/{seg(name)}/resources", json=_resources(resources))

    async def untag_resources(self, name: str, resources: Sequence[tuple[str, str]]) -> None:
        await self._t.request("DELETE", f"/v2/tags/{seg(name)}/resources", json=_resources(resources))


def _resources(resources: Sequence[tuple[str, str]]) -> dict[str, object]:
    return {"resources": [{"resource_id": str(rid), "resource_type": rtype} for rid, rtype in resources]}
