"""What every service module builds on: :class:`Service` (its core, its slice of the state document) and
:class:`Links`, the narrow, named interface through which one service asks another for something.

A service reads and writes only its own slices of the document. What it needs from another service goes
through that service's *link* protocol below (a handful of methods, each saying what it is for); what
others must hear about (a droplet is gone, a tag is deleted) goes out as a named core event
(:data:`DROPLET_GONE`, :data:`TAG_DELETED`) that the interested services subscribe to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ocean.emulator.core import Core, Json

if TYPE_CHECKING:
    from ocean.emulator.config import EmulatorConfig

#: Emitted with ``droplet_id`` once a destroyed droplet is gone (firewalls forget it).
DROPLET_GONE = "droplet_gone"
#: Emitted with ``key`` (the lower-cased tag name) when a tag is deleted (droplets and firewalls drop it).
TAG_DELETED = "tag_deleted"


class DropletLink(Protocol):
    """What other services may ask of droplets."""

    def exists(self, droplet_id: int) -> bool: ...
    def require(self, droplet_id: int) -> None:
        """Raise 404 unless the droplet exists."""

    def tagged(self, tag_keys: set[str]) -> set[int]:
        """Ids of the droplets carrying any of these (lower-cased) tags."""

    def add_tag(self, droplet_id: int, tag_name: str) -> None: ...
    def remove_tag(self, droplet_id: int, tag_key: str) -> None: ...
    def members_of_vpc(self, vpc_id: str) -> list[Json]:
        """The droplets in a VPC, as VPC members (``urn``, ``name``, ``created_at``)."""

    def snapshot_ids(self, droplet_id: int) -> list[int]:
        """The droplet's snapshot image ids (404 when there is no such droplet)."""

    def forget_snapshot(self, droplet_id: int, image_id: int) -> None: ...


class ImageLink(Protocol):
    """What other services may ask of images."""

    def find(self, ref: Any) -> Json | None:
        """A distribution image (by id or slug) or one of the account's images (by id), or ``None``."""

    def out(self, image: Json) -> Json:
        """An image record as the API shows it."""

    def check_name(self, name: Any) -> str:
        """An image or snapshot name DigitalOcean accepts, or 422."""

    def add_snapshot(self, droplet: Json, name: str | None, at: float) -> int:
        """Record a snapshot of ``droplet`` taken at ``at``; returns the new image id."""


class TagLink(Protocol):
    """What other services may ask of tags."""

    def ensure(self, name: Any) -> str:
        """Create the tag if needed (422 for an invalid name); returns its name as first spelled."""

    def note_tagged(self, name: str, droplet_id: int) -> None:
        """Remember ``droplet_id`` as the tag's most recently tagged droplet."""


class VpcLink(Protocol):
    """What other services may ask of VPCs."""

    def record(self, vpc_id: str) -> Json | None:
        """The VPC's record (to read its region and range), or ``None``."""

    def require(self, vpc_id: str) -> Json:
        """The VPC, or 404."""

    def default_for(self, region: str) -> Json: ...
    def allocate_private_ip(self, vpc_id: str) -> tuple[str, str]:
        """The next free private address in the VPC, and its netmask."""


class PeeringLink(Protocol):
    """What other services may ask of VPC peerings."""

    def involves(self, vpc_id: str) -> bool: ...


class SshKeyLink(Protocol):
    """What other services may ask of SSH keys."""

    def resolve(self, ref: Any) -> Json | None:
        """The key with this id (integer or digit string) or fingerprint, or ``None``."""


@dataclass
class Links:
    """Every service's link, filled in by the composition root once all services exist."""

    droplets: DropletLink
    images: ImageLink
    tags: TagLink
    vpcs: VpcLink
    peerings: PeeringLink
    ssh_keys: SshKeyLink


class Service:
    """A DigitalOcean service's emulation: state slice, validation, lifecycle, output shapes. No HTTP."""

    links: Links

    def __init__(self, core: Core) -> None:
        self.core = core
        core.seeds(self.seed)

    @property
    def config(self) -> EmulatorConfig:
        return self.core.config

    def seed(self, doc: Json, now: float) -> None:
        """Add this service's slices (and id counters) to a fresh state document."""

    def slice(self, name: str) -> Json:
        """One of this service's top-level keys of the state document."""
        # setdefault: state files written before a slice existed still load.
        value: Json = self.core.s.setdefault(name, {})
        return value
