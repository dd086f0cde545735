"""A DigitalOcean image: a distribution, application, snapshot, backup or custom image."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime

from ._base import OceanModel, open_enum

IMAGE_TYPES = ("base", "snapshot", "backup", "custom", "admin")
IMAGE_STATUSES = ("NEW", "available", "pending", "deleted", "retired")
DISTRIBUTIONS = (
    "Arch Linux", "CentOS", "CoreOS", "Debian", "Fedora", "Fedora Atomic", "FreeBSD", "Gentoo",
    "openSUSE", "RancherOS", "Rocky Linux", "Ubuntu", "Unknown",
)  # fmt: skip


class Image(OceanModel):
    """An image; public distribution images have a ``slug`` (``ubuntu-24-04-x64``), others only an id."""

    id: int | None = None
    name: str | None = None
    type: Annotated[str, open_enum("Image.type", IMAGE_TYPES)] | None = None
    distribution: Annotated[str, open_enum("Image.distribution", DISTRIBUTIONS)] | None = None
    slug: str | None = None
    public: bool | None = None
    regions: list[str] = []
    created_at: AwareDatetime | None = None
    min_disk_size: int | None = None
    size_gigabytes: float | None = None
    description: str | None = None
    tags: list[str] | None = None
    status: Annotated[str, open_enum("Image.status", IMAGE_STATUSES)] | None = None
    error_message: str | None = None
