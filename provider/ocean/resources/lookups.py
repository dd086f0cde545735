"""Lookups (Pulumi functions, `invoke`s): read-only queries a program can make while it runs.

In the SDK they are `get_regions`, `get_sizes`, `get_image`, `get_droplet`, `get_firewall`, `get_vpc`,
`get_vpc_peering` and `get_garbage_collection`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, ClassVar

from pydantic import Field

from ocean.resources.base import CheckFailure, Context, Model, validate
from ocean.resources.droplet import to_state
from ocean.resources.firewall import FirewallInboundRule, FirewallOutboundRule, FirewallPendingChange


class RegionInfo(Model):
    """A DigitalOcean region."""

    slug: Annotated[str, Field(description="The region's slug, e.g. `nyc3`.")]
    name: Annotated[str, Field(description="The region's display name.")]
    available: Annotated[bool, Field(description="Whether new resources can be created in it.")]
    sizes: Annotated[list[str], Field(description="Size slugs available in the region.")]
    features: Annotated[list[str], Field(description="Features offered, e.g. `backups`, `ipv6`.")]


class SizeInfo(Model):
    """A droplet size."""

    slug: Annotated[str, Field(description="The size slug, e.g. `s-1vcpu-1gb`.")]
    memory: Annotated[int, Field(description="Memory in megabytes.")]
    vcpus: Annotated[int, Field(description="Virtual CPUs.")]
    disk: Annotated[int, Field(description="Disk in gigabytes.")]
    price_monthly: Annotated[float, Field(description="Monthly price in US dollars.")]
    price_hourly: Annotated[float, Field(description="Hourly price in US dollars.")]
    regions: Annotated[list[str], Field(description="Regions the size is offered in.")]
    available: Annotated[bool, Field(description="Whether droplets of this size can be created.")]
    description: Annotated[str, Field(default="", description="DigitalOcean's description of the size.")]


class GetRegionsArgs(Model):
    available: Annotated[
        bool | None,
        Field(default=None, description="Only regions where resources can (true) or cannot be created."),
    ]


class GetRegionsResult(Model):
    regions: Annotated[list[RegionInfo], Field(description="The regions, sorted by slug.")]


class GetSizesArgs(Model):
    region: Annotated[str | None, Field(default=None, description="Only sizes offered in this region.")]
    available: Annotated[
        bool | None, Field(default=None, description="Only sizes that are (or are not) available.")
    ]


class GetSizesResult(Model):
    sizes: Annotated[list[SizeInfo], Field(description="The sizes, cheapest first.")]


class GetImageArgs(Model):
    slug: Annotated[str | None, Field(default=None, description="The image slug, e.g. `ubuntu-24-04-x64`.")]
    id: Annotated[int | None, Field(default=None, description="The image id.")]


class GetImageResult(Model):
    id: Annotated[int, Field(description="The image id.")]
    slug: Annotated[str | None, Field(default=None, description="The image slug, if it has one.")]
    name: Annotated[str, Field(description="The image's name.")]
    distribution: Annotated[str, Field(description="The operating system distribution.")]
    type: Annotated[str, Field(description="`base`, `snapshot`, `backup`, `custom` or `admin`.")]
    public: Annotated[bool, Field(description="Whether the image is public.")]
    regions: Annotated[list[str], Field(description="Regions the image is available in.")]
    min_disk_size: Annotated[int, Field(description="The smallest disk, in gigabytes, it fits on.")]


class GetDropletArgs(Model):
    id: Annotated[int | None, Field(default=None, description="The droplet id.")]
    name: Annotated[
        str | None, Field(default=None, description="The droplet name (must match exactly one droplet).")
    ]


class GetDropletResult(Model):
    droplet_id: Annotated[int, Field(description="The droplet id.")]
    name: Annotated[str, Field(description="The droplet's name.")]
    region: Annotated[str, Field(description="The region slug.")]
    size: Annotated[str, Field(description="The size slug.")]
    image: Annotated[str, Field(description="The image slug, or id when it has no slug.")]
    status: Annotated[str, Field(description="`new`, `active`, `off` or `archive`.")]
    tags: Annotated[list[str], Field(description="Tag names.")]
    vpc_uuid: Annotated[str | None, Field(default=None, description="The VPC id.")]
    memory: Annotated[int, Field(description="Memory in megabytes.")]
    vcpus: Annotated[int, Field(description="Virtual CPUs.")]
    disk: Annotated[int, Field(description="Disk in gigabytes.")]
    ipv4_address: Annotated[str | None, Field(default=None, description="Public IPv4 address.")]
    ipv4_address_private: Annotated[str | None, Field(default=None, description="Private IPv4 address.")]
    ipv6_address: Annotated[str | None, Field(default=None, description="Public IPv6 address.")]
    created_at: Annotated[str, Field(description="When it was created (RFC 3339).")]


class GetGarbageCollectionArgs(Model):
    registry_name: Annotated[str, Field(description="The name of the registry.")]


class GetGarbageCollectionResult(Model):
    active: Annotated[
        bool,
        Field(
            description="Whether a garbage collection is running (the registry is read-only while it runs)."
        ),
    ]
    uuid: Annotated[str | None, Field(default=None, description="The running collection's id.")]
    status: Annotated[
        str | None, Field(default=None, description="Its current status, e.g. `scanning manifests`.")
    ]
    type: Annotated[str | None, Field(default=None, description="Its type, e.g. `unreferenced blobs only`.")]
    created_at: Annotated[str | None, Field(default=None, description="When it was started (RFC 3339).")]
    updated_at: Annotated[
        str | None, Field(default=None, description="When its status last changed (RFC 3339).")
    ]


class GetVpcArgs(Model):
    id: Annotated[str | None, Field(default=None, description="The VPC id.")]
    name: Annotated[str | None, Field(default=None, description="The VPC name (names are unique).")]
    region: Annotated[
        str | None,
        Field(
            default=None,
            description="A region slug: alone, finds the region's default VPC; with `name`, the VPC must "
            "be in this region.",
        ),
    ]


class GetVpcResult(Model):
    vpc_id: Annotated[str, Field(description="The VPC id.")]
    name: Annotated[str, Field(description="The VPC's name.")]
    region: Annotated[str, Field(description="The region slug.")]
    ip_range: Annotated[str, Field(description="The VPC's address range (CIDR).")]
    description: Annotated[str, Field(description="The VPC's description.")]
    default: Annotated[bool, Field(description="Whether it is the default VPC of its region.")]
    vpc_urn: Annotated[str, Field(description="The VPC's uniform resource name, `do:vpc:<id>`.")]
    created_at: Annotated[str, Field(description="When it was created (RFC 3339).")]


class GetVpcPeeringArgs(Model):
    id: Annotated[str | None, Field(default=None, description="The peering id.")]
    name: Annotated[str | None, Field(default=None, description="The peering name (names are unique).")]


class GetVpcPeeringResult(Model):
    peering_id: Annotated[str, Field(description="The peering id.")]
    name: Annotated[str, Field(description="The peering's name.")]
    vpc_ids: Annotated[list[str], Field(description="The ids of the two peered VPCs.")]
    status: Annotated[str, Field(description="`PROVISIONING`, `ACTIVE` or `DELETING`.")]
    created_at: Annotated[str, Field(description="When it was created (RFC 3339).")]


class GetFirewallArgs(Model):
    id: Annotated[str | None, Field(default=None, description="The firewall id.")]
    name: Annotated[
        str | None, Field(default=None, description="The firewall name (must match exactly one firewall).")
    ]


class GetFirewallResult(Model):
    firewall_id: Annotated[str, Field(description="The firewall id.")]
    name: Annotated[str, Field(description="The firewall's name.")]
    status: Annotated[str, Field(description="`waiting`, `succeeded` or `failed`.")]
    created_at: Annotated[str, Field(description="When it was created (RFC 3339).")]
    pending_changes: Annotated[
        list[FirewallPendingChange], Field(description="Droplets DigitalOcean is still applying it to.")
    ]
    droplet_ids: Annotated[list[int], Field(description="The droplets it applies to by id.")]
    tags: Annotated[list[str], Field(description="The tags of droplets it applies to.")]
    inbound_rules: Annotated[list[FirewallInboundRule], Field(description="Its inbound rules.")]
    outbound_rules: Annotated[list[FirewallOutboundRule], Field(description="Its outbound rules.")]


class LookupError_(Exception):
    """A lookup found nothing, or too much: the message says which and what to change."""


class Function:
    token: ClassVar[str]
    description: ClassVar[str]
    Args: ClassVar[type[Model]]
    Result: ClassVar[type[Model]]
    run: ClassVar[Callable[[Context, dict[str, Any]], Awaitable[dict[str, Any]]]]

    @classmethod
    def check(cls, args: dict[str, Any]) -> tuple[dict[str, Any], list[CheckFailure]]:
        return validate(cls.Args, cls.token.split(":")[-1], args)


async def _get_regions(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    regions = await ctx.api.regions.list()
    wanted = args.get("available")
    out = [
        {
            "slug": r.slug,
            "name": r.name,
            "available": bool(r.available),
            "sizes": list(r.sizes or []),
            "features": list(r.features or []),
        }
        for r in sorted(regions, key=lambda r: r.slug)
        if wanted is None or bool(r.available) == wanted
    ]
    return {"regions": out}


async def _get_sizes(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    sizes = await ctx.api.sizes.list()
    region, available = args.get("region"), args.get("available")
    out = [
        {
            "slug": s.slug,
            "memory": s.memory,
            "vcpus": s.vcpus,
            "disk": s.disk,
            "priceMonthly": float(s.price_monthly),
            "priceHourly": float(s.price_hourly),
            "regions": list(s.regions or []),
            "available": bool(s.available),
            "description": s.description or "",
        }
        for s in sorted(sizes, key=lambda s: (float(s.price_monthly), s.slug))
        if (region is None or region in (s.regions or []))
        and (available is None or bool(s.available) == available)
    ]
    return {"sizes": out}


async def _get_image(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    key = args.get("slug") if args.get("slug") is not None else args.get("id")
    if key is None or (args.get("slug") is not None and args.get("id") is not None):
        raise LookupError_("getImage: give exactly one of `slug` or `id`")
    image = await ctx.api.images.get(key)
    return {
        "id": image.id,
        "slug": image.slug,
        "name": image.name or "",
        "distribution": image.distribution or "",
        "type": str(image.type or ""),
        "public": bool(image.public),
        "regions": list(image.regions or []),
        "minDiskSize": int(image.min_disk_size or 0),
    }


async def _get_droplet(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    if (args.get("id") is None) == (args.get("name") is None):
        raise LookupError_("getDroplet: give exactly one of `id` or `name`")
    if args.get("id") is not None:
        droplet = await ctx.api.droplets.get(int(args["id"]))
    else:
        found = [d async for d in ctx.api.droplets.list(name=args["name"])]
        if len(found) != 1:
            raise LookupError_(
                f"getDroplet: {len(found)} droplets are named {args['name']!r}; a name must match exactly "
                "one (look it up by `id` instead)"
            )
        droplet = found[0]
    # The same outputs a Droplet resource has, so a lookup and a managed droplet never disagree.
    state = to_state(droplet, {}, imported=True)
    result = {key: state[key] for key in _DROPLET_RESULT_KEYS}
    result["createdAt"] = result["createdAt"] or ""
    return result


_DROPLET_RESULT_KEYS = tuple(GetDropletResult.wire_name(f) for f in GetDropletResult.model_fields)


async def _get_garbage_collection(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    from ocean.api import errors
    from ocean.resources.container_registry import NAME_RE, NAME_RULE

    name = args["registryName"]
    if not NAME_RE.match(name):
        raise LookupError_(
            f"getGarbageCollection: `registryName` {name!r} is not a registry name: use {NAME_RULE}"
        )
    try:
        gc = await ctx.api.garbage_collections.get_active(name)
    except errors.NotFound:
        # No active collection, or no such registry: tell them apart (a missing registry is an error).
        await ctx.api.registries.get(name)
        return {"active": False}
    return {
        "active": True,
        "uuid": gc.uuid,
        "status": gc.status,
        "type": gc.type,
        "createdAt": gc.created_at.isoformat() if gc.created_at else None,
        "updatedAt": gc.updated_at.isoformat() if gc.updated_at else None,
    }


async def _get_vpc(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    from ocean.api import errors

    vpc_id, name, region = args.get("id"), args.get("name"), args.get("region")
    if vpc_id is not None and (name is not None or region is not None):
        raise LookupError_("give `id` alone, or `name` (optionally with `region`), or `region` alone")
    if vpc_id is not None:
        try:
            vpc = await ctx.api.vpcs.get(vpc_id)
        except errors.NotFound:
            raise LookupError_(f"no VPC has the id {vpc_id!r} (see `doctl vpcs list`)") from None
    elif name is not None or region is not None:
        found = [
            v
            async for v in ctx.api.vpcs.list()
            if (name is None and v.default or name is not None and v.name == name)
            and (region is None or v.region == region)
        ]
        wanted = f"named {name!r}" if name is not None else "that is the default"
        where = f" in region {region!r}" if region is not None else ""
        if len(found) != 1:
            raise LookupError_(
                f"{len(found)} VPCs {wanted}{where}; a lookup must match exactly one (look it up by `id`)"
            )
        vpc = found[0]
    else:
        raise LookupError_("give `id`, `name`, or `region` (for the region's default VPC)")
    return {
        "vpcId": vpc.id,
        "name": vpc.name,
        "region": vpc.region or "",
        "ipRange": vpc.ip_range or "",
        "description": vpc.description or "",
        "default": bool(vpc.default),
        "vpcUrn": vpc.urn or f"do:vpc:{vpc.id}",
        "createdAt": vpc.created_at.isoformat() if vpc.created_at is not None else "",
    }


async def _get_vpc_peering(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    from ocean.api import errors

    peering_id, name = args.get("id"), args.get("name")
    if (peering_id is None) == (name is None):
        raise LookupError_("give exactly one of `id` or `name`")
    if peering_id is not None:
        try:
            peering = await ctx.api.vpc_peerings.get(peering_id)
        except errors.NotFound:
            raise LookupError_(f"no VPC peering has the id {peering_id!r}") from None
    else:
        found = [p async for p in ctx.api.vpc_peerings.list() if p.name == name]
        if len(found) != 1:
            raise LookupError_(f"{len(found)} VPC peerings are named {name!r}; a name must match exactly one")
        peering = found[0]
    return {
        "peeringId": peering.id,
        "name": peering.name,
        "vpcIds": list(peering.vpc_ids or []),
        "status": str(peering.status or ""),
        "createdAt": peering.created_at.isoformat() if peering.created_at is not None else "",
    }


async def _get_firewall(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    from ocean.resources.firewall import to_state

    if (args.get("id") is None) == (args.get("name") is None):
        raise LookupError_("getFirewall: give exactly one of `id` or `name`")
    if args.get("id") is not None:
        fw = await ctx.api.firewalls.get(str(args["id"]))
    else:
        found = [f async for f in ctx.api.firewalls.list() if f.name == args["name"]]
        if len(found) != 1:
            raise LookupError_(
                f"getFirewall: {len(found)} firewalls are named {args['name']!r}; a name must match exactly "
                "one (look it up by `id` instead)"
            )
        fw = found[0]
    state = to_state(fw, {})
    return {**{k: state[k] for k in _FIREWALL_RESULT_KEYS}, "createdAt": state["createdAt"] or ""}


_FIREWALL_RESULT_KEYS = tuple(GetFirewallResult.wire_name(f) for f in GetFirewallResult.model_fields)


def _function(
    token: str, description: str, args: type[Model], result: type[Model], run: Any
) -> type[Function]:
    return type(
        token.split(":")[-1],
        (Function,),
        {
            "token": token,
            "description": description,
            "Args": args,
            "Result": result,
            "run": staticmethod(run),
        },
    )


FUNCTIONS: list[type[Function]] = [
    _function(
        "ocean:index:getRegions", "The DigitalOcean regions.", GetRegionsArgs, GetRegionsResult, _get_regions
    ),
    _function(
        "ocean:index:getSizes",
        "Droplet sizes, cheapest first, optionally only those offered in a region.",
        GetSizesArgs,
        GetSizesResult,
        _get_sizes,
    ),
    _function(
        "ocean:index:getImage", "An image, by slug or by id.", GetImageArgs, GetImageResult, _get_image
    ),
    _function(
        "ocean:index:getDroplet",
        "An existing droplet, by id or by (unique) name.",
        GetDropletArgs,
        GetDropletResult,
        _get_droplet,
    ),
    _function(
        "ocean:index:getGarbageCollection",
        "The garbage collection running on a registry, if any (`active` is false when there is none). While "
        "one runs the registry is read-only: check before pushing images.",
        GetGarbageCollectionArgs,
        GetGarbageCollectionResult,
        _get_garbage_collection,
    ),
    _function(
        "ocean:index:getVpc",
        "An existing VPC, by id, by (unique) name, or the default VPC of a region.",
        GetVpcArgs,
        GetVpcResult,
        _get_vpc,
    ),
    _function(
        "ocean:index:getVpcPeering",
        "An existing VPC peering, by id or by (unique) name.",
        GetVpcPeeringArgs,
        GetVpcPeeringResult,
        _get_vpc_peering,
    ),
    _function(
        "ocean:index:getFirewall",
        "An existing firewall, by id or by (unique) name, with all of its rules.",
        GetFirewallArgs,
        GetFirewallResult,
        _get_firewall,
    ),
]
