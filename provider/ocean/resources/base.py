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
    """Base of Args and State models: camelCase on the wire (Pulumi's convention), snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

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

    def __init__(self, message: str, *, resource_id: str, state: dict[str, Any], inputs: dict[str, Any]):
        super().__init__(message)
        self.resource_id = resource_id
        self.state = state
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
            CheckFailure(
                str(err["loc"][0]) if err["loc"] else "", _explain(resource, str(err["loc"][0]), err)
            )
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


def _explain(resource: str, prop: str, err: Any) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return f"{resource}: `{prop}` is required"
    if kind == "extra_forbidden":
        return f"{resource}: `{prop}` is not an input of this resource"
    return f"{resource}: `{prop}`: {err.get('msg', 'invalid value')}"


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

    @classmethod
    def label(cls, urn: str) -> str:
        """How messages name the resource: `Droplet 'web'`."""
        return f"{cls.token.split(':')[-1]} '{urn.rsplit('::', 1)[-1] if urn else '?'}'"

    @classmethod
    def with_name(
        cls, urn: str, olds: Mapping[str, Any], news: Mapping[str, Any], random_seed: bytes
    ) -> dict[str, Any]:
        """The inputs with `name` filled when the program left it out: the earlier auto-name if there
        is one (a resource is not renamed on every run), else a new one from the engine's seed."""
        inputs = dict(news)
        if inputs.get("name") in (None, ""):
            inputs["name"] = olds.get("name") or auto_name(urn.rsplit("::", 1)[-1], random_seed)
        return inputs

    @classmethod
    def diff(
        cls,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        old_inputs: Mapping[str, Any] | None = None,
        ignore_changes: frozenset[str] = frozenset(),
    ) -> DiffResult:
        return diff_inputs(cls.Args, olds, news, old_inputs=old_inputs, ignore_changes=ignore_changes)

    @classmethod
    def preview_create(cls, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return unknown_outputs(cls.State, inputs)

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
