"""ocean:index:Vpc — a DigitalOcean VPC: a private network in one region.

Everything the provider does with a VPC is here: its inputs and outputs, which changes replace it, and
create/read/update/delete against the API (`ctx.api.vpcs`).

Two things DigitalOcean does not allow shape this module:
- a region always has exactly one default VPC: `default` can be turned on (the region's previous
  default stops being it) but never off, and the default VPC of a region is never deleted;
- a VPC with members (droplets, load balancers, clusters, databases) or peerings cannot be deleted.
  Delete waits for members that are going away (a droplet deleted a moment earlier in the same
  `destroy` is still listed for a while), and fails with the list when nothing is going away.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

from pydantic import Field

from ocean.resources.base import (
    CheckFailure,
    Context,
    DiffResult,
    Model,
    Normalize,
    PartialFailure,
    ReplaceOnChange,
    Resource,
    ResourceError,
    ServerDefault,
    UseStateForUnknown,
    explain,
    validate,
)

TOKEN = "ocean:index:Vpc"

# When the program sets no customTimeouts (seconds). Delete is the only operation that waits: for
# members still going away.
DEFAULT_DELETE_TIMEOUT = 5 * 60

NAME_MAX = 255
DESCRIPTION_MAX = 255
# DigitalOcean's region slugs: three letters and a number (nyc3, sfo2, ams3, blr1).
REGION_RE = re.compile(r"^[a-z]{3}[0-9]{1,2}$")
_NAME_RE = re.compile(r"^[A-Za-z0-9.-]+$")
# RFC 1918 private ranges, and the network sizes DigitalOcean offers (/16 to /28).
PRIVATE_RANGES = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
PREFIX_MIN, PREFIX_MAX = 16, 28


def _ip_range_key(value: Any) -> Any:
    try:
        return str(ipaddress.ip_network(str(value), strict=False))
    except ValueError:
        return value


class VpcArgs(Model):
    """The inputs of a Vpc."""

    name: Annotated[
        str | None,
        Field(
            default=None,
            description="The VPC's name: letters, digits, '-' and '.', unique in the account. Defaults to "
            "the resource name plus a stable suffix. Changing it renames the VPC in place.",
        ),
    ]
    region: Annotated[
        str,
        Field(description="The slug of the region the VPC is in, e.g. `nyc3`."),
        ReplaceOnChange("a VPC cannot move to another region"),
    ]
    ip_range: Annotated[
        str | None,
        Field(
            default=None,
            description="The VPC's private address range, in CIDR notation (e.g. `10.10.10.0/24`): inside "
            "an RFC 1918 range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16), between /16 and /28, not "
            "overlapping another VPC of the account. Left out, DigitalOcean picks a free /20.",
        ),
        ReplaceOnChange("a VPC's address range cannot be changed"),
        ServerDefault(),
        Normalize(_ip_range_key),
    ]
    description: Annotated[
        str | None,
        Field(default=None, description="A free-form description, at most 255 characters."),
    ]
    default: Annotated[
        bool | None,
        Field(
            default=None,
            strict=True,  # "yes" is not a boolean
            description="`true` makes this VPC the default VPC of its region (the previous default stops "
            "being it): droplets created without `vpcUuid` go into it. DigitalOcean cannot unset a "
            "default: to move it, set `default: true` on another VPC of the region. Left out, whatever "
            "DigitalOcean has is accepted.",
        ),
        ServerDefault(),
    ]


_STABLE = UseStateForUnknown()


class VpcState(VpcArgs):
    """The outputs of a Vpc: its inputs, plus what DigitalOcean reports."""

    ip_range: Annotated[str, Field(description="The VPC's address range (CIDR)."), _STABLE]
    default: Annotated[bool, Field(description="Whether the VPC is the default VPC of its region.")]
    vpc_id: Annotated[str, Field(description="DigitalOcean's id of the VPC (a UUID)."), _STABLE]
    vpc_urn: Annotated[str, Field(description="The VPC's uniform resource name, `do:vpc:<id>`."), _STABLE]
    created_at: Annotated[str, Field(description="When the VPC was created (RFC 3339)."), _STABLE]

    model_config = {"extra": "ignore"}


class Vpc(Resource):
    token: ClassVar[str] = TOKEN
    Args: ClassVar[type[Model]] = VpcArgs
    State: ClassVar[type[Model]] = VpcState
    marks: ClassVar[bool] = True
    description: ClassVar[str] = (
        "A DigitalOcean VPC: a private network in one region. Droplets join it with "
        "`vpcUuid=vpc.vpc_id`. `name`, `description` and `default` (off → on only) change in place; "
        "`region` and `ipRange` replace it (the old VPC is deleted first: names and address ranges are "
        "unique). Deleting waits for members that are going away; a VPC with members that are not is "
        "refused with their list, and a region's default VPC is never deleted, only removed from the stack."
    )

    # ------------------------------------------------------------------------------------------ check

    @classmethod
    def check(
        cls, urn: str, olds: Mapping[str, Any], news: Mapping[str, Any], random_seed: bytes
    ) -> tuple[dict[str, Any], list[CheckFailure]]:
        label = cls.label(urn)
        checked, failures = validate(VpcArgs, label, cls.with_name(urn, olds, news, random_seed))
        if failures:
            return checked, failures
        name = checked.get("name")
        if isinstance(name, str) and (len(name) > NAME_MAX or not _NAME_RE.match(name)):
            failures.append(
                CheckFailure(
                    "name",
                    f"{label}: `name` {name!r} is not a valid VPC name: use letters, digits, '-' and '.' "
                    f"(1 to {NAME_MAX} characters).",
                )
            )
        region = checked.get("region")
        if isinstance(region, str) and not REGION_RE.match(region):
            failures.append(CheckFailure("region", region_problem(label, region)))
        ip_range = checked.get("ipRange")
        if isinstance(ip_range, str):
            problem = ip_range_problem(ip_range)
            if problem:
                failures.append(CheckFailure("ipRange", f"{label}: `ipRange` {ip_range!r} {problem}"))
        description = checked.get("description")
        if isinstance(description, str) and len(description) > DESCRIPTION_MAX:
            failures.append(
                CheckFailure(
                    "description",
                    f"{label}: `description` is {len(description)} characters; at most "
                    f"{DESCRIPTION_MAX} are allowed.",
                )
            )
        return checked, failures

    @classmethod
    async def check_live(
        cls, ctx: Context, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> list[CheckFailure]:
        """The region against DigitalOcean's regions (read once per provider process)."""
        from ocean.resources import catalogue as cat

        region = cat.changed("region", olds, news)
        if ctx.api is None or not isinstance(region, str):
            return []
        found = await cat.check_region(ctx, cls.label(ctx.urn), region)
        return [found] if found is not None else []

    # ------------------------------------------------------------------------------------------- diff

    @classmethod
    def diff(
        cls,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        old_inputs: Mapping[str, Any] | None = None,
        ignore_changes: frozenset[str] = frozenset(),
    ) -> DiffResult:
        d = super().diff(olds, news, old_inputs=old_inputs, ignore_changes=ignore_changes)
        # A name and an address range can only be held by one VPC at a time, so the new one cannot be
        # created while the old one exists. Its members are replaced with it (their `vpcUuid` changes).
        d.delete_before_replace = bool(d.replaces)
        return d

    @staticmethod
    async def validate_change(ctx: Context, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        """Refuse, at preview, turning `default` off: DigitalOcean cannot."""
        if news.get("default") is False and olds.get("default") is True:
            region = olds.get("region") or "its region"
            return [
                f"{Vpc.label(ctx.urn)}: `default` cannot be turned off: DigitalOcean never unsets the "
                f"default VPC of a region. To make another VPC the default of {region}, set "
                "`default: true` on that one (this VPC then stops being the default) and leave `default` "
                "out here, or set it back to true."
            ]
        return []

    # ---------------------------------------------------------------------------------------- preview

    @staticmethod
    def preview_update(olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(olds)
        out.update({k: v for k, v in news.items() if v is not None})
        out["description"] = news.get("description") or ""
        return out

    # ----------------------------------------------------------------------------------------- create

    @staticmethod
    async def create(ctx: Context, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """Create the VPC — or adopt the one an interrupted create of this resource made (its auto-name
        is its mark), or the one this create made when its answer was lost (ocean.resources.adoption)."""
        from ocean.resources import adoption

        label = Vpc.label(ctx.urn)
        body: dict[str, Any] = {"name": inputs["name"], "region": inputs["region"]}
        if inputs.get("description"):
            body["description"] = inputs["description"]
        if inputs.get("ipRange"):
            body["ip_range"] = inputs["ipRange"]
        name = str(body["name"])
        owned = Vpc.named_by_provider(ctx.urn, inputs)
        earlier = await adoption.adopt_named(
            ctx,
            label=label,
            kind="VPC",
            name=name,
            owned=owned,
            find=lambda: _named(ctx, name),
            adopt_hint=f"pulumi import {TOKEN} {ctx.name} <id>",
        )
        if earlier is not None:
            vpc = earlier.obj
        else:
            vpc, lost = await adoption.create_once(
                ctx,
                label=label,
                kind="VPC",
                post=lambda: ctx.api.vpcs.create(body),
                find=lambda: _named(ctx, name, region=str(body["region"])),
            )
            if lost is not None:
                vpc = lost.obj
        if inputs.get("default") and not vpc.default:
            # DigitalOcean's create takes no `default`: the VPC is made the default right after.
            try:
                vpc = await ctx.api.vpcs.patch(vpc.id, {"default": True})
            except Exception as e:
                raise PartialFailure(
                    f"{label}: VPC {vpc.id} was created but could not be made the default VPC of "
                    f"{vpc.region}: {explain(e)}. It is recorded in the stack; run `pulumi up` again.",
                    resource_id=vpc.id,
                    state=to_state(vpc, inputs),
                    inputs=dict(inputs),
                ) from e
        return vpc.id, to_state(vpc, inputs)

    # ------------------------------------------------------------------------------------------- read

    @staticmethod
    async def read(
        ctx: Context, resource_id: str, state: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(outputs, inputs), or None when the VPC no longer exists. With only an id (an import), the
        inputs are what a program needs to declare this VPC with no changes."""
        from ocean.api import errors

        try:
            # A refresh's reads share one list (ocean.api.coalesce); an import is one exact GET.
            vpc = await ctx.api.reads.vpc(
                _parse_id(resource_id, ctx.urn), exact=not inputs and not state, recent=bool(inputs or state)
            )
        except errors.NotFound:
            return None
        outputs = to_state(vpc, inputs or state)
        if inputs:
            # A refresh: the program's inputs stand; drift shows in the outputs and the next `up`
            # plans the way back.
            return outputs, dict(inputs)
        imported: dict[str, Any] = {k: outputs[k] for k in ("name", "region", "ipRange")}
        if outputs.get("description"):
            imported["description"] = outputs["description"]
        if outputs.get("default"):
            imported["default"] = True
        return outputs, imported

    # ----------------------------------------------------------------------------------------- update

    @staticmethod
    async def update(
        ctx: Context, resource_id: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        label = Vpc.label(ctx.urn)
        body: dict[str, Any] = {}
        if news.get("name") and news["name"] != olds.get("name"):
            body["name"] = news["name"]
        if (news.get("description") or "") != (olds.get("description") or ""):
            body["description"] = news.get("description") or ""
        if news.get("default") is True and not olds.get("default"):
            body["default"] = True
        elif news.get("default") is False and olds.get("default"):
            problems = await Vpc.validate_change(ctx, olds, news)
            raise ResourceError(problems[0])
        if not body:
            vpc = await ctx.api.reads.vpc(resource_id)
        else:
            try:
                vpc = await ctx.api.vpcs.patch(resource_id, body)
            except Exception as e:
                raise ResourceError(f"{label}: update of VPC {resource_id} failed: {explain(e)}") from e
        return to_state(vpc, news)

    # ----------------------------------------------------------------------------------------- delete

    @staticmethod
    async def delete(ctx: Context, resource_id: str, state: Mapping[str, Any]) -> None:
        from ocean.api import errors, waiters

        label = Vpc.label(ctx.urn)
        deadline = ctx.deadline(DEFAULT_DELETE_TIMEOUT)
        try:
            vpc = await ctx.api.vpcs.get(_parse_id(resource_id, ctx.urn))
        except errors.NotFound:
            return
        ident = f"VPC {vpc.name!r} ({vpc.id})"
        if vpc.default:
            await ctx.warn(
                f"{label}: {ident} is the default VPC of {vpc.region}. DigitalOcean never deletes a "
                "region's default VPC, so it was left in place and only removed from this stack."
            )
            return
        empty_refusals = 0
        while True:
            try:
                await ctx.api.vpcs.delete(vpc.id)
                return
            except errors.NotFound:
                return
            except (errors.Forbidden, errors.Conflict) as e:
                refusal = e
            await ctx.report(f"{ident} still has resources in it; waiting for them to go away")
            try:
                occupants = await waiters.vpc_occupants(ctx.api, vpc.id)
                if occupants:
                    await waiters.wait_for_vpc_vacated(
                        ctx.api,
                        vpc.id,
                        what=f"{ident} to be empty",
                        timeout=ctx.remaining(deadline),
                        cancel=ctx.cancel,
                        on_progress=ctx.progress,
                        clock=ctx.clock,
                        sleep=ctx.sleep,
                    )
                    continue
            except waiters.VpcNotEmpty as e:
                raise ResourceError(_not_empty(label, ident, e)) from e
            except errors.NotFound:
                return
            # Refused with nothing listed: DigitalOcean's lists can lag behind its refusal for a moment.
            empty_refusals += 1
            delay = min(2.0**empty_refusals, 10.0)
            if empty_refusals > 4 or ctx.remaining(deadline) < delay:
                raise ResourceError(
                    f"{label}: DigitalOcean refuses to delete {ident} although it lists no members or "
                    f"peerings: {refusal}. Check the VPC in the control panel (`doctl vpcs members "
                    f"{vpc.id}`), then run `pulumi destroy` again."
                ) from refusal
            if ctx.cancel.is_set():
                raise errors.WaitCancelled(f"{ident} deletion", 0.0, "refused", reason="cancelled")
            await ctx.sleep(delay)


async def _named(ctx: Context, name: str, *, region: str | None = None) -> list[Any]:
    """The account's VPCs named `name` (VPC names are unique in an account), in `region` if given."""
    from ocean.resources.adoption import Candidate

    return [
        Candidate(
            id=v.id,
            obj=v,
            describe=f"VPC {v.id} {v.name!r} in {v.region}",
            created_at=v.created_at,
        )
        for v in await ctx.api.reads.vpcs()  # concurrent creates share one listing
        if v.name == name and (region is None or v.region == region)
    ]


def _not_empty(label: str, ident: str, e: Any) -> str:
    listed = "; ".join(o.describe() for o in e.occupants)
    if e.timed_out:
        return (
            f"{label}: {ident} still has resources in it after {e.elapsed_s:.0f}s (the delete timeout): "
            f"{listed}. DigitalOcean deletes a VPC only once it is empty. Run `pulumi destroy` again once "
            "those being deleted are gone, or raise the delete timeout with the customTimeouts resource "
            "option."
        )
    return (
        f"{label}: DigitalOcean refuses to delete {ident} while resources are in it, and none of these "
        f"is being deleted: {listed}. Delete them or move them to another VPC (a droplet cannot change "
        "VPC: replace it with another `vpcUuid`); if another stack manages them, destroy or change that "
        "stack first. Then run `pulumi destroy` (or `pulumi up`) again."
    )


def region_problem(label: str, region: str) -> str:
    return (
        f"{label}: `region` {region!r} is not a DigitalOcean region slug: three lower-case letters and a "
        "number, e.g. `nyc3`, `ams3`, `sfo3` (see `ocean.get_regions()`)."
    )


def ip_range_problem(ip_range: str) -> str | None:
    """What is wrong with `ip_range` as a VPC address range, or None."""
    try:
        network = ipaddress.ip_network(ip_range, strict=True)
    except ValueError:
        try:
            loose = ipaddress.ip_network(ip_range, strict=False)
        except ValueError:
            return "is not a CIDR block like `10.10.10.0/24`"
        return f"has host bits set: the network is `{loose}`"
    if not isinstance(network, ipaddress.IPv4Network):
        return "is not an IPv4 range; VPCs use private IPv4 ranges"
    if "/" not in ip_range:
        return "has no prefix length: write it as `address/prefix`, e.g. `10.10.10.0/24`"
    if not any(network.subnet_of(p) for p in PRIVATE_RANGES):
        return (
            "is not a private (RFC 1918) range: it must lie inside 10.0.0.0/8, 172.16.0.0/12 or "
            "192.168.0.0/16"
        )
    if not PREFIX_MIN <= network.prefixlen <= PREFIX_MAX:
        return f"is a /{network.prefixlen}; DigitalOcean offers VPCs from /{PREFIX_MIN} to /{PREFIX_MAX}"
    return None


def _parse_id(resource_id: str, urn: str) -> str:
    try:
        return str(uuid.UUID(resource_id))
    except ValueError:
        raise ResourceError(
            f"{Vpc.label(urn)}: {resource_id!r} is not a VPC id; VPC ids are UUIDs (see `doctl vpcs list`)."
        ) from None


def to_state(vpc: Any, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The outputs for a VPC as DigitalOcean reports it."""
    created = vpc.created_at.isoformat() if vpc.created_at is not None else None
    wanted_range = inputs.get("ipRange")
    ip_range = vpc.ip_range
    if isinstance(wanted_range, str) and _ip_range_key(wanted_range) == ip_range:
        ip_range = wanted_range  # the same network, as the program wrote it
    return {
        "name": vpc.name,
        "region": vpc.region or inputs.get("region"),
        "ipRange": ip_range,
        "description": vpc.description or "",
        "default": bool(vpc.default),
        "vpcId": vpc.id,
        "vpcUrn": vpc.urn or f"do:vpc:{vpc.id}",
        "createdAt": created,
    }
