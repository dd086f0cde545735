"""Every bad input of tests/resources/bad_inputs.py is refused by Check (or, for a customTimeouts value,
before the operation starts), with a message that names the resource and the field, before any request
that changes anything: static checks make no request at all, catalogue checks only GETs of the catalogue.

Check only, no engine: the resource modules' Check and live check, against the emulator's ASGI app in
process (the real DigitalOceanClient and the real emulator, without a socket).
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from ocean.api import DigitalOceanClient, RateGovernor
from ocean.emulator.app import create_app
from ocean.emulator.backend import Backend
from ocean.emulator.config import EmulatorConfig
from ocean.provider.registry import lookup
from ocean.resources.base import Context, ResourceError
from tests.resources.bad_inputs import CASES, GOOD, Bad

OPEN_OUT = {"protocol": "tcp", "ports": "all", "destinations": {"addresses": ["0.0.0.0/0"]}}
# The catalogue: what a Check may read.
CATALOGUE = ("/v2/regions", "/v2/sizes", "/v2/images", "/v2/account/keys", "/v2/registries/options")


@dataclass
class World:
    backend: Backend
    app: Any
    seeds: dict[str, Any]

    def client(self) -> DigitalOceanClient:
        return DigitalOceanClient(
            "test-token",
            "http://emulator.test",
            transport=httpx.ASGITransport(app=self.app),
            governor=RateGovernor.unlimited(),
        )

    def requests(self) -> list[dict[str, Any]]:
        return list(self.backend.requests()["requests"])


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    backend = Backend(EmulatorConfig(clock_mode="manual"))
    app = create_app(backend)
    w = World(backend, app, {})

    async def seed() -> None:
        async with w.client() as api:
            created = await api.droplets.create(
                {"name": "seed-1", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}
            )
            vpcs = [await api.vpcs.create({"name": f"seed-net-{i}", "region": "nyc3"}) for i in (1, 2)]
            await api.registries.create("seed-reg", region="fra1", subscription_tier_slug="basic")
            fw = await api.firewalls.create({"name": "seed-fw", "outbound_rules": [OPEN_OUT]})
            w.seeds.update(
                {
                    "$droplet": created.droplet.id,
                    "$vpc1": vpcs[0].id,
                    "$vpc2": vpcs[1].id,
                    "$registry": "seed-reg",
                    "$firewall": fw.id,
                }
            )

    asyncio.run(seed())
    yield w
    backend.close()


def fill(value: Any, seeds: dict[str, Any]) -> Any:
    if isinstance(value, str) and value in seeds:
        return seeds[value]
    if isinstance(value, list):
        return [fill(v, seeds) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, seeds) for k, v in value.items()}
    return value


def urn_of(case_id: str, token: str) -> str:
    return f"urn:pulumi:dev::table::{token}::{case_id}"


async def refuse(world: World, case: Bad) -> tuple[list[tuple[str, str]], list[str]]:
    """What stops `case`: [(property, message)] and the warnings shown."""
    res = lookup(case.token)
    urn = urn_of(case.id, case.token)
    warnings: list[str] = []

    async def warn(message: str) -> None:
        warnings.append(message)

    if case.where == "timeout":
        [(operation, seconds)] = case.timeouts.items()
        # The engine hands create/update timeouts to Create/Update (also at preview), the delete timeout
        # to Delete: refused there, before anything is sent.
        with pytest.raises(ResourceError) as info:
            res.check_timeout(urn, operation, seconds)
        return [(operation, str(info.value))], warnings
    inputs, failures = res.checked(urn, {}, fill(case.inputs, world.seeds), os.urandom(32))
    if not failures:
        async with world.client() as api:
            ctx = Context(api=api, urn=urn, shared={}, warn=warn, notify=warn)
            failures = await res.check_live(ctx, {}, inputs)
    return [(f.property, f.reason) for f in failures], warnings


def test_the_table_has_at_least_60_bad_inputs_across_every_resource() -> None:
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)
    from ocean.provider.registry import resources

    assert {c.token for c in CASES} == set(resources())


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_naming_the_field_before_any_change(world: World, case: Bad) -> None:
    before = len(world.requests())
    found, warnings = asyncio.run(refuse(world, case))
    sent = world.requests()[before:]
    assert found, f"{case.id}: accepted"
    assert warnings == [], "the catalogue was readable"
    top = re.split(r"[.\[]", case.field)[0]
    named = [(p, m) for p, m in found if p == top or case.where == "timeout"]
    assert named, f"{case.id}: refused for another input: {found}"
    prop, message = named[0]
    label = f"'{case.id}'"
    assert label in message, f"the message names the resource: {message}"
    assert case.field in message, f"the message names the field {case.field!r}: {message}"
    for fragment in case.says:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    if "userData" in case.inputs and isinstance(case.inputs["userData"], str):
        assert case.inputs["userData"][:20] not in message, "user data is a secret: never quoted"
    if case.where in ("check", "timeout"):
        assert sent == [], f"a static check sent requests: {sent}"
    else:
        assert sent, "checked against the catalogue"
        assert all(r["method"] == "GET" and r["path"].startswith(CATALOGUE) for r in sent), sent


def test_catalogue_messages_suggest_the_closest_value(world: World) -> None:
    by_id = {c.id: c for c in CASES}
    [(_, size)], _ = asyncio.run(refuse(world, by_id["droplet-unknown-size"]))
    assert "`size` 's-1vcpu-1g' is not a DigitalOcean size; did you mean 's-1vcpu-1gb'?" in size
    [(_, region)], _ = asyncio.run(refuse(world, by_id["droplet-region-upper"]))
    assert "did you mean 'nyc3'?" in region
    [(_, in_region)], _ = asyncio.run(refuse(world, by_id["droplet-size-not-in-region"]))
    assert "not offered in region 'blr1'" in in_region and "s-1vcpu-1gb" in in_region


def test_good_inputs_and_unknowns_pass(world: World) -> None:
    from ocean.resources.unknown import UNKNOWN

    async def go() -> None:
        res = lookup("ocean:index:Droplet")
        urn = urn_of("ok", res.token)
        for news in (
            {"region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64", "name": "ok-1"},
            {"region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64", "sshKeys": [UNKNOWN]},
            {
                "region": UNKNOWN,
                "size": "s-1vcpu-1gb",
                "image": UNKNOWN,
                "vpcUuid": UNKNOWN,
                "tags": [UNKNOWN],
            },
            {"region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64", "shutdownGracePeriod": 0},
        ):
            inputs, failures = res.checked(urn, {}, news, b"")
            assert failures == [], failures
            async with world.client() as api:
                assert await res.check_live(Context(api=api, urn=urn, shared={}), {}, inputs) == []
            if news.get("shutdownGracePeriod") == 0:
                assert inputs["shutdownGracePeriod"] == 0

    asyncio.run(go())
    assert GOOD, "the grace-period case is measured by scripts/measure_bad_inputs.py"


def test_unchanged_values_are_not_checked_against_the_catalogue_again(world: World) -> None:
    """A droplet made from an image DigitalOcean has since retired is not refused on every preview."""

    async def go() -> None:
        res = lookup("ocean:index:Droplet")
        urn = urn_of("retired", res.token)
        olds = {"name": "r-1", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-14-04-x64"}
        inputs, failures = res.checked(urn, olds, dict(olds), b"")
        assert failures == []
        before = len(world.requests())
        async with world.client() as api:
            assert await res.check_live(Context(api=api, urn=urn, shared={}), olds, inputs) == []
        assert world.requests()[before:] == []

    asyncio.run(go())


def test_an_unreadable_catalogue_is_said_once_and_left_to_digitalocean() -> None:
    backend = Backend(EmulatorConfig(clock_mode="manual"))
    # Every catalogue read fails (after the transport's retries).
    backend.add_fault({"method": "GET", "path": "/v2/*", "status": 503, "times": None})
    world = World(backend, create_app(backend), {})

    async def go() -> list[str]:
        warnings: list[str] = []

        async def warn(message: str) -> None:
            warnings.append(message)

        api = DigitalOceanClient(
            "t",
            "http://emulator.test",
            transport=httpx.ASGITransport(app=world.app),
            governor=RateGovernor.unlimited(),
            sleep=lambda _: asyncio.sleep(0),
        )
        res = lookup("ocean:index:Droplet")
        shared: dict[str, Any] = {}
        for i in range(3):
            urn = urn_of(f"d{i}", res.token)
            inputs, _ = res.checked(urn, {}, {"region": "nyc9", "size": "x-1", "image": "nope"}, b"")
            ctx = Context(api=api, urn=urn, shared=shared, warn=warn)
            assert await res.check_live(ctx, {}, inputs) == [], "left to DigitalOcean"
        await api.aclose()
        return warnings

    try:
        warnings = asyncio.run(go())
    finally:
        backend.close()
    # Regions, sizes and distribution images: each said once, not once per droplet.
    assert len(warnings) == 3, warnings
    assert all("DigitalOcean checks them at `pulumi up`" in w and "503" in w for w in warnings), warnings
    assert all(r["method"] == "GET" for r in world.requests())


def test_ssh_keys_stated_for_an_imported_droplet_are_not_checked_against_the_account(world: World) -> None:
    """They only record what the droplet was made with (the key may be gone); a create needs them."""

    async def go() -> None:
        res = lookup("ocean:index:Droplet")
        urn = urn_of("imported", res.token)
        imported = {"name": "i-1", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}
        news = {**imported, "sshKeys": ["123"]}
        async with world.client() as api:
            inputs, _ = res.checked(urn, imported, news, b"")
            assert await res.check_live(Context(api=api, urn=urn, shared={}), imported, inputs) == []
            inputs, _ = res.checked(urn, {}, news, b"")
            [failure] = await res.check_live(Context(api=api, urn=urn, shared={}), {}, inputs)
            assert failure.property == "sshKeys"

    asyncio.run(go())
