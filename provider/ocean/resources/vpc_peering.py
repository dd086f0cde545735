"""ocean:index:VpcPeering — a peering between two DigitalOcean VPCs.

Create posts the peering once and waits for it to go from PROVISIONING to ACTIVE; delete waits for
DELETING to end in 404. Every wait honours the operation's customTimeouts and the engine's Cancel, and
shows the peering's status in the Pulumi display. A status the wait does not expect (an error state,
DELETING while provisioning) or a peering that disappears ends it with an error naming the peering,
its VPCs and the last status.

A create that ends before the peering is ACTIVE (the create timeout passed, Ctrl-C, an error) still
records the peering: the provider answers with the engine's "created, but not ready" error (see
`PartialFailure`), so its id and last status are kept in the state together with the engine's
initialization error. On the next `pulumi up` the engine always plans an update of such a resource,
and this module's `diff` also plans one whenever the recorded status is PROVISIONING (so it still
happens after a `pulumi refresh`, which clears the engine's mark): `update` then resumes the wait,
within the update timeout. A peering recorded in any other status than PROVISIONING or ACTIVE is
replaced (deleted first) by the next `up`, the reason shown in the preview.
"""

from __future__ import annotations

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
    UseStateForUnknown,
    auto_name,
    validate,
)
from ocean.resources.unknown import UNKNOWN, contains_unknown, is_unknown

TOKEN = "ocean:index:VpcPeering"

# When the program sets no customTimeouts (seconds).
DEFAULT_CREATE_TIMEOUT = 10 * 60
DEFAULT_UPDATE_TIMEOUT = 10 * 60
DEFAULT_DELETE_TIMEOUT = 10 * 60

PROVISIONING, ACTIVE, DELETING = "PROVISIONING", "ACTIVE", "DELETING"
NAME_MAX = 255
_NAME_RE = re.compile(r"^[A-Za-z0-9-]+$")


def _pair_key(ids: Any) -> Any:
    """The two VPC ids as an unordered pair; an unknown id leaves the pair unknown (and different)."""
    if isinstance(ids, list) and not contains_unknown(ids):
        return sorted(str(i).lower() for i in ids)
    return ids


class VpcPeeringArgs(Model):
    """The inputs of a VpcPeering."""

    name: Annotated[
        str | None,
        Field(
            default=None,
            description="The peering's name: letters, digits and '-', unique in the account. Defaults to "
            "the resource name plus a stable suffix. Changing it renames the peering in place.",
        ),
    ]
    vpc_ids: Annotated[
        list[str],
        Field(
            description="The ids of the two VPCs to peer (e.g. `[a.vpc_id, b.vpc_id]`). An unordered pair: "
            "listing them the other way round is not a change.",
        ),
        ReplaceOnChange("a peering always joins the VPCs it was created for"),
        Normalize(_pair_key),
    ]


_STABLE = UseStateForUnknown()


class VpcPeeringState(VpcPeeringArgs):
    """The outputs of a VpcPeering."""

    peering_id: Annotated[str, Field(description="DigitalOcean's id of the peering (a UUID)."), _STABLE]
    status: Annotated[
        str,
        Field(
            description="`ACTIVE` once the peering carries traffic; `PROVISIONING` if the last `pulumi up` "
            "ended before it was (the next one resumes the wait)."
        ),
    ]
    created_at: Annotated[str, Field(description="When the peering was created (RFC 3339)."), _STABLE]

    model_config = {"extra": "ignore"}


