"""No wasted wait in a droplet update (issue 15, item 3): each power step is requested the moment its
predecessor's action is seen to end, and the droplet is read only where its status decides something.
Counted from the requests the provider made to the emulator in process (``emulated.py``)."""

from __future__ import annotations

from typing import Any

from ocean.api.models import durations
from tests.resources.emulated import Emulated, Sent
from tests.resources.test_droplet_reconcile import create, update

DROPLETS = "/v2/droplets/"


def _steps(do: Emulated, rid: str, since: int) -> list[str]:
    """The update's requests other than action polls: ``GET droplet`` and the action types posted."""
    out = []
    for s in do.sent[since:]:
        if s.action is not None:
            out.append(s.action if s.status == 201 else f"{s.action} ({s.status})")
        elif s.method == "GET" and s.path == f"{DROPLETS}{rid}":
            out.append("GET droplet")
    return out


def _poll_before(do: Emulated, request: Sent) -> Sent:
    """The request just before ``request``."""
    return do.sent[do.sent.index(request) - 1]


def _action_polls(do: Emulated, since: int) -> list[Sent]:
    return [s for s in do.sent[since:] if s.method == "GET" and s.path.startswith("/v2/actions/")]


def test_resize_of_a_running_droplet_reads_it_only_before_and_after(do: Emulated) -> None:
    rid, state = create(do)
    mark = do.mark()
    new = update(do, rid, state, size="s-2vcpu-2gb")
    assert _steps(do, rid, mark) == ["GET droplet", "shutdown", "resize", "power_on", "GET droplet"]
    assert new["size"] == "s-2vcpu-2gb" and new["status"] == "active"
    # Each power step goes the moment the poll of its predecessor's action sees it completed: no request,
    # and no time, in between.
    posts = [s for s in do.sent[mark:] if s.action is not None]
    for previous, step in zip(posts, posts[1:], strict=False):
        poll = _poll_before(do, step)
        assert poll.method == "GET" and poll.path.startswith("/v2/actions/"), (step.action, poll)
        assert poll.at == step.at, f"{step.action} requested when {previous.action} was seen done"
    # Everything else the resize sent was action polling (another part of issue 15 makes that cheaper).
    polls = _action_polls(do, mark)
    assert len(do.sent) - mark == 2 + len(posts) + len(polls)


def test_errored_shutdown_is_followed_by_power_off_at_once(do: Emulated) -> None:
    do.backend.add_fault({"action_type": "shutdown", "outcome": "errored"})
    rid, state = create(do)
    mark = do.mark()
    update(do, rid, state, size="s-1vcpu-2gb", shutdownGracePeriod=600)
    assert _steps(do, rid, mark) == [
        "GET droplet", "shutdown", "power_off", "resize", "power_on", "GET droplet",
    ]  # fmt: skip
    [power_off] = [s for s in do.sent[mark:] if s.action == "power_off"]
    poll = _poll_before(do, power_off)
    assert poll.path.startswith("/v2/actions/") and poll.at == power_off.at


def test_errored_shutdown_of_a_droplet_that_went_off_anyway_is_success(do: Emulated) -> None:
    """The shutdown action errors, yet the droplet is off: the power_off asked at once is answered
    "already powered off", which settles it without a GET."""
    do.backend.add_fault({"action_type": "shutdown", "outcome": "errored"})
    rid, state = create(do)

    def it_went_off_anyway() -> None:
        do.backend.actions.start(int(rid), {"type": "power_off"})
        do.backend.advance(durations.ACTION_S["power_off"])

    do.before_action("power_off", it_went_off_anyway)
    mark = do.mark()
    new = update(do, rid, state, size="s-1vcpu-2gb", shutdownGracePeriod=600)
    assert _steps(do, rid, mark) == [
        "GET droplet", "shutdown", "power_off (422)", "resize", "power_on", "GET droplet",
    ]  # fmt: skip
    assert new["size"] == "s-1vcpu-2gb" and new["status"] == "active"


def test_an_os_still_up_after_its_shutdown_completed_is_found_by_the_refused_resize(do: Emulated) -> None:
    """The shutdown action completes with the droplet still on (an OS ignoring the signal): the resize
    asked at once is refused, and only then does a GET decide the rest of the grace period."""
    do.backend.add_fault({"action_type": "shutdown", "outcome": "ignored"})
    rid, state = create(do)
    mark = do.mark()
    new = update(do, rid, state, size="s-1vcpu-2gb", shutdownGracePeriod=30)
    steps = _steps(do, rid, mark)
    assert steps[:4] == ["GET droplet", "shutdown", "resize (422)", "GET droplet"]
    assert steps[-4:] == ["power_off", "resize", "power_on", "GET droplet"]
    assert new["size"] == "s-1vcpu-2gb" and new["status"] == "active"


def test_an_update_without_power_steps_reads_the_droplet_twice(do: Emulated) -> None:
    """A rename: the status read at the start says the droplet is running as wanted; no third GET."""
    rid, state = create(do)
    mark = do.mark()
    update(do, rid, state, name="web-renamed")
    assert _steps(do, rid, mark) == ["GET droplet", "rename", "GET droplet"]


def test_power_state_change_uses_the_status_read_at_the_start(do: Emulated) -> None:
    rid, state = create(do)
    mark = do.mark()
    new: dict[str, Any] = update(do, rid, state, running=False)
    assert _steps(do, rid, mark) == ["GET droplet", "shutdown", "GET droplet", "GET droplet"]
    assert new["status"] == "off" and new["running"] is False
