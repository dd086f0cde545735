"""Typed DigitalOcean API models (pydantic v2), one entity per module."""

from .action import ACTION_STATUSES, DROPLET_ACTION_TYPES, Action, ActionLink
from .disk_info import DiskInfo, DiskSize
from .droplet import DROPLET_STATUSES, Droplet, DropletCreated, DropletNetworks
from .droplet_backup_policy import DropletBackupPolicy, DropletBackupPolicySettings
from .droplet_next_backup_window import DropletNextBackupWindow
from .firewall import FIREWALL_STATUSES, Firewall, FirewallPendingChange
from .firewall_rule import FirewallInboundRule, FirewallOutboundRule
from .firewall_rule_target import FirewallRuleTarget
from .garbage_collection import GC_STATUSES, GC_TERMINAL_STATUSES, GC_TYPES, GarbageCollection
from .gpu_info import GPUInfo, GPUVram
from .image import Image
from .kernel import Kernel
from .meta import APIMeta, MetaProperties, PageLinks, PageLinksPages
from .network_v4 import NetworkV4
from .network_v6 import NetworkV6
from .region import Region
from .registry import Registry
from .registry_options import RegistryOptions, SubscriptionTierOption
from .size import Size
from .snapshot import DropletSnapshot, Snapshot, Snapshots
from .ssh_key import SshKey
from .subscription import SUBSCRIPTION_TIER_SLUGS, Subscription, SubscriptionTierBase
from .tag import Tag, TagResources, TagsMetadata
from .vpc import Vpc
from .vpc_member import VpcMember
from .vpc_peering import VPC_PEERING_STATUSES, VpcPeering

__all__ = [
    "DROPLET_ACTION_TYPES",
    "ACTION_STATUSES", "APIMeta", "Action", "ActionLink", "DROPLET_STATUSES", "DiskInfo", "DiskSize",
    "Droplet", "DropletBackupPolicy", "DropletBackupPolicySettings", "DropletCreated", "DropletNetworks",
    "DropletNextBackupWindow", "DropletSnapshot",
    "FIREWALL_STATUSES", "Firewall", "FirewallInboundRule", "FirewallOutboundRule", "FirewallPendingChange",
    "FirewallRuleTarget", "GC_STATUSES", "GC_TERMINAL_STATUSES", "GC_TYPES", "GPUInfo", "GPUVram",
    "GarbageCollection", "Image", "Kernel", "MetaProperties", "NetworkV4", "NetworkV6", "PageLinks",
    "PageLinksPages", "Region", "Registry", "RegistryOptions", "SUBSCRIPTION_TIER_SLUGS", "Size",
    "Snapshot", "Snapshots", "SshKey", "Subscription", "SubscriptionTierBase", "SubscriptionTierOption",
    "Tag", "TagResources", "TagsMetadata", "VPC_PEERING_STATUSES", "Vpc", "VpcMember", "VpcPeering",
]  # fmt: skip
