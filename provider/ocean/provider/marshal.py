"""Conversion between Pulumi's wire values (google.protobuf.Struct) and plain Python values.

The one place where unknowns, secrets, integers and partial-failure details are encoded and decoded
(STYLE habit 3). Resources never see protobuf types: they get dicts of plain values in which an
unknown is the `UNKNOWN` sentinel and secrets are unwrapped.

Secrets. The provider tells the engine it accepts secrets (Configure), so the engine no longer copies
secretness from inputs to outputs itself: whatever the provider returns unmarked is stored in plain
text. `decode_with_secrets` therefore records where the engine marked a value secret (at any depth: a
field, a list element, a field of an object) and what the value was; `encode(..., secrets=...)` marks
the same places secret again in whatever goes back — checked inputs, outputs of a create, read or
update, their previews, partial-failure state, function results. A resource needs to do nothing for
this: an output carries the secretness of the input of the same name, and any value whose text contains
a secret (a registry's `endpoint`, built from its secret `name`) is marked secret too, by the same rule
that takes secrets out of log lines and messages (`Secrets.redact`). `secret_fields` adds the fields a
resource's schema declares secret (user data) whether or not the program marked them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from google.protobuf import struct_pb2

from ocean.resources.unknown import UNKNOWN, contains_unknown, is_unknown

__all__ = ["UNKNOWN", "Secrets", "contains_unknown", "decode", "decode_with_secrets", "encode", "is_unknown"]

# Pulumi's wire sentinels (sdk/go/common/resource/plugin/rpc.go).
UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"

Path = tuple[str | int, ...]
REDACTED = "[secret]"


class Secrets:
    """Where a request's values were marked secret (paths such as `("tags", 1)` or
    `("backupPolicy", "plan")`), with the values that were there."""

    def __init__(self, marked: Mapping[Path, Any] | None = None) -> None:
        self._marked: dict[Path, Any] = dict(marked or {})

    def __contains__(self, key: object) -> bool:
        return (key,) in self._marked if isinstance(key, str) else key in self._marked

    def __iter__(self) -> Iterator[Path]:
        return iter(self._marked)

    def __len__(self) -> int:
        return len(self._marked)

    def __or__(self, other: Secrets) -> Secrets:
        return Secrets({**self._marked, **other._marked})

    def __repr__(self) -> str:
        return f"Secrets({sorted(self._marked, key=str)!r})"  # the paths only, never the values

    def items(self) -> Iterator[tuple[Path, Any]]:
        return iter(self._marked.items())

    def words(self) -> set[str]:
        """The texts of the secret values: strings, and numbers of 3+ digits (shorter ones would match
        everywhere)."""
        return {w for v in self._marked.values() for w in _words(v)}

    def redact(self, text: str) -> str:
        """`text` with every secret value in it replaced by `[secret]`: for error messages and progress
        lines built from inputs."""
        for word in sorted(self.words(), key=len, reverse=True):
            text = text.replace(word, REDACTED)
        return text


def _words(value: Any) -> Iterator[str]:
    if isinstance(value, bool) or value is None or is_unknown(value):
        return
    if isinstance(value, str):
        if len(value) >= 3:
            yield value
    elif isinstance(value, int | float):
        text = str(value)
        if len(text) >= 3:
            yield text
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _words(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _words(item)


def _from_value(v: struct_pb2.Value, secrets: dict[Path, Any], path: Path) -> Any:
    kind = v.WhichOneof("kind")
    if kind == "null_value" or kind is None:
        return None
    if kind == "bool_value":
        return v.bool_value
    if kind == "number_value":
        n = v.number_value
        # Struct carries every number as a double; integral values come back as int so that
        # integer fields (droplet ids, sizes in GB) round-trip exactly.
        if math.isfinite(n) and n == int(n):
            return int(n)
        return n
    if kind == "string_value":
        s = v.string_value
        return UNKNOWN if s == UNKNOWN_SENTINEL else s
    if kind == "list_value":
        return [_from_value(x, secrets, (*path, i)) for i, x in enumerate(v.list_value.values)]
    # struct
    fields = v.struct_value.fields
    sig = fields.get(SIG_KEY)
    if sig is not None and sig.WhichOneof("kind") == "string_value":
        if sig.string_value == SECRET_SIG:
            value = _from_value(fields["value"], secrets, path) if "value" in fields else None
            secrets[path] = value
            return value
        if sig.string_value == OUTPUT_SIG:
            value = _from_value(fields["value"], secrets, path) if "value" in fields else UNKNOWN
            if fields.get("secret") is not None and fields["secret"].bool_value:
                secrets[path] = value
            return value
        if sig.string_value == RESOURCE_REF_SIG:
            ref_id = fields.get("id")
            return _from_value(ref_id, secrets, path) if ref_id is not None else fields["urn"].string_value
    return {k: _from_value(x, secrets, (*path, k)) for k, x in fields.items()}


def decode(struct: struct_pb2.Struct | None) -> dict[str, Any]:
    """Struct → dict, secrets unwrapped. Use `decode_with_secrets` for anything whose values go back
    to the engine, so that their secretness goes back too."""
    return decode_with_secrets(struct)[0]


def decode_with_secrets(struct: struct_pb2.Struct | None) -> tuple[dict[str, Any], Secrets]:
    """Struct → (dict with secrets unwrapped, where they were)."""
    marked: dict[Path, Any] = {}
    if struct is None:
        return {}, Secrets()
    out = {k: _from_value(v, marked, (k,)) for k, v in struct.fields.items()}
    return out, Secrets(marked)


def secrets_of(*structs: struct_pb2.Struct | None) -> Secrets:
    """Every secret of several request fields (olds, news, inputs ...) together."""
    found = Secrets()
    for struct in structs:
        found = found | decode_with_secrets(struct)[1]
    return found


def _wrap_points(values: Mapping[str, Any], secrets: Secrets) -> set[Path]:
    """Where in `values` to mark secret, for each secret of the request.

    A field, or a field of an object, is marked whatever its value now (a name drifted on DigitalOcean
    is still the program's secret name). A list element is marked where it still sits at the same
    index with the same value; when the list was reordered or changed, the whole list is marked, as
    the safe choice.
    """
    points: set[Path] = set()
    for path, marked in secrets.items():
        if not path or values.get(str(path[0])) is None:
            continue  # not among these values: nothing derived from it to mark
        node: Any = values[str(path[0])]
        reached: Path = path[:1]
        first_list: Path | None = None
        for step in path[1:]:
            if isinstance(step, int) and isinstance(node, list) and step < len(node):
                first_list = reached if first_list is None else first_list
            elif not (isinstance(step, str) and isinstance(node, Mapping) and node.get(step) is not None):
                break
            node = node[step]
            reached = (*reached, step)
        if first_list is not None and (reached != path or node != marked):
            reached = first_list
        points.add(reached)
    return points | _containing(values, secrets.words())


def _containing(values: Mapping[str, Any], words: AbstractSet[str]) -> set[Path]:
    """The values whose text contains a secret: an output built from a secret input under another name
    (`endpoint` = `registry.digitalocean.com/<name>`) would otherwise carry it in plain text."""
    points: set[Path] = set()

    def walk(node: Any, path: Path) -> None:
        if isinstance(node, Mapping):
            for key, item in node.items():
                walk(item, (*path, str(key)))
        elif isinstance(node, list | tuple):
            for i, item in enumerate(node):
                walk(item, (*path, i))
        elif any(word in text for text in _words(node) for word in words):
            points.add(path)

    if words:
        for key, value in values.items():
            walk(value, (key,))
    return points


def _to_value(
    value: Any, keep_unknowns: bool, wrap: AbstractSet[Path] = frozenset(), path: Path = ()
) -> struct_pb2.Value:
    if path in wrap:
        # Marked here: nothing inside is marked again (a secret holds no secrets).
        return _secret(_to_value(value, keep_unknowns))
    v = struct_pb2.Value()
    if value is UNKNOWN:
        if not keep_unknowns:
            raise ValueError("unknown value outside a preview")
        v.string_value = UNKNOWN_SENTINEL
    elif value is None:
        v.null_value = struct_pb2.NULL_VALUE
    elif isinstance(value, bool):
        v.bool_value = value
    elif isinstance(value, int | float):
        v.number_value = float(value)
    elif isinstance(value, str):
        v.string_value = value
    elif isinstance(value, Mapping):
        for k, item in value.items():
            v.struct_value.fields[str(k)].CopyFrom(_to_value(item, keep_unknowns, wrap, (*path, str(k))))
    elif isinstance(value, list | tuple):
        v.list_value.values.extend(_to_value(x, keep_unknowns, wrap, (*path, i)) for i, x in enumerate(value))
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as a Pulumi value")
    return v


def _secret(value: struct_pb2.Value) -> struct_pb2.Value:
    wrapped = struct_pb2.Value()
    wrapped.struct_value.fields[SIG_KEY].string_value = SECRET_SIG
    wrapped.struct_value.fields["value"].CopyFrom(value)
    return wrapped


def encode(
    values: Mapping[str, Any],
    *,
    secret_fields: Iterable[str] = (),
    secrets: Secrets | None = None,
    keep_unknowns: bool = False,
) -> struct_pb2.Struct:
    """dict → Struct. Marked secret: the top-level `secret_fields` that hold a value, and every value
    derived from one of the request's `secrets` (see `_wrap_points`).

    `None` values are left out: Pulumi treats a missing property and a null one alike, and leaving
    them out keeps previews free of `null` noise.
    """
    wrap: set[Path] = {(k,) for k in secret_fields if values.get(k) is not None}
    if secrets:
        wrap |= _wrap_points(values, secrets)
    s = struct_pb2.Struct()
    for k, item in values.items():
        if item is None:
            continue
        s.fields[k].CopyFrom(_to_value(item, keep_unknowns, wrap, (k,)))
    return s


def resource_init_failed_details(
    resource_id: str, properties: struct_pb2.Struct, inputs: struct_pb2.Struct, reasons: list[str]
) -> bytes:
    """The serialized google.rpc.Status detail the engine reads as "created, but not ready".

    The engine then records `resource_id` and `properties` in the state, so a droplet whose create
    action errored is never orphaned: the next `up` sees it and converges.
    """
    from google.protobuf import any_pb2
    from google.rpc import status_pb2

    from ocean.provider import proto

    provider_pb2 = proto.load("provider_pb2")

    detail = provider_pb2.ErrorResourceInitFailed(
        id=resource_id, properties=properties, reasons=reasons, inputs=inputs
    )
    packed = any_pb2.Any()
    packed.Pack(detail)
    status = status_pb2.Status(code=2, message="; ".join(reasons), details=[packed])
    blob: bytes = status.SerializeToString()
    return blob
