"""Shared test configuration. The emulator fixtures come from the `ocean.emulator.pytest_plugin`
plugin (registered by the package's pytest11 entry point)."""

from __future__ import annotations

import os
import tempfile

import pytest

from tests.openapi_spec import HOW_TO_GET, SKIP_REASON


def pytest_configure(config: pytest.Config) -> None:
    """The governor's per-token ledgers (README "Rate limits") of every process the tests start go to a
    directory of this run (xdist workers inherit it), not the user's cache; a test that needs its own
    sets its own."""
    os.environ.setdefault("OCEAN_RATELIMIT_DIR", tempfile.mkdtemp(prefix="pulumi-ocean-ratelimit-"))


def pytest_unconfigure(config: pytest.Config) -> None:
    """When DigitalOcean's spec is missing, the run's last line says how many tests skipped for it and
    how to get it."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = [r for r in reporter.stats.get("skipped", []) if SKIP_REASON in str(getattr(r, "longrepr", ""))]
    if skipped:
        reporter.write_line(
            f"{len(skipped)} tests skipped: {SKIP_REASON}, which was not found; {HOW_TO_GET}",
            yellow=True,
            bold=True,
        )
