#!/usr/bin/env python3
"""`make spec`: DigitalOcean's OpenAPI spec, for the contract and emulator-fidelity tests, when
../shared/spec is not beside the checkout (tests/openapi_spec.py says where the tests look).

Fetches github.com/digitalocean/openapi at the pinned commit, checks the sha256 of the specification
files it got, bundles them into one document the way DigitalOcean's own tooling (Redocly's `bundle`)
does — external references become components named after their file or JSON pointer, everything else
is inlined — checks the sha256 of the result, and writes .spec/DigitalOcean-public.v2.yaml.

    scripts/fetch-spec.py                      # download (needs github.com)
    scripts/fetch-spec.py --source DIR         # DIR holds specification/ from that commit
    scripts/fetch-spec.py --source FILE.tar.gz # a GitHub archive of that commit
"""

from __future__ import annotations

import argparse
import decimal
import hashlib
import io
import json
import posixpath
import re
import sys
import tarfile
import urllib.request
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
COMMIT = "7c1300c479fed9c353cda9fc21cd968619552304"
ARCHIVE = f"https://codeload.github.com/digitalocean/openapi/tar.gz/{COMMIT}"
ROOT_FILE = "DigitalOcean-public.v2.yaml"
# sha256 of the listing `<sha256 of file>  <path>` (sorted by path) of every file under specification/.
SOURCE_SHA256 = "3b5c69bdcb93276afd6f8fdef8ad9e4a879ebf505a05dc12febd0cc657f4f583"
# sha256 of the written file as the tests read it (yaml.CSafeLoader), as canonical JSON (sorted keys, no
# spaces): the same document as ../shared/spec/DigitalOcean-public.v2.yaml, which Redocly bundled.
BUNDLE_SHA256 = "3e026f60976df9bf394b8a6d6d769fe6fd50e61ef9be5bf816cc244b5681f3f0"
OUT = REPO / ".spec" / ROOT_FILE

DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
TEST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # how tests/openapi_spec.py reads it


