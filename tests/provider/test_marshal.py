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


def _secret(value: object) -> dict[str, object]:
    return {marshal.SIG_KEY: marshal.SECRET_SIG, "value": value}


def _is_secret(v: struct_pb2.Value) -> bool:
    sig = v.struct_value.fields.get(marshal.SIG_KEY)  # (indexing a protobuf map would insert the key)
    return v.HasField("struct_value") and sig is not None and sig.string_value == marshal.SECRET_SIG


def _secret_paths(struct: struct_pb2.Struct) -> set[tuple[object, ...]]:
    """Where a Struct holds secrets, read straight from the wire."""
    found: set[tuple[object, ...]] = set()

    def walk(v: struct_pb2.Value, path: tuple[object, ...]) -> None:
        if _is_secret(v):
            found.add(path)
        elif v.HasField("list_value"):
            for i, x in enumerate(v.list_value.values):
                walk(x, (*path, i))
        elif v.HasField("struct_value"):
            for k, x in v.struct_value.fields.items():
                walk(x, (*path, k))

    for k, v in struct.fields.items():
        walk(v, (k,))
    return found


def test_secrets_are_unwrapped_with_their_paths_and_wrapped_again() -> None:
    wire = _struct({"userData": _secret("#cloud-config"), "name": "x"})
    values, secrets = marshal.decode_with_secrets(wire)
    assert values == {"userData": "#cloud-config", "name": "x"}
    assert set(secrets) == {("userData",)} and "userData" in secrets and "name" not in secrets
    out = marshal.encode(values, secret_fields=["userData"])
    wrapped = out.fields["userData"].struct_value.fields
    assert wrapped[marshal.SIG_KEY].string_value == marshal.SECRET_SIG
    assert wrapped["value"].string_value == "#cloud-config"
    assert out.fields["name"].string_value == "x"


def test_a_secret_the_program_marked_comes_back_secret_at_any_depth() -> None:
    wire = _struct(
        {
            "name": _secret("db-primary"),
            "tags": ["web", _secret("team-payroll")],
            "backupPolicy": {"plan": _secret("weekly"), "hour": 4},
            "region": "nyc3",
        }
    )
    values, secrets = marshal.decode_with_secrets(wire)
    assert values["tags"] == ["web", "team-payroll"] and values["backupPolicy"]["plan"] == "weekly"
    assert set(secrets) == {("name",), ("tags", 1), ("backupPolicy", "plan")}
    # Outputs: the inputs again, plus what DigitalOcean reported.
    outputs = {**values, "dropletId": 42, "status": "active"}
    out = marshal.encode(outputs, secrets=secrets)
    assert _secret_paths(out) == {("name",), ("tags", 1), ("backupPolicy", "plan")}
    assert marshal.decode(out) == outputs


def test_an_output_keeps_the_secretness_of_its_input_when_its_value_changed() -> None:
    _, secrets = marshal.decode_with_secrets(
        _struct({"name": _secret("db-primary"), "tags": ["web", _secret("team-payroll")]})
    )
    # Drift (a rename by hand) and a reordered list: still secret; the list as a whole when the
    # element no longer sits where it was.
    out = marshal.encode({"name": "renamed-by-hand", "tags": ["team-payroll", "web"]}, secrets=secrets)
    assert _secret_paths(out) == {("name",), ("tags",)}
    # The same list, the same place: only the element.
    out = marshal.encode({"name": "db-primary", "tags": ["web", "team-payroll", "new"]}, secrets=secrets)
    assert _secret_paths(out) == {("name",), ("tags", 1)}


def test_secret_inside_a_list_of_objects_and_nothing_nested_twice() -> None:
    rules = [{"ports": "22", "sources": ["10.0.0.0/8"]}, {"ports": _secret("8443"), "sources": []}]
    values, secrets = marshal.decode_with_secrets(_struct({"rules": rules, "name": _secret("x-fw")}))
    assert set(secrets) == {("rules", 1, "ports"), ("name",)}
    assert _secret_paths(marshal.encode(values, secrets=secrets)) == {("rules", 1, "ports"), ("name",)}
    swapped = {"rules": [values["rules"][1], values["rules"][0]], "name": "x-fw"}
    assert _secret_paths(marshal.encode(swapped, secrets=secrets)) == {("rules",), ("name",)}
    # A field both schema-secret and marked by the program is wrapped once.
    out = marshal.encode({"name": "x-fw"}, secret_fields=["name"], secrets=secrets)
    inner = out.fields["name"].struct_value.fields["value"]
    assert _is_secret(out.fields["name"]) and inner.string_value == "x-fw"


