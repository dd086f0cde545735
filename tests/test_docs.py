"""The README's Python is the SDK's real Python: its code blocks run (under Pulumi's mocks, in a process of
their own), every `ocean.<name>(...)` it mentions exists and takes the keywords shown, and the names its
"Moving from pulumi-digitalocean" table calls ours exist on the class or function of their row."""

from __future__ import annotations

import ast
import inspect
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pulumi
import pytest

import pulumi_ocean as ocean

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "examples").glob("*/README.md"))]

# Runs a document's ```python blocks in order, in one namespace (later blocks use earlier imports), with
# Pulumi's mocks standing in for the engine: a wrong class, argument or keyword fails as in a program.
RUNNER = textwrap.dedent(
    """
    import re, sys
    import pulumi

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args):
            return [args.name + "-id", dict(args.inputs)]

        def call(self, args):
            return {}

    pulumi.runtime.set_mocks(Mocks(), project="docs", stack="dev", preview=False)
    pulumi.runtime.set_all_config({"docs:release": "v1"})
    text = open(sys.argv[1]).read()
    namespace = {}
    for number, block in enumerate(re.findall(r"```python\\n(.*?)```", text, re.S), 1):
        try:
            exec(compile(block, f"{sys.argv[1]} python block {number}", "exec"), namespace)
        except Exception as e:
            sys.exit(f"python block {number} fails: {type(e).__name__}: {e}\\n{block}")
    """
)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_code_blocks_run_against_the_sdk(doc: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(doc)], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert done.returncode == 0, done.stderr[-3000:]


def _keywords(target: Any) -> set[str]:
    """The keyword arguments a class or function of the SDK takes."""
    if isinstance(target, type) and issubclass(target, pulumi.Resource):
        target = target._internal_init
    params = inspect.signature(target).parameters
    return {n for n in params if n not in ("__self__", "resource_name", "__props__")}


def _calls(text: str) -> list[tuple[str, list[str]]]:
    """(name, keywords) of every inline `ocean.<name>(...)` in the text."""
    found = []
    for code in re.findall(r"`(ocean\.\w+\(.*?\))`", text):
        call = ast.parse(code, mode="eval").body
        assert isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute), code
        found.append((call.func.attr, [k.arg for k in call.keywords if k.arg]))
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_inline_calls_name_real_functions_and_keywords(doc: Path) -> None:
    text = doc.read_text()
    for name, keywords in _calls(text):
        target = getattr(ocean, name, None)
        assert target is not None, f"{doc.name}: `ocean.{name}` does not exist"
        assert set(keywords) <= _keywords(target), f"{doc.name}: `ocean.{name}` takes no {keywords}"
    for name in re.findall(r"`ocean\.(\w+)`", text):
        assert hasattr(ocean, name), f"{doc.name}: `ocean.{name}` does not exist"


def _names(cell: str) -> list[str]:
    return [n for n in re.findall(r"`([a-z][a-z0-9_]*)`", cell) if not n.endswith("_")]


def _has(cls: Any, name: str) -> bool:
    """Whether `name` is an input or output of a resource class, or a field of one of its nested types
    (`FirewallInboundRuleArgs`, `FirewallPendingChange`), with or without a rule's `source_`/`destination_`
    prefix."""
    inputs = [getattr(ocean, n) for n in dir(ocean) if n.startswith(cls.__name__) and n.endswith("Args")]
    outputs = [getattr(ocean.outputs, n) for n in dir(ocean.outputs) if n.startswith(cls.__name__)]
    for candidate in (name, f"source_{name}", f"destination_{name}"):
        # `urn` and the like belong to every resource: the table means the provider's own properties.
        own = hasattr(cls, candidate) and (candidate == "id" or not hasattr(pulumi.CustomResource, candidate))
        if own or any(hasattr(t, candidate) for t in outputs):
            return True
        if any(candidate in _keywords(t.__init__) for t in inputs):
            return True
    return False


def test_the_moving_table_names_what_the_sdk_has() -> None:
    text = (REPO / "README.md").read_text()
    section = text.split("## Moving from pulumi-digitalocean", 1)[1].split("\n## ", 1)[0]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    current: Any = None
    checked = 0
    for theirs, ours, _notes in rows[1:]:
        bold = re.search(r"\*\*`(\w+)`\*\*", ours)
        if bold:
            current = getattr(ocean, bold.group(1), None)
            assert current is not None, f"no ocean.{bold.group(1)}"
        function = re.match(r"`(get_\w+)\((.*?)\)`", ours.strip())
        if function:
            target = getattr(ocean, function.group(1), None)
            assert target is not None, ours
            keywords = {k.strip(" =") for k in function.group(2).split(",") if k.strip()}
            assert keywords <= _keywords(target), ours
            checked += 1
            continue
        if current is None or ours.strip() in ("—", ""):
            continue
        claimed = _names(ours) + (_names(theirs.removeprefix("| ")) if ours.startswith("same names") else [])
        for name in claimed:
            assert _has(current, name), f"ocean.{current.__name__} has no `{name}` (row: {theirs} | {ours})"
            checked += 1
    assert checked > 50, "the table was read"
