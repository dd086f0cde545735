"""The field policies of the shared diff engine, each on a small model of its own (not a real resource),
so that what a policy does is tested apart from the resources that use it."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field

from ocean.resources.base import (
    ComputedFrom,
    Model,
    Normalize,
    Resource,
    ServerDefault,
    UseStateForUnknown,
)
from ocean.resources.unknown import UNKNOWN


class _Args(Model):
    name: Annotated[str, Field(description="n")]
    size: Annotated[str, Field(description="s")]
    label: Annotated[str | None, Field(default=None, description="l"), Normalize(lambda v: str(v).lower())]
    network: Annotated[str | None, Field(default=None, description="v"), ServerDefault()]


class _State(_Args):
    thing_id: Annotated[int, Field(description="i"), UseStateForUnknown()]
    memory: Annotated[int, Field(description="m"), ComputedFrom(("size",))]
    status: Annotated[str, Field(description="st")]


class _Thing(Resource):
    token: ClassVar[str] = "test:index:Thing"
    Args: ClassVar[type[Model]] = _Args
    State: ClassVar[type[Model]] = _State
    description: ClassVar[str] = "a thing"


OLDS: dict[str, Any] = {
    "name": "a", "size": "s1", "label": "Blue", "network": "net-1", "thingId": 7, "memory": 1024,
    "status": "active",
}  # fmt: skip
NEWS: dict[str, Any] = {"name": "a", "size": "s1", "label": "Blue", "network": None}


def test_use_state_for_unknown_keeps_the_prior_value_in_an_update_preview() -> None:
    plan = _Thing.preview_update(OLDS, {**NEWS, "name": "b"})
    assert plan["name"] == "b"
    assert plan["thingId"] == 7, "UseStateForUnknown: an update never changes it"
    assert plan["status"] is UNKNOWN, "no policy: the update may change it"
    assert plan["memory"] == 1024, "ComputedFrom(size): the size did not change"


def test_computed_from_is_unknown_when_its_input_changes_or_is_unknown() -> None:
    assert _Thing.preview_update(OLDS, {**NEWS, "size": "s2"})["memory"] is UNKNOWN
    assert _Thing.preview_update(OLDS, {**NEWS, "size": UNKNOWN})["memory"] is UNKNOWN
    assert _Thing.preview_update(OLDS, {**NEWS, "size": UNKNOWN})["thingId"] == 7


def test_server_default_left_unset_keeps_what_digitalocean_chose() -> None:
    plan = _Thing.preview_update(OLDS, {**NEWS, "name": "b"})
    assert plan["network"] == "net-1"
    assert _Thing.preview_update(OLDS, {**NEWS, "network": "net-2"})["network"] == "net-2"


def test_a_normalised_spelling_is_not_a_change_for_computed_outputs() -> None:
    # Only the label's case differs: nothing DigitalOcean computes can change.
    plan = _Thing.preview_update(OLDS, {**NEWS, "label": "BLUE"})
    assert plan["label"] == "BLUE" and plan["status"] == "active" and plan["thingId"] == 7


def test_the_diff_reads_the_same_policies() -> None:
    assert not _Thing.diff(OLDS, {**NEWS, "label": "BLUE"}).changes
    assert not _Thing.diff(OLDS, NEWS).changes, "a ServerDefault left unset is not a change"
    d = _Thing.diff(OLDS, {**NEWS, "size": "s2"})
    assert d.changes and d.detailed == {"size": "update"} and d.replaces == []
