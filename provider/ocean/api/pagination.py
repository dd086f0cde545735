"""Async iteration over DigitalOcean list endpoints, following ``links.pages.next``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from .models.meta import APIMeta, PageLinks

if TYPE_CHECKING:
    from .transport import Transport

T = TypeVar("T", bound=BaseModel)

PER_PAGE = 200
_MAX_PAGES = 10_000


class Paginator(Generic[T]):
    """``async for item in paginator``; ``.total`` is ``meta.total`` once the first page has arrived.

    Iterating again starts again from the first page. ``await paginator.collect()`` returns every item.

    ``page_budget``: go past the first page only when ``meta.total`` says every page fits in the budget;
    otherwise stop after it with ``truncated`` set (a caller that would read fewer items one by one than
    the list has pages does so instead).
    """

    def __init__(
        self,
        transport: Transport,
        path: str,
        key: str,
        model: type[T],
        params: dict[str, Any] | None = None,
        per_page: int = PER_PAGE,
        page_budget: int | None = None,
    ) -> None:
        self._transport = transport
        self._path = path
        self._key = key
        self._model = model
        self._params = {k: v for k, v in (params or {}).items() if v is not None}
        self._params["per_page"] = per_page
        self.page_budget = page_budget
        self.total: int | None = None
        self.pages_fetched = 0
        self.truncated = False

    def __aiter__(self) -> AsyncIterator[T]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[T]:
        url: str | None = self._path
        params: dict[str, Any] | None = dict(self._params)
        seen: set[str] = set()
        self.truncated = False
        while url and len(seen) < _MAX_PAGES:
            seen.add(url)
            data = await self._transport.request("GET", url, params=params) or {}
            self.pages_fetched += 1
            params = None  # the next link carries its own query
            if self.total is None:
                meta = APIMeta.model_validate(data).meta
                self.total = meta.total if meta is not None else None
            for item in data.get(self._key) or []:
                yield self._model.model_validate(item)
            pages = PageLinks.model_validate(data.get("links") or {}).pages
            nxt = pages.next if pages is not None else None
            url = nxt if nxt and nxt not in seen else None
            if url and self.page_budget is not None and self.pages_fetched == 1 and not self._fits():
                self.truncated = True
                return

    def _fits(self) -> bool:
        """Whether every page of the list fits in ``page_budget``."""
        per_page = int(self._params.get("per_page") or PER_PAGE)
        if self.total is None or self.page_budget is None:
            return False
        return -(-self.total // per_page) <= self.page_budget

    async def collect(self) -> list[T]:
        return [item async for item in self]
