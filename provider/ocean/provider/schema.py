"""The Pulumi package schema, generated from the resource models (STYLE habit 1: the models are the
single source; `make schema` writes schema/schema.json, `make sdk` generates the SDK from it)."""

from __future__ import annotations

import json
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any

from ocean import __version__

PACKAGE = "ocean"

CONFIG_VARIABLES: dict[str, dict[str, Any]] = {
    "token": {
        "type": "string",
        "secret": True,
        "description": (
            "A DigitalOcean API token. Set it with `pulumi config set --secret ocean:token <token>`, "
            "or the environment variable `DIGITALOCEAN_TOKEN` (or `DIGITALOCEAN_ACCESS_TOKEN`)."
        ),
    },
    "apiEndpoint": {
        "type": "string",
        "description": (
            "The DigitalOcean API base URL. Defaults to `DIGITALOCEAN_API_URL`, else "
            "`https://api.digitalocean.com`. Point it at `ocean emulator serve` to work offline."
        ),
    },
}


def _type_spec(annotation: Any, object_types: dict[str, Any] | None = None) -> tuple[dict[str, Any], bool]:
    """(schema type spec, optional?) for a model field annotation. Nested models become object types,
    added to `object_types` by token."""
    if annotation is typing.Any:
        return {"$ref": "pulumi.json#/Any"}, False
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_spec(typing.get_args(annotation)[0], object_types)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        spec, _ = _type_spec(args[0], object_types)
        return spec, True
    if origin is typing.Literal:
        values = typing.get_args(annotation)
        return _type_spec(type(values[0]), object_types)
    if origin is list:
        (item,) = typing.get_args(annotation)
        return {"type": "array", "items": _type_spec(item, object_types)[0]}, False
    if origin is dict:
        _, value = typing.get_args(annotation)
        return {"type": "object", "additionalProperties": _type_spec(value, object_types)[0]}, False
    from ocean.resources.base import Model

    if isinstance(annotation, type) and issubclass(annotation, Model):
        token = f"{PACKAGE}:index:{annotation.__name__}"
        if object_types is not None and token not in object_types:
            props, required = _properties(annotation, object_types)
            object_types[token] = {
                "description": (annotation.__doc__ or "").strip(),
                "type": "object",
                "properties": props,
                "required": required,
            }
        return {"$ref": f"#/types/{token}"}, False
    if annotation is bool:
        return {"type": "boolean"}, False
    if annotation is int:
        return {"type": "integer"}, False
    if annotation is float:
        return {"type": "number"}, False
    if annotation is str:
        return {"type": "string"}, False
    raise TypeError(f"no schema type for {annotation!r}")


def _properties(model: Any, object_types: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[str]]:
    from ocean.resources.base import ReplaceOnChange, Secret

    props: dict[str, Any] = {}
    required: list[str] = []
    for name, info in model.model_fields.items():
        key = model.wire_name(name)
        spec, optional = _type_spec(info.annotation, object_types)
        spec = dict(spec)
        allowed = _literal_values(info.annotation)
        if allowed:
            listed = ", ".join(f"`{v}`" for v in allowed)
            spec["description"] = f"{info.description or ''} One of {listed}.".strip()
        elif info.description:
            spec["description"] = info.description
        if any(isinstance(p, Secret) for p in info.metadata):
            spec["secret"] = True
        if any(isinstance(p, ReplaceOnChange) for p in info.metadata):
            spec["willReplaceOnChanges"] = True
        if info.default is not None and not optional and isinstance(info.default, bool | int | str):
            spec["default"] = info.default
        props[key] = spec
        if info.is_required() and not optional:
            required.append(key)
    return props, sorted(required)


def _literal_values(annotation: Any) -> tuple[Any, ...]:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _literal_values(arg)
            if found:
                return found
    return ()


def package_description() -> str:
    """What the package offers, from what is registered: it grows with every resource and function."""
    from ocean.provider.registry import functions, resources

    def names(tokens: Any) -> str:
        return ", ".join(sorted(t.split(":")[-1] for t in tokens)) or "none yet"

    return (
        "A native Pulumi provider for DigitalOcean, with a local DigitalOcean API emulator for offline "
        f"tests. Resources: {names(resources())}. Functions: {names(functions())}."
    )


@cache
def schema() -> dict[str, Any]:
    from ocean.provider.registry import resources

    res: dict[str, Any] = {}
    object_types: dict[str, Any] = {}
    for token, cls in sorted(resources().items()):
        inputs, required_inputs = _properties(cls.Args, object_types)
        outputs, _ = _properties(cls.State, object_types)
        doc = cls.description
        docfile = (
            Path(__file__).resolve().parents[1] / "resources" / "docs" / f"{token.split(':')[-1].lower()}.md"
        )
        if docfile.exists():
            doc = doc + "\n\n" + docfile.read_text().strip()
        # Outputs that are always set after a create.
        required_outputs = sorted(
            cls.State.wire_name(n)
            for n, info in cls.State.model_fields.items()
            if info.is_required() and not _type_spec(info.annotation)[1]
        )
        res[token] = {
            "description": doc,
            "inputProperties": inputs,
            "requiredInputs": required_inputs,
            "properties": outputs,
            "required": required_outputs,
        }
    funcs: dict[str, Any] = {}
    from ocean.provider.registry import functions

    for token, fn in sorted(functions().items()):
        inputs, required_inputs = _properties(fn.Args, object_types)
        outputs, required_outputs = _properties(fn.Result, object_types)
        funcs[token] = {
            "description": fn.description,
            "inputs": {"properties": inputs, "required": required_inputs},
            "outputs": {"properties": outputs, "required": required_outputs},
        }
    return {
        "name": PACKAGE,
        "displayName": "Ocean (DigitalOcean)",
        "version": __version__,
        "description": package_description(),
        "keywords": ["pulumi", "digitalocean", "ocean", "category/cloud", "kind/native"],
        "license": "Apache-2.0",
        "publisher": "pulumi-ocean",
        "meta": {"moduleFormat": "(.*)"},
        "config": {"variables": CONFIG_VARIABLES},
        "provider": {
            "description": "The provider type for the ocean package. By default the provider reads "
            "`ocean:token` and `ocean:apiEndpoint` from the stack configuration; an explicit provider "
            "lets one program use several DigitalOcean accounts or endpoints.",
            "inputProperties": CONFIG_VARIABLES,
            "properties": {"apiEndpoint": CONFIG_VARIABLES["apiEndpoint"]},
        },
        "types": dict(sorted(object_types.items())),
        "resources": res,
        "functions": funcs,
        "language": {
            "python": {
                "packageName": "pulumi_ocean",
                "requires": {"pulumi": ">=3.79.0,<4.0.0"},
                "respectSchemaVersion": True,
            }
        },
    }


def schema_json() -> str:
    return json.dumps(schema(), indent=2, sort_keys=False) + "\n"
