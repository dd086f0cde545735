"""The field policies of the shared diff engine, each on a small model of its own (not a real resource),
so that what a policy does is tested apart from the resources that use it."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from ocean.api import errors
from ocean.resources.base import (
    ComputedFrom,
    Context,
    Model,
    Normalize,
    ReplaceOnChange,
    ReplaceWhen,
    Resource,
    ServerDefault,
    Unreadable,
    UseStateForUnknown,
    explain,
    validate,
)
from ocean.resources.unknown import UNKNOWN


class _Args(Model):
    name: Annotated[str, Field(description="n")]
    network: Annotated[str | None, Field(default=None, description="v"), ServerDefault()]
    size: Annotated[str, Field(description="s")]
    label: Annotated[str | None, Field(default=None, description="l"), Normalize(lambda v: str(v).lower())]


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
    plan = _Thing.preview_update(OLDS, {**NEWS, "size": "s2"})
    assert plan["network"] == "net-1"
    assert plan["size"] == "s2" and plan["memory"] is UNKNOWN, "the inputs after it still count"
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


# ------------------------------------------------------------------------------------------------------
# Replacement policies and the diff's edges, on a second small model.


class _Rule(Model):
    ports: Annotated[str, Field(description="p")]


class _Box(Model):
    zone: Annotated[str | None, Field(default=None, description="z"), ReplaceOnChange("zones are fixed")]
    public: Annotated[
        bool, Field(default=False, description="p"), ReplaceWhen(lambda o, n: bool(o) and not n, "off")
    ]
    secret_seed: Annotated[str | None, Field(default=None, description="s"), Unreadable()]
    count: Annotated[int, Field(description="c")]
    mode: Annotated[Literal["a", "b"], Field(description="m")]
    rules: Annotated[list[_Rule] | None, Field(default=None, description="r")]


BOX: dict[str, Any] = {"zone": "z1", "public": True, "count": 1, "mode": "a"}


def test_replace_policies_and_the_kinds_of_change() -> None:
    d = _Thing.diff(OLDS, NEWS)
    assert not d.changes
    unset = diff_box({**BOX, "zone": None}, {**BOX, "zone": "z2"})
    assert unset.replaces == ["zone"] and unset.detailed == {"zone": "add-replace"}
    assert unset.reasons == {"zone": "zones are fixed"}
    removed = diff_box(BOX, {**BOX, "zone": None})
    assert removed.detailed == {"zone": "delete-replace"}
    assert diff_box(BOX, {**BOX, "public": False}).replaces == ["public"], "ReplaceWhen: turned off"
    assert diff_box({**BOX, "public": False}, BOX).replaces == [], "ReplaceWhen: turned on updates"
    assert diff_box(BOX, {**BOX, "public": UNKNOWN}).replaces == ["public"], "unknown: may be a replace"


def diff_box(olds: dict[str, Any], news: dict[str, Any], **kw: Any) -> Any:
    from ocean.resources.base import diff_inputs

    return diff_inputs(_Box, olds, news, **kw)


def test_an_unreadable_input_stated_after_an_import_is_an_addition_never_a_replacement() -> None:
    d = diff_box(BOX, {**BOX, "secretSeed": "s3"})
    assert d.changes and d.detailed == {"secretSeed": "add"} and d.replaces == []
    assert not diff_box(BOX, BOX).changes


def test_ignore_changes_skips_only_the_named_inputs() -> None:
    d = diff_box(BOX, {**BOX, "zone": "z2", "count": 2}, ignore_changes=frozenset({"zone"}))
    assert d.detailed == {"count": "update"}


def test_update_preview_applies_inputs_after_one_the_program_left_out() -> None:
    news = {k: v for k, v in NEWS.items() if k != "name"}
    plan = _Thing.preview_update(OLDS, {**news, "size": "s2"})
    assert plan["name"] == "a" and plan["size"] == "s2" and plan["memory"] is UNKNOWN


def test_validate_keeps_unknowns_of_any_type_and_still_judges_the_known_inputs() -> None:
    checked, failures = validate(_Box, "Box 'b'", {"count": UNKNOWN, "mode": UNKNOWN, "zone": 7})
    assert [f.property for f in failures] == ["zone"]
    checked, failures = validate(_Box, "Box 'b'", {"count": UNKNOWN, "mode": UNKNOWN, "zone": "z"})
    assert failures == [] and checked["count"] is UNKNOWN and checked["mode"] is UNKNOWN
    assert checked["zone"] == "z" and checked["secretSeed"] is None, "known inputs normalised, defaults in"


def test_validate_names_the_top_level_property_and_leaves_unknown_list_elements_alone() -> None:
    _, failures = validate(_Box, "Box 'b'", {**BOX, "rules": [{"ports": 22}]})
    assert [f.property for f in failures] == ["rules"] and "Box 'b'" in failures[0].reason
    _, failures = validate(_Box, "Box 'b'", {**BOX, "rules": [UNKNOWN, {"ports": "22"}]})
    assert failures == []
    _, failures = validate(_Box, "Box 'b'", {**BOX, "colour": "red"})
    assert failures[0].reason == "Box 'b': `colour` is not an input of this resource"


def test_models_take_python_names_as_well_as_wire_names() -> None:
    state = _State.model_validate({**{k: v for k, v in OLDS.items() if k != "thingId"}, "thing_id": 8})
    assert state.thing_id == 8


def test_labels_and_auto_names_use_the_last_urn_component() -> None:
    urn = "urn:pulumi:dev::proj::test:index:Thing::web"
    assert _Thing.label(urn) == "Thing 'web'" and _Thing.label("") == "Thing '?'"
    named = _Thing.with_name(urn, {}, {"name": None}, b"seed")
    assert named["name"].startswith("web-") and len(named["name"]) == len("web-") + 7
    assert _Thing.with_name(urn, {"name": "web-abc1234"}, {}, b"other")["name"] == "web-abc1234"


def test_explain_says_what_to_do_next() -> None:
    timeout = errors.WaitTimeout("droplet 1 create", 3.0, "in-progress", 5, "timed out")
    assert explain(timeout).endswith("raise the timeout with the customTimeouts resource option")
    cancelled = errors.WaitCancelled("droplet 1 create", 3.0, "in-progress", 5, "cancelled")
    assert explain(cancelled).endswith("`pulumi refresh` will show")
    assert explain(ValueError()) == "ValueError" and explain(ValueError("bad")) == "bad"


def test_context_deadline_progress_and_name() -> None:
    import asyncio

    now = [100.0]
    lines: list[str] = []

    async def report(message: str) -> None:
        lines.append(message)

    ctx = Context(
        api=None, urn="urn:pulumi:dev::proj::test:index:Thing::web", clock=lambda: now[0], report=report
    )
    assert ctx.deadline(60) == 160.0 and ctx.name == "web"
    assert Context(api=None, timeout=5.0, clock=lambda: now[0]).deadline(60) == 105.0
    now[0] = 200.0
    assert ctx.remaining(160.0) == 0.0 and ctx.remaining(230.0) == 30.0
    assert Context(api=None).name == ""

    class P:
        what, elapsed_s = "droplet 1 create", 12.4

    full = P()
    full.status, full.action_id = "in-progress", 7  # type: ignore[attr-defined]
    asyncio.run(ctx.progress(full))
    asyncio.run(ctx.progress(P()))
    assert lines == [
        "waiting for droplet 1 create (action 7): 12s elapsed, last status in-progress",
        "waiting for droplet 1 create: 12s elapsed",
    ]
