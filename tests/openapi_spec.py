"""Where the test suites find DigitalOcean's OpenAPI spec: one lookup for all of them.

In order: the file named by $OCEAN_SPEC; `../shared/spec/DigitalOcean-public.v2.yaml` beside the
repository; `.spec/DigitalOcean-public.v2.yaml`, written by `make spec` (scripts/fetch-spec.py, from
DigitalOcean's public repository at a pinned commit). Tests that need it skip with SKIP_REASON when
none is there, and `make test` says in one line how many did and how to get it (tests/conftest.py).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FILE = "DigitalOcean-public.v2.yaml"
ENV_VAR = "OCEAN_SPEC"
SHARED = (REPO.parent / "shared" / "spec" / FILE).resolve()
FETCHED = REPO / ".spec" / FILE
# tests/conftest.py counts the skips by this text.
SKIP_REASON = "needs DigitalOcean's OpenAPI spec"
HOW_TO_GET = f"run `make spec` to fetch it, or set {ENV_VAR}=/path/to/{FILE}"


def find() -> Path | None:
    named = os.environ.get(ENV_VAR)
    if named:
        path = Path(named).expanduser().resolve()
        if not path.is_file():
            raise FileNotFoundError(f"{ENV_VAR}={named}: no such file")
        return path
    for path in (SHARED, FETCHED):
        if path.is_file():
            return path
    return None


# The spec the suites read; when it is nowhere, the place it is looked for first beside the repo.
SPEC_PATH = find() or SHARED
AVAILABLE = SPEC_PATH.is_file()


@functools.cache
def load_spec() -> dict[str, Any]:
    """The parsed spec, loaded once per process: treat it as read-only."""
    import yaml

    with SPEC_PATH.open("rb") as fh:
        spec: dict[str, Any] = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    return spec


def skip_unless_available() -> None:
    import pytest

    if not AVAILABLE:
        pytest.skip(f"{SKIP_REASON}: not found at ${ENV_VAR}, {SHARED} or {FETCHED}; {HOW_TO_GET}")
