"""Reads coalesced (issue 15) under the real engine: `pulumi refresh` of many droplets reads them with list
requests, finds no drift, and `pulumi import` of one droplet is still its exact GET. Requests are
counted from the emulator's request log."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from tests.e2e.harness import Stack, emulator_api, emulator_droplet, wait_until

N = 10
PROGRAM = f"""
import pulumi
import pulumi_ocean as ocean

for i in range({N}):
    ocean.Droplet(f"node-{{i}}", region="nyc3", size="s-1vcpu-1gb", image="ubuntu-24-04-x64")
"""
ONE = "GET /v2/droplets/{droplet_id}"
LIST = "GET /v2/droplets"


@pytest.fixture
def emu(ocean_emulator_factory: Any) -> Any:
    return ocean_emulator_factory(time_scale=100.0, clock_mode="scaled")


def _stack(new_stack: Any, emu: Any, program: str = PROGRAM, **env: str) -> Stack:
    return new_stack(  # type: ignore[no-any-return]
        program,
        extra_env={"DIGITALOCEAN_API_URL": emu.base_url, "DIGITALOCEAN_TOKEN": "e2e-token", **env},
    )


def _seen(emu: Any) -> int:
    return len(emu.control.requests()["requests"])


def _since(emu: Any, start: int) -> Counter[str]:
    entries = emu.control.requests()["requests"][start:]
    return Counter(f"{r['method']} {r['template']}" for r in entries)


def _unchanged(result: Any) -> None:
    summary = result.stdout.rsplit("Resources:", 1)[-1]
    assert re.search(rf"\b{N + 1} unchanged\b", summary), result.output
    assert not re.search(r"\b(updated|deleted|created)\b", summary), result.output


@pytest.mark.engines("newest", "oldest")
def test_refresh_of_many_droplets_reads_them_by_list_with_no_drift(new_stack: Any, emu: Any) -> None:
    stack = _stack(new_stack, emu)
    stack.up()
    start = _seen(emu)
    _unchanged(stack.refresh())
    used = _since(emu, start)
    assert used[LIST] >= 1, used
    assert used[ONE] <= 3, used
    assert used.total() <= 5, used

    # The baseline switch: every read its own GET, as before.
    stack.env["OCEAN_POLLING"] = "per-resource"
    start = _seen(emu)
    _unchanged(stack.refresh())
    used = _since(emu, start)
    assert used == Counter({ONE: N}), used


@pytest.mark.engines("newest", "oldest")
def test_import_of_one_droplet_is_its_own_get(new_stack: Any, emu: Any) -> None:
    with emulator_api(emu) as api:
        body = {"name": "made-elsewhere", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "debian-12-x64"}
        made = api.post("/v2/droplets", json=body).json()["droplet"]
    wait_until(lambda: emulator_droplet(emu, made["id"])["status"] == "active")
    stack = _stack(new_stack, emu, "import pulumi\n")
    start = _seen(emu)
    stack.import_("ocean:index:Droplet", "imported", str(made["id"]), "--protect=false", generate_code=False)
    used = _since(emu, start)
    # The engine reads an imported resource once to plan the import and once to import it: each an
    # exact GET of the droplet, never a list.
    assert used[LIST] == 0 and used[ONE] >= 1, used
    entries = emu.control.requests()["requests"][start:]
    assert {r["path"] for r in entries if f"GET {r['template']}" == ONE} == {f"/v2/droplets/{made['id']}"}
    [res] = stack.resources("ocean:index:Droplet")
    assert res["outputs"]["name"] == "made-elsewhere"
