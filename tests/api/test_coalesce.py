"""The read coalescer on its own (ocean.api.coalesce.Coalescer): which reads share a list, what a reader
gets when the list fails or does not hold its item, and that nothing outlives its window. The window's
sleep is injected (an event the test sets), so no test waits on real time.

How it answers real DigitalOcean reads, counted from the emulator's request log, is in
tests/resources/test_read_coalescing.py.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import pytest

from ocean.api import errors
from ocean.api.coalesce import RECENT_S, Coalescer, Listed


class Source:
    """An account of items, with a record of how it was asked."""

    def __init__(self, items: dict[str, str], *, complete: bool = True) -> None:
        self.items = items
        self.complete = complete
        self.asked: list[str] = []
        self.list_error: Exception | None = None
        self.list_gate: asyncio.Event | None = None
        self.unlisted: set[str] = set()  # there, but missed by the list (a page shifted while listing)

    async def one(self, key: str) -> str:
        self.asked.append(f"GET {key}")
        await asyncio.sleep(0)
        if key not in self.items:
            raise errors.NotFound(f"{key} not found", status=404, method="GET", path=f"/{key}")
        return self.items[key]

    async def many(self) -> Listed[str, str]:
        self.asked.append("LIST")
        if self.list_gate is not None:
            await self.list_gate.wait()
        if self.list_error is not None:
            raise self.list_error
        return Listed({k: v for k, v in self.items.items() if k not in self.unlisted}, self.complete)


class Window:
    """The window's sleep: it ends when the test says so."""

    def __init__(self) -> None:
        self.open = asyncio.Event()

    async def sleep(self, _: float) -> None:
        await self.open.wait()


@pytest.fixture(autouse=True)
def shared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OCEAN_POLLING", raising=False)


def coalescer(source: Source, window: Window, **kw: Any) -> Coalescer[str, str]:
    return Coalescer("item", one=source.one, many=source.many, sleep=window.sleep, **kw)


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


def test_many_readers_one_list_and_a_get_only_for_what_it_lacks() -> None:
    async def go() -> None:
        source, window = Source({f"k{i}": f"v{i}" for i in range(10)}), Window()
        c = coalescer(source, window)
        readers = [asyncio.create_task(c.get(f"k{i}")) for i in range(10)]
        readers.append(asyncio.create_task(c.get("k3")))  # the same item twice: read once
        gone = asyncio.create_task(c.get("deleted"))
        await settle()
        assert source.asked == []  # the window is still open
        window.open.set()
        assert await asyncio.gather(*readers) == [f"v{i}" for i in range(10)] + ["v3"]
        with pytest.raises(errors.NotFound):
            await gone
        assert source.asked == ["LIST", "GET deleted"]

    asyncio.run(go())


def test_a_lone_reader_gets_the_item_itself() -> None:
    async def go() -> None:
        source, window = Source({"a": "1"}), Window()
        window.open.set()
        c = coalescer(source, window)
        assert await c.get("a") == "1"
        assert await asyncio.gather(c.get("a"), c.get("a")) == ["1", "1"]
        assert source.asked == ["GET a", "GET a"]

    asyncio.run(go())


def test_exact_and_per_resource_reads_never_wait_for_others(monkeypatch: pytest.MonkeyPatch) -> None:
    async def go() -> None:
        source, window = Source({"a": "1", "b": "2"}), Window()  # the window never ends
        c = coalescer(source, window)
        assert await c.get("a", exact=True) == "1"
        monkeypatch.setenv("OCEAN_POLLING", "per-resource")
        assert await asyncio.gather(c.get("a"), c.get("b")) == ["1", "2"]
        assert source.asked == ["GET a", "GET a", "GET b"]

    asyncio.run(go())


def test_a_list_error_reaches_every_reader() -> None:
    async def go() -> None:
        source, window = Source({"a": "1", "b": "2"}), Window()
        source.list_error = errors.ServerError("boom")
        c = coalescer(source, window)
        readers = [asyncio.create_task(c.get(k)) for k in ("a", "b", "c")]
        window.open.set()
        results = await asyncio.gather(*readers, return_exceptions=True)
        assert [type(r) for r in results] == [errors.ServerError] * 3
        assert source.asked == ["LIST"]

    asyncio.run(go())


