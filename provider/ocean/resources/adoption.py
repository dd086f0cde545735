"""Nothing duplicated, nothing orphaned: adopting what a create made when the provider never learnt it.

A create can leave a resource at DigitalOcean that the stack does not know about in two ways, and a
blind retry of the POST would turn either into a duplicate. This module handles both, once, for every
resource that creates with a POST.

1. The answer is lost (`create_once`). DigitalOcean carried the create out, but the answer is a 5xx from
   a proxy, a read timeout or a dropped connection: the transport raises `AmbiguousRequestError` and never
   repeats a POST. `create_once` then looks up what the create would have made — by name, region and a
   creation time after the request was sent (minus `CLOCK_SKEW_S` for the two clocks), leaving out what
   was there before the request; a snapshot by the droplet's new snapshot action — and adopts exactly
   one match. Several matches fail with their ids (none is kept silently); none fails saying nothing
   was made.

2. The provider dies mid-create (kill -9, OOM, a lost machine). The engine records nothing, and the
   next `pulumi up` creates the resource again. So every create carries a *mark*, and looks for it
   before creating (`adopt_earlier`): one marked resource is what the interrupted create made and is
   adopted; several fail with their ids.

The mark
--------
Check computes it and returns it as the hidden input `__mark` (Pulumi never displays a property whose
key starts with `__`, and stores it with the other inputs, which is how Create receives it).

What the engine gives Check decides how (checked in Pulumi's sources, v3.79 and v3.274): the first
Check of a resource in a deployment gets its recorded inputs as `olds` (none for a new resource); when
Diff then plans a replacement, the engine checks the inputs *again, without olds*, and creates the
replacement from that second result. The engine's `randomSeed` is random for every deployment (unless
a saved plan is used), so it cannot make a mark that survives a crash. Hence (`create_mark`):

    recorded inputs:                   their mark, kept (sha256(URN) if they have none yet), and
                                       remembered by the provider process (`Context.shared`)
    none, a mark remembered for the URN (a replacement's second Check):
                                       sha256(URN + newline + the remembered mark)
    none, nothing remembered (a new resource):
                                       sha256(URN)

- It is the same when a create is repeated after a crash: a crashed create recorded nothing, so the
  next deployment computes it from the same URN and the same recorded inputs. That holds for a crashed
  replacement too: the resource it replaces is still recorded (with delete-before-replace, as "pending
  replacement"), so its mark is remembered again before the second Check.
- It differs from the mark of the resource a replacement replaces (create-before-delete, or a failed
  create being replaced): the new mark is derived from the old one, so the old resource is never
  mistaken for what a crashed replacement made.
- It differs between stacks: the URN names the stack and the project. Two stacks with the same project
  and stack names in different Pulumi backends, managing the same DigitalOcean account, would share
  marks; give them different stack names.

Where the mark is carried:

- Droplets carry it as a tag, `pulumi-ocean:<mark>` (`mark_tag`). DigitalOcean creates the tag with the
  droplet, in the same request, so a droplet is never without it. The tag is hidden from the program:
  not in `tags` (outputs, diffs, drift, imports), never removed by an update; a program may not use the
  `pulumi-ocean:` prefix. Looked up with `GET /v2/droplets?tag_name=<tag>`.
- VPCs, VPC peerings and container registries have no tags, but their names are unique (in the account,
  or across DigitalOcean for registries). A resource the program does not name gets an auto-name whose
  suffix comes from its mark (`Resource.auto_name`), the same in every run, so the name is the mark:
  a resource with that name is what an interrupted create made, and is adopted. A name the program
  chose proves nothing (another stack may use it): a resource found with it is not adopted; the create
  stops with its id and how to import it.
- Firewalls have no unique names, so a firewall carries its mark as one of its target tags (a tag no
  droplet has: it applies the firewall to nothing), hidden like a droplet's and dropped only when the
  program needs all of DigitalOcean's five tag slots.
- Droplet snapshots are named the same way; a snapshot with an auto-name found on the droplet is adopted.

Both lookups are reads. Adopting is reported in the Pulumi output, with the resource's id.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import datetime
from typing import Any

from ocean.resources.base import MARK, Context, ResourceError, explain

# DigitalOcean's clock and ours may disagree; a resource created this long before the request was sent
# is still taken as possibly made by it (what existed before the request is left out by id anyway).
CLOCK_SKEW_S = 3600.0
MARK_TAG_PREFIX = "pulumi-ocean:"
_MARK_LEN = 20


_REMEMBERED = "create marks"  # Context.shared key: URN → the mark of the resource recorded for it


def _digest(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:_MARK_LEN]


def first_mark(urn: str) -> str:
    """The mark of the first resource of a URN."""
    return _digest(urn)


def create_mark(urn: str, olds: Mapping[str, Any], memory: dict[str, Any] | None) -> str:
    """The create mark Check returns for a resource (see the module doc). `memory`: the provider
    process's `Context.shared`, where the recorded resource's mark waits for a replacement's Check."""
    remembered: dict[str, str] = memory.setdefault(_REMEMBERED, {}) if memory is not None else {}
    if olds:
        recorded = olds.get(MARK)
        mark = recorded if isinstance(recorded, str) and recorded else first_mark(urn)
        remembered[urn] = mark
        return mark
    replaced = remembered.get(urn)
    return _digest(f"{urn}\n{replaced}") if replaced else first_mark(urn)


