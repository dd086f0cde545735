"""`make demo`'s program, `ocean demo`: the quick start on the embedded emulator, under the real engine,
with the repository's own Pulumi.yaml (provider loaded from ./provider)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.harness import REPO


def test_ocean_demo_runs_up_preview_destroy_and_leaves_nothing_behind(pulumi_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "DIGITALOCEAN_"))}
    env["PATH"] = f"{pulumi_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ocean"), "demo", "--time-scale", "50"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "+ 3 created" in out and "- 3 deleted" in out
    assert "3 unchanged" in out, "the preview after up shows no changes"
    assert '"monthly_cost_usd": 12' in out
    assert not (REPO / "Pulumi.demo.yaml").exists(), "the demo stack is removed"