def test_a_cancelled_reader_leaves_the_others_alone() -> None:
    async def go() -> None:
        source, window = Source({"a": "1", "b": "2"}), Window()
        c = coalescer(source, window)
        a1, a2, b = (asyncio.create_task(c.get(k)) for k in ("a", "a", "b"))
        await settle()
        a1.cancel()
        window.open.set()
        assert await a2 == "1" and await b == "2"
        assert a1.cancelled()
        assert source.asked == ["LIST"]

    asyncio.run(go())


def test_an_incomplete_list_is_not_taken_as_the_absence_of_an_item() -> None:
    async def go() -> None:
        # A complete list without the item: the item is absent. An incomplete one: it is asked for.
        for complete, asked in ((True, ["LIST"]), (False, ["LIST", "GET c"])):
            source, window = Source({"a": "1", "b": "2", "c": "3"}, complete=complete), Window()
            source.unlisted = {"c"}
            window.open.set()
            c = coalescer(source, window, absent=lambda _: "none")
            found = await asyncio.gather(c.get("a"), c.get("c"))
            assert found == ["1", "none" if complete else "3"]
            assert source.asked == asked

    asyncio.run(go())


def test_a_read_that_arrives_once_the_list_is_sent_waits_for_the_next_list() -> None:
    async def go() -> None:
        source, window = Source({"a": "old", "b": "old"}), Window()
        source.list_gate = asyncio.Event()
        c = coalescer(source, window)
        first = [asyncio.create_task(c.get(k)) for k in ("a", "b")]
        window.open.set()
        await settle()
        assert source.asked == ["LIST"]  # sent, not answered yet
        source.items["a"] = "new"  # a mutation, then a read of its result
        later = [asyncio.create_task(c.get(k)) for k in ("a", "b")]
        await settle()
        source.list_gate.set()
        await asyncio.gather(*first)
        assert await asyncio.gather(*later) == ["new", "old"]
        assert source.asked == ["LIST", "LIST"]

    asyncio.run(go())


def test_each_item_read_runs_in_its_readers_context_and_the_list_in_none() -> None:
    """Log lines name the operation a request was made for, and hide that operation's secrets (they
    are bound in context variables): a reader's own GET carries its context, the shared list nobody's."""
    whose: contextvars.ContextVar[str] = contextvars.ContextVar("whose", default="nobody")

    async def go() -> None:
        source, window = Source({"a": "1", "b": "2"}), Window()
        source.unlisted = {"b"}
        seen: list[str] = []
        one, many = source.one, source.many

        async def one_seen(key: str) -> str:
            seen.append(f"GET {key} for {whose.get()}")
            return await one(key)

        async def many_seen() -> Listed[str, str]:
            seen.append(f"LIST for {whose.get()}")
            return await many()

        c = Coalescer("item", one=one_seen, many=many_seen, sleep=window.sleep)

        async def reader(key: str, name: str) -> str:
            whose.set(name)
            return await c.get(key)

        readers = [asyncio.create_task(reader("a", "first")), asyncio.create_task(reader("b", "second"))]
        window.open.set()
        assert await asyncio.gather(*readers) == ["1", "2"]
        assert seen == ["LIST for nobody", "GET b for second"]

    asyncio.run(go())


def test_a_recent_read_is_answered_by_a_list_answered_within_the_window_and_no_older() -> None:
    """A refresh's next wave of Reads (`recent=True`) arrives soon after the previous one was answered."""

    async def go() -> None:
        now = [0.0]
        source, window = Source({"a": "1", "b": "2", "c": "3"}), Window()
        window.open.set()
        c = Coalescer("item", one=source.one, many=source.many, sleep=window.sleep, clock=lambda: now[0])
        assert await asyncio.gather(c.get("a", recent=True), c.get("b", recent=True)) == ["1", "2"]
        assert source.asked == ["LIST"]
        source.items["c"] = "changed"
        now[0] = RECENT_S
        assert await c.get("c", recent=True) == "3"  # the next wave: from the list
        assert await c.get("c") == "changed"  # not a refresh read: its own GET
        now[0] = RECENT_S + 0.01
        assert await c.get("c", recent=True) == "changed"  # older than RECENT_S: read again
        assert source.asked == ["LIST", "GET c", "GET c"]

    asyncio.run(go())
