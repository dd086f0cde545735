"""The catalogue: regions, sizes, the account and kernels, from the seeded read-only data in
:mod:`ocean.emulator.catalogue`. No state of its own."""

from __future__ import annotations

from copy import deepcopy

from ocean.emulator import catalogue as data
from ocean.emulator.core import Json
from ocean.emulator.errors import unprocessable
from ocean.emulator.services.base import Service


class Catalogue(Service):
    def regions(self) -> list[Json]:
        return deepcopy(list(data.REGIONS.values()))

    def sizes(self) -> list[Json]:
        return deepcopy(list(data.SIZES.values()))

    def account(self) -> Json:
        return deepcopy(data.ACCOUNT)

    def kernels(self) -> list[Json]:
        return deepcopy(data.KERNELS)

    def supported_backup_policies(self) -> list[Json]:
        return deepcopy(data.SUPPORTED_BACKUP_POLICIES)

    @staticmethod
    def region(slug: str) -> Json:
        return deepcopy(data.REGIONS[slug])

    @staticmethod
    def size(slug: str) -> Json:
        return deepcopy(data.SIZES[slug])

    @staticmethod
    def resolve_region(region: object, *, what: str = "Droplet creation") -> str:
        """A region slug, or a bare prefix (``nyc``) that picks any datacenter of that region, as
        DigitalOcean does."""
        if isinstance(region, str):
            if region in data.REGIONS:
                return region
            for slug in data.REGIONS:
                if slug.rstrip("0123456789") == region:
                    return slug
        raise unprocessable(f"You specified an invalid region for {what}.")
