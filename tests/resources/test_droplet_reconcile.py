"""Droplet create/update/delete against the emulator in process (``emulated.py``): update ordering, the
shutdown fallback and its grace period, power state, partial failure, timeout, cancel, a droplet busy
with someone else's action, delete, import and refresh. Waits take milliseconds: the operation's sleep
moves the emulator's clock."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ocean.api import errors
from ocean.api.models import durations
from ocean.resources.base import PartialFailure
from ocean.resources.droplet import Droplet
from tests.resources.emulated import Emulated

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
SHUTDOWN_S = durations.ACTION_S["shutdown"]


def create(do: Emulated, **over: Any) -> tuple[str, dict[str, Any]]:
    return do.run(Droplet.create(do.ctx(URN), {**INPUTS, **over}))


def update(do: Emulated, rid: str, state: dict[str, Any], **news: Any) -> dict[str, Any]:
    return do.run(Droplet.update(do.ctx(URN), rid, state, {**INPUTS, **news}))


def sent_action(do: Emulated, kind: str, since: int = 0) -> list[Any]:
    return [s for s in do.sent[since:] if s.action == kind]


def test_create_waits_for_the_create_action_and_reports_progress(do: Emulated) -> None:
    rid, state = create(do)
    assert state["status"] == "active" and state["dropletId"] == int(rid)
    assert state["ipv4Address"] and state["ipv4AddressPrivate"], "addresses come with the active droplet"
    assert durations.DROPLET_CREATE_S <= do.now <= durations.DROPLET_CREATE_S + 2, do.now
    assert do.seen.said(f"droplet {rid} create (action")
    assert state["userData"] == "" and state["sshKeys"] == [], "known-empty, unlike an import"


def test_resize_shuts_down_resizes_and_powers_back_on_in_order(do: Emulated) -> None:
    rid, state = create(do)
    mark = do.mark()
    new = update(do, rid, state, size="s-2vcpu-2gb", name="web2")
    assert do.posted(mark) == ["rename", "shutdown", "resize", "power_on"]
    assert new["size"] == "s-2vcpu-2gb" and new["memory"] == 2048 and new["status"] == "active"
    assert new["name"] == "web2" and do.droplet(rid)["name"] == "web2"
    assert new["disk"] == 25, "resizeDisk false: only CPU and memory change"


def test_resize_of_a_stopped_droplet_leaves_it_stopped(do: Emulated) -> None:
    rid, state = create(do, running=False)
    assert state["status"] == "off" and state["running"] is False
    mark = do.mark()
    new = update(do, rid, state, running=False, size="s-1vcpu-2gb", resizeDisk=True)
    assert do.posted(mark) == ["resize"]
    assert new["status"] == "off" and new["disk"] == 50 and do.droplet(rid)["status"] == "off"


# ------------------------------------------------------------------------------- the shutdown fallback
#
# DigitalOcean's shutdown is a signal to the droplet's OS (the spec: it "guarantees that the command is
# issued, not that it succeeds"); its action may complete while the droplet stays on (api-v2#79, #91),
# and while it is in progress a power_off is refused (packer#1786). The grace period bounds how long the
# OS may take, counted from the accepted shutdown; see `_Ops.power_down`.


def _fallback(do: Emulated, grace: int, **news: Any) -> tuple[dict[str, Any], float]:
    """Resize a running droplet with this grace period; returns the new state and the time the
    shutdown was accepted."""
    rid, state = create(do)
    mark = do.mark()
    new = update(do, rid, state, size="s-1vcpu-2gb", shutdownGracePeriod=grace, **news)
    [shutdown] = sent_action(do, "shutdown", mark)
    assert shutdown.status == 201
    return new, shutdown.at


def test_shutdown_slower_than_the_grace_period_falls_back_to_power_off(emulated: Any) -> None:
    """The OS takes 120 s to shut down; the grace period is 20 s: the power off is requested 20 s after
    the shutdown, not before (the OS had its 20 s) and not after (the grace period bounds the wait)."""
    do = emulated(guest_shutdown_s=120.0)
    new, accepted = _fallback(do, 20)
    [power_off] = sent_action(do, "power_off")
    assert power_off.status == 201
    assert 20.0 <= power_off.at - accepted <= 21.0, power_off.at - accepted
    assert do.seen.said("did not shut down within 20s; powering it off")
    assert new["size"] == "s-1vcpu-2gb" and new["status"] == "active"


def test_an_os_that_shuts_down_within_the_grace_period_is_never_powered_off(emulated: Any) -> None:
    """The same 120 s OS with a 180 s grace period: the droplet goes off by itself, and the resize
    follows within a poll of it. (The resize asked for the moment the shutdown action completed, with the
    OS still up, is refused: that refusal, not a GET after every shutdown, is what tells the provider.)"""
    do = emulated(guest_shutdown_s=120.0)
    new, accepted = _fallback(do, 180)
    assert sent_action(do, "power_off") == []
    refused, resize = sent_action(do, "resize")
    assert refused.status == 422 and refused.at - accepted <= SHUTDOWN_S + 2
    assert resize.status == 201
    assert 120.0 <= resize.at - accepted <= 131.0, resize.at - accepted
    assert new["size"] == "s-1vcpu-2gb" and new["status"] == "active"


def test_an_os_that_ignores_the_shutdown_is_powered_off_when_the_grace_period_ends(do: Emulated) -> None:
    """The shutdown action completes after 15 s with the droplet still on (its OS ignores the signal):
    nothing tells that apart from an OS still on its way down, so it gets the rest of its 30 s."""
    do.backend.add_fault({"action_type": "shutdown", "outcome": "ignored", "times": None})
    new, accepted = _fallback(do, 30)
    [power_off] = sent_action(do, "power_off")
    assert 30.0 <= power_off.at - accepted <= 31.0, power_off.at - accepted
    assert do.seen.said("waiting up to")
    assert new["size"] == "s-1vcpu-2gb"


@pytest.mark.parametrize("ignored", [False, True])
def test_a_shutdown_action_longer_than_the_grace_period_is_waited_out_not_hammered(
    emulated: Any, ignored: bool
) -> None:
    """DigitalOcean's shutdown action runs 90 s, past the 20 s grace period: the droplet is locked and a
    power_off would be refused, so none is requested before the action ends; then one, if still on."""
    do = emulated(action_s={**durations.ACTION_S, "shutdown": 90.0})
    if ignored:
        do.backend.add_fault({"action_type": "shutdown", "outcome": "ignored"})
    new, accepted = _fallback(do, 20)
    assert do.seen.said("did not shut down within 20s; powering it off once DigitalOcean ends")
    refused = [s for s in do.sent if s.action is not None and s.status != 201]
    assert refused == [], "no request DigitalOcean would refuse"
    power_offs = sent_action(do, "power_off")
    if ignored:
        [power_off] = power_offs
        assert 90.0 <= power_off.at - accepted <= 101.0, power_off.at - accepted
    else:
        assert power_offs == [], "the OS was done when the action ended: no power off"
    assert new["size"] == "s-1vcpu-2gb" and new["status"] == "active"


def test_shutdown_that_errors_falls_back_to_power_off_at_once(do: Emulated) -> None:
    do.backend.add_fault({"action_type": "shutdown", "outcome": "errored"})
    new, accepted = _fallback(do, 600)
    assert do.posted()[-4:] == ["shutdown", "power_off", "resize", "power_on"]
    [power_off] = sent_action(do, "power_off")
    assert power_off.at - accepted <= SHUTDOWN_S + 2, "not held for the 600 s grace period"
    assert new["status"] == "active"


def test_a_grace_period_of_0_powers_off_without_a_shutdown(do: Emulated) -> None:
    rid, state = create(do)
    mark = do.mark()
    update(do, rid, state, size="s-1vcpu-2gb", shutdownGracePeriod=0)
    assert do.posted(mark) == ["power_off", "resize", "power_on"]


def test_already_off_before_the_power_off_is_success(do: Emulated) -> None:
    """The droplet goes off between the provider's last look and its power_off request: DigitalOcean
    answers 422 "Droplet is already powered off.", which is what the provider wanted."""
    do.backend.add_fault({"action_type": "shutdown", "outcome": "ignored"})
    rid, state = create(do)

    def someone_powers_it_off() -> None:
        do.backend.actions.start(int(rid), {"type": "power_off"})
        do.backend.advance(durations.ACTION_S["power_off"])

    do.before_action("power_off", someone_powers_it_off)
    new = update(do, rid, state, size="s-1vcpu-2gb", shutdownGracePeriod=20)
    [power_off] = sent_action(do, "power_off")
    assert power_off.status == 422
    assert new["size"] == "s-1vcpu-2gb" and new["status"] == "active"


@pytest.mark.parametrize("answer", [201, 422])
def test_already_off_before_the_shutdown_is_success(do: Emulated, answer: int) -> None:
    """Someone powers the droplet off just before the provider's shutdown request. DigitalOcean accepts a
    shutdown of an off droplet (terraform-provider-digitalocean: "DO API doesn't return an error"), as the
    emulator does; should it answer "already powered off" instead, that is success too."""
    rid, state = create(do)

    def someone_powers_it_off() -> None:
        do.backend.actions.start(int(rid), {"type": "power_off"})
        do.backend.advance(durations.ACTION_S["power_off"])
        if answer == 422:
            do.backend.add_fault(
                {"method": "POST", "path": "/v2/droplets/*/actions", "status": 422,
                 "error_id": "unprocessable_entity", "message": "Droplet is already powered off."}
            )  # fmt: skip

    do.before_action("shutdown", someone_powers_it_off)
    mark = do.mark()
    off = update(do, rid, state, running=False)
    assert [(s.action, s.status) for s in do.sent[mark:] if s.action] == [("shutdown", answer)]
    assert off["status"] == "off" and off["running"] is False


def test_already_on_before_the_power_on_is_success(do: Emulated) -> None:
    rid, state = create(do, running=False)

    def someone_powers_it_on() -> None:
        do.backend.actions.start(int(rid), {"type": "power_on"})
        do.backend.advance(durations.ACTION_S["power_on"])

    do.before_action("power_on", someone_powers_it_on)
    on = update(do, rid, state)
    assert [(s.action, s.status) for s in do.sent if s.action == "power_on"] == [("power_on", 422)]
    assert on["status"] == "active" and on["running"] is True


def test_running_false_uses_the_same_fallback(do: Emulated) -> None:
    do.backend.add_fault({"action_type": "shutdown", "outcome": "ignored"})
    rid, state = create(do)
    mark = do.mark()
    off = update(do, rid, state, running=False, shutdownGracePeriod=25)
    assert do.posted(mark) == ["shutdown", "power_off"]
    [shutdown] = sent_action(do, "shutdown", mark)
    [power_off] = sent_action(do, "power_off", mark)
    assert 25.0 <= power_off.at - shutdown.at <= 26.0
    assert off["status"] == "off" and off["running"] is False


# --------------------------------------------------------------------------------------------- other


def test_power_state_is_declarative(do: Emulated) -> None:
    rid, state = create(do)
    off = update(do, rid, state, running=False)
    assert off["status"] == "off" and off["running"] is False
    mark = do.mark()
    on = update(do, rid, off)
    assert do.posted(mark) == ["power_on"] and on["status"] == "active"
    mark = do.mark()
    update(do, rid, on)
    assert do.posted(mark) == [], "already as declared: nothing requested"


def test_backups_and_ipv6_in_place(do: Emulated) -> None:
    rid, state = create(do)
    mark = do.mark()
    new = update(do, rid, state, backups=True, ipv6=True)
    assert do.posted(mark) == ["enable_backups", "enable_ipv6"]
    assert new["backups"] is True and new["ipv6"] is True and new["ipv6Address"]
    assert "backups" in do.droplet(rid)["features"]


def test_tags_are_synced_case_insensitively(do: Emulated) -> None:
    rid, state = create(do, tags=["web", "old"])
    mark = do.mark()
    new = update(do, rid, state, tags=["WEB", "new"])
    tagging = [(s.method, s.path) for s in do.requests(path="/v2/tags/", since=mark)]
    assert sorted(tagging) == [("DELETE", "/v2/tags/old/resources"), ("POST", "/v2/tags/new/resources")]
    assert new["tags"] == ["WEB", "new"]
    assert sorted(t.lower() for t in do.droplet(rid)["tags"]) == ["new", "web"]


def test_a_locked_droplet_is_waited_on_not_failed(emulated: Any) -> None:
    # Someone else's reboot, long enough to outlast the client's own retries of "pending event".
    do = emulated(action_s={**durations.ACTION_S, "reboot": 300.0})
    rid, state = create(do)
    do.act(rid, "reboot")
    start = do.now
    mark = do.mark()
    new = update(do, rid, state, name="web-2")
    renames = sent_action(do, "rename", mark)
    assert renames[0].status == 422 and renames[-1].status == 201
    assert all(r.status == 422 for r in renames[:-1])
    assert renames[-1].at - start >= 300, "requested again once the reboot was over"
    assert do.seen.said("busy with another action")
    assert new["name"] == "web-2"


def test_partial_failure_records_what_was_applied(do: Emulated) -> None:
    rid, state = create(do)
    do.backend.add_fault({"action_type": "power_on", "outcome": "errored"})
    with pytest.raises(PartialFailure) as info:
        update(do, rid, state, size="s-1vcpu-2gb", name="renamed")
    failure = info.value
    assert failure.resource_id == rid
    assert failure.state["size"] == "s-1vcpu-2gb", "the new size is recorded"
    assert failure.state["name"] == "renamed" and failure.state["status"] == "off"
    assert "power_on" in str(failure) and "errored" in str(failure)
    # Rerunning converges: the droplet is off but should run.
    mark = do.mark()
    final = update(do, rid, failure.state, size="s-1vcpu-2gb", name="renamed")
    assert do.posted(mark) == ["power_on"] and final["status"] == "active"


def test_errored_create_action_is_a_partial_failure_with_the_id(do: Emulated) -> None:
    do.backend.add_fault({"action_type": "create", "outcome": "errored"})
    with pytest.raises(PartialFailure) as info:
        create(do)
    created = [d["id"] for d in do.backend.droplets.list()]
    assert [int(info.value.resource_id)] == created
    assert info.value.state["dropletId"] == int(info.value.resource_id)


def test_update_honours_the_timeout(do: Emulated) -> None:
    rid, state = create(do)
    start = do.now
    with pytest.raises(PartialFailure) as info:
        do.run(Droplet.update(do.ctx(URN, timeout=30.0), rid, state, {**INPUTS, "size": "s-1vcpu-2gb"}))
    assert isinstance(info.value.__cause__, errors.WaitTimeout)
    assert 30.0 <= do.now - start <= 31.0, "gave up at the deadline, not after the whole resize"


def test_cancel_stops_a_wait_promptly(do: Emulated) -> None:
    cancel = asyncio.Event()
    cancel.set()
    with pytest.raises(PartialFailure) as info:
        do.run(Droplet.create(do.ctx(URN, cancel=cancel), dict(INPUTS)))
    assert isinstance(info.value.__cause__, errors.WaitCancelled)
    assert do.now < durations.DROPLET_CREATE_S
    assert [d["id"] for d in do.backend.droplets.list()] == [int(info.value.resource_id)]


def test_delete_waits_until_gone(emulated: Any) -> None:
    do = emulated(droplet_delete_s=30.0)
    rid, state = create(do)
    start = do.now
    do.run(Droplet.delete(do.ctx(URN), rid, state))
    assert do.backend.droplets.list() == [], "gone when delete returned"
    assert 30.0 <= do.now - start <= 32.0, "returned within a poll of the droplet's end, not before"
    assert do.seen.said(f"waiting for droplet {rid} to be deleted")
    # Deleting what is already gone is not an error, and asks nothing more.
    mark = do.mark()
    do.run(Droplet.delete(do.ctx(URN), rid, state))
    assert [s.status for s in do.sent[mark:]] == [404]


def test_import_read_returns_inputs_that_round_trip(do: Emulated) -> None:
    rid, _ = create(do, tags=["web"], backups=True)
    found = do.run(Droplet.read(do.ctx(URN), rid, {}, {}))
    assert found is not None
    outputs, inputs = found
    assert "userData" not in inputs and "sshKeys" not in inputs
    assert inputs == {
        "name": "web",
        "region": "nyc3",
        "size": "s-1vcpu-1gb",
        "image": "ubuntu-24-04-x64",
        "tags": ["web"],
        "vpcUuid": do.droplet(rid)["vpc_uuid"],
        "backups": True,
    }
    checked, failures = Droplet.check(URN, inputs, inputs, b"")
    assert failures == []
    assert not Droplet.diff(outputs, checked).changes, "the generated program previews with no changes"
    # A program that then states user data and SSH keys does not replace the imported droplet.
    later = Droplet.diff(outputs, {**checked, "userData": "#cloud-config", "sshKeys": ["1"]})
    assert later.replaces == []


def test_refresh_sees_drift_in_size_power_and_backups(do: Emulated) -> None:
    rid, state = create(do)
    # Changed elsewhere: powered off, resized, backups on.
    do.act_and_wait(rid, "power_off")
    do.act_and_wait(rid, "resize", size="s-1vcpu-2gb")
    do.act_and_wait(rid, "enable_backups")
    found = do.run(Droplet.read(do.ctx(URN), rid, state, dict(INPUTS)))
    assert found is not None
    outputs, _ = found
    assert outputs["running"] is False and outputs["size"] == "s-1vcpu-2gb" and outputs["backups"] is True
    diff = Droplet.diff(outputs, dict(INPUTS))
    assert set(diff.detailed) == {"running", "size", "backups"} and diff.replaces == []


def test_resize_to_a_smaller_disk_after_growing_is_refused_at_preview(do: Emulated) -> None:
    rid, state = create(do, size="s-2vcpu-4gb", resizeDisk=True)
    state = {**state, "disk": 80}
    mark = do.mark()
    problems = do.run(Droplet.validate_change(do.ctx(URN), state, {**INPUTS, "size": "s-1vcpu-2gb"}))
    assert len(problems) == 1 and "80 GB" in problems[0] and "50 GB" in problems[0]
    assert do.run(Droplet.validate_change(do.ctx(URN), state, {**INPUTS, "size": "s-2vcpu-4gb"})) == []
    assert {s.method for s in do.sent[mark:]} == {"GET"}, "preview only reads"


def test_backup_policy_drift_is_seen_and_put_back(do: Emulated) -> None:
    policy = {"plan": "weekly", "weekday": "MON", "hour": None}
    rid, state = create(do, backups=True, backupPolicy=policy)
    assert do.backend.droplets.backup_policy(int(rid))["backup_policy"]["weekday"] == "MON"
    changed = {"plan": "weekly", "weekday": "TUE", "hour": 16}
    do.act_and_wait(rid, "change_backup_policy", backup_policy=changed)  # changed elsewhere
    wanted = {**INPUTS, "backups": True, "backupPolicy": policy}
    found = do.run(Droplet.read(do.ctx(URN), rid, state, wanted))
    assert found is not None
    outputs, _ = found
    assert outputs["backupPolicy"] == {"plan": "weekly", "weekday": "TUE", "hour": None}, (
        "the hour was left to DigitalOcean: not drift"
    )
    diff = Droplet.diff(outputs, wanted)
    assert diff.detailed == {"backupPolicy": "update"}
    mark = do.mark()
    do.run(Droplet.update(do.ctx(URN), rid, outputs, wanted))
    assert do.posted(mark) == ["change_backup_policy"]
    assert do.backend.droplets.backup_policy(int(rid))["backup_policy"]["weekday"] == "MON"


def test_a_backup_policy_left_out_accepts_the_default(do: Emulated) -> None:
    rid, state = create(do, backups=True)
    found = do.run(Droplet.read(do.ctx(URN), rid, state, {**INPUTS, "backups": True}))
    assert found is not None
    assert not Droplet.diff(found[0], {**INPUTS, "backups": True}).changes
