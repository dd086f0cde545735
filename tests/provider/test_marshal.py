"""Wire values: unknowns, secrets, integers and the partial-failure detail."""

from __future__ import annotations

import pytest
from google.protobuf import struct_pb2
from google.rpc import status_pb2
from pulumi.runtime.proto import provider_pb2

from ocean.provider import marshal


def _struct(d: dict[str, object]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(d)
    return s


def test_integral_numbers_come_back_as_int_and_others_as_float() -> None:
    out = marshal.decode(_struct({"id": 3164445.0, "price": 0.00893, "big": 2.0**40}))
    assert out == {"id": 3164445, "price": 0.00893, "big": 2**40}
    assert isinstance(out["id"], int) and isinstance(out["price"], float)


def test_unknown_sentinel_round_trips() -> None:
    out = marshal.decode(_struct({"vpc": marshal.UNKNOWN_SENTINEL, "tags": ["a", marshal.UNKNOWN_SENTINEL]}))
    assert out["vpc"] is marshal.UNKNOWN and out["tags"][1] is marshal.UNKNOWN
    back = marshal.encode(out, keep_unknowns=True)
    assert back.fields["vpc"].string_value == marshal.UNKNOWN_SENTINEL


def test_unknowns_are_refused_outside_a_preview() -> None:
    with pytest.raises(ValueError):
        marshal.encode({"vpc": marshal.UNKNOWN})


def test_secrets_are_unwrapped_with_their_paths_and_wrapped_again() -> None:
    wire = _struct({"userData": {marshal.SIG_KEY: marshal.SECRET_SIG, "value": "#cloud-config"}, "name": "x"})
    values, secrets = marshal.decode_with_secrets(wire)
    assert values == {"userData": "#cloud-config", "name": "x"}
    assert secrets == {"userData"}
    out = marshal.encode(values, secret_fields=["userData"])
    wrapped = out.fields["userData"].struct_value.fields
    assert wrapped[marshal.SIG_KEY].string_value == marshal.SECRET_SIG
    assert wrapped["value"].string_value == "#cloud-config"
    assert out.fields["name"].string_value == "x"


def test_output_values_are_decoded() -> None:
    known = _struct({"v": {marshal.SIG_KEY: marshal.OUTPUT_SIG, "value": "a", "secret": True}})
    values, secrets = marshal.decode_with_secrets(known)
    assert values == {"v": "a"} and secrets == {"v"}
    unknown = _struct({"v": {marshal.SIG_KEY: marshal.OUTPUT_SIG}})
    assert marshal.decode(unknown)["v"] is marshal.UNKNOWN


def test_none_is_left_out() -> None:
    assert "x" not in marshal.encode({"x": None, "y": 1}).fields


def test_resource_init_failed_detail_carries_id_and_state() -> None:
    blob = marshal.resource_init_failed_details(
        "42", marshal.encode({"dropletId": 42}), marshal.encode({"name": "a"}), ["create action errored"]
    )
    status = status_pb2.Status()
    status.ParseFromString(blob)
    detail = provider_pb2.ErrorResourceInitFailed()
    assert status.details[0].Unpack(detail)
    assert detail.id == "42" and list(detail.reasons) == ["create action errored"]
    assert marshal.decode(detail.properties) == {"dropletId": 42}
