"""What every resource module shares: field policies, the diff engine, operation context and errors.

A resource module declares `Args` (inputs) and `State` (outputs, a superset of the inputs) as pydantic
models whose fields carry small named policies in their `Annotated[...]` metadata
(terraform-plugin-framework's plan modifiers, STYLE habit 2):

    region: Annotated[str, Field(description=...), ReplaceOnChange("a droplet cannot move regions")]

`diff_inputs` reads those policies; the resource's own code stays with DigitalOcean's behaviour.
No grpc, no httpx here: the provider adapter converts wire values to plain dicts before calling in.
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
import hashlib
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticUndefined

from ocean.resources.unknown import UNKNOWN, is_unknown

# ---------------------------------------------------------------------------------------------------
# Field policies


@dataclasses.dataclass(frozen=True)
class ReplaceOnChange:
    """A change of this input cannot be applied in place: the resource is replaced."""

    reason: str


@dataclasses.dataclass(frozen=True)
class ReplaceWhen:
    """Replace only for some changes (e.g. ipv6 true → false); other changes update in place."""

    predicate: Callable[[Any, Any], bool]
    reason: str


@dataclasses.dataclass(frozen=True)
class Normalize:
    """Compare old and new through this function, so a server-side normalisation is not a change
    (e.g. DigitalOcean tag names are case-insensitive)."""

    fn: Callable[[Any], Any]


@dataclasses.dataclass(frozen=True)
class UseStateForUnknown:
    """A computed output that an update never changes (an id, a creation time): an update preview
    shows its prior value. A computed output without this policy (or `ComputedFrom`) is unknown in
    every update preview, as DigitalOcean may change it."""


@dataclasses.dataclass(frozen=True)
class ComputedFrom:
    """A computed output that changes when any of these inputs changes: unknown in an update preview
    that changes one of them, its prior value otherwise."""

    inputs: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class ServerDefault:
    """Optional input that DigitalOcean fills in when unset (a droplet's VPC): leaving it unset in the
    program accepts whatever DigitalOcean chose, and is not a change."""


@dataclasses.dataclass(frozen=True)
class Secret:
    """Never shown or stored in plain text: wrapped as a Pulumi secret in every output."""


@dataclasses.dataclass(frozen=True)
class Unreadable:
    """DigitalOcean never returns this input (user_data, ssh_keys): after an import the state has no
    value for it, and a value in the program must not plan a replacement."""


Policy = (
    ReplaceOnChange
    | ReplaceWhen
    | Normalize
    | UseStateForUnknown
    | ComputedFrom
    | ServerDefault
    | Secret
    | Unreadable
)


class Model(BaseModel):
    """Base of Args and State models: camelCase on the wire (Pulumi's convention), snake_case in Python.

    Strict: a value of the wrong type is an error, never coerced (`"yes"` is not a boolean, `"60"` not a
    number, `true` not a droplet id), so a typo in a program fails at preview instead of meaning
    something else.
    """

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", strict=True)

    @classmethod
    def policies(cls, field: str) -> list[Any]:
        return list(cls.model_fields[field].metadata)

    @classmethod
    def wire_name(cls, field: str) -> str:
        alias = cls.model_fields[field].alias
        return alias if alias is not None else field

    @classmethod
    def secret_wire_names(cls) -> list[str]:
        return [
            cls.wire_name(name)
            for name in cls.model_fields
            if any(isinstance(p, Secret) for p in cls.policies(name))
        ]


# ---------------------------------------------------------------------------------------------------
# Hidden properties

# Keys that start with "__" are Pulumi's internal properties: the engine stores them and hands them back
# like any other, but `pulumi preview`/`up` never display them (resource.IsInternalPropertyKey).
HIDDEN_PREFIX = "__"
# Input: the create mark (see ocean.resources.adoption), computed by Check.
MARK = "__mark"
# Output: why the resource's create failed; while it is set, the resource is replaced (Resource.failure).
FAILED = "__failed"


def visible(values: Mapping[str, Any]) -> dict[str, Any]:
    """The values without the provider's hidden properties."""
    return {k: v for k, v in values.items() if not k.startswith(HIDDEN_PREFIX)}


# ---------------------------------------------------------------------------------------------------
# Errors


@dataclasses.dataclass
class CheckFailure:
    """One invalid input: reported by the engine against the property, before any API call."""

    property: str
    reason: str


class ResourceError(Exception):
    """An operation failed. The message names the resource and says what to do next."""


def explain(e: BaseException) -> str:
    """An error as the user should read it, with what to do next for the kinds that have an answer."""
    from ocean.api import errors

    text = str(e) or type(e).__name__
    if isinstance(e, errors.WaitTimeout):
        return (
            f"{text}. DigitalOcean may still finish it; raise the timeout with the customTimeouts "
            "resource option"
        )
    if isinstance(e, errors.WaitCancelled):
        return f"{text}. The operation may still complete on DigitalOcean; `pulumi refresh` will show"
    return text


class PartialFailure(ResourceError):
    """DigitalOcean created or changed something, then the operation failed.

    `state` is what is true now; the engine records it (with `resource_id`) so nothing is orphaned
    and the next `pulumi up` converges from there.
    """

    def __init__(
        self,
        message: str,
        *,
        resource_id: str,
        state: dict[str, Any],
        inputs: dict[str, Any],
        failed: str | None = None,
    ):
        super().__init__(message)
        self.resource_id = resource_id
        # `failed`: the create itself failed (an errored action, a failed status): recorded with the
        # state, so that the next preview plans a replacement with this reason (see Resource.failure).
        self.state = {**state, FAILED: failed} if failed else state
        self.inputs = inputs


# ---------------------------------------------------------------------------------------------------
# Operation context


Reporter = Callable[[str], Awaitable[None]]


async def _no_report(_: str) -> None:
    return None


@dataclasses.dataclass
class Context:
    """What an operation gets besides its inputs: the API, its deadline, cancellation and a way to
    tell the user what it is waiting for (shown in the Pulumi progress display)."""

    api: Any
    urn: str = ""
    timeout: float | None = None
    cancel: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    report: Reporter = _no_report
    # A message that stays in the Pulumi output (a warning), for what the user must know afterwards.
    warn: Reporter = _no_report
    preview: bool = False
    # A message that stays in the output (`report` is a status line that the next one replaces).
    notify: Reporter = _no_report
    # Kept for the life of the provider process, shared by every operation in it. The engine starts
    # one provider process per provider configuration for each `pulumi` command, so this is what one
    # program has declared so far with this provider (e.g. its RegistrySubscriptions, seen in Check).
    shared: dict[str, Any] = dataclasses.field(default_factory=dict)
    # Injected so that waits, grace periods and timeouts are tested in milliseconds.
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep

    def deadline(self, default_timeout: float) -> float:
        """When this operation must be done: now + the customTimeouts value, or the default."""
        return self.clock() + (self.timeout or default_timeout)

    def remaining(self, deadline: float) -> float:
        return max(0.0, deadline - self.clock())

    async def progress(self, p: Any) -> None:
        """A waiter's progress (ocean.api.WaitProgress) as a status line in the Pulumi display."""
        status = f", last status {p.status}" if getattr(p, "status", None) else ""
        action = f" (action {p.action_id})" if getattr(p, "action_id", None) else ""
        await self.report(f"waiting for {p.what}{action}: {p.elapsed_s:.0f}s elapsed{status}")

    @property
    def name(self) -> str:
        """The Pulumi resource name (the last URN component)."""
        return self.urn.rsplit("::", 1)[-1] if self.urn else ""


# ---------------------------------------------------------------------------------------------------
# Diff


DiffKind = Literal["add", "delete", "update", "add-replace", "delete-replace", "update-replace"]


@dataclasses.dataclass
class DiffResult:
    changes: bool = False
    replaces: list[str] = dataclasses.field(default_factory=list)
    detailed: dict[str, DiffKind] = dataclasses.field(default_factory=dict)
    reasons: dict[str, str] = dataclasses.field(default_factory=dict)
    # Replace by deleting first, then creating: for resources whose names (or address ranges) are unique
    # in DigitalOcean, so the new one cannot exist beside the old one.
    delete_before_replace: bool = False
    # Why the recorded resource is replaced although no input changed (its create failed): the whole
    # reason, e.g. "its create action 123 errored".
    failed: str | None = None

    def replace_reason(self) -> str:
        """Why the resource is replaced, as the preview shows it."""
        parts = [self.failed] if self.failed else []
        parts += [
            f"`{k}` changed: {self.reasons[k]}"
            for k in self.replaces
            if k in self.reasons and self.reasons[k] != self.failed
        ]
        return "; ".join(parts)


def _present(v: Any) -> bool:
    return v is not None and v != [] and v != {} and v != ""


def _normalised(model: type[Model], field: str, value: Any) -> Any:
    for p in model.policies(field):
        if isinstance(p, Normalize) and value is not None and not is_unknown(value):
            return p.fn(value)
    return value


def diff_inputs(
    args: type[Model],
    olds: Mapping[str, Any],
    news: Mapping[str, Any],
    *,
    old_inputs: Mapping[str, Any] | None = None,
    ignore_changes: frozenset[str] = frozenset(),
) -> DiffResult:
    """Compare the program's inputs (`news`) with what is true (`olds`, the last known state).

    Olds are the state's outputs, which carry every input under the same name: after a refresh they
    show drift (an out-of-band rename), which then plans an update back to the program's value.
    Keys are wire (camelCase) names.
    """
    result = DiffResult()
    for field in args.model_fields:
        key = args.wire_name(field)
        if key in ignore_changes:
            continue
        policies = args.policies(field)
        default = args.model_fields[field].default
        new = news.get(key, None if default is PydanticUndefined else default)
        if new is None and any(isinstance(p, ServerDefault) for p in policies):
            continue
        if olds.get(key) is not None:
            old = olds[key]
        elif old_inputs is not None and old_inputs.get(key) is not None:
            old = old_inputs[key]
        else:
            old = None if default is PydanticUndefined else default
            if any(isinstance(p, Unreadable) for p in policies):
                # Imported: DigitalOcean never told us this value, so the program's value is taken as
                # what the droplet was made with — recorded by the next update, never a replacement.
                if _present(new):
                    result.changes = True
                    result.detailed[key] = "add"
                continue
        if not is_unknown(new) and _normalised(args, field, old) == _normalised(args, field, new):
            continue
        if not is_unknown(new) and not _present(old) and not _present(new):
            continue  # None, "", [] and {} all mean "not set"
        result.changes = True
        replace_reason = None
        for p in policies:
            if isinstance(p, ReplaceOnChange):
                replace_reason = p.reason
            elif isinstance(p, ReplaceWhen) and (is_unknown(new) or p.predicate(old, new)):
                replace_reason = p.reason
        if replace_reason is not None:
            result.replaces.append(key)
            result.reasons[key] = replace_reason
            kind: DiffKind = "update-replace"
        else:
            kind = "update"
        if not _present(old) and not is_unknown(new):
            kind = "add-replace" if replace_reason else "add"
        elif not _present(new) and not is_unknown(new):
            kind = "delete-replace" if replace_reason else "delete"
        result.detailed[key] = kind
    return result


# ---------------------------------------------------------------------------------------------------
# Check helpers


def validate(
    model: type[Model], resource: str, inputs: Mapping[str, Any]
) -> tuple[dict[str, Any], list[CheckFailure]]:
    """Validate inputs that may hold unknowns, at any depth. Unknown values are kept as they are and
    not judged (they are checked again when known, at `up`). Returns (inputs by wire name, failures)."""
    unknown = {k: v for k, v in inputs.items() if is_unknown(v)}
    # A required input that is unknown stands in as a valid placeholder, so that the known ones are
    # still validated and normalised; the unknown goes back in afterwards.
    placeholders = {
        model.wire_name(name): _placeholder(info.annotation)
        for name, info in model.model_fields.items()
        if model.wire_name(name) in unknown and info.is_required()
    }
    try:
        obj = model.model_validate({**{k: v for k, v in inputs.items() if k not in unknown}, **placeholders})
    except ValidationError as e:
        failures = [
            CheckFailure(str(err["loc"][0]) if err["loc"] else "", _explain(model, resource, err))
            for err in e.errors()
            if not _unknown_at(inputs, err["loc"])
        ]
        # Only unknowns were in the way: nothing to report yet, and nothing to normalise.
        return dict(inputs), failures
    out = obj.model_dump(by_alias=True, exclude_none=False)
    out.update(unknown)
    return out, []


def _placeholder(annotation: Any) -> Any:
    """Some valid value of a (simple) field type."""
    import typing

    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return typing.get_args(annotation)[0]
    if origin is list:
        return []
    return {str: "", int: 0, float: 0.0, bool: False}.get(annotation, "")


def _unknown_at(values: Any, loc: tuple[Any, ...]) -> bool:
    """Whether the value at `loc` (a pydantic error location) is, or sits inside, an unknown."""
    for step in loc:
        if is_unknown(values):
            return True
        if isinstance(values, Mapping) and step in values:
            values = values[step]
        elif isinstance(values, list) and isinstance(step, int) and step < len(values):
            values = values[step]
        else:
            return is_unknown(values)
    return is_unknown(values)


def _path(loc: tuple[Any, ...]) -> str:
    """A pydantic location as the program writes it: `backupPolicy.plan`, `tags[0]`."""
    out = ""
    for step in loc:
        if isinstance(step, int):
            out += f"[{step}]"
        elif not out:
            out = str(step)
        else:
            out += f".{step}"
    return out


def _nested_model(model: type[Model], loc: tuple[Any, ...]) -> type[Model] | None:
    """The model whose fields sit at `loc` (the settings object an unknown key was found in)."""
    import typing

    current: Any = model
    for step in loc:
        if isinstance(step, int):
            continue
        if not (isinstance(current, type) and issubclass(current, Model)):
            return None
        field = next((f for f in current.model_fields if current.wire_name(f) == step), None)
        if field is None:
            return None
        annotation = current.model_fields[field].annotation
        options = typing.get_args(annotation) or (annotation,)
        models = [a for a in options if isinstance(a, type) and issubclass(a, Model)]
        current = models[0] if models else None
    return current if isinstance(current, type) and issubclass(current, Model) else None


def _shown(value: Any) -> str:
    """A wrong value as the message quotes it: `the string 'yes'`, `1`, `a list`."""
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {text!r}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


_TYPE_RULES = {
    "bool_type": "must be true or false",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
}


def _explain(model: type[Model], resource: str, err: Any) -> str:
    """A pydantic error as the user should read it: the field's full path, what is allowed, and the
    value that was given (never the value of a secret input)."""
    loc = tuple(err.get("loc") or ())
    path = _path(loc)
    kind = err.get("type", "")
    top = str(loc[0]) if loc else ""
    secret = top in model.secret_wire_names()
    given = "" if secret or "input" not in err else f", not {_shown(err['input'])}"
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return f"{resource}: `{path}` is required"
    if kind == "extra_forbidden":
        owner = _nested_model(model, loc[:-1]) if len(loc) > 1 else model
        known = [owner.wire_name(f) for f in owner.model_fields] if owner is not None else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        if len(loc) > 1:
            return (
                f"{resource}: `{path}` is not a setting of `{_path(loc[:-1])}`{hint or ';'} its settings "
                f"are {', '.join(f'`{k}`' for k in known)}"
            )
        return f"{resource}: `{path}` is not an input of this resource{hint}"
    if kind in _TYPE_RULES:
        rule = _TYPE_RULES[kind]
        if kind in ("dict_type", "model_type"):
            owner = _nested_model(model, loc)
            if owner is not None:
                settings = ", ".join(f"`{owner.wire_name(f)}`" for f in owner.model_fields)
                rule += f" with the settings {settings}"
        return f"{resource}: `{path}` {rule}{given}"
    if kind == "literal_error":
        return f"{resource}: `{path}` must be {ctx.get('expected', 'one of the allowed values')}{given}"
    if kind == "greater_than_equal":
        return f"{resource}: `{path}` must be at least {ctx.get('ge')}{given}"
    if kind == "greater_than":
        limit = ctx.get("gt")
        rule = "a positive number" if limit == 0 else f"more than {limit}"
        return f"{resource}: `{path}` must be {rule}{given}"
    if kind == "less_than_equal":
        return f"{resource}: `{path}` must be at most {ctx.get('le')}{given}"
    return f"{resource}: `{path}`: {err.get('msg', 'invalid value')}"


_NAME_CLEAN = re.compile(r"[^a-z0-9.-]+")


def auto_name(resource_name: str, seed: bytes, *, max_len: int = 63) -> str:
    """Pulumi-style auto-name: the resource name plus a 7-character suffix, made a valid hostname.

    The suffix comes from the engine's random seed, so a preview and the following up agree.
    """
    base = _NAME_CLEAN.sub("-", resource_name.lower()).strip("-.") or "droplet"
    suffix = hashlib.sha256(seed + resource_name.encode()).hexdigest()[:7]
    return f"{base[: max_len - 8]}-{suffix}"


def planned_outputs(
    args: type[Model], state: type[Model], olds: Mapping[str, Any], news: Mapping[str, Any]
) -> dict[str, Any]:
    """Update-preview outputs: the new inputs over the prior outputs; each computed output keeps its
    prior value or becomes unknown as its policy says (`UseStateForUnknown`, `ComputedFrom`)."""
    out = dict(olds)
    changed: set[str] = set()
    for name in args.model_fields:
        key = args.wire_name(name)
        if key not in news:
            continue
        if news[key] is None and any(isinstance(p, ServerDefault) for p in args.policies(name)):
            continue  # left to DigitalOcean: what it chose stands
        new, old = _normalised(args, name, news[key]), _normalised(args, name, olds.get(key))
        if is_unknown(new) or new != old:
            changed.add(name)
        out[key] = news[key]
    for name in state.model_fields:
        if name in args.model_fields:
            continue
        key = state.wire_name(name)
        policies = state.policies(name)
        derived = [p for p in policies if isinstance(p, ComputedFrom)]
        if derived:
            if any(i in changed for p in derived for i in p.inputs):
                out[key] = UNKNOWN
        elif changed and not any(isinstance(p, UseStateForUnknown) for p in policies):
            out[key] = UNKNOWN
    return out


def unknown_outputs(state: type[Model], inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Create-preview outputs: the inputs as given, every computed output unknown."""
    out: dict[str, Any] = dict(inputs)
    for name in state.model_fields:
        key = state.wire_name(name)
        if key not in out or out[key] is None:
            out[key] = UNKNOWN
    return out


class Resource:
    """The operations a resource module implements (pulumi-go-provider's infer interfaces), with the
    defaults most resources share: diff by the Args' field policies, previews with unknown outputs."""

    token: ClassVar[str]
    Args: ClassVar[type[Model]]
    State: ClassVar[type[Model]]
    description: ClassVar[str]
    # Creates with a POST: carries a create mark, looked for before creating (ocean.resources.adoption).
    marks: ClassVar[bool] = False
    # The output a replacement after a failed create is shown against in the preview.
    failure_key: ClassVar[str] = "status"

    @classmethod
    def label(cls, urn: str) -> str:
        """How messages name the resource: `Droplet 'web'`."""
        return f"{cls.token.split(':')[-1]} '{urn.rsplit('::', 1)[-1] if urn else '?'}'"

    @classmethod
    def checked(
        cls,
        urn: str,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        random_seed: bytes,
        memory: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], list[CheckFailure]]:
        """What Check returns: the resource's own `check`, plus the create mark for resources that
        create with a POST (hidden from the display; see ocean.resources.adoption). `memory`: kept for
        the provider process (`Context.shared`), where the mark of a resource being replaced is
        remembered between the engine's two Checks of it.

        For resources with a mark, the mark (not the engine's seed, which is random for every deployment)
        is the seed of their auto-name, so that a create repeated after a crash asks for the same name."""
        if not cls.marks:
            return cls.check(urn, olds, visible(news), random_seed)
        from ocean.resources.adoption import create_mark

        mark = create_mark(urn, olds, memory)
        inputs, failures = cls.check(urn, olds, visible(news), mark.encode())
        inputs[MARK] = mark
        return inputs, failures

    @classmethod
    def check(
        cls, urn: str, olds: Mapping[str, Any], news: Mapping[str, Any], random_seed: bytes
    ) -> tuple[dict[str, Any], list[CheckFailure]]:
        return validate(cls.Args, cls.label(urn), news)

    @classmethod
    def auto_name(cls, urn: str, seed: bytes) -> str:
        """The name given to a resource the program does not name: its Pulumi name plus a suffix from
        `seed` — for resources with a create mark, the mark (see `checked`), so that a create repeated
        after a crash asks for the same name and finds what the crashed one made."""
        return auto_name(urn.rsplit("::", 1)[-1], seed)

    @classmethod
    def named_by_provider(cls, urn: str, inputs: Mapping[str, Any]) -> bool:
        """Whether `inputs["name"]` is an auto-name of this resource (so a resource with that name can
        only have been made by it), rather than a name the program chose."""
        from ocean.resources.adoption import first_mark

        marks = {first_mark(urn), inputs.get(MARK)}
        return inputs.get("name") in {cls.auto_name(urn, m.encode()) for m in marks if isinstance(m, str)}

    @classmethod
    def with_name(
        cls, urn: str, olds: Mapping[str, Any], news: Mapping[str, Any], random_seed: bytes
    ) -> dict[str, Any]:
        """The inputs with `name` filled when the program left it out: the earlier name if there is one
        (a resource is not renamed on every run), else `auto_name`."""
        inputs = dict(news)
        if inputs.get("name") in (None, ""):
            inputs["name"] = olds.get("name") or cls.auto_name(urn, random_seed)
        return inputs

    @classmethod
    def check_timeout(cls, urn: str, operation: str, timeout: float) -> None:
        """Refuse a negative customTimeouts value before anything is done. The engine hands the create and
        update timeouts to the preview too, so those are refused at preview; the delete timeout only
        reaches the provider when deleting, and is refused there, before the delete request."""
        if timeout >= 0:
            return
        done = {"create": "Nothing was created", "update": "Nothing was changed"}.get(
            operation, "Nothing was deleted: the resource stays in the stack"
        )
        raise ResourceError(
            f"{cls.label(urn)}: the customTimeouts `{operation}` value is negative ({timeout:g}s). A timeout "
            f'is how long to wait, e.g. "30m"; leave it out for the default. {done}; fix the '
            "resource option and run again."
        )

    @classmethod
    def diff(
        cls,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        old_inputs: Mapping[str, Any] | None = None,
        ignore_changes: frozenset[str] = frozenset(),
    ) -> DiffResult:
        result = diff_inputs(cls.Args, olds, news, old_inputs=old_inputs, ignore_changes=ignore_changes)
        return cls.replace_if_failed(result, olds)

    # ----------------------------------------------------------------------------------- failed creates

    @classmethod
    def failure(cls, state: Mapping[str, Any]) -> str | None:
        """Why the recorded resource cannot be used and must be replaced (its create failed), or None.
        By default what the failed create recorded (PartialFailure's `failed`)."""
        reason = state.get(FAILED)
        return reason if isinstance(reason, str) and reason else None

    @classmethod
    def still_failed(cls, state: Mapping[str, Any], outputs: Mapping[str, Any]) -> bool:
        """Whether DigitalOcean still shows the resource broken, after a create that failed (`state`) and
        a fresh read (`outputs`); `refresh` keeps the failure while this holds."""
        return False

    @classmethod
    def replace_if_failed(cls, result: DiffResult, olds: Mapping[str, Any]) -> DiffResult:
        reason = cls.failure(olds)
        if reason:
            key = cls.failure_key
            result.changes = True
            result.failed = reason
            if key not in result.replaces:
                result.replaces.append(key)
            result.detailed[key] = "update-replace"
            result.reasons[key] = reason
        return result

    @classmethod
    async def refresh(
        cls, ctx: Context, resource_id: str, state: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """`read`, keeping the record of a failed create while DigitalOcean still shows it broken."""
        found = await cls.read(ctx, resource_id, state, inputs)  # type: ignore[attr-defined]
        if found is None:
            return None
        outputs, new_inputs = found
        failed = cls.failure(state)
        if failed and state.get(FAILED) and cls.still_failed(state, outputs):
            outputs = {**outputs, FAILED: failed}
        return outputs, new_inputs

    @classmethod
    def preview_create(cls, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return unknown_outputs(cls.State, visible(inputs))

    @classmethod
    def preview_update(cls, olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
        return planned_outputs(cls.Args, cls.State, olds, news)

    @classmethod
    async def check_live(
        cls, ctx: Context, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> list[CheckFailure]:
        """Checks that need more than the inputs: what DigitalOcean says (reads only, never a change)
        or what else this program declared (`ctx.shared`). Run by Check once the static checks pass,
        so at preview as well as at `up`, before any mutating request; `ctx.api` is None when the
        provider cannot reach DigitalOcean yet (then the check is left for `up`). Unknown inputs are
        left alone."""
        return []