def test_values_not_derived_from_a_secret_stay_plain() -> None:
    _, secrets = marshal.decode_with_secrets(_struct({"name": _secret("db-primary")}))
    out = marshal.encode({"dropletId": 7, "status": "active", "region": "nyc3"}, secrets=secrets)
    assert _secret_paths(out) == set()


def test_secret_unknowns_stay_secret_in_previews() -> None:
    wire = _struct({"name": _secret(marshal.UNKNOWN_SENTINEL)})
    values, secrets = marshal.decode_with_secrets(wire)
    assert values["name"] is marshal.UNKNOWN and "name" in secrets
    out = marshal.encode({"name": marshal.UNKNOWN, "dropletId": marshal.UNKNOWN}, secrets=secrets,
                         keep_unknowns=True)  # fmt: skip
    assert _secret_paths(out) == {("name",)}


def test_secrets_of_several_request_fields_and_redaction() -> None:
    secrets = marshal.secrets_of(
        _struct({"name": _secret("db-primary")}),
        _struct({"tags": [_secret("team-payroll")], "size": _secret(2048), "ipv6": _secret(True)}),
        None,
    )
    assert set(secrets) == {("name",), ("tags", 0), ("size",), ("ipv6",)}
    text = "Droplet 'web': droplet named 'db-primary' with tag team-payroll, 2048 MB, ipv6 True"
    assert (
        secrets.redact(text)
        == "Droplet 'web': droplet named '[secret]' with tag [secret], [secret] MB, ipv6 True"
    )
    assert "db-primary" not in repr(secrets)


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


def test_redaction_takes_strings_and_numbers_of_three_characters_or_more() -> None:
    secrets = marshal.Secrets(
        {("a",): "abc", ("b",): "xy", ("c",): 100, ("d",): 99, ("e",): True, ("f",): 2.5, ("g",): None,
         ("h",): {"k": "deep-one"}, ("i",): ["listed"], ("j",): marshal.UNKNOWN}
    )  # fmt: skip
    text = "abc xy 100 99 True 2.5 deep-one listed"
    assert secrets.redact(text) == "[secret] xy [secret] 99 True [secret] [secret] [secret]"
    assert len(secrets) == 10 and bool(secrets) and not marshal.Secrets()
    assert ("a",) in secrets and "a" in secrets and "z" not in secrets


def test_a_secret_whose_place_is_gone_marks_what_is_left_of_it() -> None:
    _, secrets = marshal.decode_with_secrets(
        _struct({"tags": ["a", _secret("team-x")], "policy": {"plan": _secret("weekly")}})
    )
    # The list is shorter now, the object lost the field: the container is marked as a whole.
    out = marshal.encode({"tags": ["a"], "policy": {"hour": 4}}, secrets=secrets)
    assert _secret_paths(out) == {("tags",), ("policy",)}
    # Not there at all, or null: nothing to mark.
    assert _secret_paths(marshal.encode({"tags": None, "other": 1}, secrets=secrets)) == set()


def test_every_kind_of_wire_value_decodes() -> None:
    wire = _struct({"n": None, "b": True, "l": [1, "x", None], "o": {"k": 1.5}})
    assert marshal.decode(wire) == {"n": None, "b": True, "l": [1, "x", None], "o": {"k": 1.5}}
    ref = _struct({"r": {marshal.SIG_KEY: marshal.RESOURCE_REF_SIG, "urn": "urn:x", "id": "42"}})
    assert marshal.decode(ref) == {"r": "42"}
    urn_only = _struct({"r": {marshal.SIG_KEY: marshal.RESOURCE_REF_SIG, "urn": "urn:x"}})
    assert marshal.decode(urn_only) == {"r": "urn:x"}
    plain_output = _struct({"v": {marshal.SIG_KEY: marshal.OUTPUT_SIG, "value": "a"}})
    values, secrets = marshal.decode_with_secrets(plain_output)
    assert values == {"v": "a"} and not secrets
    empty_secret = _struct({"s": {marshal.SIG_KEY: marshal.SECRET_SIG}})
    values, secrets = marshal.decode_with_secrets(empty_secret)
    assert values == {"s": None} and "s" in secrets
    assert marshal.decode(None) == {} and not marshal.decode_with_secrets(None)[1]


def test_encode_keeps_types_and_refuses_what_pulumi_cannot_carry() -> None:
    out = marshal.encode({"t": (1, 2), "b": False, "f": 0.5, "o": {"n": None}})
    assert marshal.decode(out) == {"t": [1, 2], "b": False, "f": 0.5, "o": {"n": None}}
    assert out.fields["b"].WhichOneof("kind") == "bool_value"
    with pytest.raises(TypeError, match="set"):
        marshal.encode({"s": {1, 2}})
