"""scripts/fetch-spec.py (`make spec`): the bundling rules on a small specification tree, the sha256
checks, and that the pinned bundle is exactly the spec the test suites read (when it is there)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.openapi_spec import load_spec, skip_unless_available

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "fetch-spec.py"
_spec = importlib.util.spec_from_file_location("fetch_spec", SCRIPT)
assert _spec is not None and _spec.loader is not None
fetch_spec: Any = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fetch_spec)

TREE = {
    "DigitalOcean-public.v2.yaml": """\
openapi: "3.0.0"
info: {title: T, version: "2.0"}
tags:
  - name: Intro
    description:
      $ref: "description.yml#/introduction"
paths:
  /v2/things:
    get:
      $ref: "resources/things/things_list.yml"
  /v2/others:
    get:
      $ref: "resources/others/others_list.yml"
components:
  securitySchemes:
    bearer_auth: {type: http, scheme: bearer}
""",
    "description.yml": "introduction: |\n  Hello.\n",
    "shared/parameters.yml": "page:\n  in: query\n  name: page\n  schema: {type: integer}\n",
    "resources/things/things_list.yml": """\
operationId: things_list
parameters:
  - $ref: '../../shared/parameters.yml#/page'
responses:
  '200':
    $ref: 'responses/all_things.yml'
x-codeSamples:
  - $ref: 'examples/curl.yml'
""",
    "resources/things/examples/curl.yml": "lang: cURL\nsource: curl /v2/things\n",
    "resources/things/responses/all_things.yml": """\
description: all things
content:
  application/json:
    schema:
      $ref: '../models/thing.yml'
""",
    "resources/things/models/thing.yml": """\
type: object
properties:
  status: {type: string, enum: [new, active, off]}
  price: {type: number, example: 5.0}
  kind:
    oneOf:
      - $ref: 'kinds.yml#/cat'
    discriminator:
      propertyName: type
      mapping:
        cat: 'kinds.yml#/cat'
  notes:
    type: string
    example: |
      no line break at the end of the file""",
    "resources/things/models/kinds.yml": "cat:\n  type: object\n  properties: {type: {type: string}}\n",
    "resources/others/others_list.yml": """\
operationId: others_list
parameters:
  - $ref: '../../shared/parameters.yml#/page'
responses:
  '200':
    description: others
    content:
      application/json:
        schema:
          $ref: 'models/thing.yml'
""",
    "resources/others/models/thing.yml": "type: string\n",
}


def _files() -> dict[str, bytes]:
    return {path: text.encode() for path, text in TREE.items()}


def test_external_references_become_named_components_and_the_rest_is_inlined() -> None:
    text = fetch_spec.bundle_text(_files())
    doc = yaml.load(text, Loader=yaml.CSafeLoader)
    assert doc["tags"][0]["description"] == "Hello.\n"
    things = doc["paths"]["/v2/things"]["get"]
    assert things["operationId"] == "things_list"  # the operation is inlined
    assert things["parameters"] == [{"$ref": "#/components/parameters/page"}]
    assert things["responses"]["200"] == {"$ref": "#/components/responses/all_things"}
    assert things["x-codeSamples"] == [{"lang": "cURL", "source": "curl /v2/things"}]
    # The same parameter from two operations is one component.
    assert doc["paths"]["/v2/others"]["get"]["parameters"] == [{"$ref": "#/components/parameters/page"}]
    # Two different schemas from files named thing.yml: the second one is thing-2.
    response = doc["components"]["responses"]["all_things"]
    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/thing"}
    others = doc["paths"]["/v2/others"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert others == {"$ref": "#/components/schemas/thing-2"}
    assert doc["components"]["schemas"]["thing-2"] == {"type": "string"}
    thing = doc["components"]["schemas"]["thing"]
    assert thing["properties"]["kind"]["oneOf"] == [{"$ref": "#/components/schemas/cat"}]
    assert thing["properties"]["kind"]["discriminator"]["mapping"] == {"cat": "#/components/schemas/cat"}
    # Read as Redocly reads YAML: `off` is a string, 5.0 the number 5, a last line ends with a break.
    assert thing["properties"]["status"]["enum"] == ["new", "active", "off"]
    assert thing["properties"]["price"]["example"] == 5 and isinstance(
        thing["properties"]["price"]["example"], int
    )
    assert thing["properties"]["notes"]["example"] == "no line break at the end of the file\n"
    assert doc["components"]["securitySchemes"] == {"bearer_auth": {"type": "http", "scheme": "bearer"}}


def test_specification_files_that_are_not_the_pinned_ones_are_refused(tmp_path: Path) -> None:
    for path, text in TREE.items():
        (tmp_path / "src" / "specification" / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "src" / "specification" / path).write_text(text)
    out = tmp_path / "out" / "spec.yaml"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--source", str(tmp_path / "src"), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert fetch_spec.SOURCE_SHA256 in proc.stderr and fetch_spec.COMMIT[:12] in proc.stderr
    assert not out.parent.exists(), "nothing written"


def test_the_pinned_bundle_is_the_spec_the_suites_read() -> None:
    skip_unless_available()
    assert fetch_spec.canonical_sha256(load_spec()) == fetch_spec.BUNDLE_SHA256
