"""A tag and the statistics of what it is applied to."""

from __future__ import annotations

from ._base import OceanModel

TAG_RESOURCE_TYPES = ("droplet", "image", "volume", "volume_snapshot")


class TagsMetadata(OceanModel):
    count: int | None = None
    last_tagged_uri: str | None = None


class TagResources(TagsMetadata):
    droplets: TagsMetadata | None = None
    imgages: TagsMetadata | None = None  # sic: the spec's spelling
    images: TagsMetadata | None = None
    volumes: TagsMetadata | None = None
    volume_snapshots: TagsMetadata | None = None
    databases: TagsMetadata | None = None


class Tag(OceanModel):
    """A tag: a name applied to droplets, images, volumes, ... (``resources`` counts them)."""

    name: str
    resources: TagResources | None = None