class VpcPeering(Resource):
    token: ClassVar[str] = TOKEN
    Args: ClassVar[type[Model]] = VpcPeeringArgs
    State: ClassVar[type[Model]] = VpcPeeringState
    marks: ClassVar[bool] = True
    description: ClassVar[str] = (
        "A peering between two DigitalOcean VPCs, so that their resources reach each other over private "
        "addresses. Creating one waits until it is ACTIVE and deleting one waits until it is gone, within "
        "the customTimeouts you set; if `pulumi up` ends first, the peering is kept in the stack and the "
        "next `pulumi up` resumes the wait. `name` changes in place; other `vpcIds` replace it."
    )

    # ------------------------------------------------------------------------------------------ check

    @classmethod
    def auto_name(cls, urn: str, seed: bytes) -> str:
        # Peering names allow no dots, unlike the hostname-style auto-name.
        return auto_name(urn.rsplit("::", 1)[-1], seed).replace(".", "-")

    @classmethod
    def check(
        cls, urn: str, olds: Mapping[str, Any], news: Mapping[str, Any], random_seed: bytes
    ) -> tuple[dict[str, Any], list[CheckFailure]]:
        label = cls.label(urn)
        checked, failures = validate(VpcPeeringArgs, label, cls.with_name(urn, olds, news, random_seed))
        if failures:
            return checked, failures
        name = checked.get("name")
        if isinstance(name, str) and (len(name) > NAME_MAX or not _NAME_RE.match(name)):
            failures.append(
                CheckFailure(
                    "name",
                    f"{label}: `name` {name!r} is not a valid peering name: use letters, digits and '-' "
                    f"(1 to {NAME_MAX} characters).",
                )
            )
        ids = checked.get("vpcIds")
        if isinstance(ids, list):
            problem = _vpc_ids_problem(ids)
            if problem:
                failures.append(CheckFailure("vpcIds", f"{label}: `vpcIds` {problem}"))
        return checked, failures

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
        if olds.get("status") == PROVISIONING and not d.replaces:
            # Not ACTIVE yet when the last `up` ended: the update resumes the wait.
            d.changes = True
            d.detailed.setdefault("status", "update")
        # The same two VPCs cannot be peered twice, nor one name held by two peerings: delete first.
        d.delete_before_replace = bool(d.replaces)
        return d

    @classmethod
    def failure(cls, state: Mapping[str, Any]) -> str | None:
        status = state.get("status")
        if isinstance(status, str) and status not in (PROVISIONING, ACTIVE):
            return (
                f"the peering is in status {status} on DigitalOcean and will not become ACTIVE; "
                "it is deleted and created again"
            )
        return super().failure(state)

    @classmethod
    def still_failed(cls, state: Mapping[str, Any], outputs: Mapping[str, Any]) -> bool:
        return outputs.get("status") not in (PROVISIONING, ACTIVE)

    # ---------------------------------------------------------------------------------------- preview

    @staticmethod
    def preview_update(olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
        out = {**olds, **news}
        if olds.get("status") != ACTIVE:
            out["status"] = UNKNOWN
        return out

    # ----------------------------------------------------------------------------------------- create

    @staticmethod
    async def create(ctx: Context, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """Create the peering and wait for it — or adopt the one an interrupted create of this resource
        made (its auto-name is its mark), or the one this create made when its answer was lost."""
        from ocean.resources import adoption

        label = VpcPeering.label(ctx.urn)
        name, vpc_ids = str(inputs["name"]), [str(v) for v in inputs["vpcIds"]]
        deadline = ctx.deadline(DEFAULT_CREATE_TIMEOUT)
        earlier = await adoption.adopt_named(
            ctx,
            label=label,
            kind="VPC peering",
            name=name,
            owned=VpcPeering.named_by_provider(ctx.urn, inputs),
            find=lambda: _named(ctx, name),
            adopt_hint=f"pulumi import {TOKEN} {ctx.name} <id>",
        )
        if earlier is not None:
            peering = earlier.obj
        else:
            peering, lost = await adoption.create_once(
                ctx,
                label=label,
                kind="VPC peering",
                post=lambda: ctx.api.vpc_peerings.create(name, vpc_ids),
                find=lambda: _named(ctx, name, vpc_ids=vpc_ids),
            )
            if lost is not None:
                peering = lost.obj
        state = to_state(peering, inputs)
        active = await _wait_active(ctx, peering.id, state, inputs, deadline, "was created but")
        return peering.id, to_state(active, inputs)

    # ------------------------------------------------------------------------------------------- read

    @staticmethod
    async def read(
        ctx: Context, resource_id: str, state: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        from ocean.api import errors

        try:
            # A refresh's reads share one list (ocean.api.coalesce); an import is one exact GET.
            peering = await ctx.api.reads.vpc_peering(
                _parse_id(resource_id, ctx.urn), exact=not inputs and not state, recent=bool(inputs or state)
            )
        except errors.NotFound:
            return None
        outputs = to_state(peering, inputs or state)
        if inputs:
            return outputs, dict(inputs)
        return outputs, {"name": outputs["name"], "vpcIds": outputs["vpcIds"]}

    # ----------------------------------------------------------------------------------------- update

    @staticmethod
    async def update(
        ctx: Context, resource_id: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        from ocean.api import errors

        label = VpcPeering.label(ctx.urn)
        deadline = ctx.deadline(DEFAULT_UPDATE_TIMEOUT)
        try:
            peering = await ctx.api.reads.vpc_peering(resource_id)
        except errors.NotFound:
            raise ResourceError(
                f"{label}: peering {olds.get('name')!r} ({resource_id}) between VPCs "
                f"{_pair(olds.get('vpcIds'))} no longer exists on DigitalOcean (last status "
                f"{olds.get('status')}). Run `pulumi refresh` to drop it from the stack (or "
                "`pulumi up --refresh`); `pulumi up` then creates it again."
            ) from None
        if peering.status != ACTIVE:
            # The last `up` ended before the peering was ACTIVE: resume the wait.
            peering = await _wait_active(
                ctx, resource_id, {**olds, **to_state(peering, news)}, news, deadline, "is recorded but"
            )
        if news.get("name") and news["name"] != peering.name:
            peering = await ctx.api.vpc_peerings.patch(resource_id, str(news["name"]))
        return to_state(peering, news)

    # ----------------------------------------------------------------------------------------- delete

    @staticmethod
    async def delete(ctx: Context, resource_id: str, state: Mapping[str, Any]) -> None:
        from ocean.api import errors, waiters

        label = VpcPeering.label(ctx.urn)
        deadline = ctx.deadline(DEFAULT_DELETE_TIMEOUT)
        ident = _ident(state.get("name"), resource_id, state.get("vpcIds"))
        try:
            await ctx.api.vpc_peerings.delete(resource_id)
        except errors.NotFound:
            return
        except (errors.Forbidden, errors.Conflict, errors.Unprocessable) as e:
            # DigitalOcean may refuse to delete a peering that is still provisioning: let it finish.
            peering = await ctx.api.vpc_peerings.get(resource_id)
            if peering.status != PROVISIONING:
                raise ResourceError(f"{label}: DigitalOcean refused to delete {ident}: {e}") from e
            await _wait_active(ctx, resource_id, dict(state), state, deadline, "could not be deleted:")
            await ctx.api.vpc_peerings.delete(resource_id)
        await ctx.report(f"waiting for {ident} to be deleted: status {DELETING}")
        try:
            await waiters.wait_for_peering(
                ctx.api,
                resource_id,
                until=waiters.GONE,
                what=f"{ident} to be deleted",
                timeout=ctx.remaining(deadline),
                cancel=ctx.cancel,
                on_progress=ctx.progress,
                clock=ctx.clock,
                sleep=ctx.sleep,
            )
        except errors.WaitFailed as e:
            raise ResourceError(
                f"{label}: {ident} went to status {e.last_status} while being deleted, where DigitalOcean "
                "shows DELETING until it is gone. It stays in the stack; check it with `doctl vpcs "
                "peerings get` and run `pulumi destroy` again."
            ) from e


async def _wait_active(
    ctx: Context,
    peering_id: str,
    state: Mapping[str, Any],
    inputs: Mapping[str, Any],
    deadline: float,
    done: str,
) -> Any:
    """Wait for the peering to be ACTIVE; any failure is a PartialFailure that keeps it in the state
    with the last status seen, so that the next `up` knows where it stands."""
    from ocean.api import errors, waiters

    label = VpcPeering.label(ctx.urn)
    ident = _ident(state.get("name"), peering_id, state.get("vpcIds"))
    await ctx.report(f"waiting for {ident} to be ACTIVE: status {state.get('status') or PROVISIONING}")
    try:
        peering = await waiters.wait_for_peering(
            ctx.api,
            peering_id,
            until=ACTIVE,
            what=f"{ident} to be ACTIVE",
            timeout=ctx.remaining(deadline),
            cancel=ctx.cancel,
            on_progress=ctx.progress,
            clock=ctx.clock,
            sleep=ctx.sleep,
        )
    except errors.WaitError as e:
        last = e.last_status or state.get("status") or PROVISIONING
        if isinstance(e, errors.WaitFailed):
            if isinstance(e, waiters.PeeringDisappeared):
                why = f"disappeared from DigitalOcean (404) while {last}"
                then = "Run `pulumi refresh` to drop it from the stack, then `pulumi up` creates it again."
            else:
                why = f"went to status {last}, from which it does not become ACTIVE"
                then = "The next `pulumi up` replaces it (check it first with `doctl vpcs peerings get`)."
        elif isinstance(e, errors.WaitTimeout):
            why = f"is still {last} after {e.elapsed_s:.0f}s, when the operation's timeout ran out"
            then = (
                "The next `pulumi up` resumes waiting for it; raise the timeout with the customTimeouts "
                "resource option to wait longer."
            )
        else:
            why = f"is still {last}: the wait was cancelled"
            then = "The next `pulumi up` resumes waiting for it."
        raise PartialFailure(
            f"{label}: {ident} {done} {why}. It is kept in the stack. {then}",
            resource_id=peering_id,
            state={**dict(state), "peeringId": peering_id, "status": last},
            inputs=dict(inputs),
        ) from e
    return peering


async def _named(ctx: Context, name: str, *, vpc_ids: list[str] | None = None) -> list[Any]:
    """The account's peerings named `name` (names are unique in an account), joining `vpc_ids` if given."""
    from ocean.resources.adoption import Candidate

    return [
        Candidate(
            id=p.id,
            obj=p,
            describe=_ident(p.name, p.id, p.vpc_ids) + f" ({p.status})",
            created_at=p.created_at,
        )
        for p in await ctx.api.reads.vpc_peerings()  # concurrent creates share one listing
        if p.name == name and (vpc_ids is None or _pair_key(list(p.vpc_ids or [])) == _pair_key(vpc_ids))
    ]


def _vpc_ids_problem(ids: list[Any]) -> str | None:
    if len(ids) != 2:
        return f"lists {len(ids)} VPC id(s); a peering joins exactly two VPCs"
    known = [i for i in ids if not is_unknown(i)]
    for vpc_id in known:
        try:
            uuid.UUID(str(vpc_id))
        except ValueError:
            return f"{vpc_id!r} is not a VPC id; VPC ids are UUIDs (a Vpc's `vpcId` output)"
    if len(known) == 2 and str(known[0]).lower() == str(known[1]).lower():
        return f"names the same VPC twice ({known[0]}); a VPC cannot be peered with itself"
    return None


def _pair(ids: Any) -> str:
    return " and ".join(str(i) for i in ids) if isinstance(ids, list) and ids else "(unknown)"


def _ident(name: Any, peering_id: str, vpc_ids: Any) -> str:
    return f"peering {name!r} ({peering_id}) between VPCs {_pair(vpc_ids)}"


def _parse_id(resource_id: str, urn: str) -> str:
    try:
        return str(uuid.UUID(resource_id))
    except ValueError:
        raise ResourceError(
            f"{VpcPeering.label(urn)}: {resource_id!r} is not a VPC peering id; peering ids are UUIDs "
            "(see `doctl vpcs peerings list`)."
        ) from None


def to_state(peering: Any, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The outputs for a peering as DigitalOcean reports it (the VPC ids in the program's order when
    they are the same pair)."""
    vpc_ids = list(peering.vpc_ids or [])
    wanted = inputs.get("vpcIds")
    if isinstance(wanted, list) and _pair_key(wanted) == _pair_key(vpc_ids):
        vpc_ids = [str(v) for v in wanted]
    return {
        "name": peering.name,
        "vpcIds": vpc_ids,
        "peeringId": peering.id,
        "status": peering.status,
        "createdAt": peering.created_at.isoformat() if peering.created_at is not None else None,
    }
