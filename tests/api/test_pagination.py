# ruff: noqa: E501 - long literal tables read better on one line
from __future__ import annotations

import httpx

from ocean.api.models import Droplet

from ._support import DROPLET, Script, make_client, resp, run


def _page(ids: list[int], total: int, next_url: str | None) -> httpx.Response:
    pages = (
        {"next": next_url, "last": "https://api.digitalocean.com/v2/droplets?page=3&per_page=200"}
        if next_url
        else {}
    )
    return resp(
        200,
        {
            "droplets": [{**DROPLET, "id": i} for i in ids],
            "links": {"pages": pages},
            "meta": {"total": total},
        },
    )


@run
async def test_follows_links_pages_next_and_exposes_total() -> None:
    s = Script(
        _page([1, 2], 5, "https://api.digitalocean.com/v2/droplets?page=2&per_page=200&tag_name=web"),
        _page([3, 4], 5, "https://api.digitalocean.com/v2/droplets?page=3&per_page=200&tag_name=web"),
        _page([5], 5, None),
    )
    async with make_client(s) as c:
        pager = c.droplets.list(tag_name="web")
        assert pager.total is None
        seen: list[int] = []
        async for d in pager:
            assert isinstance(d, Droplet)
            assert pager.total == 5
            seen.append(d.id)
    assert seen == [1, 2, 3, 4, 5]
    first = s.requests[0].url
    assert first.path == "/v2/droplets"
    assert first.params["per_page"] == "200" and first.params["tag_name"] == "web"
    assert "name" not in first.params
    assert s.requests[1].url.params["page"] == "2" and s.requests[2].url.params["page"] == "3"
    assert all(r.url.host == "api.digitalocean.com" for r in s.requests)


@run
async def test_next_link_host_is_ignored_in_favour_of_base_url() -> None:
    s = Script(_page([1], 2, "https://elsewhere.example/v2/droplets?page=2"), _page([2], 2, None))
    async with make_client(s) as c:
        got = await c.droplets.list(name="example.com").collect()
    assert [d.id for d in got] == [1, 2]
    assert s.requests[1].url.host == "api.digitalocean.com"
    assert s.requests[0].url.params["name"] == "example.com"


@run
async def test_empty_list_and_missing_links() -> None:
    s = Script(resp(200, {"droplets": [], "links": {}, "meta": {"total": 0}}))
    async with make_client(s) as c:
        pager = c.droplets.list()
        assert [d async for d in pager] == []
        assert pager.total == 0
