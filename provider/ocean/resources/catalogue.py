"""DigitalOcean's catalogue — regions, sizes, public images, the account's SSH keys, registry options —
read at Check time, so that a region, size or image DigitalOcean does not offer is refused at preview,
with a suggestion (`size 's-1vcpu-1g' is not a DigitalOcean size; did you mean 's-1vcpu-1gb'?`).

Read once per provider process and kept in `Context.shared`: each part is one GET (or one per page of
200), made when the first resource needs it and shared by every Check after it, including the ones
running at the same time. A preview of 50 droplets reads regions, sizes and distribution images once
each (plus application images, SSH keys or an image by id only when a droplet names one).

Only values the program changed are checked: a droplet created from an image DigitalOcean has since
retired is not refused on every later preview. Unknown values are left for `up`. When a part cannot be
read, the preview says so once and leaves the check to DigitalOcean.
"""

from __future__ import annotations

import asyncio
import difflib
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from ocean.resources.base import CheckFailure, Context, explain
from ocean.resources.unknown import is_unknown

_KEY = "catalogue"
FINGERPRINT_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){15}$")


class _Parts:
    """The parts read so far (or being read): one task each, shared by concurrent Checks."""

    def __init__(self) -> None:
        self.tasks: dict[Any, asyncio.Future[Any]] = {}
        self.warned: set[str] = set()


def _parts(ctx: Context) -> _Parts:
    parts = ctx.shared.get(_KEY)
    if not isinstance(parts, _Parts):
        parts = ctx.shared[_KEY] = _Parts()
    return parts


async def _part(ctx: Context, key: Any, what: str, load: Callable[[], Awaitable[Any]]) -> Any:
    """The part `key`, read once; None (and one warning per part) when DigitalOcean cannot give it."""
    from ocean.api import errors

    parts = _parts(ctx)
    task = parts.tasks.get(key)
    if task is None:
        task = parts.tasks[key] = asyncio.ensure_future(load())
    try:
        # Shielded: a Check cancelled by the engine must not cancel the read other Checks wait for.
        return await asyncio.shield(task)
    except errors.OceanError as e:
        if what not in parts.warned:
            parts.warned.add(what)
            await ctx.warn(
                f"could not read DigitalOcean's {what} to check the program against them ({explain(e)}); "
                "DigitalOcean checks them at `pulumi up` instead"
            )
        return None


