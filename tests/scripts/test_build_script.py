"""scripts/build-pulumi.sh: how it finds or builds each engine's Pulumi CLI — with stand-in `pulumi`
scripts, never building anything (the real builds are exercised by every e2e test)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "build-pulumi.sh"
NEWEST = (REPO / "PULUMI_VERSION").read_text().strip()
OLDEST = (REPO / "PULUMI_VERSION_OLDEST").read_text().strip()
VERSIONS = {"newest": NEWEST, "oldest": OLDEST}


def _run(tmp_path: Path, path: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": path, "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "c")}
    return subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60)


def _no_go_path() -> str:
    return ":".join(p for p in ("/usr/bin", "/bin") if not (Path(p) / "go").exists())


def _fake_install(bin_dir: Path, version: str, *extra: str) -> Path:
    bin_dir.mkdir(parents=True)
    (bin_dir / "pulumi").write_text(f"#!/bin/sh\necho v{version}\n")
    for tool in ("pulumi", "pulumi-language-python", "pulumi-language-python-exec", *extra):
        path = bin_dir / tool
        if not path.exists():
            path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    return bin_dir


def _cache(tmp_path: Path, engine: str) -> Path:
    return tmp_path / "c" / "pulumi-ocean" / f"pulumi-v{VERSIONS[engine]}" / "bin"


@pytest.mark.parametrize("engine", ["newest", "oldest"])
def test_a_pulumi_on_path_at_the_engines_version_is_used_as_is(tmp_path: Path, engine: str) -> None:
    usr = _fake_install(tmp_path / "usr-bin", VERSIONS[engine])
    out = _run(tmp_path, f"{usr}:{_no_go_path()}", engine)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(usr)


def test_the_newest_engine_is_the_default(tmp_path: Path) -> None:
    usr = _fake_install(tmp_path / "usr-bin", NEWEST)
    out = _run(tmp_path, f"{usr}:{_no_go_path()}")
    assert out.returncode == 0 and out.stdout.strip() == str(usr), out.stderr


@pytest.mark.parametrize("engine", ["newest", "oldest"])
def test_the_cache_is_used_when_path_has_another_version(tmp_path: Path, engine: str) -> None:
    usr = _fake_install(tmp_path / "usr-bin", "3.1.0")
    extra = (f"pulumi-language-python-v{OLDEST}",) if engine == "newest" else ()
    cached = _fake_install(_cache(tmp_path, engine), VERSIONS[engine], *extra)
    out = _run(tmp_path, f"{usr}:{_no_go_path()}", engine)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(cached)


def test_a_newest_cache_without_the_oldest_language_host_behind_its_shim_is_not_used(tmp_path: Path) -> None:
    """An entry from before the shim (pulumi-language-python was the v3.79.0 host itself): rebuilt."""
    _fake_install(_cache(tmp_path, "newest"), NEWEST)
    out = _run(tmp_path, _no_go_path(), "newest")
    assert out.returncode == 1 and f"v{NEWEST}" in out.stderr, out.stderr


@pytest.mark.parametrize("engine", ["newest", "oldest"])
def test_without_pulumi_or_go_it_says_how_to_install_which_version(tmp_path: Path, engine: str) -> None:
    out = _run(tmp_path, _no_go_path(), engine)
    assert out.returncode == 1
    assert f"v{VERSIONS[engine]}" in out.stderr and "install" in out.stderr.lower()
    assert not _cache(tmp_path, engine).parent.exists(), "no half cache"


def test_an_unknown_engine_is_refused(tmp_path: Path) -> None:
    out = _run(tmp_path, _no_go_path(), "latest")
    assert out.returncode == 2 and "newest|oldest" in out.stderr


def test_the_package_supports_every_sdk_from_the_oldest_engine_on() -> None:
    pyproject = (REPO / "pyproject.toml").read_text()
    assert f'"pulumi>={OLDEST},<4"' in pyproject
    # The exact SDK the tests use is pinned in constraints.txt, and is what `make venv` installed.
    import importlib.metadata

    pins = dict(
        line.split("==", 1)
        for line in (REPO / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    assert importlib.metadata.version("pulumi") == pins["pulumi"]
    assert tuple(int(x) for x in pins["pulumi"].split(".")) > tuple(int(x) for x in OLDEST.split("."))
    assert os.access(SCRIPT, os.X_OK)
