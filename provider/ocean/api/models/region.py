"""A DigitalOcean region (datacenter)."""

from __future__ import annotations

from ._base import OceanModel


class Region(OceanModel):
    """A region: its slug (``nyc3``), name, features, availability and the size slugs it offers."""

    name: str = ""
    slug: str
    features: list[str] = []
    available: bool = False
    sizes: list[str] = []
