"""Power actions as DigitalOcean answers them: "already off / on" refusals, a shutdown that is a signal to
the droplet's OS (which may take longer than the action, or ignore it), and a droplet locked while its
shutdown is in progress. Every answer is checked against DigitalOcean's spec.

Where each rule comes from (see ``ocean.emulator.services.actions``): the spec's droplet action table
(``shutdown`` "guarantees that the command is issued, not that it succeeds"); digitalocean/api-v2#79
and #91 (a shutdown action ``completed`` while the droplet stayed ``active``); hashicorp/packer#1786
(``power_off`` refused with "pending event" while a shutdown is in progress);
terraform-provider-digitalocean (``power_off`` of an off droplet answers "Droplet is already powered
off", a ``shutdown`` of an off droplet no error)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ocean.emulator.pytest_plugin import RunningEmulator

from .conftest import active_droplet
from .spec_check import SpecChecker

ACTIONS = "/v2/droplets/{droplet_id}/actions"


def act(api: httpx.Client, checker: SpecChecker, droplet_id: int, kind: str) -> httpx.Response:
    response = api.post(f"/v2/droplets/{droplet_id}/actions", json={"type": kind})
    checker.response(response, ACTIONS, droplet_id=droplet_id)
    return response


def droplet_of(api: httpx.Client, droplet_id: int) -> dict[str, Any]:
    body: dict[str, Any] = api.get(f"/v2/droplets/{droplet_id}").json()["droplet"]
    return body


def action_of(api: httpx.Client, action_id: int) -> dict[str, Any]:
    body: dict[str, Any] = api.get(f"/v2/actions/{action_id}").json()["action"]
    return body


def test_power_off_of_an_off_droplet_and_power_on_of_a_running_one_are_refused(
    api: httpx.Client, ocean_emulator: RunningEmulator, checker: SpecChecker
) -> None:
    droplet = active_droplet(api, ocean_emulator)
    on = act(api, checker, droplet["id"], "power_on")
    assert on.status_code == 422 and on.json()["id"] == "unprocessable_entity"
    assert on.json()["message"] == "Droplet is already powered on."
    assert act(api, checker, droplet["id"], "power_off").status_code == 201
    ocean_emulator.control.advance(ocean_emulator.config.action_s["power_off"])
    off = act(api, checker, droplet["id"], "power_off")
    assert off.status_code == 422 and off.json()["message"] == "Droplet is already powered off."
    # A shutdown of an off droplet is accepted, and changes nothing.
    shutdown = act(api, checker, droplet["id"], "shutdown")
    assert shutdown.status_code == 201
    ocean_emulator.control.advance(ocean_emulator.config.action_s["shutdown"])
    assert action_of(api, shutdown.json()["action"]["id"])["status"] == "completed"
    assert droplet_of(api, droplet["id"])["status"] == "off"


def test_a_shutdown_locks_the_droplet_and_power_off_waits_for_it(
    api: httpx.Client, ocean_emulator: RunningEmulator, checker: SpecChecker
) -> None:
    droplet = active_droplet(api, ocean_emulator)
    shutdown = act(api, checker, droplet["id"], "shutdown").json()["action"]
    assert droplet_of(api, droplet["id"])["locked"] is True
    refused = act(api, checker, droplet["id"], "power_off")
    assert refused.status_code == 422 and refused.json()["message"] == "Droplet already has a pending event."
    ocean_emulator.control.advance(ocean_emulator.config.action_s["shutdown"])
    # An OS that honours the signal at once: off when the action completes.
    assert action_of(api, shutdown["id"])["status"] == "completed"
    fresh = droplet_of(api, droplet["id"])
    assert fresh["status"] == "off" and fresh["locked"] is False


def test_an_os_slower_than_the_shutdown_action_goes_off_after_it_completed(
    ocean_emulator_factory: Any, checker: SpecChecker
) -> None:
    emu = ocean_emulator_factory(guest_shutdown_s=40.0)
    shutdown_s = emu.config.action_s["shutdown"]
    assert shutdown_s < 40
    with emu.client() as api:
        droplet = active_droplet(api, emu)
        shutdown = act(api, checker, droplet["id"], "shutdown").json()["action"]
        emu.control.advance(shutdown_s)
        assert action_of(api, shutdown["id"])["status"] == "completed"
        fresh = droplet_of(api, droplet["id"])
        assert fresh["status"] == "active" and fresh["locked"] is False, "the OS is still shutting down"
        emu.control.advance(40 - shutdown_s - 0.5)
        assert droplet_of(api, droplet["id"])["status"] == "active"
        emu.control.advance(0.5)
        assert droplet_of(api, droplet["id"])["status"] == "off"


def test_a_power_action_after_a_slow_shutdown_decides_the_state(
    ocean_emulator_factory: Any, checker: SpecChecker
) -> None:
    emu = ocean_emulator_factory(guest_shutdown_s=60.0)
    with emu.client() as api:
        droplet = active_droplet(api, emu)
        act(api, checker, droplet["id"], "shutdown")
        emu.control.advance(emu.config.action_s["shutdown"])
        assert act(api, checker, droplet["id"], "power_off").status_code == 201
        emu.control.advance(emu.config.action_s["power_off"])
        assert act(api, checker, droplet["id"], "power_on").status_code == 201
        emu.control.advance(emu.config.action_s["power_on"])
        assert droplet_of(api, droplet["id"])["status"] == "active"
        emu.control.advance(60)  # past the moment the first shutdown's OS would have been done
        assert droplet_of(api, droplet["id"])["status"] == "active", "powered on since: it stays on"


def test_an_os_that_ignores_the_shutdown_signal(
    api: httpx.Client, ocean_emulator: RunningEmulator, checker: SpecChecker
) -> None:
    droplet = active_droplet(api, ocean_emulator)
    ocean_emulator.control.fault(action_type="shutdown", outcome="ignored", times=1)
    shutdown = act(api, checker, droplet["id"], "shutdown").json()["action"]
    ocean_emulator.control.advance(ocean_emulator.config.action_s["shutdown"])
    done = api.get(f"/v2/actions/{shutdown['id']}")
    checker.response(done, "/v2/actions/{action_id}", action_id=shutdown["id"])
    assert done.json()["action"]["status"] == "completed", "DigitalOcean delivered the signal"
    ocean_emulator.control.advance(3600)
    fresh = droplet_of(api, droplet["id"])
    assert fresh["status"] == "active" and fresh["locked"] is False
    # Only power_off ends it; the rule fired once, so the next shutdown works.
    assert act(api, checker, droplet["id"], "power_off").status_code == 201
    ocean_emulator.control.advance(ocean_emulator.config.action_s["power_off"])
    assert droplet_of(api, droplet["id"])["status"] == "off"
    assert ocean_emulator.control.requests()["counts"]["POST /v2/droplets/{droplet_id}/actions"] == 2


def test_an_errored_shutdown_leaves_the_droplet_on(
    api: httpx.Client, ocean_emulator: RunningEmulator, checker: SpecChecker
) -> None:
    droplet = active_droplet(api, ocean_emulator)
    ocean_emulator.control.fault(action_type="shutdown", outcome="errored", times=1)
    shutdown = act(api, checker, droplet["id"], "shutdown").json()["action"]
    ocean_emulator.control.advance(3600)
    assert action_of(api, shutdown["id"])["status"] == "errored"
    assert droplet_of(api, droplet["id"])["status"] == "active"


def test_the_cli_sets_the_guest_and_vpc_behaviours() -> None:
    from ocean.api.models import durations
    from ocean.emulator.server import _parser, config_from_args

    default = config_from_args(_parser().parse_args([]))
    assert default.guest_shutdown_s is None and default.vpc_member_lag_s == durations.VPC_MEMBER_LAG_S
    assert default.vpc_delete_refusal_status == 403
    flags = ["--guest-shutdown-s", "40", "--vpc-member-lag-s", "0", "--vpc-delete-refusal-status", "409"]
    config = config_from_args(_parser().parse_args(flags))
    assert (config.guest_shutdown_s, config.vpc_member_lag_s, config.vpc_delete_refusal_status) == (
        40,
        0,
        409,
    )
    for bad in (
        ["--guest-shutdown-s", "-1"],
        ["--vpc-member-lag-s", "nan"],
        ["--vpc-delete-refusal-status", "500"],
    ):
        with pytest.raises(SystemExit):
            _parser().parse_args(bad)
