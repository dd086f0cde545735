"""Lookups (Pulumi functions, `invoke`s): read-only queries a program can make while it runs.

In the SDK they are `get_regions`, `get_sizes`, `get_image` and `get_droplet`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, ClassVar

from pydantic import Field

from ocean.resources.base import CheckFailure, Context, Model, validate
from ocean.resources.droplet import to_state


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
]
