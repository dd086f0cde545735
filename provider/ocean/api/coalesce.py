"""Concurrent single-item reads of one kind, answered together by list requests.

A `pulumi refresh` of 200 droplets sends 200 Reads at once; many concurrent creates each read their
droplet when its create action completes, and each looks up its create mark first. One droplet per
GET is what makes terraform-provider-digitalocean users hit 429 on refresh. Here a read waits a short
window (`WINDOW_S`, tens of milliseconds) for others of its kind:

- alone in the window, it is the per-item GET it always was;
- with others, one list request (``per_page=200``, every page) answers all of them; an id the list does
  not hold is read with its own GET, so a 404 is still exact (deleted outside Pulumi reads as gone);
- ``exact=True`` (an import) skips the window and is always the GET.

Nothing is cached beyond the window: a batch closes when its list is sent, and a read that arrives
after that waits for the next one, so a read made after a mutation always sees it. The one exception
is a refresh's Read (``recent=True``), which follows no change of its own: the engine sends those in
waves of its ``--parallel`` (8 by default on a 2-core machine with the newest engine), each right after
the previous one was answered, so a list answered less than `RECENT_S` ago answers the next waves too.
``OCEAN_POLLING=per-resource`` (``pollers.polling_mode``) turns all of this off: every read its own GET.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .logs import get_logger
from .pagination import Paginator
from .pollers import polling_mode

if TYPE_CHECKING:
    from .client import DigitalOceanClient
    from .models.droplet import Droplet
    from .models.droplet_backup_policy import DropletBackupPolicy
    from .models.firewall import Firewall
    from .models.garbage_collection import GarbageCollection
    from .models.registry import Registry
    from .models.snapshot import Snapshot
    from .models.vpc import Vpc
    from .models.vpc_peering import VpcPeering

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# How long a read waits for others of its kind. The engine sends a refresh's Reads within a few
# milliseconds of each other; a lone read pays this once.
WINDOW_S = 0.04

# How many pages a batch's list may take: no more than the reads it answers (set by `_flush` for the
# listers; `listed` and the tag lookup stop after the first page of a longer list, and what it did not
# hold is read one by one). An account with 5,000 droplets is not listed whole for two reads.
PAGE_BUDGET: contextvars.ContextVar[int | None] = contextvars.ContextVar("page_budget", default=None)

# How long a list answers a refresh's later Reads (`recent=True`). The newest engine sends a refresh's
# Reads `--parallel` at a time (8 by default on a 2-core machine), the next batch only once one is
# answered and checkpointed: measured with 200 droplets, a batch follows the last list's answer by
# 0.1-0.3 s. A refresh that reads each item with its own GET spans the whole refresh (50 s for 200
# droplets at the rate limit), so an answer up to this old is no staler than that.
RECENT_S = 1.0

_log = get_logger("ocean.api.reads")


@dataclasses.dataclass
class Listed(Generic[K, V]):
    """What one list answered: items by key, and whether the list is known to hold every item (one page,
    or pages whose count matches ``meta.total``: nothing was skipped while paging)."""

    found: Mapping[K, V]
    complete: bool


@dataclasses.dataclass
class _Batch(Generic[K, V]):
    waiting: dict[K, asyncio.Future[V]] = dataclasses.field(default_factory=dict)
    # The context of the operation that asked for each key: its own GET runs there, so its log lines
    # name its resource and hide its secrets (a registry's name in the path may be one).
    contexts: dict[K, contextvars.Context] = dataclasses.field(default_factory=dict)
    task: asyncio.Task[None] | None = None


class Coalescer(Generic[K, V]):
    """Reads of one kind: `get(key)` for one item; concurrent gets within `window` share one list.

    `one(key)`: the per-item read. `many()`: the list; None when there is none, and then concurrent
    reads of one key share one `one` (e.g. a whole listing, read by each of many concurrent creates
    looking for its name). `absent(key)`: the answer for a key a complete list does not hold (for a
    lookup whose answer is "none", e.g. the droplets with a tag); without it, such a key is read with
    `one` (for items, whose absence must be an exact 404).
    """

    def __init__(
        self,
        what: str,
        *,
        one: Callable[[K], Awaitable[V]],
        many: Callable[[], Awaitable[Listed[K, V]]] | None = None,
        absent: Callable[[K], V] | None = None,
        window: float = WINDOW_S,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        recent_for: float = RECENT_S,
    ) -> None:
        self.what = what
        self._recent_for = recent_for
        self._one = one
        self._many = many
        self._absent = absent
        self._window = window
        self._sleep = sleep
        self._clock = clock
        self._open: _Batch[K, V] | None = None
        # The last list and when it was answered, for `recent` reads (a refresh's next wave).
        self._last: tuple[float, Listed[K, V]] | None = None
        # Kept so a flush in flight is not garbage-collected (asyncio holds tasks weakly).
        self._flushing: set[asyncio.Task[None]] = set()

    async def get(self, key: K, *, exact: bool = False, recent: bool = False) -> V:
        """The item. `exact`: its own GET, always. `recent`: a list answered less than `recent_for` ago
        may answer it at once — only for reads that follow no change of their own (a refresh's Reads: the
        engine sends them in waves of `--parallel`, 8 by default on a 2-core machine, each wave
        right after the previous one was answered)."""
        if exact or polling_mode() == "per-resource":
            return await self._one(key)
        if recent and self._last is not None:
            answered, last = self._last
            if self._clock() - answered <= self._recent_for and key in last.found:
                return last.found[key]
        batch = self._open
        if batch is None:
            batch = self._open = _Batch()
            # The list belongs to no one operation: it runs in a context of its own, not the first
            # reader's (whose log bindings and secrets are not the others').
            batch.task = asyncio.get_running_loop().create_task(
                self._flush(batch), context=contextvars.Context()
            )
            self._flushing.add(batch.task)
            batch.task.add_done_callback(self._flushing.discard)
        future = batch.waiting.get(key)
        if future is None:
            future = batch.waiting[key] = asyncio.get_running_loop().create_future()
            batch.contexts[key] = contextvars.copy_context()
            # Its error is seen by the readers still waiting; none left (all cancelled) is no warning.
            future.add_done_callback(_retrieved)
        # Shielded: a cancelled reader leaves the batch (and other readers of the same key) alone.
        return await asyncio.shield(future)

    async def _flush(self, batch: _Batch[K, V]) -> None:
        try:
            try:
                await self._sleep(self._window)
            finally:
                # Closed from here on: a later read waits for a later list, never for this older one.
                if self._open is batch:
                    self._open = None
            keys = list(batch.waiting)
            if len(keys) == 1 or self._many is None:
                await asyncio.gather(*(self._resolve(batch, key) for key in keys))
                return
            budget = PAGE_BUDGET.set(len(keys))
            try:
                listed = await self._many()
            finally:
                PAGE_BUDGET.reset(budget)
            self._last = (self._clock(), listed)
            missing: list[K] = []
            for key in keys:
                if key in listed.found:
                    _settle(batch.waiting[key], result=listed.found[key])
                elif listed.complete and self._absent is not None:
                    _settle(batch.waiting[key], result=self._absent(key))
                else:
                    missing.append(key)
            _log.debug(
                "reads coalesced", kind=self.what, reads=len(keys), listed=len(keys) - len(missing),
                separately=len(missing),
            )  # fmt: skip
            await asyncio.gather(*(self._resolve(batch, key) for key in missing))
        except BaseException as e:
            # The list failed (or the flush was cancelled): every reader still waiting learns it.
            for future in batch.waiting.values():
                if isinstance(e, asyncio.CancelledError):
                    future.cancel()
                else:
                    _settle(future, error=e)
            if not isinstance(e, Exception):
                raise

    async def _resolve(self, batch: _Batch[K, V], key: K) -> None:
        try:
            one = self._one

            async def read() -> V:
                return await one(key)

            task = asyncio.get_running_loop().create_task(read(), context=batch.contexts[key])
            _settle(batch.waiting[key], result=await task)
        except Exception as e:  # noqa: BLE001 - handed to the reader, whose read it is
            _settle(batch.waiting[key], error=e)


def _retrieved(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def _settle(future: asyncio.Future[Any], *, result: Any = None, error: BaseException | None = None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


async def listed(paginator: Paginator[Any], key: Callable[[Any], K]) -> Listed[K, Any]:
    """Every page of a list, by `key` (no more pages than `PAGE_BUDGET`: then it is not complete)."""
    paginator.page_budget = PAGE_BUDGET.get()
    items = await paginator.collect()
    complete = not paginator.truncated and (paginator.pages_fetched <= 1 or paginator.total == len(items))
    return Listed({key(item): item for item in items}, complete)


class Reads:
    """The coalesced reads of one client (so per token): ``await client.reads.droplet(42)``.

    Each method is one item's read; ``exact=True`` always sends the per-item GET (an import);
    ``recent=True`` (a refresh's Read only) may be answered by a list answered within `RECENT_S`."""

    def __init__(
        self,
        client: DigitalOceanClient,
        *,
        window: float = WINDOW_S,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._window = window
        self._sleep = sleep
        self._clock = clock
        c = client
        opts: dict[str, Any] = {"window": window, "sleep": sleep, "clock": clock}

        async def droplets() -> Listed[int, Droplet]:
            return await listed(c.droplets.list(), lambda d: int(d.id))

        async def tagged() -> Listed[str, list[Droplet]]:
            page = c.droplets.list()
            page.page_budget = PAGE_BUDGET.get()
            by_tag: dict[str, list[Droplet]] = {}
            seen = 0
            async for d in page:
                seen += 1
                for tag in {str(t).lower() for t in d.tags or []}:
                    by_tag.setdefault(tag, []).append(d)
            return Listed(by_tag, not page.truncated and (page.pages_fetched <= 1 or page.total == seen))

        async def one_tagged(tag: str) -> list[Droplet]:
            return await c.droplets.list(tag_name=tag).collect()

        async def policies() -> Listed[int, DropletBackupPolicy]:
            # A droplet missing from the list is read with its own GET (no `absent`): completeness
            # does not matter here.
            return Listed({p.droplet_id: p for p in await c.droplets.backup_policies()}, True)

        async def firewalls() -> Listed[str, Firewall]:
            return await listed(c.firewalls.list(), lambda f: str(f.id))

        async def vpcs() -> Listed[str, Vpc]:
            return await listed(c.vpcs.list(), lambda v: str(v.id))

        async def peerings() -> Listed[str, VpcPeering]:
            return await listed(c.vpc_peerings.list(), lambda p: str(p.id))

        async def snapshots() -> Listed[str, Snapshot]:
            return await listed(c.snapshots.list(resource_type="droplet"), lambda s: str(s.id))

        async def registries() -> Listed[str, Registry]:
            return Listed({r.name: r for r in await c.registries.list()}, True)

        self._droplet: Coalescer[int, Droplet] = Coalescer(
            "droplet", one=c.droplets.get, many=droplets, **opts
        )
        self._tagged: Coalescer[str, list[Droplet]] = Coalescer(
            "droplets by tag", one=one_tagged, many=tagged, absent=lambda _: [], **opts
        )
        self._policy: Coalescer[int, DropletBackupPolicy] = Coalescer(
            "droplet backup policy", one=c.droplets.backup_policy, many=policies, **opts
        )
        self._firewall: Coalescer[str, Firewall] = Coalescer(
            "firewall", one=c.firewalls.get, many=firewalls, **opts
        )
        self._vpc: Coalescer[str, Vpc] = Coalescer("vpc", one=c.vpcs.get, many=vpcs, **opts)
        self._peering: Coalescer[str, VpcPeering] = Coalescer(
            "vpc peering", one=c.vpc_peerings.get, many=peerings, **opts
        )
        self._snapshot: Coalescer[str, Snapshot] = Coalescer(
            "snapshot", one=c.snapshots.get, many=snapshots, **opts
        )
        self._registry: Coalescer[str, Registry] = Coalescer(
            "registry", one=c.registries.get, many=registries, **opts
        )
        self._gcs: dict[str, Coalescer[str, GarbageCollection]] = {}

        # Whole lists, read by each of many concurrent creates looking for its name (adoption).
        async def every_firewall(_: None) -> list[Firewall]:
            return await c.firewalls.list().collect()

        async def every_vpc(_: None) -> list[Vpc]:
            return await c.vpcs.list().collect()

        async def every_peering(_: None) -> list[VpcPeering]:
            return await c.vpc_peerings.list().collect()

        self._firewalls: Coalescer[None, list[Firewall]] = Coalescer("firewalls", one=every_firewall, **opts)
        self._vpcs: Coalescer[None, list[Vpc]] = Coalescer("vpcs", one=every_vpc, **opts)
        self._peerings: Coalescer[None, list[VpcPeering]] = Coalescer(
            "vpc peerings", one=every_peering, **opts
        )

    async def firewalls(self) -> list[Firewall]:
        """Every firewall of the account (concurrent callers share one listing)."""
        return list(await self._firewalls.get(None))

    async def vpcs(self) -> list[Vpc]:
        """Every VPC of the account (concurrent callers share one listing)."""
        return list(await self._vpcs.get(None))

    async def vpc_peerings(self) -> list[VpcPeering]:
        """Every VPC peering of the account (concurrent callers share one listing)."""
        return list(await self._peerings.get(None))

    async def droplet(self, droplet_id: int, *, exact: bool = False, recent: bool = False) -> Droplet:
        return await self._droplet.get(int(droplet_id), exact=exact, recent=recent)

    async def droplets_tagged(self, tag_name: str) -> list[Droplet]:
        """The droplets with this tag (``GET /v2/droplets?tag_name=``; concurrent lookups: one unfiltered
        list, filtered here). Tags are case-insensitive, as at DigitalOcean."""
        return list(await self._tagged.get(tag_name.lower()))

    async def backup_policy(self, droplet_id: int, *, recent: bool = False) -> DropletBackupPolicy:
        """The droplet's backup policy (concurrent reads: ``GET /v2/droplets/backups/policies``)."""
        return await self._policy.get(int(droplet_id), recent=recent)

    async def firewall(self, firewall_id: str, *, exact: bool = False, recent: bool = False) -> Firewall:
        return await self._firewall.get(str(firewall_id), exact=exact, recent=recent)

    async def vpc(self, vpc_id: str, *, exact: bool = False, recent: bool = False) -> Vpc:
        return await self._vpc.get(str(vpc_id), exact=exact, recent=recent)

    async def vpc_peering(self, peering_id: str, *, exact: bool = False, recent: bool = False) -> VpcPeering:
        return await self._peering.get(str(peering_id), exact=exact, recent=recent)

    async def snapshot(self, snapshot_id: str, *, exact: bool = False, recent: bool = False) -> Snapshot:
        return await self._snapshot.get(str(snapshot_id), exact=exact, recent=recent)

    async def registry(self, name: str, *, exact: bool = False, recent: bool = False) -> Registry:
        return await self._registry.get(name, exact=exact, recent=recent)

    async def garbage_collection(
        self, registry: str, uuid: str, *, exact: bool = False, recent: bool = False
    ) -> GarbageCollection:
        """A registry's garbage collection; concurrent reads of one registry's collections share its list."""
        gcs = self._gcs.get(registry)
        if gcs is None:
            api = self._client.garbage_collections

            async def one(u: str) -> GarbageCollection:
                return await api.get(registry, u)

            async def many() -> Listed[str, GarbageCollection]:
                return Listed({g.uuid: g for g in await api.list(registry) if g.uuid}, True)

            gcs = self._gcs[registry] = Coalescer(
                f"garbage collection of {registry}",
                one=one,
                many=many,
                window=self._window,
                sleep=self._sleep,
                clock=self._clock,
            )
        return await gcs.get(uuid, exact=exact, recent=recent)


__all__ = ["RECENT_S", "WINDOW_S", "Coalescer", "Listed", "Reads", "listed"]
