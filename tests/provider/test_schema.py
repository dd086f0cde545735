"""The package schema says what the package has: its description is built from the registered resources
and functions, so it grows with them and never advertises what does not exist."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ocean.provider import registry, schema


def _listed(description: str, kind: str) -> set[str]:
    found = re.search(rf"{kind}: ([^.]*)\.", description)
    assert found, description
    return {name.strip() for name in found.group(1).split(",")}


def test_description_lists_exactly_the_registered_resources_and_functions() -> None:
    description = schema.schema()["description"]
    assert _listed(description, "Resources") == {t.split(":")[-1] for t in registry.resources()}
    assert _listed(description, "Functions") == {t.split(":")[-1] for t in registry.functions()}


def test_description_grows_with_a_new_resource(monkeypatch: pytest.MonkeyPatch) -> None:
    more: dict[str, Any] = {**registry.resources(), "ocean:index:Firewall": object()}
    monkeypatch.setattr(registry, "resources", lambda: more)
    assert "Firewall" in _listed(schema.package_description(), "Resources")
