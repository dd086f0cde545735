"""ocean:index:RegistryGarbageCollection — one garbage collection of a container registry, waited to its end.

Creating the resource starts a collection and follows it through `requested` → `waiting for write JWTs
to expire` → `scanning manifests` → `deleting unreferenced blobs` → `succeeded` (or `failed`,
`cancelling` → `cancelled`), showing the current status and the time elapsed in the Pulumi display.
While it runs the registry is read-only, so the wait matters:

- On timeout (customTimeouts) or cancellation (Ctrl-C) the collection is *cancelled*
  (`PUT … {"cancel": true}`) and followed, for at most CANCEL_WAIT_S, to `cancelled`, so the registry
  does not stay read-only for a collection nobody is waiting for.
- `failed` and `cancelled` are errors naming the registry and the collection's uuid; the uuid is
  recorded in the stack (a partial failure), and the next `up` plans a replacement, which starts a new
  collection.
- A collection already running (409, started elsewhere) is waited on, then the new one is started.

Every input replaces the resource, and a replacement starts exactly one new collection: `triggers`
(any values) is how a program asks for a new one, as in Pulumi's `command` provider. Deleting the
resource forgets the record; nothing is deleted on DigitalOcean (a collection cannot be).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from ocean.resources.base import (
    CheckFailure,
    Context,
    DiffResult,
    Model,
    PartialFailure,
    ReplaceOnChange,
    Resource,
    ResourceError,
    ServerDefault,
    UseStateForUnknown,
    explain,
    validate,
)
from ocean.resources.container_registry import NAME_RE, NAME_RULE

TOKEN = "ocean:index:RegistryGarbageCollection"
DEFAULT_CREATE_TIMEOUT = 60 * 60  # waiting for write JWTs to expire alone can take 15 minutes
# How long to follow a collection we cancelled to `cancelled`, past the operation's own deadline.
CANCEL_WAIT_S = 120.0

GcType = Literal[
    "unreferenced blobs only",
    "untagged manifests only",
    "untagged manifests and unreferenced blobs",
]


class RegistryGarbageCollectionArgs(Model):
    """The inputs of a RegistryGarbageCollection."""

    registry_name: Annotated[
        str,
        Field(description="The name of the registry to collect (a ContainerRegistry's `name` output)."),
        ReplaceOnChange(
            "a garbage collection runs on one registry: a new one is started on the new registry"
        ),
    ]
    type: Annotated[
        GcType | None,
        Field(
            default=None,
            description="What to delete: blobs no manifest references, manifests with no tag, or both. "
            "Left out, DigitalOcean's default (`unreferenced blobs only`).",
        ),
        ReplaceOnChange("a collection of another type is a new collection"),
        ServerDefault(),
    ]
    triggers: Annotated[
        list[Any] | None,
        Field(
            default=None,
            description="Any values; when one of them changes, a new garbage collection is started (the "
            "resource is replaced). Unchanged, a `pulumi up` starts none.",
        ),
        ReplaceOnChange("a new garbage collection is started"),
    ]


_STABLE = UseStateForUnknown()


class RegistryGarbageCollectionState(RegistryGarbageCollectionArgs):
    """The outputs of a RegistryGarbageCollection."""

    uuid: Annotated[str, Field(description="DigitalOcean's id of the collection."), _STABLE]
    status: Annotated[
        str,
        Field(
            description="How the collection ended: `succeeded` (or, recorded with an error, `failed`, "
            "`cancelled`, or a status it had when the provider stopped following it)."
        ),
        _STABLE,
    ]
    blobs_deleted: Annotated[int, Field(description="Blobs the collection deleted."), _STABLE]
    freed_bytes: Annotated[int, Field(description="Bytes the collection freed."), _STABLE]
    created_at: Annotated[str, Field(description="When the collection was started (RFC 3339)."), _STABLE]
    updated_at: Annotated[str, Field(description="When its status last changed (RFC 3339)."), _STABLE]

    model_config = {"extra": "ignore"}


class RegistryGarbageCollection(Resource):
    token: ClassVar[str] = TOKEN
    Args: ClassVar[type[Model]] = RegistryGarbageCollectionArgs
    State: ClassVar[type[Model]] = RegistryGarbageCollectionState
    description: ClassVar[str] = (
        "A garbage collection of a container registry, started on create and waited for to the end. While "
        "it runs the registry is read-only. On timeout or cancellation the collection is cancelled, so the "
        "registry does not stay read-only; `failed` and `cancelled` are errors, recorded with the "
        "collection's uuid, and the next `pulumi up` starts a new one. Change a value in `triggers` to run "
        "a new collection. Deleting the resource only forgets the record."
    )

    # ------------------------------------------------------------------------------------------ check

    @classmethod
    def check(
        cls, urn: str, olds: Mapping[str, Any], news: Mapping[str, Any], random_seed: bytes
    ) -> tuple[dict[str, Any], list[CheckFailure]]:
        label = cls.label(urn)
        checked, failures = validate(RegistryGarbageCollectionArgs, label, news)
        name = checked.get("registryName")
        if not failures and isinstance(name, str) and not NAME_RE.match(name):
            failures.append(
                CheckFailure(
                    "registryName",
                    f"{label}: `registryName` {name!r} is not a registry name: use {NAME_RULE}",
                )
            )
        return checked, failures

    @classmethod
    def diff(
        cls,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        old_inputs: Mapping[str, Any] | None = None,
        ignore_changes: frozenset[str] = frozenset(),
    ) -> DiffResult:
        return super().diff(olds, news, old_inputs=old_inputs, ignore_changes=ignore_changes)

    @classmethod
    def failure(cls, state: Mapping[str, Any]) -> str | None:
        status = state.get("status")
        if isinstance(status, str) and status != "succeeded":
            # Recorded after a failure: the collection did not do its job, so `up` starts a new one.
            return f"garbage collection {state.get('uuid')} ended {status!r}; a new one is started"
        return super().failure(state)

    @classmethod
    def still_failed(cls, state: Mapping[str, Any], outputs: Mapping[str, Any]) -> bool:
        return outputs.get("status") != "succeeded"

    @staticmethod
    def preview_update(olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
        return {**olds, **news}

    # ----------------------------------------------------------------------------------------- create

    @staticmethod
    async def create(ctx: Context, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        from ocean.api import errors

        label = RegistryGarbageCollection.label(ctx.urn)
        registry = str(inputs["registryName"])
        deadline = ctx.deadline(DEFAULT_CREATE_TIMEOUT)
        gc = await _start(ctx, registry, inputs.get("type"), deadline)
        what = f"garbage collection {gc.uuid} of registry {registry}"
        follow = _Follower(ctx, registry, gc)
        try:
            final = await follow.wait(timeout=ctx.remaining(deadline), cancel=ctx.cancel)
        except (errors.WaitTimeout, errors.WaitCancelled) as e:
            stopped = "cancelled" if isinstance(e, errors.WaitCancelled) else "timed out"
            final, trouble = await follow.cancel()
            if final.status == "succeeded":
                return gc.uuid, to_state(final, inputs)  # it ended just as the wait gave up
            raise PartialFailure(
                f"{label}: the wait for {what} {stopped} after {e.elapsed_s:.0f}s (last status "
                f"{e.last_status!r}). {trouble or _ended(final.status)} Its uuid is recorded; the next "
                "`pulumi up` starts a new collection (raise the create timeout with customTimeouts if it "
                "needs longer).",
                resource_id=gc.uuid,
                state=to_state(final, inputs),
                inputs=dict(inputs),
            ) from e
        except Exception as e:
            raise PartialFailure(
                f"{label}: lost track of {what} ({explain(e)}); it may still be running, and the registry "
                "is read-only until it ends. Its uuid is recorded: `pulumi refresh` records how it ended.",
                resource_id=gc.uuid,
                state=to_state(follow.last, inputs),
                inputs=dict(inputs),
            ) from e
        if final.status != "succeeded":
            raise PartialFailure(
                f"{label}: {what} ended {final.status!r}"
                + (" (DigitalOcean gives no reason)" if final.status == "failed" else "")
                + ". The registry is writable again. Its uuid is recorded; the next `pulumi up` starts a "
                "new collection.",
                resource_id=gc.uuid,
                state=to_state(final, inputs),
                inputs=dict(inputs),
            )
        await ctx.notify(
            f"{what} succeeded: {final.blobs_deleted or 0} blobs deleted, "
            f"{final.freed_bytes or 0} bytes freed"
        )
        return gc.uuid, to_state(final, inputs)

    # ------------------------------------------------------------------------------------------- read

    @staticmethod
    async def read(
        ctx: Context, resource_id: str, state: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The collection as DigitalOcean reports it now, or None when it (or its registry) is gone."""
        from ocean.api import errors

        registry = state.get("registryName") or inputs.get("registryName")
        if not registry:
            raise ResourceError(
                f"{RegistryGarbageCollection.label(ctx.urn)}: a garbage collection cannot be imported; "
                "declare a RegistryGarbageCollection to start one"
            )
        try:
            # Collections of one registry read together share its list (ocean.api.coalesce).
            gc = await ctx.api.reads.garbage_collection(registry, resource_id, recent=True)
        except errors.NotFound:
            return None
        known = {**dict(state), **dict(inputs)}
        return to_state(gc, known), dict(inputs)

    @staticmethod
    async def update(
        ctx: Context, resource_id: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        # Every input replaces the resource (a new collection); nothing is changed in place.
        return {**olds, **news}

    # ----------------------------------------------------------------------------------------- delete

    @staticmethod
    async def delete(ctx: Context, resource_id: str, state: Mapping[str, Any]) -> None:
        # A garbage collection is a past event: there is nothing to delete, the record is forgotten.
        return None


async def _start(ctx: Context, registry: str, gc_type: str | None, deadline: float) -> Any:
    """Start the collection: the one place that POSTs. A 409 (one already running, started elsewhere)
    is a definite refusal, so after waiting for that one to end the request is made again."""
    from ocean.api import errors, waiters
    from ocean.resources import adoption

    label = RegistryGarbageCollection.label(ctx.urn)
    while True:
        try:
            gc, lost = await adoption.create_once(
                ctx,
                label=label,
                kind="garbage collection",
                post=lambda: ctx.api.garbage_collections.start(registry, gc_type),
                find=lambda: _started(ctx, registry, gc_type),
                marked=False,
            )
            return gc if lost is None else lost.obj
        except errors.Conflict as e:
            running = await _active(ctx, registry)
            if running is None:
                # It ended between the two requests.
                if ctx.remaining(deadline) < 1.0:
                    raise ResourceError(f"{label}: {explain(e)}") from e
                await ctx.sleep(1.0)
                continue
            other = f"garbage collection {running.uuid} of registry {registry}"
            await ctx.report(
                f"registry {registry} is busy with garbage collection {running.uuid} ({running.status}); "
                "waiting for it to end before starting a new one"
            )
            try:
                await waiters.wait_for_gc(
                    ctx.api,
                    registry,
                    running.uuid,
                    timeout=ctx.remaining(deadline),
                    cancel=ctx.cancel,
                    on_progress=_progress(ctx, f"{other}, started elsewhere"),
                    what=f"{other}, started elsewhere",
                    clock=ctx.clock,
                    sleep=ctx.sleep,
                )
            except (errors.WaitTimeout, errors.WaitCancelled) as w:
                raise ResourceError(
                    f"{label}: registry {registry} was still busy with garbage collection {running.uuid}, "
                    f"started elsewhere: {explain(w)}. No new collection was started."
                ) from w
        except errors.NotFound as e:
            raise ResourceError(
                f"{label}: registry {registry!r} does not exist ({e.message}, request id {e.request_id})"
            ) from e


async def _started(ctx: Context, registry: str, gc_type: str | None) -> list[Any]:
    """The registry's running collection, as what a start request whose answer was lost may have
    started (of the type asked for)."""
    from ocean.resources.adoption import Candidate

    running = await _active(ctx, registry)
    if running is None or (gc_type is not None and running.type not in (None, gc_type)):
        return []
    return [
        Candidate(
            id=running.uuid,
            obj=running,
            describe=f"garbage collection {running.uuid} of registry {registry} ({running.status})",
            created_at=running.created_at,
        )
    ]


async def _active(ctx: Context, registry: str) -> Any:
    from ocean.api import errors

    try:
        return await ctx.api.garbage_collections.get_active(registry)
    except errors.NotFound:
        return None


def _progress(ctx: Context, what: str) -> Any:
    async def report(p: Any) -> None:
        await ctx.report(f"{what}: {p.status}, {p.elapsed_s:.0f}s elapsed")

    return report


class _Follower:
    """Waits for one collection we started, remembering the last status seen, and cancels it."""

    def __init__(self, ctx: Context, registry: str, gc: Any) -> None:
        self.ctx = ctx
        self.gc = gc
        self.registry = registry
        self.what = f"garbage collection {gc.uuid} of registry {self.registry}"
        self.last = gc
        self._shown: str | None = None
        self._show = _progress(ctx, self.what)

    async def _seen(self, p: Any) -> None:
        if p.status != self._shown:
            self._shown = p.status
            from ocean.api.logs import get_logger

            log = get_logger("ocean.resources.registry")
            log.info("gc_status", registry=self.registry, uuid=self.gc.uuid, status=p.status,
                     elapsed_s=round(p.elapsed_s, 3))  # fmt: skip
            self.last = self.last.model_copy(update={"status": p.status})
        await self._show(p)

    async def wait(self, *, timeout: float, cancel: Any) -> Any:  # noqa: ASYNC109 - a deadline
        from ocean.api import waiters

        final = await waiters.wait_for_gc(
            self.ctx.api, self.registry, self.gc.uuid, timeout=timeout, cancel=cancel,
            on_progress=self._seen, what=self.what, clock=self.ctx.clock, sleep=self.ctx.sleep,
        )  # fmt: skip
        self.last = final
        return final

    async def cancel(self) -> tuple[Any, str]:
        """Cancel the collection and follow it (bounded) to its end; (the collection, what went wrong)."""
        from ocean.api import errors

        await self.ctx.report(f"cancelling {self.what}, so the registry does not stay read-only")
        try:
            self.last = await self.ctx.api.garbage_collections.cancel(self.registry, self.gc.uuid)
        except errors.Conflict:
            pass  # it ended meanwhile: the wait below reads how
        except Exception as e:
            return self.last, (
                f"Cancelling it failed ({explain(e)}): the registry stays read-only until it ends; cancel it "
                f"with `doctl registry garbage-collection cancel {self.registry} {self.gc.uuid}`."
            )
        try:
            # Not stopped by the engine's Cancel: this wait is the clean-up after it, and is bounded.
            return await self.wait(timeout=CANCEL_WAIT_S, cancel=None), ""
        except Exception as e:
            return self.last, (
                f"It was cancelled, but had not ended {CANCEL_WAIT_S:.0f}s later ({explain(e)}); the "
                "registry is read-only until it does."
            )


def _ended(status: str | None) -> str:
    if status == "cancelled":
        return "It was cancelled, so the registry is writable again."
    return f"It ended {status!r}."


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def to_state(gc: Any, inputs: Mapping[str, Any]) -> dict[str, Any]:
    triggers = inputs.get("triggers")
    return {
        "registryName": gc.registry_name or inputs.get("registryName"),
        "type": gc.type or inputs.get("type"),
        # "No triggers" recorded as [] so that adding one later is a change like any other.
        "triggers": list(triggers) if triggers is not None else [],
        "uuid": gc.uuid,
        "status": gc.status,
        "blobsDeleted": int(gc.blobs_deleted or 0),
        "freedBytes": int(gc.freed_bytes or 0),
        "createdAt": _iso(gc.created_at),
        "updatedAt": _iso(gc.updated_at),
    }