def mark_tag(mark: str) -> str:
    """The droplet tag that carries a mark (tags allow letters, digits, ':', '-' and '_')."""
    return f"{MARK_TAG_PREFIX}{mark}"


def is_mark_tag(tag: Any) -> bool:
    return isinstance(tag, str) and tag.lower().startswith(MARK_TAG_PREFIX)


def without_marks(tags: Any) -> list[str]:
    """Tags as the program sees them: without the provider's mark."""
    return [t for t in (tags or []) if not is_mark_tag(t)]


@dataclasses.dataclass
class Candidate:
    """Something DigitalOcean has that a create may have made."""

    id: str
    obj: Any
    describe: str  # e.g. "droplet 123 'web-1' in nyc3"
    created_at: datetime | None = None


Finder = Callable[[], Awaitable[list[Candidate]]]


def _ids(candidates: list[Candidate]) -> str:
    return ", ".join(c.describe for c in candidates)


async def adopt_earlier(
    ctx: Context, *, label: str, kind: str, find: Finder, what_next: str = ""
) -> Candidate | None:
    """Before creating: the resource an earlier, interrupted create of this one made (found by its
    mark), to adopt instead of creating a second. None when there is none."""
    found = await find()
    if not found:
        return None
    if len(found) > 1:
        raise ResourceError(
            f"{label}: DigitalOcean has {len(found)} {kind}s marked as made by this resource: "
            f"{_ids(found)}. Earlier `pulumi up` runs were interrupted after creating them. None was "
            f"adopted. Keep one: delete the others{what_next}, then run `pulumi up` again."
        )
    await ctx.notify(
        f"adopted {found[0].describe}: an earlier `pulumi up` created it and was interrupted before it "
        "could record it"
    )
    return found[0]


async def adopt_named(
    ctx: Context,
    *,
    label: str,
    kind: str,
    name: str,
    owned: bool,
    find: Finder,
    adopt_hint: str,
) -> Candidate | None:
    """Before creating a resource whose name is unique (VPCs, peerings, registries): the one that already
    has the name. Adopted when the name is this resource's auto-name (`owned`: only its own interrupted
    create can have made it); a name the program chose proves nothing, so then the create stops with the
    resource's id and `adopt_hint` (how to import it), rather than take another stack's resource."""
    found = await find()
    if not found:
        return None
    if not owned:
        raise ResourceError(
            f"{label}: DigitalOcean already has a {kind} named {name!r}: {_ids(found)}. The name is "
            f"taken, so this {kind} cannot be created, and the existing one was not adopted: nothing "
            f"shows that this stack made it. If an interrupted `pulumi up` of this stack did, adopt it "
            f"with `{adopt_hint}`; otherwise choose another `name`."
        )
    return await adopt_earlier(ctx, label=label, kind=kind, find=_given(found))


def _given(found: list[Candidate]) -> Finder:
    async def find() -> list[Candidate]:
        return found

    return find


async def create_once(
    ctx: Context,
    *,
    label: str,
    kind: str,
    post: Callable[[], Awaitable[Any]],
    find: Finder,
    before: Collection[str] = (),
    marked: bool = True,
    wall: Callable[[], float] = time.time,
) -> tuple[Any, Candidate | None]:
    """POST the create once. When its answer is lost (`AmbiguousRequestError`: a 5xx, a timeout, a dropped
    connection after the request was sent), look up what it made and adopt exactly one match.

    Returns (what the POST answered, None) or (None, the adopted candidate). `find` lists what the create
    may have made; `before` are ids that existed before the request (never adopted). `marked`: the
    resource carries its mark, so the next `pulumi up` looks again before creating.
    """
    from ocean.api import errors

    sent_at = wall()
    try:
        return await post(), None
    except errors.AmbiguousRequestError as e:
        lost = e
    rerun = (
        f"Run `pulumi up` again: it looks for the {kind} this request may have made before creating one."
        if marked
        else f"Check whether the {kind} exists before running `pulumi up` again."
    )
    await ctx.report(f"the answer to the {kind} create request was lost; looking for what it made")
    try:
        found = await find()
    except errors.OceanError as e:
        raise ResourceError(
            f"{label}: {lost}. Looking for the {kind} it may have made failed too ({explain(e)}). {rerun}"
        ) from e
    fresh = [
        c
        for c in found
        if c.id not in before and (c.created_at is None or c.created_at.timestamp() >= sent_at - CLOCK_SKEW_S)
    ]
    if len(fresh) == 1:
        await ctx.notify(
            f"the answer to the create request was lost ({lost.reason}); adopted {fresh[0].describe}"
        )
        return None, fresh[0]
    if len(fresh) > 1:
        raise ResourceError(
            f"{label}: {lost}. DigitalOcean now has {len(fresh)} {kind}s that it may have made: "
            f"{_ids(fresh)}. None was adopted: keep the one you want (`pulumi import`) and delete the "
            "others, then run `pulumi up` again."
        ) from lost
    raise ResourceError(
        f"{label}: {lost}. DigitalOcean shows no {kind} made by it, so nothing was recorded. {rerun}"
    ) from lost
