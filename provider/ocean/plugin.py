"""The provider as a Pulumi plugin: registering it in Pulumi's plugin cache (`ocean install-plugin`) and
the one-line hint a program shows when it is not there.

Pulumi looks for `pulumi-resource-ocean` at the version the SDK asks for in a project's
`plugins.providers`, then on `$PATH` (with a warning), then in its plugin cache
(`$PULUMI_HOME/plugins`, `~/.pulumi/plugins` by default). A virtualenv's `bin` is on none of these
unless the virtualenv is activated, so the package registers a small launcher in the cache: it runs
the provider with the Python of the virtualenv the package is installed in.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ocean import __version__

PLUGIN = "pulumi-resource-ocean"


def pulumi_home() -> Path:
    home = os.environ.get("PULUMI_HOME")
    return Path(home) if home else Path.home() / ".pulumi"


def cached_plugin(version: str = __version__) -> Path:
    """Where Pulumi keeps the provider at `version` in its plugin cache."""
    return pulumi_home() / "plugins" / f"resource-ocean-v{version}" / PLUGIN


def launcher(python: str = sys.executable, version: str = __version__) -> str:
    """The plugin executable: the provider, run by the Python of this virtualenv."""
    # sys.executable stays unresolved: resolving the venv's python symlink would leave the venv.
    code = "from ocean.provider.server import main; main()"
    return (
        "#!/bin/sh\n"
        f"# {PLUGIN} {version}: the provider of the pulumi-ocean package installed for {python},\n"
        "# registered by `ocean install-plugin`.\n"
        f"exec {shlex.quote(python)} -c {shlex.quote(code)} \"$@\"\n"
    )


@dataclass
class InstallResult:
    changed: bool
    path: Path
    message: str


class InstallError(Exception):
    pass


def install(pulumi: str | None = None, *, python: str = sys.executable) -> InstallResult:
    """Registers this package's provider in Pulumi's plugin cache at the package's version, through
    `pulumi plugin install --file`. Idempotent: nothing happens when the same launcher is there."""
    target = cached_plugin()
    wanted = launcher(python)
    if target.is_file() and target.read_text(errors="replace") == wanted:
        return InstallResult(False, target, f"{PLUGIN} {__version__} is already installed ({target})")
    pulumi = pulumi or shutil.which("pulumi")
    if pulumi is None:
        raise InstallError(
            "`pulumi` is not on PATH: install the Pulumi CLI (https://www.pulumi.com/docs/install/) "
            "or pass --pulumi /path/to/pulumi"
        )
    with tempfile.TemporaryDirectory(prefix="ocean-plugin-") as tmp:
        file = Path(tmp) / PLUGIN
        file.write_text(wanted)
        file.chmod(0o755)
        # --reinstall replaces a launcher left by another virtualenv with the same package version.
        cmd = [pulumi, "plugin", "install", "resource", "ocean", __version__, "--file", str(file)]
        cmd.append("--reinstall")
        proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise InstallError(f"`{' '.join(cmd[1:6])}` failed: {(proc.stderr or proc.stdout).strip()}")
    if not (target.is_file() and target.read_text(errors="replace") == wanted):
        raise InstallError(f"`pulumi plugin install` succeeded but {target} is not the launcher it was given")
    return InstallResult(
        True, target, f"installed {PLUGIN} {__version__} into Pulumi's plugin cache ({target})"
    )


def missing_hint(cwd: Path | None = None) -> str | None:
    """The one line to show when a program uses the provider and Pulumi cannot find it; None when it
    can (in the plugin cache, on PATH, or as a project plugin in Pulumi.yaml)."""
    if cached_plugin().is_file() or shutil.which(PLUGIN) is not None:
        return None
    if _project_names_plugin(cwd or Path.cwd()):
        return None
    ocean = Path(sys.executable).parent / "ocean"
    command = str(ocean) if ocean.exists() else f"{sys.executable} -m ocean.cli"
    return (
        f"{PLUGIN} {__version__} is not installed in Pulumi's plugin cache ({pulumi_home() / 'plugins'}): "
        f"run `{command} install-plugin` once"
    )


def _project_names_plugin(start: Path) -> bool:
    """Whether the project's Pulumi.yaml (from `start` up) loads the provider from a path."""
    import yaml

    for directory in (start, *start.parents):
        for name in ("Pulumi.yaml", "Pulumi.yml"):
            project = directory / name
            if project.is_file():
                try:
                    data = yaml.safe_load(project.read_text())
                except (OSError, yaml.YAMLError):
                    return False
                providers = ((data or {}).get("plugins") or {}).get("providers") or []
                return any(isinstance(p, dict) and p.get("name") == "ocean" for p in providers)
    return False


def warn_if_missing() -> None:
    """Called by the SDK when a program imports it (see scripts/gen-sdk.sh): the hint, as a Pulumi
    warning, next to the engine's own error about the missing plugin."""
    try:
        hint = missing_hint()
    except Exception:  # noqa: BLE001 - a hint must never break a program
        return
    if hint is not None:
        import pulumi

        pulumi.log.warn(hint)
