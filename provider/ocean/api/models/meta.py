"""List metadata (``meta.total``) and pagination links (``links.pages``)."""

from __future__ import annotations

from ._base import OceanModel


class MetaProperties(OceanModel):
    total: int | None = None


class APIMeta(OceanModel):
    """The ``meta`` object of a list response."""

    meta: MetaProperties | None = None


class PageLinksPages(OceanModel):
    first: str | None = None
    prev: str | None = None
    next: str | None = None
    last: str | None = None


class PageLinks(OceanModel):
    """The ``links`` object of a list response: follow ``pages.next`` until it is absent."""

    pages: PageLinksPages | None = None
