"""ocean:index:DropletSnapshot — a snapshot of a droplet's disk (DigitalOcean's Snapshots).

Created through the droplet's `snapshot` action, which is waited for; the snapshot's own id (not the
action's) is the resource id, so `pulumi import ocean:index:DropletSnapshot name <snapshot-id>` works.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

from pydantic import Field

from ocean.api.models import durations
from ocean.resources.base import (
    CheckFailure,
    Context,
    Model,
    PartialFailure,
    ReplaceOnChange,
    Resource,
    ResourceError,
    UseStateForUnknown,
    explain,
    validate,
)

TOKEN = "ocean:index:DropletSnapshot"
DEFAULT_CREATE_TIMEOUT = 60 * 60
DEFAULT_DELETE_TIMEOUT = 5 * 60
EXPECTED_SNAPSHOT_S = durations.ACTION_S["snapshot"]
NAME_MAX = 255
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class DropletSnapshotArgs(Model):
    """The inputs of a DropletSnapshot."""

    droplet_id: Annotated[
        int,
        Field(description="The id of the droplet to snapshot (a Droplet's `dropletId` output).", gt=0),
        ReplaceOnChange("a snapshot is always of the droplet it was taken from"),
    ]
    name: Annotated[
        str | None,
        Field(
            default=None,
            description="The snapshot's name. Defaults to the resource name plus a stable suffix. "
            "Changing it renames the snapshot in place.",
        ),
    ]


_STABLE = UseStateForUnknown()


class DropletSnapshotState(DropletSnapshotArgs):
    """The outputs of a DropletSnapshot."""

    snapshot_id: Annotated[str, Field(description="DigitalOcean's id of the snapshot."), _STABLE]
    size_gigabytes: Annotated[float, Field(description="The snapshot's billable size in gigabytes."), _STABLE]
    min_disk_size: Annotated[
        int,
        Field(description="The smallest droplet disk, in gigabytes, the snapshot can be restored to."),
        _STABLE,
    ]
    regions: Annotated[list[str], Field(description="The regions the snapshot is available in."), _STABLE]
    created_at: Annotated[str, Field(description="When the snapshot was taken (RFC 3339)."), _STABLE]

    model_config = {"extra": "ignore"}


class DropletSnapshot(Resource):
    token: ClassVar[str] = TOKEN
    Args: ClassVar[type[Model]] = DropletSnapshotArgs
    State: ClassVar[type[Model]] = DropletSnapshotState
    marks: ClassVar[bool] = True
    failure_key: ClassVar[str] = "snapshotId"
    description: ClassVar[str] = (
        "A snapshot of a droplet's disk. Creating one runs the droplet's `snapshot` action and waits for "
        "it; deleting it deletes the snapshot. Use the snapshot id as a Droplet's `image` to restore it."
    )

    @classmethod
    def check(
        cls, urn: str, olds: Mapping[str, Any], news: Mapping[str, Any], random_seed: bytes
    ) -> tuple[dict[str, Any], list[CheckFailure]]:
        label = cls.label(urn)
        checked, failures = validate(DropletSnapshotArgs, label, cls.with_name(urn, olds, news, random_seed))
        name = checked.get("name")
        if not failures and isinstance(name, str):
            if _CONTROL.search(name):
                failures.append(
                    CheckFailure(
                        "name",
                        f"{label}: `name` {name!r} has control characters (a newline, a tab, NUL, ...); "
                        "snapshot names are one line of text.",
                    )
                )
            elif len(name) > NAME_MAX:
                failures.append(
                    CheckFailure(
                        "name",
                        f"{label}: `name` is {len(name)} characters long; at most {NAME_MAX} are allowed.",
                    )
                )
        return checked, failures

    @staticmethod
    async def create(ctx: Context, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """Take the snapshot and wait for it — or adopt the snapshot an interrupted create of this resource
        took (found by its auto-name on the droplet), or the snapshot action this create started when its
        answer was lost (the droplet's one new snapshot action; see ocean.resources.adoption)."""
        from ocean.api import waiters
        from ocean.resources import adoption

        label = DropletSnapshot.label(ctx.urn)
        droplet_id = int(inputs["dropletId"])
        name = str(inputs["name"])
        deadline = ctx.deadline(DEFAULT_CREATE_TIMEOUT)
        if DropletSnapshot.named_by_provider(ctx.urn, inputs):
            earlier = await adoption.adopt_earlier(
                ctx,
                label=label,
                kind="snapshot",
                find=lambda: _named(ctx, droplet_id, name),
                what_next=" (`doctl compute snapshot delete <id>`)",
            )
            if earlier is not None:
                return earlier.id, await _state(ctx, earlier.id, inputs)
        before = {c.id for c in await _snapshot_actions(ctx, droplet_id)}
        action, lost = await adoption.create_once(
            ctx,
            label=label,
            kind="snapshot action",
            post=lambda: ctx.api.droplet_actions.post(droplet_id, "snapshot", name=name),
            find=lambda: _snapshot_actions(ctx, droplet_id),
            before=before,
        )
        if lost is not None:
            action = lost.obj
        await ctx.report(f"waiting for the snapshot of droplet {droplet_id} (action {action.id})")
        try:
            await waiters.wait_for_action(
                ctx.api,
                action.id,
                timeout=ctx.remaining(deadline),
                cancel=ctx.cancel,
                on_progress=ctx.progress,
                expected_s=EXPECTED_SNAPSHOT_S,
                what=f"snapshot {name!r} of droplet {droplet_id}",
                clock=ctx.clock,
                sleep=ctx.sleep,
            )
        except Exception as e:
            # The snapshot may still appear: record it if it does, so it is not orphaned.
            found = await _find(ctx, droplet_id, name)
            if found is None:
                raise
            state = await _state(ctx, str(found), inputs)
            raise PartialFailure(
                f"{DropletSnapshot.label(ctx.urn)}: snapshot {found} was created but the action did not "
                f"complete: {explain(e)}",
                resource_id=str(found),
                state=state,
                inputs=dict(inputs),
            ) from e
        snapshot_id = await _find(ctx, droplet_id, name)
        if snapshot_id is None:
            raise ResourceError(
                f"{DropletSnapshot.label(ctx.urn)}: the snapshot action completed but droplet {droplet_id} "
                f"has no snapshot named {name!r}; check `doctl compute droplet snapshots {droplet_id}`"
            )
        return str(snapshot_id), await _state(ctx, str(snapshot_id), inputs)

    @staticmethod
    async def read(
        ctx: Context, resource_id: str, state: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        from ocean.api import errors

        try:
            # A refresh's reads share one list (ocean.api.coalesce); an import is one exact GET.
            snap = await ctx.api.reads.snapshot(
                resource_id, exact=not inputs and not state, recent=bool(inputs or state)
            )
        except errors.NotFound:
            return None
        outputs = _to_state(resource_id, snap, {**dict(state), **dict(inputs)})
        return outputs, dict(inputs) if inputs else {
            "dropletId": outputs["dropletId"],
            "name": outputs["name"],
        }

    @staticmethod
    async def update(
        ctx: Context, resource_id: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        # Only the name changes in place (a snapshot is an image: PUT /v2/images/{id}).
        if news.get("name") and news["name"] != olds.get("name"):
            await ctx.api.images.update(resource_id, {"name": news["name"]})
        return await _state(ctx, resource_id, news)

    @staticmethod
    async def delete(ctx: Context, resource_id: str, state: Mapping[str, Any]) -> None:
        from ocean.api import errors, waiters

        try:
            await ctx.api.snapshots.delete(resource_id)
        except errors.NotFound:
            return
        # Its own poll, not a shared poller: DigitalOcean deletes a snapshot at once (the first poll
        # already answers 404), so there is nothing to share.
        await waiters.wait_until_gone(
            lambda: ctx.api.snapshots.get(resource_id),
            what=f"snapshot {resource_id} deletion",
            timeout=ctx.timeout or DEFAULT_DELETE_TIMEOUT,
            cancel=ctx.cancel,
            on_progress=ctx.progress,
            clock=ctx.clock,
            sleep=ctx.sleep,
        )


async def _named(ctx: Context, droplet_id: int, name: str) -> list[Any]:
    """The droplet's snapshots named `name`."""
    from ocean.resources.adoption import Candidate

    return [
        Candidate(
            id=str(snap.id),
            obj=snap,
            describe=f"snapshot {snap.id} {snap.name!r} of droplet {droplet_id}",
            created_at=snap.created_at,
        )
        async for snap in ctx.api.droplets.snapshots(droplet_id)
        if snap.name == name
    ]


async def _snapshot_actions(ctx: Context, droplet_id: int) -> list[Any]:
    """The droplet's snapshot actions that have not errored (one started by a create whose answer was lost
    is among them)."""
    from ocean.resources.adoption import Candidate

    return [
        Candidate(
            id=str(a.id),
            obj=a,
            describe=f"snapshot action {a.id} on droplet {droplet_id} ({a.status})",
            created_at=a.started_at,
        )
        async for a in ctx.api.droplet_actions.list(droplet_id)
        if a.type == "snapshot" and a.status != "errored"
    ]


async def _find(ctx: Context, droplet_id: int, name: str) -> int | None:
    newest: Any = None
    async for snap in ctx.api.droplets.snapshots(droplet_id):
        if snap.name == name and (newest is None or str(snap.created_at) > str(newest.created_at)):
            newest = snap
    return None if newest is None else int(newest.id)


async def _state(ctx: Context, snapshot_id: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    return _to_state(snapshot_id, await ctx.api.reads.snapshot(snapshot_id), inputs)


def _to_state(snapshot_id: str, snap: Any, inputs: Mapping[str, Any]) -> dict[str, Any]:
    droplet_id = inputs.get("dropletId")
    if snap.resource_id:
        droplet_id = int(snap.resource_id)
    return {
        "dropletId": droplet_id,
        "name": snap.name,
        "snapshotId": str(snapshot_id),
        "sizeGigabytes": float(snap.size_gigabytes or 0.0),
        "minDiskSize": int(snap.min_disk_size or 0),
        "regions": list(snap.regions or []),
        "createdAt": str(snap.created_at) if snap.created_at is not None else None,
    }
