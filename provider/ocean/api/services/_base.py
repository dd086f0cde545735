from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel

if TYPE_CHECKING:
    from ..transport import Transport

M = TypeVar("M", bound=BaseModel)


class Service:
    """A group of operations on one kind of DigitalOcean resource."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    async def _get(self, path: str, key: str, model: type[M], params: dict[str, Any] | None = None) -> M:
        data = await self._t.request("GET", path, params=params)
        return model.model_validate(_field(data, key))

    async def _send(self, method: str, path: str, key: str, model: type[M], body: Any = None) -> M:
        data = await self._t.request(method, path, json=body)
        return model.model_validate(_field(data, key))


def seg(value: object) -> str:
    """A value as one URL path segment."""
    return quote(str(value), safe="")


def _field(data: Any, key: str) -> Any:
    if not isinstance(data, dict) or key not in data:
        from ..errors import ServerError

        raise ServerError(f"response has no {key!r} field")
    return data[key]
