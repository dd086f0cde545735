"""The resources' tests run against the emulator in process (``tests/resources/emulated.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.resources.emulated import Emulated


@pytest.fixture
def emulated() -> Iterator[Callable[..., Emulated]]:
    """``emulated(**EmulatorConfig fields)``: DigitalOcean with settings of the test's own."""
    made: list[Emulated] = []

    def make(**config: Any) -> Emulated:
        made.append(Emulated(**config))
        return made[-1]

    yield make
    for e in made:
        e.close()


@pytest.fixture
def do(emulated: Callable[..., Emulated]) -> Emulated:
    """DigitalOcean with its usual durations."""
    return emulated()
