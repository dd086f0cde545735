"""Operations grouped by resource kind; reached through ``DigitalOceanClient`` attributes."""

from ..models.action import DROPLET_ACTION_TYPES
from .catalogue import Images, Regions, Sizes, Snapshots, SshKeys, Tags
from .droplets import Actions, DropletActions, Droplets
from .networking import Firewalls, VpcPeerings, Vpcs
from .registries import GarbageCollections, Registries

__all__ = [
    "DROPLET_ACTION_TYPES", "Actions", "DropletActions", "Droplets", "Firewalls", "GarbageCollections",
    "Images", "Regions", "Registries", "Sizes", "Snapshots", "SshKeys", "Tags", "VpcPeerings", "Vpcs",
]  # fmt: skip
