"""Bad inputs across every resource: the table behind the "stopped at preview" tests and the before/after
measurement (`scripts/measure_bad_inputs.py`).

Each case is a complete set of inputs that is valid except for one thing, and names the input the error
must name. `where` says what stops it:

- "check": the inputs alone (syntax, types, sizes) — no request at all;
- "catalogue": DigitalOcean's catalogue (regions, sizes, images, the account's SSH keys, registry options),
  read with a few GETs;
- "timeout": a customTimeouts value, which the engine hands to Create/Update/Delete (not to Check).

Placeholders: "$droplet" is replaced by the id of an existing droplet, "$vpc1"/"$vpc2" by two existing
VPCs' ids, "$registry" by an existing registry's name and "$firewall" by an existing firewall's id, so
that only the bad value is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DROPLET = "ocean:index:Droplet"
SNAPSHOT = "ocean:index:DropletSnapshot"
VPC = "ocean:index:Vpc"
PEERING = "ocean:index:VpcPeering"
REGISTRY = "ocean:index:ContainerRegistry"
SUBSCRIPTION = "ocean:index:RegistrySubscription"
GC = "ocean:index:RegistryGarbageCollection"
FIREWALL = "ocean:index:Firewall"
FIREWALL_RULE = "ocean:index:FirewallRule"

UUID_A = "5a4981aa-9653-4bd1-bef5-d6bff52042e4"
UNKNOWN_FINGERPRINT = "3b:16:e4:bf:8b:00:8b:b8:59:8c:a9:d3:f0:19:fa:45"


@dataclass(frozen=True)
class Bad:
    id: str
    token: str
    inputs: dict[str, Any]
    field: str
    where: str = "check"
    # What else the message must say (beyond the field), e.g. the accepted values or a suggestion.
    says: tuple[str, ...] = ()
    # customTimeouts as the engine passes them (seconds): {"create": -300.0}
    timeouts: dict[str, float] = field(default_factory=dict)


def droplet(**over: Any) -> dict[str, Any]:
    return {"name": "web-1", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64", **over}


def snapshot(**over: Any) -> dict[str, Any]:
    return {"dropletId": "$droplet", "name": "snap-1", **over}


def vpc(**over: Any) -> dict[str, Any]:
    return {"name": "net-1", "region": "nyc3", "ipRange": "10.20.0.0/24", **over}


def peering(**over: Any) -> dict[str, Any]:
    return {"name": "peer-1", "vpcIds": ["$vpc1", "$vpc2"], **over}


def registry(**over: Any) -> dict[str, Any]:
    return {"name": "reg-1", "region": "fra1", **over}


def gc(**over: Any) -> dict[str, Any]:
    return {"registryName": "$registry", **over}


SSH_IN = {"protocol": "tcp", "portRange": "22", "sourceAddresses": ["0.0.0.0/0"]}


def firewall(**over: Any) -> dict[str, Any]:
    return {"name": "fw-1", "inboundRules": [dict(SSH_IN)], **over}


def firewall_rule(**over: Any) -> dict[str, Any]:
    return {"firewallId": "$firewall", "inboundRule": dict(SSH_IN), **over}


CASES: list[Bad] = [
    # ---------------------------------------------------------------------------------------- Droplet
    Bad("droplet-unknown-region", DROPLET, droplet(region="nyc9"), "region", "catalogue", ("nyc",)),
    Bad("droplet-region-upper", DROPLET, droplet(region="NYC3"), "region", "catalogue", ("nyc3",)),
    Bad("droplet-region-int", DROPLET, droplet(region=3), "region"),
    Bad("droplet-unknown-size", DROPLET, droplet(size="s-1vcpu-1g"), "size", "catalogue", ("s-1vcpu-1gb",)),
    Bad(
        "droplet-size-not-in-region",
        DROPLET,
        droplet(region="blr1", size="s-1vcpu-512mb-10gb"),
        "size",
        "catalogue",
        ("blr1",),
    ),
    Bad("droplet-unknown-image-slug", DROPLET, droplet(image="ubuntu-24-04"), "image", "catalogue"),
    Bad("droplet-unknown-image-id", DROPLET, droplet(image="999999999"), "image", "catalogue"),
    Bad("droplet-image-empty", DROPLET, droplet(image=""), "image"),
    Bad("droplet-image-bool", DROPLET, droplet(image=True), "image"),
    Bad("droplet-tag-space", DROPLET, droplet(tags=["web server"]), "tags", says=("letters",)),
    Bad("droplet-tag-bang", DROPLET, droplet(tags=["web!"]), "tags"),
    Bad("droplet-tag-empty", DROPLET, droplet(tags=[""]), "tags"),
    Bad("droplet-tag-too-long", DROPLET, droplet(tags=["t" * 256]), "tags", says=("255",)),
    Bad("droplet-tag-reserved", DROPLET, droplet(tags=["pulumi-ocean:0123456789abcdef"]), "tags"),
    Bad("droplet-tags-not-list", DROPLET, droplet(tags="web"), "tags"),
    Bad("droplet-tag-int", DROPLET, droplet(tags=[1]), "tags"),
    Bad("droplet-user-data-too-big", DROPLET, droplet(userData="a" * 65537), "userData", says=("64 KiB",)),
    Bad("droplet-user-data-bytes", DROPLET, droplet(userData="é" * 40000), "userData", says=("bytes",)),
    Bad("droplet-user-data-int", DROPLET, droplet(userData=5), "userData"),
    Bad("droplet-vpc-not-uuid", DROPLET, droplet(vpcUuid="not-a-uuid"), "vpcUuid", says=("UUID",)),
    Bad("droplet-vpc-number", DROPLET, droplet(vpcUuid="12345"), "vpcUuid"),
    Bad("droplet-ssh-key-garbage", DROPLET, droplet(sshKeys=["not-a-key"]), "sshKeys", says=("fingerprint",)),
    Bad("droplet-ssh-key-short-fp", DROPLET, droplet(sshKeys=["3b:16:e4:bf:8b:00"]), "sshKeys"),
    Bad("droplet-ssh-key-zero", DROPLET, droplet(sshKeys=["0"]), "sshKeys"),
    Bad("droplet-ssh-key-negative", DROPLET, droplet(sshKeys=[-5]), "sshKeys"),
    Bad("droplet-ssh-key-bool", DROPLET, droplet(sshKeys=[True]), "sshKeys"),
    Bad("droplet-ssh-key-unknown-id", DROPLET, droplet(sshKeys=["99999"]), "sshKeys", "catalogue"),
    Bad(
        "droplet-ssh-key-unknown-fp",
        DROPLET,
        droplet(sshKeys=[UNKNOWN_FINGERPRINT]),
        "sshKeys",
        "catalogue",
    ),
    Bad("droplet-monitoring-yes", DROPLET, droplet(monitoring="yes"), "monitoring", says=("true or false",)),
    Bad("droplet-monitoring-int", DROPLET, droplet(monitoring=1), "monitoring"),
    Bad("droplet-running-no", DROPLET, droplet(running="no"), "running", says=("true or false",)),
    Bad("droplet-ipv6-text", DROPLET, droplet(ipv6="true"), "ipv6"),
    Bad("droplet-backups-text", DROPLET, droplet(backups="false"), "backups"),
    Bad("droplet-resize-disk-yes", DROPLET, droplet(resizeDisk="yes"), "resizeDisk"),
    Bad("droplet-grace-text", DROPLET, droplet(shutdownGracePeriod="60"), "shutdownGracePeriod"),
    Bad("droplet-grace-negative", DROPLET, droplet(shutdownGracePeriod=-1), "shutdownGracePeriod"),
    Bad("droplet-grace-bool", DROPLET, droplet(shutdownGracePeriod=True), "shutdownGracePeriod"),
    Bad("droplet-grace-fraction", DROPLET, droplet(shutdownGracePeriod=1.5), "shutdownGracePeriod"),
    Bad("droplet-name-underscore", DROPLET, droplet(name="web_1"), "name", says=("hostname",)),
    Bad("droplet-name-label-too-long", DROPLET, droplet(name="a" * 64), "name"),
    Bad("droplet-name-int", DROPLET, droplet(name=5), "name"),
    Bad(
        "droplet-backup-plan-unknown",
        DROPLET,
        droplet(backups=True, backupPolicy={"plan": "monthly"}),
        "backupPolicy.plan",
        says=("daily", "weekly"),
    ),
    Bad(
        "droplet-backup-hour",
        DROPLET,
        droplet(backups=True, backupPolicy={"plan": "daily", "hour": 3}),
        "backupPolicy.hour",
    ),
    Bad(
        "droplet-backup-policy-unknown-key",
        DROPLET,
        droplet(backups=True, backupPolicy={"plan": "daily", "time": 4}),
        "backupPolicy.time",
    ),
    Bad(
        "droplet-backup-weekly-no-day",
        DROPLET,
        droplet(backups=True, backupPolicy={"plan": "weekly"}),
        "backupPolicy",
        says=("weekday",),
    ),
    Bad(
        "droplet-backup-policy-without-backups",
        DROPLET,
        droplet(backupPolicy={"plan": "daily"}),
        "backupPolicy",
    ),
    Bad("droplet-unknown-input", DROPLET, droplet(colour="blue"), "colour"),
    Bad(
        "droplet-create-timeout-negative",
        DROPLET,
        droplet(),
        "create",
        "timeout",
        timeouts={"create": -300.0},
    ),
    Bad(
        "droplet-delete-timeout-negative", DROPLET, droplet(), "delete", "timeout", timeouts={"delete": -1.0}
    ),
    # ------------------------------------------------------------------------------- DropletSnapshot
    Bad("snapshot-droplet-negative", SNAPSHOT, snapshot(dropletId=-1), "dropletId", says=("positive",)),
    Bad("snapshot-droplet-zero", SNAPSHOT, snapshot(dropletId=0), "dropletId"),
    Bad("snapshot-droplet-bool", SNAPSHOT, snapshot(dropletId=True), "dropletId"),
    Bad("snapshot-droplet-text", SNAPSHOT, snapshot(dropletId="123"), "dropletId"),
    Bad("snapshot-droplet-fraction", SNAPSHOT, snapshot(dropletId=1.5), "dropletId"),
    Bad("snapshot-name-control-chars", SNAPSHOT, snapshot(name="snap\nshot\x00"), "name"),
    Bad("snapshot-name-too-long", SNAPSHOT, snapshot(name="s" * 256), "name"),
    # ------------------------------------------------------------------------------------------- Vpc
    Bad("vpc-unknown-region", VPC, vpc(region="nyc9"), "region", "catalogue"),
    Bad("vpc-region-words", VPC, vpc(region="New York"), "region"),
    Bad("vpc-range-too-big", VPC, vpc(ipRange="10.0.0.0/8"), "ipRange"),
    Bad("vpc-range-public", VPC, vpc(ipRange="8.8.8.0/24"), "ipRange"),
    Bad("vpc-range-host-bits", VPC, vpc(ipRange="10.10.10.1/24"), "ipRange"),
    Bad("vpc-name-space", VPC, vpc(name="my vpc"), "name"),
    Bad("vpc-description-too-long", VPC, vpc(description="d" * 256), "description"),
    Bad("vpc-default-yes", VPC, vpc(default="yes"), "default"),
    Bad("vpc-name-int", VPC, vpc(name=7), "name"),
    # ------------------------------------------------------------------------------------ VpcPeering
    Bad("peering-one-vpc", PEERING, peering(vpcIds=["$vpc1"]), "vpcIds"),
    Bad("peering-not-uuid", PEERING, peering(vpcIds=["not-a-uuid", "$vpc2"]), "vpcIds"),
    Bad("peering-same-vpc", PEERING, peering(vpcIds=["$vpc1", "$vpc1"]), "vpcIds"),
    Bad("peering-name-dot", PEERING, peering(name="peer.1"), "name"),
    Bad("peering-ids-not-list", PEERING, peering(vpcIds="$vpc1"), "vpcIds"),
    # ----------------------------------------------------------------------------- ContainerRegistry
    Bad("registry-name-case", REGISTRY, registry(name="My_Registry"), "name"),
    Bad("registry-name-too-long", REGISTRY, registry(name="r" * 64), "name"),
    Bad("registry-unknown-region", REGISTRY, registry(region="nyc9"), "region", "catalogue"),
    Bad("registry-region-upper", REGISTRY, registry(region="FRA1"), "region"),
    Bad("registry-region-int", REGISTRY, registry(region=3), "region"),
    # -------------------------------------------------------------------------- RegistrySubscription
    Bad("subscription-unknown-tier", SUBSCRIPTION, {"tierSlug": "enterprise"}, "tierSlug", "catalogue"),
    Bad("subscription-tier-case", SUBSCRIPTION, {"tierSlug": "Basic"}, "tierSlug"),
    Bad("subscription-tier-int", SUBSCRIPTION, {"tierSlug": 1}, "tierSlug"),
    # --------------------------------------------------------------------- RegistryGarbageCollection
    Bad("gc-registry-name", GC, gc(registryName="Bad_Name"), "registryName"),
    Bad("gc-registry-empty", GC, gc(registryName=""), "registryName"),
    Bad("gc-type-unknown", GC, gc(type="everything"), "type", says=("unreferenced blobs only",)),
    Bad("gc-triggers-not-list", GC, gc(triggers="x"), "triggers"),
    # -------------------------------------------------------------------------------------- Firewall
    Bad("firewall-name-space", FIREWALL, firewall(name="fw 1"), "name"),
    Bad(
        "firewall-protocol",
        FIREWALL,
        firewall(inboundRules=[{**SSH_IN, "protocol": "ftp"}]),
        "inboundRules[0].protocol",
    ),
    Bad("firewall-port", FIREWALL, firewall(inboundRules=[{**SSH_IN, "portRange": "70000"}]), "inboundRules"),
    Bad(
        "firewall-address",
        FIREWALL,
        firewall(inboundRules=[{**SSH_IN, "sourceAddresses": ["10.0.0.300"]}]),
        "inboundRules",
    ),
    Bad("firewall-rules-not-list", FIREWALL, firewall(inboundRules="ssh"), "inboundRules"),
    Bad(
        "firewall-outbound-nowhere",
        FIREWALL,
        firewall(outboundRules=[{"protocol": "tcp", "portRange": "80"}]),
        "outboundRules",
    ),
    Bad("firewall-droplet-bool", FIREWALL, firewall(dropletIds=[True]), "dropletIds"),
    Bad("firewall-droplet-negative", FIREWALL, firewall(dropletIds=[-3]), "dropletIds"),
    Bad("firewall-tag-space", FIREWALL, firewall(tags=["web server"]), "tags"),
    Bad("firewall-too-many-tags", FIREWALL, firewall(tags=[f"t{i}" for i in range(6)]), "tags"),
    # ---------------------------------------------------------------------------------- FirewallRule
    Bad(
        "firewall-rule-both",
        FIREWALL_RULE,
        firewall_rule(
            outboundRule={"protocol": "tcp", "portRange": "80", "destinationAddresses": ["0.0.0.0/0"]}
        ),
        "inboundRule",
    ),
    Bad(
        "firewall-rule-icmp-port",
        FIREWALL_RULE,
        firewall_rule(inboundRule={**SSH_IN, "protocol": "icmp"}),
        "inboundRule",
    ),
    Bad("firewall-rule-id-empty", FIREWALL_RULE, firewall_rule(firewallId=""), "firewallId"),
    Bad("firewall-rule-id-int", FIREWALL_RULE, firewall_rule(firewallId=5), "firewallId"),
]

# Not bad, but mishandled before: kept as the program says, with no diff on the next preview.
GOOD: list[tuple[str, str, dict[str, Any]]] = [
    ("droplet-grace-zero", DROPLET, droplet(shutdownGracePeriod=0)),
]
