"""Fixtures for end-to-end tests under the real Pulumi engine (see harness.py).

Every test here runs under the newest engine unless marked otherwise:

    @pytest.mark.engines("newest", "oldest")   # also under the oldest supported engine
    @pytest.mark.engines("oldest")             # only there (what the newest engine cannot do)

`OCEAN_E2E_ENGINE=oldest` (`make test-e2e ENGINE=oldest`) runs every test that does not exclude that
engine under it alone; the tests that do are deselected (not skipped).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import ENGINES, Engine, Stack, kill_marked, make_stack
from tests.e2e.harness import engine as load_engine

FORCED = os.environ.get("OCEAN_E2E_ENGINE") or None
if FORCED is not None and FORCED not in ENGINES:
    raise pytest.UsageError(f"OCEAN_E2E_ENGINE={FORCED!r}: expected one of {', '.join(ENGINES)}")


def _engines_of(node: Any) -> tuple[str, ...] | None:
    marker = node.get_closest_marker("engines")
    if marker is None:
        return None
    unknown = set(marker.args) - set(ENGINES)
    if unknown or not marker.args:
        raise pytest.UsageError(f"{node.nodeid}: engines({marker.args}) names no known engine")
    return tuple(marker.args)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" not in metafunc.fixturenames:
        return
    names = (FORCED,) if FORCED else (_engines_of(metafunc.definition) or ("newest",))
    metafunc.parametrize("engine", names, indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    deselected = []
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            only = _engines_of(item)
            if FORCED and only is not None and FORCED not in only:
                deselected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> Engine:
    """The Pulumi engine this test runs under (parametrized: see the module docstring)."""
    return load_engine(request.param)


@pytest.fixture
def pulumi_dir(engine: Engine) -> Path:
    """The directory with the engine's `pulumi`, `pulumi-language-python` and its exec script."""
    return engine.bin_dir


@pytest.fixture
def new_stack(tmp_path: Path, pulumi_dir: Path) -> Iterator[Callable[..., Stack]]:
    """Factory: new_stack(program_source, **options) → a Stack in its own temporary project.

    Every stack still holding resources at teardown is destroyed, and any process one of its commands
    left behind is killed, so nothing leaks between tests.
    """
    made: list[Stack] = []

    def factory(program: str, **kwargs: Any) -> Stack:
        stack = make_stack(tmp_path / f"s{len(made)}", program, pulumi_dir=pulumi_dir, **kwargs)
        made.append(stack)
        return stack

    yield factory
    for stack in made:
        stack.destroy(check=False)
    for stack in made:
        kill_marked(stack.marker)
