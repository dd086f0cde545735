"""Droplet create/update/delete logic against a fake DigitalOcean and a fake clock: update ordering,
grace-period fallback, power state restored, partial failure, timeout, cancel, pending-event wait."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ocean.api import errors
from ocean.resources.base import Context, PartialFailure
from ocean.resources.droplet import Droplet
from tests.resources.fakes import VPC_DEFAULT, FakeApi, FakeClock, FakeDigitalOcean

URN = "urn:pulumi:dev::proj::ocean:index:Droplet::web"
INPUTS: dict[str, Any] = {
    "name": "web",
    "region": "nyc3",
    "size": "s-1vcpu-1gb",
    "image": "ubuntu-24-04-x64",
    "tags": ["web"],
    "ipv6": False,
    "monitoring": False,
    "backups": False,
    "running": True,
    "resizeDisk": False,
    "shutdownGracePeriod": 60,
}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def do(clock: FakeClock) -> FakeDigitalOcean:
    return FakeDigitalOcean(clock)


def ctx(
    do: FakeDigitalOcean,
    clock: FakeClock,
    *,
    timeout: float | None = None,
    cancel: asyncio.Event | None = None,
    reports: list[str] | None = None,
) -> Context:
    async def report(message: str) -> None:
        if reports is not None:
            reports.append(message)

    return Context(
        api=FakeApi(do),
        urn=URN,
        timeout=timeout,
        cancel=cancel or asyncio.Event(),
        report=report,
        clock=clock,
        sleep=clock.sleep,
    )


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def create(do: FakeDigitalOcean, clock: FakeClock, **over: Any) -> tuple[str, dict[str, Any]]:
    return run(Droplet.create(ctx(do, clock), {**INPUTS, **over}))  # type: ignore[no-any-return]


def test_create_waits_for_the_create_action_and_reports_progress(
    do: FakeDigitalOcean, clock: FakeClock
) -> None:
    reports: list[str] = []
    rid, state = run(Droplet.create(ctx(do, clock, reports=reports), dict(INPUTS)))
    assert state["status"] == "active" and state["dropletId"] == int(rid)
    assert clock() - 1000.0 >= 30.0, "returned only after the 30 s create action completed"
    assert any("create" in r and "action" in r for r in reports)
    assert state["userData"] == "" and state["sshKeys"] == [], "known-empty, unlike an import"


def test_resize_shuts_down_resizes_and_powers_back_on_in_order(
    do: FakeDigitalOcean, clock: FakeClock
) -> None:
    rid, state = create(do, clock)
    do.log.clear()
    new = run(Droplet.update(ctx(do, clock), rid, state, {**INPUTS, "size": "s-2vcpu-2gb", "name": "web2"}))
    assert [p for p in do.posted()] == ["rename", "shutdown", "resize", "power_on"]
    assert new["size"] == "s-2vcpu-2gb" and new["memory"] == 2048 and new["status"] == "active"
    assert new["disk"] == 25, "resizeDisk false: only CPU and memory change"


def test_resize_of_a_stopped_droplet_leaves_it_stopped(do: FakeDigitalOcean, clock: FakeClock) -> None:
    rid, state = create(do, clock, running=False)
    assert state["status"] == "off" and state["running"] is False
    do.log.clear()
    new = run(
        Droplet.update(
            ctx(do, clock),
            rid,
            state,
            {**INPUTS, "running": False, "size": "s-1vcpu-2gb", "resizeDisk": True},
        )
    )
    assert do.posted() == ["resize"]
    assert new["status"] == "off" and new["disk"] == 50


def test_shutdown_that_errors_falls_back_to_power_off(do: FakeDigitalOcean, clock: FakeClock) -> None:
    rid, state = create(do, clock)
    do.errored["shutdown"] = 1
    do.log.clear()
    new = run(Droplet.update(ctx(do, clock), rid, state, {**INPUTS, "size": "s-1vcpu-2gb"}))
    assert do.posted() == ["shutdown", "power_off", "resize", "power_on"]
    assert new["status"] == "active"


def test_shutdown_slower_than_the_grace_period_falls_back_to_power_off(
    do: FakeDigitalOcean, clock: FakeClock
) -> None:
    rid, state = create(do, clock)
    do.durations["shutdown"] = 600.0  # the OS ignores the ACPI signal for ten minutes
    do.errored["shutdown"] = 1
    reports: list[str] = []
    do.log.clear()
    start = clock()
    new = run(
        Droplet.update(
            ctx(do, clock, reports=reports),
            rid,
            state,
            {**INPUTS, "size": "s-1vcpu-2gb", "shutdownGracePeriod": 20},
        )
    )
    assert "power_off" in do.posted()
    assert any("did not shut down within 20s" in r for r in reports)
    assert new["size"] == "s-1vcpu-2gb"
    assert clock() - start >= 20


def test_power_state_is_declarative(do: FakeDigitalOcean, clock: FakeClock) -> None:
    rid, state = create(do, clock)
    off = run(Droplet.update(ctx(do, clock), rid, state, {**INPUTS, "running": False}))
    assert off["status"] == "off" and off["running"] is False
    do.log.clear()
    on = run(Droplet.update(ctx(do, clock), rid, off, dict(INPUTS)))
    assert do.posted() == ["power_on"] and on["status"] == "active"


def test_backups_and_ipv6_in_place(do: FakeDigitalOcean, clock: FakeClock) -> None:
    rid, state = create(do, clock)
    do.log.clear()
    new = run(Droplet.update(ctx(do, clock), rid, state, {**INPUTS, "backups": True, "ipv6": True}))
    assert do.posted() == ["enable_backups", "enable_ipv6"]
    assert new["backups"] is True and new["ipv6"] is True and new["ipv6Address"]


def test_tags_are_synced_case_insensitively(do: FakeDigitalOcean, clock: FakeClock) -> None:
    rid, state = create(do, clock, tags=["web", "old"])
    do.log.clear()
    new = run(Droplet.update(ctx(do, clock), rid, state, {**INPUTS, "tags": ["WEB", "new"]}))
    assert sorted(e for e in do.log if e.startswith(("TAG", "UNTAG"))) == ["TAG new", "UNTAG old"]
    assert new["tags"] == ["WEB", "new"]


def test_a_locked_droplet_is_waited_on_not_failed(do: FakeDigitalOcean, clock: FakeClock) -> None:
    rid, state = create(do, clock)
    # Someone else started a reboot just before our update.
    run(do.droplet_actions.post(int(rid), "reboot"))
    reports: list[str] = []
    do.log.clear()
    new = run(Droplet.update(ctx(do, clock, reports=reports), rid, state, {**INPUTS, "name": "web-2"}))
    assert do.posted()[0] == "rename" and do.posted()[-1] == "rename"
    assert len(do.posted()) >= 2, "the first rename was refused with a pending event"
    assert any("busy with another action" in r for r in reports)
    assert new["name"] == "web-2"


def test_partial_failure_records_what_was_applied(do: FakeDigitalOcean, clock: FakeClock) -> None:
    rid, state = create(do, clock)
    do.errored["power_on"] = 1  # the resize succeeds, powering back on errors
    with pytest.raises(PartialFailure) as info:
        run(Droplet.update(ctx(do, clock), rid, state, {**INPUTS, "size": "s-1vcpu-2gb", "name": "renamed"}))
    failure = info.value
    assert failure.resource_id == rid
    assert failure.state["size"] == "s-1vcpu-2gb", "the new size is recorded"
    assert failure.state["name"] == "renamed"
    assert "power_on" in str(failure) and "errored" in str(failure)
    # Rerunning converges: the droplet is off but should run.
    do.log.clear()
    final = run(
        Droplet.update(
            ctx(do, clock), rid, failure.state, {**INPUTS, "size": "s-1vcpu-2gb", "name": "renamed"}
        )
    )
    assert do.posted() == ["power_on"] and final["status"] == "active"


def test_errored_create_action_is_a_partial_failure_with_the_id(
    do: FakeDigitalOcean, clock: FakeClock
) -> None:
    do.errored["create"] = 1
    with pytest.raises(PartialFailure) as info:
        create(do, clock)
    assert info.value.resource_id in {str(k) for k in do.droplets}
    assert info.value.state["dropletId"] == int(info.value.resource_id)


def test_update_honours_the_timeout(do: FakeDigitalOcean, clock: FakeClock) -> None:
    rid, state = create(do, clock)
    start = clock()
    with pytest.raises(PartialFailure) as info:
        run(Droplet.update(ctx(do, clock, timeout=30.0), rid, state, {**INPUTS, "size": "s-1vcpu-2gb"}))
    assert isinstance(info.value.__cause__, errors.WaitTimeout)
    assert clock() - start <= 31.0, "gave up at the deadline, not after the whole resize"


def test_cancel_stops_a_wait_promptly(do: FakeDigitalOcean, clock: FakeClock) -> None:
    cancel = asyncio.Event()
    cancel.set()
    with pytest.raises(PartialFailure) as info:
        run(Droplet.create(ctx(do, clock, cancel=cancel), dict(INPUTS)))
    assert isinstance(info.value.__cause__, errors.WaitCancelled)
    assert clock() - 1000.0 < 30.0


def test_delete_waits_until_gone(do: FakeDigitalOcean, clock: FakeClock) -> None:
    rid, state = create(do, clock)
    run(Droplet.delete(ctx(do, clock), rid, state))
    assert int(rid) not in do.droplets


def test_import_read_returns_inputs_that_round_trip(do: FakeDigitalOcean, clock: FakeClock) -> None:
    rid, _ = create(do, clock, tags=["web"], backups=True)
    found = run(Droplet.read(ctx(do, clock), rid, {}, {}))
    assert found is not None
    outputs, inputs = found
    assert "userData" not in inputs and "sshKeys" not in inputs
    assert inputs == {
        "name": "web",
        "region": "nyc3",
        "size": "s-1vcpu-1gb",
        "image": "ubuntu-24-04-x64",
        "tags": ["web"],
        "vpcUuid": VPC_DEFAULT,
        "backups": True,
    }
    checked, failures = Droplet.check(URN, inputs, inputs, b"")
    assert failures == []
    assert not Droplet.diff(outputs, checked).changes, "the generated program previews with no changes"
    # A program that then states user data and SSH keys does not replace the imported droplet.
    later = Droplet.diff(outputs, {**checked, "userData": "#cloud-config", "sshKeys": ["1"]})
    assert later.replaces == []


def test_refresh_sees_drift_in_size_power_and_backups(do: FakeDigitalOcean, clock: FakeClock) -> None:
    rid, state = create(do, clock)
    d = do.droplets[int(rid)]
    d.update(status="off", size="s-1vcpu-2gb")
    d["features"].add("backups")
    found = run(Droplet.read(ctx(do, clock), rid, state, dict(INPUTS)))
    assert found is not None
    outputs, _ = found
    assert outputs["running"] is False and outputs["size"] == "s-1vcpu-2gb" and outputs["backups"] is True
    diff = Droplet.diff(outputs, dict(INPUTS))
    assert set(diff.detailed) == {"running", "size", "backups"} and diff.replaces == []


def test_resize_to_a_smaller_disk_after_growing_is_refused_at_preview(
    do: FakeDigitalOcean, clock: FakeClock
) -> None:
    rid, state = create(do, clock, size="s-2vcpu-4gb", resizeDisk=True)
    state = {**state, "disk": 80}
    problems = run(Droplet.validate_change(ctx(do, clock), state, {**INPUTS, "size": "s-1vcpu-2gb"}))
    assert len(problems) == 1 and "80 GB" in problems[0] and "50 GB" in problems[0]
    assert run(Droplet.validate_change(ctx(do, clock), state, {**INPUTS, "size": "s-2vcpu-4gb"})) == []


def test_backup_policy_drift_is_seen_and_put_back(do: FakeDigitalOcean, clock: FakeClock) -> None:
    policy = {"plan": "weekly", "weekday": "MON", "hour": None}
    rid, state = create(do, clock, backups=True, backupPolicy=policy)
    assert do.droplets[int(rid)]["policy"]["weekday"] == "MON"
    do.droplets[int(rid)]["policy"] = {"plan": "weekly", "weekday": "TUE", "hour": 16}  # changed elsewhere
    wanted = {**INPUTS, "backups": True, "backupPolicy": policy}
    found = run(Droplet.read(ctx(do, clock), rid, state, wanted))
    assert found is not None
    outputs, _ = found
    assert outputs["backupPolicy"] == {"plan": "weekly", "weekday": "TUE", "hour": None}, (
        "the hour was left to DigitalOcean: not drift"
    )
    diff = Droplet.diff(outputs, wanted)
    assert diff.detailed == {"backupPolicy": "update"}
    do.log.clear()
    run(Droplet.update(ctx(do, clock), rid, outputs, wanted))
    assert do.posted() == ["change_backup_policy"]
    assert do.droplets[int(rid)]["policy"]["weekday"] == "MON"


def test_a_backup_policy_left_out_accepts_the_default(do: FakeDigitalOcean, clock: FakeClock) -> None:
    rid, state = create(do, clock, backups=True)
    found = run(Droplet.read(ctx(do, clock), rid, state, {**INPUTS, "backups": True}))
    assert found is not None
    assert not Droplet.diff(found[0], {**INPUTS, "backups": True}).changes