def suggest(value: str, choices: Iterable[str], *, then: str = ".") -> str:
    """`; did you mean 'x'?` for the closest choice, or `then` (the sentence's end)."""
    close = difflib.get_close_matches(value.lower(), list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else then


def changed(key: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Any:
    """The program's value for `key` when it is known and differs from the recorded one, else None."""
    value = news.get(key)
    if value is None or is_unknown(value) or value == olds.get(key):
        return None
    return value


async def regions(ctx: Context) -> dict[str, Any] | None:
    async def load() -> dict[str, Any]:
        return {r.slug: r for r in await ctx.api.regions.list()}

    result: dict[str, Any] | None = await _part(ctx, "regions", "regions", load)
    return result


async def sizes(ctx: Context) -> dict[str, Any] | None:
    async def load() -> dict[str, Any]:
        return {s.slug: s for s in await ctx.api.sizes.list()}

    result: dict[str, Any] | None = await _part(ctx, "sizes", "sizes", load)
    return result


async def public_images(ctx: Context, image_type: str) -> dict[str, Any] | None:
    async def load() -> dict[str, Any]:
        return {i.slug: i async for i in ctx.api.images.list(type=image_type) if i.slug}

    result: dict[str, Any] | None = await _part(ctx, ("images", image_type), f"{image_type} images", load)
    return result


async def image_by_id(ctx: Context, image_id: int) -> Any:
    """The image, False when DigitalOcean has no such image (404), None when it could not be read."""
    from ocean.api import errors

    async def load() -> Any:
        try:
            return await ctx.api.images.get(image_id)
        except errors.NotFound:
            return False

    return await _part(ctx, ("image", image_id), f"image {image_id}", load)


async def ssh_keys(ctx: Context) -> list[Any] | None:
    async def load() -> list[Any]:
        return list(await ctx.api.ssh_keys.list())

    result: list[Any] | None = await _part(ctx, "ssh keys", "account's SSH keys", load)
    return result


async def registry_options(ctx: Context) -> Any:
    async def load() -> Any:
        return await ctx.api.registries.options()

    return await _part(ctx, "registry options", "registry options", load)


# ---------------------------------------------------------------------------------------------------
# Checks


async def check_region(
    ctx: Context, label: str, region: str, *, field: str = "region"
) -> CheckFailure | None:
    known = await regions(ctx)
    if known is None:
        return None
    found = known.get(region)
    if found is None:
        return CheckFailure(
            field,
            f"{label}: `{field}` {region!r} is not a DigitalOcean region{suggest(region, known)} Regions: "
            f"{', '.join(sorted(known))}.",
        )
    if found.available is False:
        open_ = sorted(slug for slug, r in known.items() if r.available)
        return CheckFailure(
            field,
            f"{label}: `{field}` {region!r} ({found.name}) is not accepting new resources; choose another "
            f"region: {', '.join(open_)}.",
        )
    return None


async def check_size(ctx: Context, label: str, size: str, region: Any) -> CheckFailure | None:
    known = await sizes(ctx)
    if known is None:
        return None
    found = known.get(size)
    if found is None:
        return CheckFailure(
            "size",
            f"{label}: `size` {size!r} is not a DigitalOcean size{suggest(size, known, then='')} (see "
            "`ocean.get_sizes()` or `doctl compute size list`).",
        )
    if isinstance(region, str) and not is_unknown(region) and found.regions and region not in found.regions:
        here = sorted(slug for slug, s in known.items() if region in s.regions and s.available is not False)
        return CheckFailure(
            "size",
            f"{label}: `size` {size!r} is not offered in region {region!r}{suggest(size, here)} It is "
            f"offered in {', '.join(sorted(found.regions))}; sizes in {region}: {', '.join(here) or 'none'}.",
        )
    if found.available is False:
        return CheckFailure("size", f"{label}: size {size!r} is not available for new droplets.")
    return None


async def check_image(ctx: Context, label: str, image: str, region: Any, size: Any) -> CheckFailure | None:
    """An image slug from the public catalogue, or an image id the account can use."""
    if image.isdigit():
        found = await image_by_id(ctx, int(image))
        if found is None:
            return None
        if found is False:
            return CheckFailure(
                "image",
                f"{label}: `image` {image} is not an image this account can use: DigitalOcean has no image "
                "with that id (see `doctl compute image list --public` and `doctl compute snapshot list`).",
            )
    else:
        distributions = await public_images(ctx, "distribution")
        if distributions is None:
            return None
        found = distributions.get(image)
        if found is None:
            applications = await public_images(ctx, "application")
            if applications is None:
                return None
            found = applications.get(image)
            if found is None:
                return CheckFailure(
                    "image",
                    f"{label}: `image` {image!r} is not a DigitalOcean image slug"
                    f"{suggest(image, [*distributions, *applications], then='')} (see `doctl compute image "
                    "list-distribution`); an image id (a snapshot's) is a number.",
                )
    regions_ = list(found.regions or [])
    if isinstance(region, str) and not is_unknown(region) and regions_ and region not in regions_:
        return CheckFailure(
            "image",
            f"{label}: image {image!r} is not available in region {region!r}; it is in "
            f"{', '.join(sorted(regions_))}. Transfer it to {region} first, or choose another region.",
        )
    if isinstance(size, str) and not is_unknown(size) and found.min_disk_size:
        known = await sizes(ctx)
        chosen = known.get(size) if known else None
        if chosen is not None and chosen.disk and chosen.disk < found.min_disk_size:
            return CheckFailure(
                "size",
                f"{label}: image {image!r} needs a disk of at least {found.min_disk_size} GB; size {size!r} "
                f"has {chosen.disk} GB. Choose a larger size.",
            )
    return None


async def check_ssh_keys(ctx: Context, label: str, keys: list[Any]) -> CheckFailure | None:
    known = await ssh_keys(ctx)
    if known is None:
        return None
    ids = {str(k.id) for k in known if k.id is not None}
    fingerprints = {str(k.fingerprint).lower() for k in known if k.fingerprint}
    missing = [k for k in keys if not is_unknown(k) and str(k).lower() not in ids | fingerprints]
    if not missing:
        return None
    listed = ", ".join(f"{k.id} ({k.name})" for k in known) or "none"
    return CheckFailure(
        "sshKeys",
        f"{label}: `sshKeys` {', '.join(repr(str(k)) for k in missing)}: not an SSH key of this account. "
        f"Its keys: {listed}. Add the key first (`doctl compute ssh-key import`), or use its id or MD5 "
        "fingerprint.",
    )


async def check_registry_region(ctx: Context, label: str, region: str) -> CheckFailure | None:
    options = await registry_options(ctx)
    if options is None or not options.available_regions:
        return None
    offered = list(options.available_regions)
    if region in offered:
        return None
    return CheckFailure(
        "region",
        f"{label}: `region` {region!r} is not a region DigitalOcean keeps registries in"
        f"{suggest(region, offered)} Registry regions: {', '.join(offered)}.",
    )
