"""Reads coalesced (ocean.api.coalesce, issue 15): concurrent single-item reads of one kind are answered
by one list request, with a per-item GET only for what the list does not hold; a lone read, an import
and `OCEAN_POLLING=per-resource` are per-item GETs as before. Requests are counted from the emulator's
own request log, by DigitalOcean path template.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from ocean.api.coalesce import RECENT_S
from ocean.resources.adoption import first_mark, mark_tag
from ocean.resources.base import MARK
from ocean.resources.droplet import Droplet
from ocean.resources.firewall import Firewall
from ocean.resources.vpc import Vpc
from tests.resources.emulated import Emulated

LIST = "GET /v2/droplets"
ONE = "GET /v2/droplets/{droplet_id}"
INPUTS = {"region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}


def urn(name: str, kind: str = "Droplet") -> str:
    return f"urn:pulumi:dev::proj::ocean:index:{kind}::{name}"


def together(do: Emulated, operations: Any) -> list[Any]:
    """Run the operations concurrently, as the engine sends them."""

    async def all_of() -> list[Any]:
        return list(await asyncio.gather(*operations))

    return do.run(all_of())


def counts(do: Emulated) -> dict[str, int]:
    return dict(do.backend.request_log.snapshot()["counts"])


def log(do: Emulated) -> list[dict[str, Any]]:
    return list(do.backend.request_log.snapshot()["requests"])


def made(do: Emulated, n: int, **body: Any) -> list[tuple[int, dict[str, Any]]]:
    """`n` droplets and the (outputs, inputs) a refresh starts from (an import's, as recorded)."""
    ids = [do.make_droplet(f"web-{i}", **body) for i in range(n)]
    found = together(do, [Droplet.read(do.ctx(urn(f"web-{i}")), str(d), {}, {}) for i, d in enumerate(ids)])
    return [(d, {"outputs": f[0], "inputs": f[1]}) for d, f in zip(ids, found, strict=True) if f is not None]


def refresh(do: Emulated, recorded: list[tuple[int, dict[str, Any]]]) -> list[Any]:
    return together(
        do,
        [
            Droplet.read(do.ctx(urn(f"web-{i}")), str(d), r["outputs"], r["inputs"])
            for i, (d, r) in enumerate(recorded)
        ],
    )


@pytest.fixture
def shared_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    # How recent a list is counts on the client's clock: the emulated one, which moves only when the
    # test lets time pass.
    monkeypatch.delenv("OCEAN_POLLING", raising=False)


@pytest.fixture
def per_resource(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCEAN_POLLING", "per-resource")


@pytest.mark.usefixtures("shared_mode")
def test_twenty_concurrent_reads_are_one_list_request(do: Emulated, monkeypatch: pytest.MonkeyPatch) -> None:
    recorded = made(do, 20)
    do.backend.request_log.clear()
    found = refresh(do, recorded)
    assert counts(do) == {LIST: 1}
    # What the list said is what each droplet's own GET says.
    monkeypatch.setenv("OCEAN_POLLING", "per-resource")
    assert found == refresh(do, recorded)
    assert counts(do) == {LIST: 1, ONE: 20}


@pytest.mark.usefixtures("shared_mode")
def test_a_droplet_deleted_outside_pulumi_still_reads_as_gone(do: Emulated) -> None:
    recorded = made(do, 6)
    gone = recorded[3][0]
    do.backend.droplets.delete(gone)
    do.advance(60)
    do.backend.request_log.clear()
    found = refresh(do, recorded)
    assert found[3] is None
    assert all(f is not None for i, f in enumerate(found) if i != 3)
    # The list did not hold it, so its own GET decided: an exact 404.
    assert counts(do) == {LIST: 1, ONE: 1}
    gets = [(r["path"], r["status"]) for r in log(do) if f"GET {r['template']}" == ONE]
    assert gets == [(f"/v2/droplets/{gone}", 404)]


@pytest.mark.usefixtures("shared_mode")
def test_a_lone_read_is_one_get(do: Emulated) -> None:
    ((droplet_id, r),) = made(do, 1)
    do.backend.request_log.clear()
    (found,) = refresh(do, [(droplet_id, r)])
    assert found is not None
    assert counts(do) == {ONE: 1}


@pytest.mark.usefixtures("shared_mode")
def test_an_import_is_an_exact_get_while_a_refresh_reads_by_list(do: Emulated) -> None:
    recorded = made(do, 5)
    other = do.make_droplet("imported")
    do.backend.request_log.clear()

    async def both() -> Any:
        importing = Droplet.read(do.ctx(urn("imported")), str(other), {}, {})
        return await asyncio.gather(importing, *(
            Droplet.read(do.ctx(urn(f"web-{i}")), str(d), r["outputs"], r["inputs"])
            for i, (d, r) in enumerate(recorded)
        ))  # fmt: skip

    imported, *_ = do.run(both())
    assert imported is not None and imported[1]["name"] == "imported"
    assert counts(do) == {LIST: 1, ONE: 1}
    assert [r["path"] for r in log(do) if f"GET {r['template']}" == ONE] == [f"/v2/droplets/{other}"]


@pytest.mark.usefixtures("shared_mode")
def test_nothing_is_kept_beyond_the_window(do: Emulated) -> None:
    recorded = made(do, 3)
    refresh(do, recorded)
    do.act_and_wait(recorded[0][0], "rename", name="renamed")
    assert do.config.action_duration("rename") > RECENT_S
    do.backend.request_log.clear()
    found = refresh(do, recorded)
    assert found[0] is not None and found[0][0]["name"] == "renamed"
    assert counts(do) == {LIST: 1}


@pytest.mark.usefixtures("shared_mode")
def test_backup_policies_are_read_by_one_list(do: Emulated) -> None:
    policy = {"plan": "weekly", "weekday": "TUE", "hour": 8}
    recorded = made(do, 5, backups=True, backup_policy=policy)
    for _, r in recorded:
        r["inputs"] = {**r["inputs"], "backupPolicy": policy}
    do.backend.request_log.clear()
    found = refresh(do, recorded)
    assert all(f is not None and f[0]["backupPolicy"] == policy for f in found)
    assert counts(do) == {LIST: 1, "GET /v2/droplets/backups/policies": 1}


@pytest.mark.usefixtures("per_resource")
def test_per_resource_mode_reads_each_droplet_with_its_own_get(do: Emulated) -> None:
    recorded = made(do, 20)
    do.backend.request_log.clear()
    found = refresh(do, recorded)
    assert all(f is not None for f in found)
    assert counts(do) == {ONE: 20}


def _create_all(do: Emulated, n: int) -> list[tuple[str, dict[str, Any]]]:
    """`n` concurrent creates, as an `up` of `n` new droplets sends them."""
    creates = [
        Droplet.create(
            do.ctx(urn(f"node-{i}")), {**INPUTS, "name": f"node-{i}", MARK: first_mark(urn(f"node-{i}"))}
        )
        for i in range(n)
    ]
    return together(do, creates)


def _before_first_post(do: Emulated) -> list[str]:
    entries = log(do)
    first = next(i for i, r in enumerate(entries) if r["method"] == "POST")
    return [f"{r['method']} {r['template']}" for r in entries[:first]]


@pytest.mark.usefixtures("shared_mode")
def test_concurrent_creates_look_for_their_marks_with_one_list_and_adopt_exactly_the_marked(
    do: Emulated,
) -> None:
    # An earlier, interrupted `up` made node-7 and died before recording it; a stranger's droplet is
    # there too.
    earlier = do.make_droplet("node-7", tags=[mark_tag(first_mark(urn("node-7")))])
    do.make_droplet("stranger", tags=["web"])
    do.backend.request_log.clear()
    results = _create_all(do, 30)
    assert results[7][0] == str(earlier)
    assert len({r[0] for r in results}) == 30
    assert counts(do)["POST /v2/droplets"] == 29
    lookups = _before_first_post(do)
    assert 1 <= lookups.count(LIST) <= 2 and set(lookups) == {LIST}
    assert any("adopted droplet" in n and str(earlier) in n for n in do.seen.notes)


@pytest.mark.usefixtures("per_resource")
def test_per_resource_mode_looks_for_each_mark_with_its_own_request(do: Emulated) -> None:
    do.backend.request_log.clear()
    _create_all(do, 30)
    c = counts(do)
    assert c[LIST] == 30  # one `?tag_name=` lookup per create
    assert c["POST /v2/droplets"] == 30
    assert c[ONE] >= 30  # each create's final read


@pytest.mark.usefixtures("shared_mode")
def test_concurrent_creates_read_their_droplets_together(do: Emulated) -> None:
    """Each create ends with a read of its droplet; those that end together share a list."""
    do.backend.request_log.clear()
    _create_all(do, 10)
    c = counts(do)
    assert c.get(ONE, 0) + c[LIST] < 10


@pytest.mark.usefixtures("shared_mode")
@pytest.mark.parametrize(
    ("kind", "make", "template"),
    [
        ("Vpc", lambda do, i: do.make_vpc(f"net-{i}"), "GET /v2/vpcs"),
        (
            "Firewall",
            lambda do, i: str(
                do.backend.firewalls.create(
                    {
                        "name": f"fw-{i}",
                        "inbound_rules": [
                            {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["0.0.0.0/0"]}}
                        ],
                    }  # fmt: skip
                )["id"]
            ),
            "GET /v2/firewalls",
        ),
    ],
)
def test_other_kinds_read_by_one_list(
    do: Emulated, kind: str, make: Callable[[Emulated, int], str], template: str
) -> None:
    res = {"Vpc": Vpc, "Firewall": Firewall}[kind]
    ids = [make(do, i) for i in range(5)]
    recorded = together(do, [res.read(do.ctx(urn(f"r{i}", kind)), i_, {}, {}) for i, i_ in enumerate(ids)])
    do.backend.request_log.clear()
    found = together(
        do,
        [
            res.read(do.ctx(urn(f"r{i}", kind)), i_, r[0], r[1])
            for i, (i_, r) in enumerate(zip(ids, recorded, strict=True))
        ],
    )
    assert [f[0] for f in found] == [r[0] for r in recorded]
    assert counts(do) == {template: 1}


@pytest.mark.parametrize("mode", ["shared", "per-resource"])
def test_concurrent_vpc_creates_look_for_their_names_in_one_listing(
    do: Emulated, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OCEAN_POLLING", mode)
    creates = [
        Vpc.create(
            do.ctx(urn(f"net-{i}", "Vpc")),
            {"name": f"net-{i}", "region": "nyc3", "ipRange": f"10.{i}.0.0/20"},
        )
        for i in range(5)
    ]
    do.backend.request_log.clear()
    made = together(do, creates)
    assert len({m[0] for m in made}) == 5
    assert counts(do)["GET /v2/vpcs"] == (1 if mode == "shared" else 5)
    assert counts(do)["POST /v2/vpcs"] == 5


@pytest.mark.usefixtures("shared_mode")
def test_a_refresh_in_waves_is_answered_by_one_list_while_it_is_recent(do: Emulated) -> None:
    """The newest engine refreshes 8 resources at a time (`--parallel` is 4 x CPUs): each wave comes
    right after the last was answered, and a list answered within the window answers it too."""
    recorded = made(do, 24)
    do.backend.request_log.clear()
    waves = [recorded[i : i + 8] for i in range(0, 24, 8)]
    found = [refresh(do, wave) for wave in waves]
    assert all(f is not None for wave in found for f in wave)
    assert counts(do) == {LIST: 1}
    do.advance(RECENT_S + 1)  # long after: a new list
    refresh(do, waves[0])
    assert counts(do) == {LIST: 2}
    # Reads that follow a change of their own (a create's, an update's) never take a recent list.
    do.run(Droplet.update(do.ctx(urn("web-0")), str(waves[0][0][0]), waves[0][0][1]["outputs"],
                          {**waves[0][0][1]["inputs"], "name": "renamed"}))  # fmt: skip
    assert counts(do)[LIST] == 2 and counts(do)[ONE] >= 2


@pytest.mark.usefixtures("shared_mode")
def test_a_long_list_is_not_paged_through_for_fewer_reads_than_its_pages(do: Emulated) -> None:
    # 401 droplets are three pages of 200. Two reads would cost three list pages: the first page says
    # so (meta.total), and what it did not hold is read one by one instead.
    for i in range(401):
        do.backend.droplets.create({"name": f"other-{i}", "region": "nyc3", "size": "s-1vcpu-1gb",
                                    "image": "ubuntu-24-04-x64"})  # fmt: skip
    do.advance(do.config.droplet_create_s)
    wanted = [d["id"] for d in do.backend.droplets.list()]
    first, last = int(wanted[0]), int(wanted[-1])
    do.backend.request_log.clear()
    found = together(do, [do.api.reads.droplet(first), do.api.reads.droplet(last)])
    assert sorted(d.id for d in found) == sorted([first, last])
    got = counts(do)
    assert got[LIST] == 1, got
    # One of the two is on the first page (200 newest or oldest, whichever the list starts with).
    assert got.get(ONE, 0) == 1, got
    # With as many reads as pages, the whole list is worth it: three pages answer all three.
    do.backend.request_log.clear()
    middle = int(wanted[200])
    together(do, [do.api.reads.droplet(x) for x in (first, middle, last)])
    assert counts(do) == {LIST: 3}