class LOADER(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML as Redocly reads it (YAML 1.2): an unquoted date, or yes/no/on/off, stays a string (and is
    written back quoted); a number with an exponent and no point (3e-05) is a float."""

    yaml_implicit_resolvers = {
        first: [
            (tag, regexp)
            for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
        ]
        for first, resolvers in getattr(yaml, "CSafeLoader", yaml.SafeLoader).yaml_implicit_resolvers.items()
    }


LOADER.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
LOADER.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9]+[eE][-+]?[0-9]+$"), list("-+0123456789")
)


def parse(content: bytes) -> Any:
    """A YAML file as Redocly (js-yaml) reads it: a last line always ends with a line break, and every
    number is a JavaScript number (a double: 10.0 is 10, 2**63 - 1 is 9223372036854776000)."""
    text = content.decode()
    if not text.endswith("\n"):
        text += "\n"
    return _javascript_numbers(yaml.load(text, Loader=LOADER))  # noqa: S506 - a safe loader


def _javascript_numbers(node: Any) -> Any:
    if isinstance(node, dict):
        for key, value in node.items():
            node[key] = _javascript_numbers(value)
    elif isinstance(node, list):
        node[:] = [_javascript_numbers(v) for v in node]
    elif isinstance(node, bool):
        pass
    elif isinstance(node, int) and abs(node) > 2**53:
        return int(decimal.Decimal(repr(float(node))))
    elif isinstance(node, float) and node.is_integer() and abs(node) < 1e21:
        return int(decimal.Decimal(repr(node)))
    return node


# ------------------------------------------------------------------------------------------ fetching


def read_source(source: str | None) -> dict[str, bytes]:
    """{path under specification/: content}."""
    if source is not None and Path(source).is_dir():
        base = Path(source) / "specification"
        paths = sorted(p for p in base.rglob("*") if p.is_file())
        return {p.relative_to(base).as_posix(): p.read_bytes() for p in paths}
    if source is not None:
        data = Path(source).read_bytes()
    else:
        print(f"fetching {ARCHIVE}", file=sys.stderr)
        with urllib.request.urlopen(ARCHIVE, timeout=120) as response:  # noqa: S310 - a fixed https URL
            data = response.read()
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            parts = member.name.split("/", 2)  # <repo>-<commit>/specification/...
            if member.isfile() and len(parts) == 3 and parts[1] == "specification":
                extracted = tar.extractfile(member)
                assert extracted is not None
                files[parts[2]] = extracted.read()
    return files


def source_sha256(files: dict[str, bytes]) -> str:
    listing = "".join(f"{hashlib.sha256(files[p]).hexdigest()}  {p}\n" for p in sorted(files))
    return hashlib.sha256(listing.encode()).hexdigest()


def canonical_sha256(document: Any) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


# ------------------------------------------------------------------------------------------ bundling

# The OpenAPI 3.0 node types the bundler needs, as Redocly types them: for each, its properties in the
# order they are walked (a type name, "scalar" for a plain value a $ref may stand for, None for a value
# never walked), the type of any other key (additional), and whether "x-" keys are walked.
S = "scalar"
TYPES: dict[str, dict[str, Any]] = {
    "Root": {
        "props": {
            "openapi": None, "info": "Info", "servers": "ServerList", "security": "SecurityRequirementList",
            "tags": "TagList", "externalDocs": "ExternalDocs", "paths": "Paths", "components": "Components",
            "x-webhooks": "WebhooksMap", "x-tagGroups": "TagGroups", "x-ignoredHeaderParameters": S,
        },
        "ext": True,
    },
    "Info": {
        "props": {"title": S, "version": S, "description": S, "termsOfService": S, "contact": "Contact",
                  "license": "License", "x-logo": "Logo"},
        "ext": True,
    },
    "Contact": {"props": {"name": S, "url": S, "email": S}, "ext": True},
    "License": {"props": {"name": S, "url": S}, "ext": True},
    "Logo": {"props": {"url": S, "altText": S, "backgroundColor": S, "href": S}},
    "ServerList": {"items": "Server"},
    "Server": {"props": {"url": S, "description": S, "variables": "ServerVariablesMap"}, "ext": True},
    "ServerVariablesMap": {"additional": "ServerVariable"},
    "ServerVariable": {"props": {"enum": S, "default": S, "description": S}, "ext": True},
    "SecurityRequirementList": {"items": "SecurityRequirement"},
    "SecurityRequirement": {"additional": S},
    "TagList": {"items": "Tag"},
    "Tag": {
        "props": {"name": S, "description": S, "externalDocs": "ExternalDocs", "x-traitTag": S,
                  "x-displayName": S},
        "ext": True,
    },
    "TagGroups": {"items": "TagGroup"},
    "TagGroup": {"props": {"name": S, "tags": S}, "ext": True},
    "ExternalDocs": {"props": {"description": S, "url": S}, "ext": True},
    "Paths": {"additional": lambda key: "PathItem" if key.startswith("/") else None, "ext": True},
    "WebhooksMap": {"additional": "PathItem"},
    "PathItem": {
        "props": {
            "$ref": S, "servers": "ServerList", "parameters": "ParameterList", "summary": S,
            "description": S, "get": "Operation", "put": "Operation", "post": "Operation",
            "delete": "Operation", "options": "Operation", "head": "Operation", "patch": "Operation",
            "trace": "Operation", "x-query": "Operation",
        },
        "ext": True,
    },
    "ParameterList": {"items": "Parameter"},
    "Parameter": {
        "props": {
            "name": S, "in": S, "description": S, "required": S, "deprecated": S, "allowEmptyValue": S,
            "style": S, "explode": S, "allowReserved": S, "schema": "Schema", "example": S,
            "examples": "ExamplesMap", "content": "MediaTypesMap",
        },
        "ext": True,
    },
    "Operation": {
        "props": {
            "tags": S, "summary": S, "description": S, "externalDocs": "ExternalDocs", "operationId": S,
            "parameters": "ParameterList", "security": "SecurityRequirementList", "servers": "ServerList",
            "requestBody": "RequestBody", "responses": "Responses", "deprecated": S,
            "callbacks": "CallbacksMap", "x-codeSamples": "XCodeSampleList",
            "x-code-samples": "XCodeSampleList", "x-hideTryItPanel": S,
        },
        "ext": True,
    },
    "XCodeSampleList": {"items": "XCodeSample"},
    "XCodeSample": {"props": {"lang": S, "label": S, "source": S}},
    "RequestBody": {"props": {"description": S, "required": S, "content": "MediaTypesMap"}, "ext": True},
    "MediaTypesMap": {"additional": "MediaType"},
    "MediaType": {
        "props": {"schema": "Schema", "example": S, "examples": "ExamplesMap", "encoding": "EncodingMap"},
        "ext": True,
    },
    "ExamplesMap": {"additional": "Example"},
    "Example": {"props": {"value": None, "summary": S, "description": S, "externalValue": S}, "ext": True},
    "EncodingMap": {"additional": "Encoding"},
    "Encoding": {
        "props": {"contentType": S, "headers": "HeadersMap", "style": S, "explode": S, "allowReserved": S},
        "ext": True,
    },
    "HeadersMap": {"additional": "Header"},
    "Header": {
        "props": {
            "description": S, "required": S, "deprecated": S, "allowEmptyValue": S, "style": S,
            "explode": S, "allowReserved": S, "schema": "Schema", "example": S, "examples": "ExamplesMap",
            "content": "MediaTypesMap",
        },
        "ext": True,
    },
    "Responses": {
        "props": {"default": "Response"},
        "additional": lambda key: "Response" if len(key) == 3 and key[0].isdigit() else None,
        "ext": True,
    },
    "Response": {
        "props": {"description": S, "headers": "HeadersMap", "content": "MediaTypesMap", "links": "LinksMap",
                  "x-summary": S},
        "ext": True,
    },
    "LinksMap": {"additional": "Link"},
    "Link": {
        "props": {"operationRef": S, "operationId": S, "parameters": None, "requestBody": None,
                  "description": S, "server": "Server"},
        "ext": True,
    },
    "CallbacksMap": {"additional": "Callback"},
    "Callback": {"additional": "PathItem", "ext": True},
    "SchemaList": {"items": "Schema"},
    "Schema": {
        "props": {
            "externalDocs": "ExternalDocs", "discriminator": "Discriminator", "title": S, "multipleOf": S,
            "maximum": S, "minimum": S, "exclusiveMaximum": S, "exclusiveMinimum": S, "maxLength": S,
            "minLength": S, "pattern": S, "maxItems": S, "minItems": S, "uniqueItems": S,
            "maxProperties": S, "minProperties": S, "required": S, "enum": S, "type": S,
            "allOf": "SchemaList", "anyOf": "SchemaList", "oneOf": "SchemaList", "not": "Schema",
            "properties": "SchemaProperties",
            "items": lambda value: "SchemaList" if isinstance(value, list) else "Schema",
            "additionalProperties": lambda value: S if isinstance(value, bool) else "Schema",
            "description": S, "format": S, "default": None, "nullable": S, "readOnly": S, "writeOnly": S,
            "xml": "Xml", "example": S, "deprecated": S, "x-tags": S, "x-additionalPropertiesName": S,
            "x-explicitMappingOnly": S,
        },
        "ext": True,
    },
    "Xml": {"props": {"name": S, "namespace": S, "prefix": S, "attribute": S, "wrapped": S}, "ext": True},
    "SchemaProperties": {"additional": "Schema"},
    "Discriminator": {"props": {"propertyName": S, "mapping": "DiscriminatorMapping"}, "ext": True},
    "DiscriminatorMapping": {},  # Bundler.walk_mapping
    "Components": {
        "props": {
            "parameters": "NamedParameters", "schemas": "NamedSchemas", "responses": "NamedResponses",
            "examples": "NamedExamples", "requestBodies": "NamedRequestBodies", "headers": "NamedHeaders",
            "securitySchemes": "NamedSecuritySchemes", "links": "NamedLinks", "callbacks": "NamedCallbacks",
        },
        "ext": True,
    },
    "NamedParameters": {"additional": "Parameter"},
    "NamedSchemas": {"additional": "Schema"},
    "NamedResponses": {"additional": "Response"},
    "NamedExamples": {"additional": "Example"},
    "NamedRequestBodies": {"additional": "RequestBody"},
    "NamedHeaders": {"additional": "Header"},
    "NamedSecuritySchemes": {"additional": "SecuritySchema"},
    "NamedLinks": {"additional": "Link"},
    "NamedCallbacks": {"additional": "Callback"},
    "SecuritySchema": {"props": {}, "additional": S, "ext": True},
    "SpecExtension": {"additional": S},
}
COMPONENT_OF = {
    "Schema": "schemas", "Parameter": "parameters", "Response": "responses", "Example": "examples",
    "RequestBody": "requestBodies", "Header": "headers", "SecuritySchema": "securitySchemes",
    "Link": "links", "Callback": "callbacks",
}


def _is_ref(node: Any) -> bool:
    return isinstance(node, dict) and isinstance(node.get("$ref"), str)


class Bundler:
    def __init__(self, files: dict[str, bytes], root: str) -> None:
        self.files = files
        self.root = root
        self.parsed: dict[str, Any] = {}
        self.seen: dict[str, set[int]] = {}

    def doc(self, path: str) -> Any:
        if path not in self.parsed:
            if path not in self.files:
                raise SystemExit(f"fetch-spec: a $ref names {path}, which is not in the specification")
            self.parsed[path] = parse(self.files[path])
        return self.parsed[path]

    def resolve(self, ref: str, file: str) -> tuple[str, str, Any]:
        """(file, pointer, node) a $ref points at, following chains of references."""
        for _ in range(100):
            uri, _, fragment = ref.partition("#")
            target = posixpath.normpath(posixpath.join(posixpath.dirname(file), uri)) if uri else file
            pointer = "#" + fragment if fragment else "#/"
            node = self.doc(target)
            for part in fragment.split("/"):
                if part:
                    node = node[part.replace("~1", "/").replace("~0", "~")]
            if not _is_ref(node):
                return target, pointer, node
            ref, file = node["$ref"], target
        raise SystemExit(f"fetch-spec: a cycle of $refs at {ref}")

    def bundle(self) -> Any:
        document = self.doc(self.root)
        self.components: dict[str, Any] = document.setdefault("components", {})
        self.walk(document, "Root", self.root, None, None)
        return document

    def walk(self, node: Any, type_name: str, file: str, parent: Any, key: Any) -> None:
        resolved, where = node, file
        target: tuple[str, str] | None = None
        if _is_ref(node):
            where, pointer, resolved = self.resolve(node["$ref"], file)
            target = (where, pointer)
        if type_name != S:
            seen = self.seen.setdefault(type_name, set())
            if id(resolved) not in seen:
                seen.add(id(resolved))
                self.walk_children(node, resolved, type_name, where, file)
        if target is not None:
            self.leave_ref(node, resolved, target, type_name, file, parent, key)

    def walk_children(self, node: Any, resolved: Any, type_name: str, where: str, file: str) -> None:
        if type_name == "DiscriminatorMapping":
            self.walk_mapping(resolved, where)
            return
        spec = TYPES[type_name]
        if isinstance(resolved, list):
            if "items" in spec:
                for i, item in enumerate(resolved):
                    self.walk(item, spec["items"], where, resolved, i)
            return
        if not isinstance(resolved, dict):
            return
        props = spec.get("props", {})
        names = list(props)
        additional = spec.get("additional")
        if additional is not None:
            names += [k for k in resolved if k not in props]
        elif spec.get("ext"):
            names += [k for k in resolved if isinstance(k, str) and k.startswith("x-") and k not in props]
        if _is_ref(node):
            names += [k for k in node if k != "$ref" and k not in names]
        for name in names:
            value, loc = resolved.get(name), where
            if name not in resolved:
                value, loc = node.get(name) if isinstance(node, dict) else None, file
            if value is None:
                continue
            prop = props[name] if name in props else additional
            if callable(prop):
                # Paths and Responses type their entries by key, Schema its items by value.
                by_key = type_name in ("Paths", "Responses") and name not in props
                prop = prop(name) if by_key else prop(value)
            if prop is None and spec.get("ext") and isinstance(name, str) and name.startswith("x-"):
                prop = "SpecExtension"
            if prop is None:
                continue
            if prop == S:
                if _is_ref(value):
                    self.walk(value, S, loc, resolved, name)
                continue
            self.walk(value, prop, loc, resolved, name)

    def walk_mapping(self, mapping: Any, where: str) -> None:
        """A discriminator's mapping values that name schemas become references to components."""
        if not isinstance(mapping, dict):
            return
        for key, value in list(mapping.items()):
            if not isinstance(value, str) or not (value.startswith(("#", "http")) or "/" in value):
                continue
            self.walk({"$ref": value}, "Schema", where, None, None)
            target_file, pointer, resolved = self.resolve(value, where)
            mapping[key] = self.save("schemas", resolved, (target_file, pointer))

    def leave_ref(
        self, node: dict[str, Any], resolved: Any, target: tuple[str, str], type_name: str, file: str,
        parent: Any, key: Any,
    ) -> None:
        where, pointer = target
        if where == self.root and file == self.root and type_name != S:
            node["$ref"] = pointer
            return
        component = COMPONENT_OF.get(type_name)
        if component is None:
            if not isinstance(resolved, dict):
                parent[key] = resolved
            else:
                siblings = {k: v for k, v in node.items() if k != "$ref"}
                node.clear()
                node.update({**resolved, **siblings})
            return
        node["$ref"] = self.save(component, resolved, target)

    def save(self, component: str, resolved: Any, target: tuple[str, str]) -> str:
        """Keeps `resolved` among the components, named after its JSON pointer or else its file."""
        where, pointer = target
        group = self.components.setdefault(component, {})
        base = pointer.rsplit("/", 1)[-1] or posixpath.splitext(posixpath.basename(where))[0]
        name, serial = base, 2
        while name in group and not self.same(group[name], resolved, target):
            name, serial = f"{base}-{serial}", serial + 1
        group[name] = resolved
        return f"#/components/{component}/{name}"

    def same(self, existing: Any, resolved: Any, target: tuple[str, str]) -> bool:
        if _is_ref(existing) and existing["$ref"].startswith("#/components/"):
            return False
        if _is_ref(existing):
            where, pointer, _ = self.resolve(existing["$ref"], self.root)
            if (where, pointer) == target:
                return True
        return bool(existing == resolved)


def bundle_text(files: dict[str, bytes]) -> str:
    document = Bundler(files, ROOT_FILE).bundle()
    return str(yaml.dump(document, Dumper=DUMPER, sort_keys=False, allow_unicode=True, width=120))


# ------------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", help="a directory holding specification/, or a GitHub archive (.tar.gz)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    files = read_source(args.source)
    got = source_sha256(files)
    if got != SOURCE_SHA256:
        print(
            f"fetch-spec: the specification files of digitalocean/openapi@{COMMIT[:12]} have sha256 {got}, "
            f"expected {SOURCE_SHA256}: not writing {args.out}",
            file=sys.stderr,
        )
        return 1
    text = bundle_text(files)
    got = canonical_sha256(yaml.load(text, Loader=TEST_LOADER))  # noqa: S506 - a safe loader
    if got != BUNDLE_SHA256:
        print(f"fetch-spec: the bundled spec has sha256 {got}, expected {BUNDLE_SHA256}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(args.out)
    print(f"wrote {args.out} (DigitalOcean's OpenAPI spec at digitalocean/openapi@{COMMIT[:12]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
