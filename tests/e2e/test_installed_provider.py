"""The provider installed as users install it: the wheel `make dist` builds, `pip install`ed into a fresh
virtualenv that is never activated, a fresh PULUMI_HOME, and a program in an unrelated directory whose
Pulumi.yaml names the virtualenv and nothing else. `ocean install-plugin` registers the provider in
Pulumi's plugin cache; from then on preview, up and import find it at the version the SDK asks for.

Under the newest engine the virtualenv has the newest `pulumi` SDK (constraints.txt); under the oldest,
the lowest the package supports (PULUMI_VERSION_OLDEST): the generated SDK and the provider run on both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ocean import __version__
from tests.e2e.harness import (
    PULUMI_VERSION_OLDEST,
    REPO,
    Engine,
    Result,
    constraint_pins,
    emulator_api,
    emulator_droplet,
    make_stack,
    system_path,
    wait_until,
)

pytestmark = pytest.mark.engines("newest", "oldest")

PROGRAM = """
import pulumi
import pulumi_ocean as ocean

d = ocean.Droplet("installed", region="ams3", size="s-1vcpu-1gb", image="debian-12-x64")
pulumi.export("id", d.droplet_id)
pulumi.export("status", d.status)
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's wheel, built from a copy of the checkout (the build leaves nothing in it)."""
    source = tmp_path_factory.mktemp("source")
    for part in ("provider", "sdk"):
        shutil.copytree(
            REPO / part, source / part, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / part, source / part)
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    [found] = out.glob("pulumi_ocean-*.whl")
    return found


def _venv(tmp_path: Path, wheel: Path, engine: Engine) -> Path:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    sdk = (
        ["-c", str(REPO / "constraints.txt")]
        if engine.name == "newest"
        else [f"pulumi=={PULUMI_VERSION_OLDEST}"]
    )
    install = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            # Wheels only: pulumi 3.79.0 pins grpcio 1.56.2, whose wheels stop at Python 3.11; on a later
            # Python this fails at once, saying so, instead of compiling grpcio for many minutes.
            "--only-binary=:all:",
            str(wheel),
            *sdk,
        ],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return venv


def _sdk_version(venv: Path) -> str:
    return subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "from importlib.metadata import version; print(version('pulumi'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def _output(results: list[Result]) -> str:
    return "\n".join(r.stdout + r.stderr for r in results)


def test_installed_provider_is_found_without_activating_the_virtualenv(
    tmp_path: Path, wheel: Path, engine: Engine, ocean_emulator_factory: Any
) -> None:
    venv = _venv(tmp_path, wheel, engine)
    lowest = PULUMI_VERSION_OLDEST
    assert _sdk_version(venv) == (constraint_pins()["pulumi"] if engine.name == "newest" else lowest)
    assert not (venv / "bin" / "pulumi-resource-ocean").exists(), "nothing for the engine to find on PATH"

    emu = ocean_emulator_factory(time_scale=100.0, clock_mode="scaled")
    # Only the engine and the system on PATH: neither this checkout's .venv nor the new virtualenv.
    path = os.pathsep.join([str(engine.bin_dir), *system_path()])
    stack = make_stack(
        tmp_path / "elsewhere",
        PROGRAM,
        pulumi_dir=engine.bin_dir,
        provider_from_source=False,
        virtualenv=venv,
        extra_env={
            "DIGITALOCEAN_API_URL": emu.base_url,
            "DIGITALOCEAN_TOKEN": "installed-token",
            "PATH": path,
        },
    )
    pulumi_yaml = (stack.workdir / "Pulumi.yaml").read_text()
    assert "plugins" not in pulumi_yaml and str(venv) in pulumi_yaml

    try:
        # Not registered yet: the preview fails, and says in one line what to run.
        missing = stack.run("preview", check=False)
        assert missing.returncode != 0
        hint = f"run `{venv / 'bin' / 'ocean'} install-plugin` once"
        assert hint in missing.stdout + missing.stderr, missing.output
        assert emu.control.requests()["total"] == 0

        installed_at = len(stack.history)

        # Registered, idempotently, in this PULUMI_HOME's plugin cache.
        def install_plugin() -> str:
            proc = subprocess.run(
                [str(venv / "bin" / "ocean"), "install-plugin"],
                env=stack.env,
                capture_output=True,
                text=True,
                check=True,
            )
            return proc.stdout

        assert "installed pulumi-resource-ocean" in install_plugin()
        assert "already installed" in install_plugin()
        listing = stack.run("plugin", "ls").stdout
        assert any(line.split()[:3] == ["ocean", "resource", __version__] for line in listing.splitlines()), (
            listing
        )
        cached = Path(
            stack.env["PULUMI_HOME"], "plugins", f"resource-ocean-v{__version__}", "pulumi-resource-ocean"
        )
        assert str(venv / "bin" / "python") in cached.read_text()

        preview = stack.preview()
        assert preview["changeSummary"] == {"create": 2}, preview
        stack.up()
        out = stack.outputs()
        assert out["status"] == "active" and isinstance(out["id"], int)
        # The default provider is the version the SDK asks for.
        [provider] = [
            r for r in stack.export()["deployment"]["resources"] if r["type"] == "pulumi:providers:ocean"
        ]
        assert provider["inputs"]["version"] == __version__

        # Import an existing droplet (with code generation where the engine can do it).
        with emulator_api(emu) as api:
            made = api.post(
                "/v2/droplets",
                json={
                    "name": "made-elsewhere",
                    "region": "ams3",
                    "size": "s-1vcpu-1gb",
                    "image": "debian-12-x64",
                },
            ).json()["droplet"]
        wait_until(lambda: emulator_droplet(emu, made["id"])["status"] == "active")
        codegen = engine.name == "oldest"
        stack.import_(
            "ocean:index:Droplet", "adopted", str(made["id"]), "--protect=false", generate_code=codegen
        )
        if codegen:
            assert "made-elsewhere" in (stack.workdir / "import_program.py").read_text()
        assert len(stack.resources("ocean:index:Droplet")) == 2

        assert "from $PATH" not in _output(stack.history), "the engine found the provider in its plugin cache"
        assert "install-plugin" not in _output(stack.history[installed_at:]), "no hint once it is installed"
    finally:
        stack.destroy(check=False)
