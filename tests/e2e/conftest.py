"""Fixtures for end-to-end tests under the real Pulumi engine (see harness.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import Stack, make_stack, pulumi_bin_dir


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def pulumi_dir() -> Path:
    """The directory with the pinned `pulumi`, `pulumi-language-python` and its exec script."""
    return pulumi_bin_dir()


@pytest.fixture
def new_stack(tmp_path: Path, pulumi_dir: Path) -> Callable[..., Stack]:
    """Factory: new_stack(program_source, **options) → a Stack in its own temporary project.

    Every stack still holding resources at teardown is destroyed, so nothing leaks between tests.
    """
    made: list[Stack] = []

    def factory(program: str, **kwargs: Any) -> Stack:
        stack = make_stack(tmp_path / f"s{len(made)}", program, pulumi_dir=pulumi_dir, **kwargs)
        made.append(stack)
        return stack

    yield factory  # type: ignore[misc]
    for stack in made:
        stack.destroy(check=False)
