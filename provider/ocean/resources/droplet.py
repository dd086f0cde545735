"""ocean:index:Droplet — a DigitalOcean Droplet (virtual machine).

Everything the provider does with a droplet is in this file: its inputs and outputs, which changes
replace it, and create/read/update/delete against the DigitalOcean API (an object with the
`ocean.api.DigitalOceanClient` surface; tests pass a fake).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

from pydantic import Field, field_validator

from ocean.resources.base import (
    CheckFailure,
    ComputedFrom,
    Context,
    Model,
    Normalize,
    PartialFailure,
    ReplaceOnChange,
    Resource,
    ResourceError,
    Secret,
    ServerDefault,
    Unreadable,
    UseStateForUnknown,
    auto_name,
    diff_inputs,
    validate,
    DiffResult,
    unknown_outputs,
)
from ocean.resources.unknown import UNKNOWN, is_unknown

TOKEN = "ocean:index:Droplet"

# Defaults when the program sets no customTimeouts (seconds).
DEFAULT_CREATE_TIMEOUT = 20 * 60
DEFAULT_UPDATE_TIMEOUT = 30 * 60
DEFAULT_DELETE_TIMEOUT = 10 * 60
# What DigitalOcean usually takes, so waiters poll densely around then.
EXPECTED_CREATE_S = 30.0


def _tags_key(tags: Any) -> Any:
    # DigitalOcean tag names are case-insensitive: "Web" and "web" are the same tag.
    return sorted({str(t).lower() for t in tags}) if isinstance(tags, list) else tags


def _image_key(image: Any) -> Any:
    return str(image) if image is not None else None


class DropletArgs(Model):
    """The inputs of a Droplet."""

    name: Annotated[
        str | None,
        Field(
            default=None,
            description=(
                "The droplet's name, which is also its hostname. Defaults to the Pulumi resource name "
                "plus a random suffix. Changing it renames the droplet in place."
            ),
        ),
    ]
    region: Annotated[
        str,
        Field(description="The slug of the region to create the droplet in, e.g. `nyc3`."),
        ReplaceOnChange("a droplet cannot move to another region"),
    ]
    size: Annotated[
        str,
        Field(description="The slug of the droplet's size, e.g. `s-1vcpu-1gb`."),
    ]
    image: Annotated[
        str,
        Field(
            description=(
                "The image to create the droplet from: a public image slug (`ubuntu-24-04-x64`) or an "
                "image id. A slug is compared as written, so DigitalOcean moving the slug to a newer "
                "image does not replace the droplet."
            )
        ),
        ReplaceOnChange("a droplet's image can only be changed by creating a new droplet"),
        Normalize(_image_key),
    ]
    tags: Annotated[
        list[str] | None,
        Field(
            default=None,
            description=(
                "Tag names to apply. DigitalOcean tag names are case-insensitive: a change of case only "
                "is not a change. Tags are created when missing."
            ),
        ),
        Normalize(_tags_key),
    ]
    user_data: Annotated[
        str | None,
        Field(default=None, description="Cloud-init user data. A secret: never logged or stored in plain text."),
        ReplaceOnChange("user data is only read when a droplet is first created"),
        Secret(),
        Unreadable(),
    ]
    ssh_keys: Annotated[
        list[str] | None,
        Field(
            default=None,
            description="SSH key ids or fingerprints to install for the root user at creation.",
        ),
        ReplaceOnChange("SSH keys are only installed when a droplet is first created"),
        Unreadable(),
    ]
    vpc_uuid: Annotated[
        str | None,
        Field(
            default=None,
            description="The VPC to place the droplet in. Defaults to the region's default VPC.",
        ),
        ReplaceOnChange("a droplet cannot move to another VPC"),
        ServerDefault(),
    ]
    ipv6: Annotated[bool, Field(default=False, description="Whether to enable public IPv6 networking.")]
    monitoring: Annotated[
        bool,
        Field(default=False, description="Whether to install the DigitalOcean monitoring agent."),
        ReplaceOnChange("the monitoring agent is installed when a droplet is created"),
    ]
    backups: Annotated[bool, Field(default=False, description="Whether to enable weekly backups.")]

    @field_validator("image", mode="before")
    @classmethod
    def _image_as_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("ssh_keys", mode="before")
    @classmethod
    def _keys_as_text(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [str(k) if isinstance(k, int) and not isinstance(k, bool) else k for k in v]
        return v


_STABLE = UseStateForUnknown()
_FROM_SIZE = ComputedFrom(("size",))


class DropletState(DropletArgs):
    """The outputs of a Droplet: its inputs, plus what DigitalOcean reports."""

    # Outputs may describe a droplet whose inputs are incomplete (an import): relax the requirements.
    region: Annotated[str, Field(description="The slug of the droplet's region.")]
    size: Annotated[str, Field(description="The slug of the droplet's size.")]
    image: Annotated[str, Field(description="The image the droplet was created from (slug or id).")]
    vpc_uuid: Annotated[
        str | None, Field(default=None, description="The VPC the droplet is in."), _STABLE
    ]
    droplet_id: Annotated[int, Field(description="DigitalOcean's numeric id of the droplet."), _STABLE]
    droplet_urn: Annotated[
        str, Field(description="The droplet's uniform resource name, `do:droplet:<id>`."), _STABLE
    ]
    status: Annotated[str, Field(description="`new`, `active`, `off` or `archive`.")]
    locked: Annotated[bool, Field(description="Whether an action is in progress on the droplet.")]
    memory: Annotated[int, Field(description="Memory in megabytes."), _FROM_SIZE]
    vcpus: Annotated[int, Field(description="Number of virtual CPUs."), _FROM_SIZE]
    disk: Annotated[int, Field(description="Disk size in gigabytes."), _FROM_SIZE]
    price_monthly: Annotated[float, Field(description="Monthly price in US dollars."), _FROM_SIZE]
    price_hourly: Annotated[float, Field(description="Hourly price in US dollars."), _FROM_SIZE]
    ipv4_address: Annotated[str | None, Field(default=None, description="Public IPv4 address."), _STABLE]
    ipv4_address_private: Annotated[
        str | None, Field(default=None, description="Private IPv4 address in the VPC."), _STABLE
    ]
    ipv6_address: Annotated[
        str | None, Field(default=None, description="Public IPv6 address, when IPv6 is enabled.")
    ]
    created_at: Annotated[str, Field(description="When the droplet was created (RFC 3339)."), _STABLE]

    model_config = {"extra": "ignore"}


def _resource_label(urn: str) -> str:
    name = urn.rsplit("::", 1)[-1] if urn else "?"
    return f"Droplet '{name}'"


class Droplet(Resource):
    token: ClassVar[str] = TOKEN
    Args: ClassVar[type[Model]] = DropletArgs
    State: ClassVar[type[Model]] = DropletState
    description: ClassVar[str] = (
        "A DigitalOcean Droplet: a Linux virtual machine. Creating one waits for DigitalOcean's create "
        "action to complete, so the outputs (addresses, status) are real when `pulumi up` finishes."
    )

    # ------------------------------------------------------------------------------------------ check

    @staticmethod
    def check(
        urn: str, olds: Mapping[str, Any], news: Mapping[str, Any], random_seed: bytes
    ) -> tuple[dict[str, Any], list[CheckFailure]]:
        label = _resource_label(urn)
        inputs = dict(news)
        if inputs.get("name") in (None, ""):
            # Keep an earlier auto-name: a droplet is not renamed on every run.
            old_name = olds.get("name")
            inputs["name"] = old_name if old_name else auto_name(urn.rsplit("::", 1)[-1], random_seed)
        checked, failures = validate(DropletArgs, label, inputs)
        if failures:
            return checked, failures
        name = checked.get("name")
        if isinstance(name, str) and not _valid_hostname(name):
            failures.append(
                CheckFailure(
                    "name",
                    f"{label}: `name` {name!r} is not a valid hostname: use letters, digits, '.' and '-' "
                    "(at most 255 characters, each label at most 63).",
                )
            )
        return checked, failures

    # ------------------------------------------------------------------------------------------- diff

    @staticmethod
    def diff(
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        old_inputs: Mapping[str, Any] | None = None,
        ignore_changes: frozenset[str] = frozenset(),
    ) -> DiffResult:
        return diff_inputs(DropletArgs, olds, news, old_inputs=old_inputs, ignore_changes=ignore_changes)

    # ---------------------------------------------------------------------------------------- preview

    @staticmethod
    def preview_create(inputs: Mapping[str, Any]) -> dict[str, Any]:
        return unknown_outputs(DropletState, inputs)

    @staticmethod
    def preview_update(olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(olds)
        changed = {k for k in news if news.get(k) != olds.get(k)}
        out.update(news)
        for name, info in DropletState.model_fields.items():
            key = DropletState.wire_name(name)
            for p in info.metadata:
                if isinstance(p, ComputedFrom) and any(DropletArgs.wire_name(i) in changed for i in p.inputs):
                    out[key] = UNKNOWN
        if "name" in changed or "tags" in changed:
            out["status"] = olds.get("status")
        return out

    # ----------------------------------------------------------------------------------------- create

    @staticmethod
    async def create(ctx: Context, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        from ocean.api import errors, waiters

        label = _resource_label(ctx.urn)
        body = _create_body(inputs)
        deadline = time.monotonic() + (ctx.timeout or DEFAULT_CREATE_TIMEOUT)
        try:
            created = await ctx.api.droplets.create(body)
        except errors.AmbiguousRequestError as e:
            raise ResourceError(
                f"{label}: the create request may or may not have reached DigitalOcean ({e}). "
                f"It was not retried, to avoid a second droplet. Look for a droplet named "
                f"{body['name']!r} (`doctl compute droplet list`); delete it or import it with "
                f"`pulumi import {TOKEN} <name> <id>`, then run `pulumi up` again."
            ) from e
        droplet_id = created.droplet.id
        rid = str(droplet_id)
        try:
            for action_id in created.action_ids:
                await ctx.report(f"waiting for DigitalOcean to create droplet {droplet_id} (action {action_id})")
                await waiters.wait_for_action(
                    ctx.api,
                    action_id,
                    timeout=max(0.0, deadline - time.monotonic()),
                    cancel=ctx.cancel,
                    on_progress=_progress(ctx),
                    expected_s=EXPECTED_CREATE_S,
                    what=f"droplet {droplet_id} create",
                )
            droplet = await ctx.api.droplets.get(droplet_id)
        except Exception as e:
            # The droplet exists: record it, whatever went wrong while waiting for it.
            try:
                droplet = await ctx.api.droplets.get(droplet_id)
                state = to_state(droplet, inputs)
            except Exception:
                state = {**inputs, "dropletId": droplet_id, "dropletUrn": f"do:droplet:{droplet_id}"}
            raise PartialFailure(
                f"{label}: droplet {droplet_id} was created but did not become ready: {_describe(e)}. "
                "It is recorded in the stack; run `pulumi up` again to converge, or `pulumi destroy`.",
                resource_id=rid,
                state=state,
                inputs=dict(inputs),
            ) from e
        return rid, to_state(droplet, inputs)

    # ------------------------------------------------------------------------------------------- read

    @staticmethod
    async def read(
        ctx: Context, resource_id: str, state: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """Returns (outputs, inputs), or None when the droplet no longer exists.

        With only an id (an import), the returned inputs are exactly what a program needs to declare
        this droplet with no changes; `user_data` and `ssh_keys`, which DigitalOcean never returns,
        are left out.
        """
        from ocean.api import errors

        droplet_id = _parse_id(resource_id, ctx.urn)
        try:
            droplet = await ctx.api.droplets.get(droplet_id)
        except errors.NotFound:
            return None
        prior = dict(inputs) if inputs else {}
        for key in ("userData", "sshKeys"):
            if key not in prior and key in state:
                prior[key] = state[key]
        if not prior.get("image") and state.get("image"):
            prior["image"] = state["image"]
        outputs = to_state(droplet, prior)
        new_inputs = {k: outputs.get(k) for k in _INPUT_KEYS if outputs.get(k) is not None}
        for key in ("userData", "sshKeys"):
            if prior.get(key) is not None:
                new_inputs[key] = prior[key]
        if not inputs:
            # An import: give the program only what it has to say.
            for key, default in (("ipv6", False), ("monitoring", False), ("backups", False), ("tags", [])):
                if new_inputs.get(key) == default:
                    new_inputs.pop(key, None)
        return outputs, new_inputs

    # ----------------------------------------------------------------------------------------- update

    @staticmethod
    async def update(
        ctx: Context, resource_id: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        from ocean.api import errors, waiters

        label = _resource_label(ctx.urn)
        droplet_id = _parse_id(resource_id, ctx.urn)
        deadline = time.monotonic() + (ctx.timeout or DEFAULT_UPDATE_TIMEOUT)
        current = dict(olds)

        async def act(kind: str, **params: Any) -> None:
            await ctx.report(f"droplet {droplet_id}: requesting {kind}")
            action = await ctx.api.droplet_actions.post(droplet_id, kind, **params)
            await waiters.wait_for_action(
                ctx.api,
                action.id,
                timeout=max(0.0, deadline - time.monotonic()),
                cancel=ctx.cancel,
                on_progress=_progress(ctx),
                what=f"droplet {droplet_id} {kind}",
            )

        try:
            if news.get("name") and news.get("name") != olds.get("name"):
                await act("rename", name=news["name"])
                current["name"] = news["name"]
            if _tags_key(news.get("tags") or []) != _tags_key(olds.get("tags") or []):
                await _sync_tags(ctx.api, droplet_id, olds.get("tags") or [], news.get("tags") or [])
                current["tags"] = news.get("tags") or []
            droplet = await ctx.api.droplets.get(droplet_id)
        except Exception as e:
            try:
                droplet = await ctx.api.droplets.get(droplet_id)
                state = to_state(droplet, {**olds, **{k: v for k, v in current.items() if k in _INPUT_KEYS}})
            except errors.ApiError:
                state = current
            raise PartialFailure(
                f"{label}: update of droplet {droplet_id} failed: {_describe(e)}. What was applied is "
                "recorded; run `pulumi up` again to converge.",
                resource_id=resource_id,
                state=state,
                inputs=dict(news),
            ) from e
        return to_state(droplet, news)

    # ----------------------------------------------------------------------------------------- delete

    @staticmethod
    async def delete(ctx: Context, resource_id: str, state: Mapping[str, Any]) -> None:
        from ocean.api import errors, waiters

        droplet_id = _parse_id(resource_id, ctx.urn)
        try:
            await ctx.api.droplets.delete(droplet_id)
        except errors.NotFound:
            return
        await ctx.report(f"waiting for droplet {droplet_id} to be deleted")
        await waiters.wait_until_gone(
            lambda: ctx.api.droplets.get(droplet_id),
            what=f"droplet {droplet_id} deletion",
            timeout=ctx.timeout or DEFAULT_DELETE_TIMEOUT,
            cancel=ctx.cancel,
            on_progress=_progress(ctx),
        )


_INPUT_KEYS = tuple(DropletArgs.wire_name(f) for f in DropletArgs.model_fields)


def _valid_hostname(name: str) -> bool:
    import re

    if len(name) > 255:
        return False
    return all(re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?", part) for part in name.split("."))


def _parse_id(resource_id: str, urn: str) -> int:
    try:
        return int(resource_id)
    except ValueError:
        raise ResourceError(
            f"{_resource_label(urn)}: {resource_id!r} is not a droplet id; droplet ids are numbers "
            "(see `doctl compute droplet list`)."
        ) from None


def _create_body(inputs: Mapping[str, Any]) -> dict[str, Any]:
    image = str(inputs["image"])
    body: dict[str, Any] = {
        "name": inputs["name"],
        "region": inputs["region"],
        "size": inputs["size"],
        "image": int(image) if image.isdigit() else image,
        "ipv6": bool(inputs.get("ipv6")),
        "monitoring": bool(inputs.get("monitoring")),
        "backups": bool(inputs.get("backups")),
    }
    if inputs.get("tags"):
        body["tags"] = list(inputs["tags"])
    if inputs.get("sshKeys"):
        body["ssh_keys"] = [int(k) if str(k).isdigit() else k for k in inputs["sshKeys"]]
    if inputs.get("userData"):
        body["user_data"] = inputs["userData"]
    if inputs.get("vpcUuid"):
        body["vpc_uuid"] = inputs["vpcUuid"]
    return body


async def _sync_tags(api: Any, droplet_id: int, old: list[str], new: list[str]) -> None:
    old_keys = {t.lower(): t for t in old}
    new_keys = {t.lower(): t for t in new}
    resource = [(str(droplet_id), "droplet")]
    for key, tag in new_keys.items():
        if key not in old_keys:
            await api.tags.create(tag)
            await api.tags.tag_resources(tag, resource)
    for key, tag in old_keys.items():
        if key not in new_keys:
            await api.tags.untag_resources(tag, resource)


def to_state(droplet: Any, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The outputs for a droplet as DigitalOcean reports it; inputs DigitalOcean does not echo
    (user data, SSH keys, the image as the user wrote it) come from `inputs`."""
    image_slug = getattr(droplet.image, "slug", None) if droplet.image is not None else None
    image_id = getattr(droplet.image, "id", None) if droplet.image is not None else None
    wanted_image = inputs.get("image")
    # A slug is kept as written: DigitalOcean moves slugs to newer images, which is not a change.
    image = str(wanted_image) if wanted_image else (image_slug or (str(image_id) if image_id else ""))
    features = list(getattr(droplet, "features", None) or [])
    size = droplet.size
    tags = list(droplet.tags or [])
    wanted_tags = inputs.get("tags")
    if isinstance(wanted_tags, list) and _tags_key(wanted_tags) == _tags_key(tags):
        tags = list(wanted_tags)  # same tags, the program's spelling
    return {
        "name": droplet.name,
        "region": droplet.region.slug if droplet.region is not None else inputs.get("region"),
        "size": droplet.size_slug or (size.slug if size is not None else inputs.get("size")),
        "image": image,
        "tags": tags,
        "userData": inputs.get("userData"),
        "sshKeys": inputs.get("sshKeys"),
        "vpcUuid": droplet.vpc_uuid,
        "ipv6": "ipv6" in features or droplet.public_ipv6 is not None,
        "monitoring": "monitoring" in features,
        "backups": "backups" in features,
        "dropletId": droplet.id,
        "dropletUrn": f"do:droplet:{droplet.id}",
        "status": droplet.status,
        "locked": bool(droplet.locked),
        "memory": droplet.memory,
        "vcpus": droplet.vcpus,
        "disk": droplet.disk,
        "priceMonthly": float(size.price_monthly) if size is not None else None,
        "priceHourly": float(size.price_hourly) if size is not None else None,
        "ipv4Address": droplet.public_ipv4,
        "ipv4AddressPrivate": droplet.private_ipv4,
        "ipv6Address": droplet.public_ipv6,
        "createdAt": str(droplet.created_at) if droplet.created_at is not None else None,
    }


def _progress(ctx: Context) -> Any:
    async def on_progress(p: Any) -> None:
        status = f", last status {p.status}" if getattr(p, "status", None) else ""
        action = f" (action {p.action_id})" if getattr(p, "action_id", None) else ""
        await ctx.report(f"waiting for {p.what}{action}: {p.elapsed_s:.0f}s elapsed{status}")

    return on_progress


def _describe(e: BaseException) -> str:
    text = str(e)
    return text if text else type(e).__name__


_ = is_unknown  # re-exported for tests
