"""Conversion between Pulumi's wire values (google.protobuf.Struct) and plain Python values.

The one place where unknowns, secrets, integers and partial-failure details are encoded and decoded
(STYLE habit 3). Resources never see protobuf types: they get dicts of plain values in which an
unknown is the `UNKNOWN` sentinel, and secrets have been unwrapped (the resource's schema says which
fields are secret, and `encode` wraps them again on the way out).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from google.protobuf import struct_pb2

from ocean.resources.unknown import UNKNOWN, contains_unknown, is_unknown

__all__ = ["UNKNOWN", "contains_unknown", "decode", "encode", "is_unknown"]

# Pulumi's wire sentinels (sdk/go/common/resource/plugin/rpc.go).
UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"


def _from_value(v: struct_pb2.Value, secrets: set[str], path: str) -> Any:
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
        return [_from_value(x, secrets, f"{path}[{i}]") for i, x in enumerate(v.list_value.values)]
    # struct
    fields = v.struct_value.fields
    sig = fields.get(SIG_KEY)
    if sig is not None and sig.WhichOneof("kind") == "string_value":
        if sig.string_value == SECRET_SIG:
            secrets.add(path)
            return _from_value(fields["value"], secrets, path) if "value" in fields else None
        if sig.string_value == OUTPUT_SIG:
            if "value" not in fields:
                return UNKNOWN
            if fields.get("secret") is not None and fields["secret"].bool_value:
                secrets.add(path)
            return _from_value(fields["value"], secrets, path)
        if sig.string_value == RESOURCE_REF_SIG:
            ref_id = fields.get("id")
            return _from_value(ref_id, secrets, path) if ref_id is not None else fields["urn"].string_value
    return {k: _from_value(x, secrets, f"{path}.{k}" if path else k) for k, x in fields.items()}


def decode(struct: struct_pb2.Struct | None) -> dict[str, Any]:
    """Struct → dict. Secrets are unwrapped; use `decode_with_secrets` to learn where they were."""
    return decode_with_secrets(struct)[0]


def decode_with_secrets(struct: struct_pb2.Struct | None) -> tuple[dict[str, Any], set[str]]:
    secrets: set[str] = set()
    if struct is None:
        return {}, secrets
    out = {k: _from_value(v, secrets, k) for k, v in struct.fields.items()}
    return out, secrets


def _to_value(value: Any, keep_unknowns: bool) -> struct_pb2.Value:
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
            v.struct_value.fields[str(k)].CopyFrom(_to_value(item, keep_unknowns))
    elif isinstance(value, list | tuple):
        v.list_value.values.extend(_to_value(x, keep_unknowns) for x in value)
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
    keep_unknowns: bool = False,
) -> struct_pb2.Struct:
    """dict → Struct. Top-level `secret_fields` that hold a value are wrapped as Pulumi secrets.

    `None` values are left out: Pulumi treats a missing property and a null one alike, and leaving
    them out keeps previews free of `null` noise.
    """
    secret = set(secret_fields)
    s = struct_pb2.Struct()
    for k, item in values.items():
        if item is None:
            continue
        v = _to_value(item, keep_unknowns)
        if k in secret and item is not UNKNOWN:
            v = _secret(v)
        s.fields[k].CopyFrom(v)
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
    from pulumi.runtime.proto import provider_pb2

    detail = provider_pb2.ErrorResourceInitFailed(
        id=resource_id, properties=properties, reasons=reasons, inputs=inputs
    )
    packed = any_pb2.Any()
    packed.Pack(detail)
    status = status_pb2.Status(code=2, message="; ".join(reasons), details=[packed])
    blob: bytes = status.SerializeToString()
    return blob
