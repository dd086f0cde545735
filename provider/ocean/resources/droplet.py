"""ocean:index:Droplet — a DigitalOcean Droplet (virtual machine).

Everything the provider does with a droplet is in this file: its inputs and outputs, which changes
replace it, and create/read/update/delete against the DigitalOcean API (an object with the
`ocean.api.DigitalOceanClient` surface; tests pass a fake).

Updates are DigitalOcean actions, each polled to completion, in a safe order: rename, tags, resize
(graceful shutdown, falling back to power_off after the grace period; power back on only if the droplet
was running), backups and their policy, IPv6, then the declared power state.

A create is never duplicated (ocean.resources.adoption): each droplet carries its create mark as a
hidden tag, looked for before creating (a droplet an interrupted `pulumi up` made is adopted), and a
create whose answer is lost is followed by a lookup instead of a second POST. A droplet whose create
action errored is recorded, and the next `pulumi up` replaces it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator

from ocean.api.models import durations
from ocean.resources.base import (
    MARK,
    CheckFailure,
    ComputedFrom,
    Context,
    Model,
    Normalize,
    PartialFailure,
    ReplaceOnChange,
    ReplaceWhen,
    Resource,
    ResourceError,
    Secret,
    ServerDefault,
    Unreadable,
    UseStateForUnknown,
    explain,
    validate,
)
from ocean.resources.unknown import is_unknown

TOKEN = "ocean:index:Droplet"

# Defaults when the program sets no customTimeouts (seconds).
DEFAULT_CREATE_TIMEOUT = 20 * 60
DEFAULT_UPDATE_TIMEOUT = 30 * 60
DEFAULT_DELETE_TIMEOUT = 10 * 60
DEFAULT_SHUTDOWN_GRACE = 60
# What DigitalOcean usually takes for a create, so the waiter polls densely around then.
EXPECTED_CREATE_S = durations.DROPLET_CREATE_S
# DigitalOcean's limits (the API reference): user data "may not exceed 64 KiB"; tag names.
USER_DATA_MAX_BYTES = 64 * 1024
TAG_RE = re.compile(r"^[A-Za-z0-9:_-]{1,255}$")
TAG_RULE = "1 to 255 letters, digits, ':', '-' and '_'"
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
FINGERPRINT_RE = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){15}$")
IMAGE_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def _tags_key(tags: Any) -> Any:
    # DigitalOcean tag names are case-insensitive: "Web" and "web" are the same tag.
    return sorted({str(t).lower() for t in tags}) if isinstance(tags, list) else tags


def _image_key(image: Any) -> Any:
    return str(image) if image is not None else None


def _ipv6_turned_off(old: Any, new: Any) -> bool:
    return bool(old) and not new


class DropletBackupPolicy(Model):
    """When DigitalOcean takes the droplet's backups."""

    plan: Annotated[
        Literal["daily", "weekly"],
        Field(description="How often backups are taken."),
    ]
    weekday: Annotated[
        Literal["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] | None,
        Field(default=None, description="For weekly backups, the day they are taken."),
    ]
    hour: Annotated[
        Literal[0, 4, 8, 12, 16, 20] | None,
        Field(default=None, description="The hour (UTC) at which the 4-hour backup window starts."),
    ]


class DropletArgs(Model):
    """The inputs of a Droplet."""

    name: Annotated[
        str | None,
        Field(
            default=None,
            description=(
                "The droplet's name, which is also its hostname. Defaults to the Pulumi resource name "
                "plus a stable suffix. Changing it renames the droplet in place."
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
        Field(
            description=(
                "The slug of the droplet's size, e.g. `s-1vcpu-1gb`. Changing it resizes the droplet in "
                "place: it is shut down (gracefully, then forcibly after `shutdownGracePeriod`), resized, "
                "and powered back on if it was running."
            )
        ),
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
        Field(
            default=None, description="Cloud-init user data. A secret: never logged or stored in plain text."
        ),
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
    ipv6: Annotated[
        bool,
        Field(
            default=False,
            description="Whether public IPv6 is enabled. Turning it on is done in place; turning it off "
            "replaces the droplet (DigitalOcean cannot disable IPv6).",
        ),
        ReplaceWhen(_ipv6_turned_off, "DigitalOcean cannot turn IPv6 off on an existing droplet"),
    ]
    monitoring: Annotated[
        bool,
        Field(default=False, description="Whether to install the DigitalOcean monitoring agent."),
        ReplaceOnChange("the monitoring agent is installed when a droplet is created"),
    ]
    backups: Annotated[bool, Field(default=False, description="Whether to enable backups.")]
    backup_policy: Annotated[
        DropletBackupPolicy | None,
        Field(
            default=None,
            description="When backups are taken (with `backups: true`). Left out, DigitalOcean's default "
            "policy applies.",
        ),
        ServerDefault(),
    ]
    running: Annotated[
        bool,
        Field(
            default=True,
            description="Whether the droplet is powered on. `false` shuts it down (gracefully, then "
            "forcibly after `shutdownGracePeriod`); `true` powers it on.",
        ),
    ]
    resize_disk: Annotated[
        bool,
        Field(
            default=False,
            description="When resizing, also grow the disk to the new size's disk. Irreversible: a "
            "droplet whose disk was grown can never be resized to a size with a smaller disk. With "
            "`false` (the default, as in DigitalOcean's API; pulumi-digitalocean defaults to `true`) only "
            "CPU and memory change, and the resize can be undone.",
        ),
    ]
    shutdown_grace_period: Annotated[
        int,
        Field(
            default=DEFAULT_SHUTDOWN_GRACE,
            description="Seconds a graceful shutdown (before a resize, or for `running: false`) may take, "
            "counted from when DigitalOcean accepts it. A droplet still on when the grace period is over is "
            "powered off forcibly then, or, if DigitalOcean's shutdown action is still in progress (it "
            "refuses a power off until the action ends), the moment that action ends. A shutdown action "
            "that errors is followed by a power off at once; `0` powers off at once, without a shutdown.",
            ge=0,
        ),
    ]

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
_FROM_SIZE = ComputedFrom(("size", "resize_disk"))


class DropletState(DropletArgs):
    """The outputs of a Droplet: its inputs, plus what DigitalOcean reports."""

    region: Annotated[str, Field(description="The slug of the droplet's region.")]
    size: Annotated[str, Field(description="The slug of the droplet's size.")]
    image: Annotated[str, Field(description="The image the droplet was created from (slug or id).")]
    vpc_uuid: Annotated[str | None, Field(default=None, description="The VPC the droplet is in."), _STABLE]
    droplet_id: Annotated[int, Field(description="DigitalOcean's numeric id of the droplet."), _STABLE]
    droplet_urn: Annotated[
        str, Field(description="The droplet's uniform resource name, `do:droplet:<id>`."), _STABLE
    ]
    status: Annotated[
        str, Field(description="`new`, `active`, `off` or `archive`."), ComputedFrom(("running",))
    ]
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
        str | None,
        Field(default=None, description="Public IPv6 address, when IPv6 is enabled."),
        ComputedFrom(("ipv6",)),
    ]
    created_at: Annotated[str, Field(description="When the droplet was created (RFC 3339)."), _STABLE]

    model_config = {"extra": "ignore"}


_INPUT_KEYS = tuple(DropletArgs.wire_name(f) for f in DropletArgs.model_fields)
# Inputs that only steer how the provider works; DigitalOcean never reports them.
_PROVIDER_ONLY = ("resizeDisk", "shutdownGracePeriod", "backupPolicy")


class Droplet(Resource):
    token: ClassVar[str] = TOKEN
    Args: ClassVar[type[Model]] = DropletArgs
    State: ClassVar[type[Model]] = DropletState
    marks: ClassVar[bool] = True
    description: ClassVar[str] = (
        "A DigitalOcean Droplet: a Linux virtual machine. Creating one waits for DigitalOcean's create "
        "action to complete, so the outputs (addresses, status) are real when `pulumi up` finishes."
    )

    # ------------------------------------------------------------------------------------------ check

    @classmethod
    def check(
        cls, urn: str, olds: Mapping[str, Any], news: Mapping[str, Any], random_seed: bytes
    ) -> tuple[dict[str, Any], list[CheckFailure]]:
        label = cls.label(urn)
        inputs = cls.with_name(urn, olds, news, random_seed)
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
        failures += _static_problems(label, checked)
        policy = checked.get("backupPolicy")
        if isinstance(policy, dict) and policy.get("plan") == "weekly" and policy.get("weekday") is None:
            failures.append(
                CheckFailure(
                    "backupPolicy", f"{label}: a weekly `backupPolicy` needs a `weekday` (SUN … SAT)"
                )
            )
        if isinstance(policy, dict) and checked.get("backups") is False:
            failures.append(
                CheckFailure("backupPolicy", f"{label}: `backupPolicy` is set but `backups` is false")
            )
        return checked, failures

    @classmethod
    async def check_live(
        cls, ctx: Context, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> list[CheckFailure]:
        """The region, size, image and SSH keys against DigitalOcean's catalogue (read once per provider
        process), for the values the program changed; unknowns are left for `up`."""
        import asyncio

        from ocean.resources import catalogue as cat

        if ctx.api is None:
            return []
        label = cls.label(ctx.urn)
        region, size, image = news.get("region"), news.get("size"), news.get("image")
        region_changed = cat.changed("region", olds, news) is not None
        failures: list[CheckFailure] = []
        if region_changed:
            problem = await cat.check_region(ctx, label, str(region))
            if problem is not None:
                # Sizes and images are then not judged against a region that does not exist.
                failures.append(problem)
                region = None
        checks = []
        size_changed = cat.changed("size", olds, news) is not None
        if isinstance(size, str) and not is_unknown(size) and (region_changed or size_changed):
            checks.append(cat.check_size(ctx, label, size, region))
        if (
            isinstance(image, str)
            and not is_unknown(image)
            and (region_changed or size_changed or cat.changed("image", olds, news))
        ):
            checks.append(cat.check_image(ctx, label, image, region, size))
        keys = cat.changed("sshKeys", olds, news)
        # Keys matter only to a create: a new droplet, or one whose recorded keys change (a replacement).
        # Keys stated for an imported droplet only record what it was made with, and may be long gone.
        creating = not olds or bool(olds.get("sshKeys"))
        if isinstance(keys, list) and keys and creating:
            checks.append(cat.check_ssh_keys(ctx, label, keys))
        found = await asyncio.gather(*checks)
        return failures + [f for f in found if f is not None]

    # ------------------------------------------------------------------------------- change validation

    @staticmethod
    async def validate_change(ctx: Context, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        """Refuse, at preview, a change DigitalOcean would refuse halfway through `up`."""
        from ocean.resources import catalogue as cat

        new_size, old_size = news.get("size"), olds.get("size")
        if not new_size or is_unknown(new_size) or new_size == old_size or ctx.api is None:
            return []
        disk = olds.get("disk")
        sizes = await cat.sizes(ctx)
        size = sizes.get(new_size) if sizes is not None else None
        label = Droplet.label(ctx.urn)
        if size is None:
            return [] if sizes is None else [f"{label}: `size` {new_size!r} is not a DigitalOcean size slug"]
        if isinstance(disk, int) and size.disk < disk:
            return [
                f"{label}: cannot resize to {new_size}: its {size.disk} GB disk is smaller than the "
                f"droplet's {disk} GB disk, and DigitalOcean never shrinks a droplet's disk. Choose a size "
                f"with at least {disk} GB of disk, or replace the droplet."
            ]
        return []

    # ---------------------------------------------------------------------------------------- preview

    @classmethod
    def preview_create(cls, inputs: Mapping[str, Any]) -> dict[str, Any]:
        out = super().preview_create(inputs)
        for key in ("userData", "sshKeys"):
            out[key] = inputs.get(key) if inputs.get(key) is not None else _EMPTY[key]
        return out

    # ----------------------------------------------------------------------------------------- create

    @staticmethod
    async def create(ctx: Context, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """Create the droplet and wait for it — or adopt the one an earlier, interrupted create of this
        resource made, or the one this create made when its answer was lost (ocean.resources.adoption)."""
        from ocean.api import errors
        from ocean.resources import adoption

        label = Droplet.label(ctx.urn)
        body = _create_body(inputs)
        mark = inputs.get(MARK) if isinstance(inputs.get(MARK), str) else None
        deadline = ctx.deadline(DEFAULT_CREATE_TIMEOUT)
        earlier = None
        if mark is not None:
            earlier = await adoption.adopt_earlier(
                ctx,
                label=label,
                kind="droplet",
                find=lambda: _marked(ctx, mark),
                what_next=" (`doctl compute droplet delete <id>`)",
            )
        action_ids: list[int] | None = None
        if earlier is not None:
            droplet = earlier.obj
        else:
            created, lost = await adoption.create_once(
                ctx,
                label=label,
                kind="droplet",
                post=lambda: ctx.api.droplets.create(body),
                find=lambda: _made_by(ctx, body, mark),
                marked=mark is not None,
            )
            if lost is not None:
                droplet = lost.obj
            else:
                droplet, action_ids = created.droplet, list(created.action_ids)
        droplet_id = droplet.id
        ops = _Ops(ctx, droplet_id, deadline)
        create_action: int | None = None
        try:
            if action_ids is None:
                action_ids = await _create_action_ids(ctx, droplet_id)
            for action_id in action_ids:
                create_action = action_id
                await ops.wait(action_id, "create", expected_s=EXPECTED_CREATE_S)
            create_action = None
            if earlier is not None:
                # Made from the inputs of an earlier run: bring what changes in place up to date.
                live = to_state(await ctx.api.reads.droplet(droplet_id), inputs)
                return str(droplet_id), await Droplet.update(ctx, str(droplet_id), live, inputs)
            if inputs.get("running") is False:
                await ops.power_down(_grace(inputs))
            # Many creates end together (one shared poll notices their actions): one list reads them.
            droplet = await ctx.api.reads.droplet(droplet_id)
        except PartialFailure:
            raise
        except Exception as e:
            failed = None
            if isinstance(e, errors.ActionErrored) and e.action_id == create_action:
                failed = f"its create action {e.action_id} errored"
                message = (
                    f"{label}: droplet {droplet_id} was created, but its create action {e.action_id} "
                    "errored (DigitalOcean gives no reason). The droplet is recorded in the stack, and the "
                    "next `pulumi up` replaces it; `pulumi destroy` deletes it."
                )
            else:
                message = (
                    f"{label}: droplet {droplet_id} was created but did not become ready: {explain(e)}. "
                    "It is recorded in the stack; run `pulumi up` again to converge, or `pulumi destroy`."
                )
            # The droplet exists: record it, whatever went wrong while waiting for it.
            raise await _partial(ctx, droplet_id, inputs, message, failed=failed) from e
        return str(droplet_id), to_state(droplet, inputs)

    @classmethod
    def still_failed(cls, state: Mapping[str, Any], outputs: Mapping[str, Any]) -> bool:
        # A droplet whose create action errored stays `new`; one DigitalOcean brought up after all is not.
        return outputs.get("status") == "new"

    # ------------------------------------------------------------------------------------------- read

    @staticmethod
    async def read(
        ctx: Context, resource_id: str, state: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """Returns (outputs, inputs), or None when the droplet no longer exists.

        With only an id (an import), the returned inputs are exactly what a program needs to declare
        this droplet with no changes; `user_data` and `ssh_keys`, which DigitalOcean never returns,
        are left out, and never cause a replacement later.
        """
        from ocean.api import errors

        droplet_id = _parse_id(resource_id, ctx.urn)
        importing = not inputs and not state
        try:
            # A refresh's reads are answered together, by a list taken for them or answered within the
            # last few tens of milliseconds (ocean.api.coalesce); an import is one exact GET.
            droplet = await ctx.api.reads.droplet(droplet_id, exact=importing, recent=not importing)
        except errors.NotFound:
            return None
        # What DigitalOcean cannot tell us comes from what we knew.
        known = {**dict(state), **dict(inputs)}
        prior = {k: known[k] for k in ("userData", "sshKeys", "image", *_PROVIDER_ONLY) if k in known}
        live_policy = None
        if prior.get("backupPolicy") and "backups" in (droplet.features or []):
            # The policy is not part of the droplet: ask for it, so a change made elsewhere shows.
            live_policy = await ctx.api.reads.backup_policy(droplet_id, recent=True)
        outputs = to_state(droplet, prior, imported=importing, live_policy=live_policy)
        if inputs:
            # A refresh: the program's inputs stand; drift shows in the outputs, and the next `up`
            # plans the way back (an auto-name, in particular, is not replaced by the drifted name).
            return outputs, dict(inputs)
        new_inputs = {k: outputs[k] for k in _INPUT_KEYS if outputs.get(k) is not None}
        if importing:
            # Give the generated program only what it has to say: defaults left out.
            for key, default in (
                ("ipv6", False),
                ("monitoring", False),
                ("backups", False),
                ("tags", []),
                ("running", True),
                ("resizeDisk", False),
                ("shutdownGracePeriod", DEFAULT_SHUTDOWN_GRACE),
            ):
                if new_inputs.get(key) == default:
                    new_inputs.pop(key, None)
        return outputs, new_inputs

    # ----------------------------------------------------------------------------------------- update

    @staticmethod
    async def update(
        ctx: Context, resource_id: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        from ocean.resources.adoption import without_marks

        label = Droplet.label(ctx.urn)
        droplet_id = _parse_id(resource_id, ctx.urn)
        ops = _Ops(ctx, droplet_id, ctx.deadline(DEFAULT_UPDATE_TIMEOUT))
        # What changed so far, over `olds`: recorded if a later step fails, so the next `up` resumes
        # from there. Settings that only steer the provider take effect at once.
        applied: dict[str, Any] = {k: news.get(k) for k in ("resizeDisk", "shutdownGracePeriod")}
        grace = _grace(news)
        want_running = news.get("running") is not False
        try:
            live = await ctx.api.reads.droplet(droplet_id)
            if news.get("name") and news["name"] != live.name:
                await ops.act("rename", name=news["name"])
                applied["name"] = news["name"]
            live_tags = without_marks(live.tags)  # the create mark is never removed
            if _tags_key(news.get("tags") or []) != _tags_key(live_tags):
                await _sync_tags(ctx.api, droplet_id, live_tags, news.get("tags") or [])
                applied["tags"] = news.get("tags") or []
            ops.status = live.status  # no action below but the power ones changes it
            if news.get("size") and news["size"] != (live.size_slug or olds.get("size")):
                was_running = live.status == "active"
                if was_running:
                    # The resize itself says whether the shutdown left the droplet off (no GET between).
                    await ops.power_down(grace, verify=False)
                await ops.resize(news["size"], bool(news.get("resizeDisk")))
                applied["size"] = news["size"]
                if was_running and want_running:
                    await ops.power_on()
            features = set(live.features or [])
            if bool(news.get("backups")) != ("backups" in features):
                if news.get("backups"):
                    policy = news.get("backupPolicy")
                    params = {"backup_policy": _policy_body(policy)} if policy else {}
                    await ops.act("enable_backups", **params)
                else:
                    await ops.act("disable_backups")
                applied["backups"] = bool(news.get("backups"))
                applied["backupPolicy"] = news.get("backupPolicy")
            elif (
                news.get("backups")
                and news.get("backupPolicy") != olds.get("backupPolicy")
                and news.get("backupPolicy")
            ):
                await ops.act("change_backup_policy", backup_policy=_policy_body(news["backupPolicy"]))
                applied["backupPolicy"] = news["backupPolicy"]
            if news.get("ipv6") and "ipv6" not in features and live.public_ipv6 is None:
                await ops.act("enable_ipv6")
                applied["ipv6"] = True
            await ops.converge_power(want_running, grace)
            applied["running"] = want_running
            droplet = await ctx.api.reads.droplet(droplet_id)
        except Exception as e:
            raise await _partial(
                ctx,
                droplet_id,
                {**olds, **applied},
                f"{label}: update of droplet {droplet_id} failed: {explain(e)}. What was applied is "
                "recorded; run `pulumi up` again to converge.",
                inputs=news,
            ) from e
        return to_state(droplet, news)

    # ----------------------------------------------------------------------------------------- delete

    @staticmethod
    async def delete(ctx: Context, resource_id: str, state: Mapping[str, Any]) -> None:
        from ocean.api import errors, waiters

        droplet_id = _parse_id(resource_id, ctx.urn)
        deadline = ctx.deadline(DEFAULT_DELETE_TIMEOUT)
        try:
            await ctx.api.droplets.delete(droplet_id)
        except errors.NotFound:
            return
        await ctx.report(f"waiting for droplet {droplet_id} to be deleted")
        await waiters.wait_for_droplet_gone(
            ctx.api,
            droplet_id,
            what=f"droplet {droplet_id} deletion",
            timeout=ctx.remaining(deadline),
            cancel=ctx.cancel,
            on_progress=ctx.progress,
            clock=ctx.clock,
            sleep=ctx.sleep,
        )


class _Ops:
    """Droplet actions for one operation: each posted, waited for, reported, within one deadline."""

    def __init__(self, ctx: Context, droplet_id: int, deadline: float) -> None:
        self.ctx = ctx
        self.droplet_id = droplet_id
        self.deadline = deadline
        #: The droplet's power status as these operations left it ("active", "off"), or None: not known.
        self.status: str | None = None
        #: A completed shutdown not yet confirmed by the droplet's status: (accepted at, grace period).
        self._unconfirmed: tuple[float, int] | None = None

    async def wait(
        self, action_id: int, kind: str, *, expected_s: float | None = None, within: float | None = None
    ) -> Any:
        from ocean.api import waiters

        remaining = self.ctx.remaining(self.deadline)
        await self.ctx.report(f"waiting for droplet {self.droplet_id} {kind} (action {action_id})")
        return await waiters.wait_for_action(
            self.ctx.api,
            action_id,
            timeout=remaining if within is None else min(within, remaining),
            cancel=self.ctx.cancel,
            on_progress=self.ctx.progress,
            expected_s=expected_s,
            what=f"droplet {self.droplet_id} {kind}",
            clock=self.ctx.clock,
            sleep=self.ctx.sleep,
        )

    async def post(self, kind: str, *, unless: Any = None, **params: Any) -> Any:
        """Request an action. A droplet locked by another action (422 "pending event") is waited on,
        not failed: the request is repeated until DigitalOcean accepts it or the deadline passes.
        `unless(droplet)`: checked before each retry; when true the action is no longer needed (None)."""
        from ocean.api import errors

        delay = 1.0
        while True:
            try:
                return await self.ctx.api.droplet_actions.post(self.droplet_id, kind, **params)
            except errors.PendingEvent:
                if unless is not None and unless(await self.ctx.api.reads.droplet(self.droplet_id)):
                    return None
                if self.ctx.cancel.is_set():
                    raise errors.WaitCancelled(
                        f"droplet {self.droplet_id} {kind}",
                        0.0,
                        "locked by another action",
                        reason="cancelled",
                    ) from None
                if self.ctx.remaining(self.deadline) < delay:
                    raise
                await self.ctx.report(
                    f"droplet {self.droplet_id} is busy with another action; waiting to request {kind}"
                )
                await self.ctx.sleep(delay)
                delay = min(delay * 1.5, 10.0)

    async def act(self, kind: str, *, unless: Any = None, **params: Any) -> Any:
        action = await self.post(kind, unless=unless, **params)
        return None if action is None else await self.wait(action.id, kind)

    async def power_down(self, grace: int, *, verify: bool = True) -> None:
        """Turn the droplet off: a graceful shutdown, and a power off if it is still on `grace` seconds
        after DigitalOcean accepted the shutdown (at once with `grace` 0: no shutdown is attempted).

        Each step follows the moment its predecessor ends, with no read between them that decides
        nothing. `verify=False` (before a resize): a completed shutdown is taken to have turned the
        droplet off, without a GET; the resize then confirms it (`resize`), and only when DigitalOcean
        refuses it does the droplet's status decide the rest of the grace period and the power off.

        What DigitalOcean does, which decides each step:
        - the spec's droplet action table: a shutdown "guarantees that the command is issued, not that it
          succeeds. The preferred way to turn off a Droplet is to attempt a shutdown, with a reasonable
          timeout, followed by a power_off action to ensure the Droplet is off";
        - the shutdown action may end `completed` while the droplet stays `active` (the OS ignored the
          signal, or is still shutting down: digitalocean/api-v2#79, #91), or `errored`
          (meilisearch/meilisearch-digitalocean#219). So the droplet's status, not the action's, says
          whether it is off;
        - while the shutdown action is in progress the droplet is locked, and a power_off is refused
          with 422 "Droplet already has a pending event." (hashicorp/packer#1786): it can only follow
          the shutdown action's end;
        - a power_off of a droplet that is already off answers 422 "Droplet is already powered off."
          (terraform-provider-digitalocean treats it as success, as we do: "already off" at any step is
          success). So after an errored shutdown the power_off is requested at once: its answer says
          whether the droplet was already off, and no GET is needed to decide;
        - a resize of a droplet that is not off is refused with 422 (DigitalOcean's resize needs the
          droplet powered off, which is why terraform-provider-digitalocean powers it off first), so a
          resize right after a completed shutdown is safe: refused, not applied, when the OS is still up.
        """
        from ocean.api import errors

        self._unconfirmed = None
        if grace <= 0:
            await self.power_off()
            return
        try:
            action = await self.post("shutdown", unless=_is_off)
        except errors.Unprocessable as e:
            if not isinstance(e, errors.PendingEvent) and await self.is_off():
                self.status = "off"
                return  # "already off"
            raise
        if action is None:
            self.status = "off"
            return  # it went off while another action held it
        accepted = self.ctx.clock()
        try:
            await self.wait(action.id, "shutdown", within=float(grace))
        except errors.ActionErrored:
            await self.ctx.report(
                f"droplet {self.droplet_id}: DigitalOcean's shutdown action errored; powering it off"
            )
            await self.power_off()
            return
        except errors.WaitTimeout:
            if self.ctx.remaining(self.deadline) <= 0:
                raise
            # Past the grace period with the shutdown still in progress: DigitalOcean refuses a power_off
            # until it ends, so wait for its end (not a storm of refused requests), then power off.
            await self.ctx.report(
                f"droplet {self.droplet_id} did not shut down within {grace}s; powering it off once "
                f"DigitalOcean ends its shutdown action {action.id}"
            )
            try:
                await self.wait(action.id, "shutdown")
            except errors.ActionErrored:
                pass
            if not await self.is_off():
                await self.power_off()
            self.status = "off"
            return
        if not verify:
            self._unconfirmed = (accepted, grace)
            self.status = "off"
            return
        if await self.is_off():
            self.status = "off"
            return
        await self._rest_of_grace(accepted, grace)

    async def _rest_of_grace(self, accepted: float, grace: int) -> None:
        """The shutdown signal was delivered and the droplet is still on: its OS may be on its way down,
        or ignore the signal. It gets the rest of the grace period, then the plug is pulled."""
        from ocean.api import errors, waiters

        left = min(grace - (self.ctx.clock() - accepted), self.ctx.remaining(self.deadline))
        if left > 0:
            await self.ctx.report(
                f"waiting up to {left:.0f}s more for droplet {self.droplet_id} to shut down"
            )
            try:
                await waiters.wait_for_droplet(
                    self.ctx.api,
                    self.droplet_id,
                    _is_off,
                    what=f"droplet {self.droplet_id} to shut down",
                    timeout=left,
                    cancel=self.ctx.cancel,
                    on_progress=self.ctx.progress,
                    clock=self.ctx.clock,
                    sleep=self.ctx.sleep,
                )
                self.status = "off"
                return
            except errors.WaitTimeout:
                if self.ctx.remaining(self.deadline) <= 0:
                    raise
        await self.ctx.report(f"droplet {self.droplet_id} did not shut down within {grace}s; powering it off")
        await self.power_off()

    async def resize(self, size: str, disk: bool) -> None:
        """Resize the (powered down) droplet. After a shutdown taken on trust (`power_down(verify=False)`)
        a refusal is how DigitalOcean says the OS is still up: the droplet's status decides, and a droplet
        still on gets the rest of its grace period and the power off before the resize is asked again."""
        from ocean.api import errors

        unconfirmed, self._unconfirmed = self._unconfirmed, None
        try:
            await self.act("resize", size=size, disk=disk)
        except errors.Unprocessable as e:
            if unconfirmed is None or isinstance(e, errors.PendingEvent) or await self.is_off():
                raise  # refused for another reason than the droplet being on
            await self._rest_of_grace(*unconfirmed)
            await self.act("resize", size=size, disk=disk)

    async def power_off(self) -> None:
        """Power the droplet off; "already off" (answered, or found after an error) is success."""
        from ocean.api import errors

        try:
            await self.act("power_off", unless=_is_off)
        except (errors.Unprocessable, errors.ActionErrored) as e:
            if isinstance(e, errors.PendingEvent):
                raise
            # DigitalOcean's own answer needs no second look; anything else is decided by the status.
            if not (isinstance(e, errors.Unprocessable) and "already powered off" in e.message.lower()):
                if not await self.is_off():
                    raise
        self.status = "off"

    async def power_on(self) -> None:
        """Power the droplet on; "already on" (DigitalOcean's 422 "Droplet is already powered on.", as
        when someone powered it on meanwhile) is success."""
        from ocean.api import errors

        try:
            await self.act("power_on", unless=lambda d: d.status == "active")
        except errors.Unprocessable as e:
            if isinstance(e, errors.PendingEvent):
                raise
            if (await self.ctx.api.reads.droplet(self.droplet_id)).status != "active":
                raise
        self.status = "active"

    async def is_off(self) -> bool:
        return _is_off(await self.ctx.api.reads.droplet(self.droplet_id))

    async def converge_power(self, want_running: bool, grace: int) -> None:
        """Power the droplet on or down as wanted; its status is read only when these operations do not
        know it already."""
        status = self.status
        if status is None:
            status = (await self.ctx.api.reads.droplet(self.droplet_id)).status
        if want_running and status == "off":
            await self.power_on()
        elif not want_running and status == "active":
            await self.power_down(grace)


def _grace(inputs: Mapping[str, Any]) -> int:
    """The shutdown grace period; 0 is a value (no shutdown), only a missing one is the default."""
    grace = inputs.get("shutdownGracePeriod")
    return DEFAULT_SHUTDOWN_GRACE if grace is None else int(grace)


def _is_off(droplet: Any) -> bool:
    return bool(droplet.status == "off")


async def _partial(
    ctx: Context,
    droplet_id: int,
    known_inputs: Mapping[str, Any],
    message: str,
    *,
    inputs: Mapping[str, Any] | None = None,
    failed: str | None = None,
) -> PartialFailure:
    """The droplet as it is now, for the engine to record despite the failure."""
    try:
        state = to_state(await ctx.api.reads.droplet(droplet_id), known_inputs)
    except Exception:
        state = {**known_inputs, "dropletId": droplet_id, "dropletUrn": f"do:droplet:{droplet_id}"}
    return PartialFailure(
        message,
        resource_id=str(droplet_id),
        state=state,
        inputs=dict(inputs if inputs is not None else known_inputs),
        failed=failed,
    )


def _candidate(droplet: Any) -> Any:
    from ocean.resources.adoption import Candidate

    region = droplet.region.slug if droplet.region is not None else "?"
    return Candidate(
        id=str(droplet.id),
        obj=droplet,
        describe=f"droplet {droplet.id} {droplet.name!r} in {region}",
        created_at=droplet.created_at,
    )


async def _marked(ctx: Context, mark: str) -> list[Any]:
    """The droplets carrying this create mark (ocean.resources.adoption): `GET /v2/droplets?tag_name=`,
    or, for many concurrent creates, one list of the account's droplets filtered here. Read anew for each
    create (never from an earlier list), so a droplet an interrupted run made is always found."""
    from ocean.resources.adoption import mark_tag

    return [_candidate(d) for d in await ctx.api.reads.droplets_tagged(mark_tag(mark))]


async def _made_by(ctx: Context, body: Mapping[str, Any], mark: str | None) -> list[Any]:
    """What a create request with `body` may have made: its name, in its region (and its mark)."""
    if mark is not None:
        found = await _marked(ctx, mark)
    else:
        found = [_candidate(d) async for d in ctx.api.droplets.list(name=body["name"])]
    return [
        c
        for c in found
        if c.obj.name == body["name"] and (c.obj.region is None or c.obj.region.slug == body["region"])
    ]


async def _create_action_ids(ctx: Context, droplet_id: int) -> list[int]:
    """The droplet's create action, for a droplet whose create answer we never read."""
    return [a.id async for a in ctx.api.droplet_actions.list(droplet_id) if a.type == "create"]


def _static_problems(label: str, inputs: Mapping[str, Any]) -> list[CheckFailure]:
    """What DigitalOcean would refuse about these inputs, found without asking it."""
    from ocean.resources.adoption import MARK_TAG_PREFIX, is_mark_tag

    failures: list[CheckFailure] = []
    image = inputs.get("image")
    if isinstance(image, str) and not (image.isdigit() or IMAGE_SLUG_RE.match(image)):
        failures.append(
            CheckFailure(
                "image",
                f"{label}: `image` {image!r} is neither an image slug (lowercase, e.g. `ubuntu-24-04-x64`) "
                "nor an image id (a number, e.g. a snapshot's id).",
            )
        )
    elif isinstance(image, str) and image.isdigit() and int(image) <= 0:
        failures.append(CheckFailure("image", f"{label}: `image` id {image} must be a positive number."))
    tags = inputs.get("tags")
    for tag in tags if isinstance(tags, list) else []:
        if is_unknown(tag):
            continue
        if not TAG_RE.match(tag):
            if not tag:
                why = "is empty"
            elif len(tag) > 255:
                why = f"is {len(tag)} characters long"
            else:
                why = "has characters DigitalOcean does not allow"
            failures.append(
                CheckFailure("tags", f"{label}: `tags` entry {tag[:60]!r} {why}: tag names are {TAG_RULE}.")
            )
        elif is_mark_tag(tag):
            failures.append(
                CheckFailure(
                    "tags",
                    f"{label}: `tags` entry {tag!r}: the `{MARK_TAG_PREFIX}` prefix is reserved for the mark "
                    "this provider puts on the droplets it creates; choose another tag name.",
                )
            )
    user_data = inputs.get("userData")
    if isinstance(user_data, str):
        size = len(user_data.encode("utf-8"))
        if size > USER_DATA_MAX_BYTES:
            # The value is a secret: only its size is quoted.
            failures.append(
                CheckFailure(
                    "userData",
                    f"{label}: `userData` is {size:,} bytes (UTF-8); DigitalOcean accepts at most 64 KiB "
                    f"({USER_DATA_MAX_BYTES:,} bytes). Fetch the rest from the droplet at boot (e.g. a "
                    "cloud-init `#include` URL).",
                )
            )
    vpc = inputs.get("vpcUuid")
    if isinstance(vpc, str) and not UUID_RE.match(vpc):
        failures.append(
            CheckFailure(
                "vpcUuid",
                f"{label}: `vpcUuid` {vpc!r} is not a VPC id: VPC ids are UUIDs like "
                f"{uuid.UUID(int=0x5A4981AA96534BD1BEF5D6BFF52042E4)} (a Vpc's `vpcId` output).",
            )
        )
    keys = inputs.get("sshKeys")
    for key in keys if isinstance(keys, list) else []:
        if is_unknown(key):
            continue
        text = str(key)
        if text.isdigit() and int(text) > 0 or FINGERPRINT_RE.match(text):
            continue
        failures.append(
            CheckFailure(
                "sshKeys",
                f"{label}: `sshKeys` entry {text[:60]!r} is not an SSH key id (a positive number) or MD5 "
                "fingerprint (16 hex pairs, e.g. `3b:16:e4:bf:8b:00:8b:b8:59:8c:a9:d3:f0:19:fa:45`); see "
                "`doctl compute ssh-key list`.",
            )
        )
    return failures


def _valid_hostname(name: str) -> bool:
    if len(name) > 255:
        return False
    return all(re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?", part) for part in name.split("."))


def _parse_id(resource_id: str, urn: str) -> int:
    try:
        return int(resource_id)
    except ValueError:
        raise ResourceError(
            f"{Droplet.label(urn)}: {resource_id!r} is not a droplet id; droplet ids are numbers "
            "(see `doctl compute droplet list`)."
        ) from None


def _policy_body(policy: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in policy.items() if v is not None}


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
    tags = list(inputs.get("tags") or [])
    if isinstance(inputs.get(MARK), str):
        from ocean.resources.adoption import mark_tag

        # The create mark travels with the create itself, so a droplet is never without it.
        tags.append(mark_tag(inputs[MARK]))
    if tags:
        body["tags"] = tags
    if inputs.get("sshKeys"):
        body["ssh_keys"] = [int(k) if str(k).isdigit() else k for k in inputs["sshKeys"]]
    if inputs.get("userData"):
        body["user_data"] = inputs["userData"]
    if inputs.get("vpcUuid"):
        body["vpc_uuid"] = inputs["vpcUuid"]
    if inputs.get("backups") and inputs.get("backupPolicy"):
        body["backup_policy"] = _policy_body(inputs["backupPolicy"])
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


def _backup_policy(wanted: Any, live: Any) -> Any:
    """The policy to record: what the program asked for, with DigitalOcean's current values for the
    settings the program set (the ones it left out are DigitalOcean's to choose, and not drift)."""
    if not isinstance(wanted, Mapping) or live is None or live.backup_policy is None:
        return wanted
    actual = live.backup_policy
    return {k: getattr(actual, k) if wanted.get(k) is not None else None for k in ("plan", "weekday", "hour")}


# An input DigitalOcean never returns, recorded as "known to be empty" after a create, so that it is
# told apart from "never known" after an import (see Unreadable).
_EMPTY: dict[str, Any] = {"userData": "", "sshKeys": []}


def to_state(
    droplet: Any, inputs: Mapping[str, Any], *, imported: bool = False, live_policy: Any = None
) -> dict[str, Any]:
    """The outputs for a droplet as DigitalOcean reports it; inputs DigitalOcean does not echo
    (user data, SSH keys, the image as the user wrote it) come from `inputs`. `live_policy` (the
    droplet's backup policy as DigitalOcean has it) replaces the recorded one where the program set it."""
    image_slug = getattr(droplet.image, "slug", None) if droplet.image is not None else None
    image_id = getattr(droplet.image, "id", None) if droplet.image is not None else None
    wanted_image = inputs.get("image")
    # A slug is kept as written: DigitalOcean moves slugs to newer images, which is not a change.
    image = str(wanted_image) if wanted_image else (image_slug or (str(image_id) if image_id else ""))
    features = list(getattr(droplet, "features", None) or [])
    from ocean.resources.adoption import without_marks

    size = droplet.size
    tags = without_marks(droplet.tags)
    wanted_tags = inputs.get("tags")
    if isinstance(wanted_tags, list) and _tags_key(wanted_tags) == _tags_key(tags):
        tags = list(wanted_tags)  # same tags, the program's spelling
    unreadable = {
        key: inputs[key] if inputs.get(key) is not None else (None if imported else _EMPTY[key])
        for key in ("userData", "sshKeys")
    }
    return {
        "name": droplet.name,
        "region": droplet.region.slug if droplet.region is not None else inputs.get("region"),
        "size": droplet.size_slug or (size.slug if size is not None else inputs.get("size")),
        "image": image,
        "tags": tags,
        **unreadable,
        "vpcUuid": droplet.vpc_uuid,
        "ipv6": "ipv6" in features or droplet.public_ipv6 is not None,
        "monitoring": "monitoring" in features,
        "backups": "backups" in features,
        "backupPolicy": _backup_policy(inputs.get("backupPolicy"), live_policy)
        if "backups" in features
        else None,
        "running": droplet.status != "off",
        "resizeDisk": bool(inputs.get("resizeDisk", False)),
        "shutdownGracePeriod": _grace(inputs),
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
