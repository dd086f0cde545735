"""scripts/build-pulumi.sh: how it finds or builds the pinned Pulumi CLI (without building it here)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.e2e.harness import PULUMI_VERSION, REPO

SCRIPT = REPO / "scripts" / "build-pulumi.sh"


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


def _env(tmp_path: Path, path: str) -> dict[str, str]:
    return {"PATH": path, "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "c")}


def _fake_install(bin_dir: Path, version: str) -> None:
    bin_dir.mkdir(parents=True)
    (bin_dir / "pulumi").write_text(f"#!/bin/sh\necho v{version}\n")
    for tool in ("pulumi", "pulumi-language-python", "pulumi-language-python-exec"):
        path = bin_dir / tool
        if not path.exists():
            path.write_text("#!/bin/sh\n")
        path.chmod(0o755)


def test_a_pulumi_on_path_at_the_pinned_version_is_used_as_is(tmp_path: Path) -> None:
    _fake_install(tmp_path / "usr-bin", PULUMI_VERSION)
    env = {
        "PATH": f"{tmp_path / 'usr-bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_CACHE_HOME": str(tmp_path / "c"),
    }
    out = _run(env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(tmp_path / "usr-bin")


def test_the_cache_is_used_when_path_has_another_version(tmp_path: Path) -> None:
    _fake_install(tmp_path / "usr-bin", "3.1.0")
    cached = tmp_path / "c" / "pulumi-ocean" / f"pulumi-v{PULUMI_VERSION}" / "bin"
    _fake_install(cached, PULUMI_VERSION)
    env = {
        "PATH": f"{tmp_path / 'usr-bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_CACHE_HOME": str(tmp_path / "c"),
    }
    out = _run(env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(cached)


def test_without_pulumi_or_go_it_says_how_to_install_which_version(tmp_path: Path) -> None:
    path = ":".join(p for p in ("/usr/bin", "/bin") if not (Path(p) / "go").exists())
    env = _env(tmp_path, path)
    out = _run(env)
    assert out.returncode == 1
    assert f"v{PULUMI_VERSION}" in out.stderr and "install" in out.stderr.lower()
    assert not (tmp_path / "c" / "pulumi-ocean" / f"pulumi-v{PULUMI_VERSION}").exists(), "no half cache"


def test_the_python_sdk_is_pinned_to_the_cli_version() -> None:
    pyproject = (REPO / "pyproject.toml").read_text()
    assert f'"pulumi=={PULUMI_VERSION}"' in pyproject
    import importlib.metadata

    assert importlib.metadata.version("pulumi") == PULUMI_VERSION
    assert os.access(SCRIPT, os.X_OK)
