"""Each engine, independent of our provider: the CLI is the version it claims, and a Python program runs
in the project's virtualenv (runtime.options.virtualenv) with the virtualenv not on PATH."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.harness import PULUMI_VERSION_OLDEST, VENV, Engine, Stack, constraint_pins, system_path

pytestmark = pytest.mark.engines("newest", "oldest")


def test_pulumi_cli_is_the_engines_version(engine: Engine) -> None:
    pulumi = str(engine.bin_dir / "pulumi")
    out = subprocess.run([pulumi, "version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"v{engine.version}"
    for tool in ("pulumi-language-python", "pulumi-language-python-exec"):
        assert (engine.bin_dir / tool).is_file(), f"{tool} missing beside pulumi in {engine.bin_dir}"
    if engine.name == "newest" and "pulumi-ocean" in engine.bin_dir.parts:
        # Built here (not a full Pulumi install found on PATH): the language host is v3.79.0's, behind
        # the shim that passes it the project's options.
        assert (engine.bin_dir / f"pulumi-language-python-v{PULUMI_VERSION_OLDEST}").is_file()


def test_a_python_program_runs_in_the_projects_virtualenv(new_stack, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    stack: Stack = new_stack(
        """
        import sys
        from importlib.metadata import version
        import pulumi
        pulumi.export("greeting", "hello from " + pulumi.get_stack())
        pulumi.export("answer", 6 * 7)
        pulumi.export("prefix", sys.prefix)
        pulumi.export("sdk", version("pulumi"))
        """,
        provider_from_source=False,
        # The virtualenv is named in Pulumi.yaml only: python3 on PATH is the system's.
        extra_env={"PATH": os.pathsep.join([str(engine.bin_dir), *system_path()])},
    )
    stack.up()
    out = stack.outputs()
    assert (out["greeting"], out["answer"]) == ("hello from test", 42)
    assert Path(out["prefix"]).resolve() == VENV.resolve()
    assert out["sdk"] == constraint_pins()["pulumi"], (
        "the newest pulumi SDK on PyPI, as pinned in constraints.txt"
    )
    preview = stack.preview()
    assert preview["changeSummary"] == {"same": 1}
    stack.destroy()
    assert stack.outputs() == {}
