"""`ocean demo` / `make demo`: the quick start under the real Pulumi engine, on the embedded emulator.

Runs from a checkout of this repository: the top-level Pulumi.yaml is the demo stack
(examples/quickstart, provider loaded from ./provider). State lives in .pulumi-demo/ (ignored by git).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

STACK = "demo"


def _repo_root() -> Path:
    for candidate in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (candidate / "Pulumi.yaml").exists() and (
            candidate / "provider" / "pulumi-resource-ocean"
        ).exists():
            return candidate
    raise SystemExit("ocean demo: run it from a checkout of pulumi-ocean (the directory with Pulumi.yaml)")


def _say(text: str) -> None:
    bold = "\033[1m" if sys.stdout.isatty() else ""
    reset = "\033[0m" if sys.stdout.isatty() else ""
    print(f"\n{bold}==> {text}{reset}", flush=True)


def run_demo(*, keep: bool = False, time_scale: float = 10.0) -> int:
    root = _repo_root()
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        print("ocean demo: `pulumi` is not on PATH; run `make demo`, which builds it.", file=sys.stderr)
        return 1

    from ocean.emulator.config import EmulatorConfig
    from ocean.emulator.server import EmulatorServer

    state_dir = root / ".pulumi-demo"
    # Every demo starts from nothing: the emulator it talks to is new too.
    shutil.rmtree(state_dir / "state", ignore_errors=True)
    (state_dir / "state").mkdir(parents=True, exist_ok=True)
    (state_dir / "home").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        PULUMI_HOME=str(state_dir / "home"),
        PULUMI_BACKEND_URL=f"file://{state_dir / 'state'}",
        PULUMI_CONFIG_PASSPHRASE="demo",
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        DIGITALOCEAN_TOKEN="demo-token",
    )
    env.pop("DIGITALOCEAN_ACCESS_TOKEN", None)
    color = ["--color", "always"] if sys.stdout.isatty() else ["--color", "never"]

    def pulumi_run(*args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
        cmd = [pulumi, *args, "--non-interactive", *([] if capture else color)]
        return subprocess.run(cmd, cwd=root, env=env, text=True, check=True, capture_output=capture)

    config = EmulatorConfig(time_scale=time_scale)
    started = time.monotonic()
    with EmulatorServer(host="127.0.0.1", port=0, config=config) as emulator:
        _say(f"DigitalOcean API emulator listening on {emulator.base_url} (time x{time_scale:g})")
        env["DIGITALOCEAN_API_URL"] = emulator.base_url
        try:
            pulumi_run("stack", "select", "--create", STACK, capture=True)
            _say("pulumi up — two droplets, waiting for DigitalOcean's create actions")
            pulumi_run("up", "--yes", "--skip-preview")
            _say("stack outputs")
            out = pulumi_run("stack", "output", "--json", capture=True).stdout
            print(json.dumps(json.loads(out), indent=2))
            _say("pulumi preview — the program matches what exists, so nothing changes")
            pulumi_run("preview", "--expect-no-changes", "--diff")
            if keep:
                _say(f"kept the stack; the emulator stops now, so its droplets go with it ({STACK})")
                return 0
            _say("pulumi destroy")
            pulumi_run("destroy", "--yes", "--skip-preview")
            pulumi_run("stack", "rm", "--yes", STACK, capture=True)
        except subprocess.CalledProcessError as e:
            if e.stdout:
                print(e.stdout)
            if e.stderr:
                print(e.stderr, file=sys.stderr)
            print(f"\nocean demo: `{' '.join(e.cmd[1:3])}` failed (exit {e.returncode})", file=sys.stderr)
            return 1
    _say(f"demo finished in {time.monotonic() - started:.1f}s; the emulator has stopped")
    return 0
