"""Loading the provider as users do: `pip install` the package into a fresh virtualenv, then run a
program in an unrelated directory whose Pulumi.yaml has no `plugins` entry. The engine must find
`pulumi-resource-ocean` on PATH (the virtualenv's bin)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.e2e.harness import REPO, make_stack

PROGRAM = """
import pulumi
import pulumi_ocean as ocean

d = ocean.Droplet("installed", region="ams3", size="s-1vcpu-1gb", image="debian-12-x64")
pulumi.export("id", d.droplet_id)
pulumi.export("status", d.status)
"""


def test_pip_installed_provider_is_found_on_path(
    tmp_path: Path, pulumi_dir: Path, ocean_emulator_factory: Any
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # A real (non-editable) install of this checkout, as `pip install pulumi-ocean` would do — from a
    # copy, so the build leaves nothing behind in the checkout.
    source = tmp_path / "source"
    for part in ("provider", "sdk"):
        shutil.copytree(
            REPO / part, source / part, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / part, source / part)
    install = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            str(source),
        ],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    assert (venv / "bin" / "pulumi-resource-ocean").exists()

    emu = ocean_emulator_factory(time_scale=100.0, clock_mode="scaled")
    stack = make_stack(
        tmp_path / "elsewhere",
        PROGRAM,
        pulumi_dir=pulumi_dir,
        provider_from_source=False,
        virtualenv=venv,
        extra_env={
            "DIGITALOCEAN_API_URL": emu.base_url,
            "DIGITALOCEAN_TOKEN": "installed-token",
            # The fresh virtualenv only: not this checkout's .venv, whose provider is the source tree.
            "PATH": os.pathsep.join([str(pulumi_dir), str(venv / "bin"), *_system_path()]),
        },
    )
    pulumi_yaml = (stack.workdir / "Pulumi.yaml").read_text()
    assert "plugins" not in pulumi_yaml and str(venv) in pulumi_yaml
    try:
        stack.up()
        out = stack.outputs()
        assert out["status"] == "active" and isinstance(out["id"], int)
    finally:
        stack.destroy(check=False)


def _system_path() -> list[str]:
    return [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and not p.startswith(str(REPO))]
