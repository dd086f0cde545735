"""The whole stack under the real Pulumi engine, side by side: shared polling (the default) against the
per-resource baseline (``OCEAN_POLLING=per-resource``), in the same run (issue 15, item 5). Not a test.

Each case is a Pulumi program of N droplets in one VPC, with one firewall naming the first droplets by id
(DigitalOcean allows 10 ids per firewall) and the rest by their tag, driven by the newest Pulumi CLI (the
e2e harness: file:// backend, private PULUMI_HOME, this checkout's provider through
``plugins.providers``) against the emulator run as a subprocess (``ocean emulator serve``) with
DigitalOcean's rate limits (250/minute, 5,000/hour). Each variant gets an emulator of its own, so its
rate-limit counters start empty; within a variant the steps follow each other as a user's commands would.

Steps, per variant: an empty ``up`` (no resources: the engine's own overhead), ``up`` (create),
``refresh``, resize to a bigger size (``up`` with another size: shutdown, resize, power_on) and
``destroy``. The refresh-only case creates its droplets once, then refreshes under each variant, each
with a token of its own (DigitalOcean counts the rate limit per token) so the setup's requests do not
throttle it.

For each step:

- wall: seconds the ``pulumi`` command took;
- requests, 429s: ``/v2`` requests in the emulator's request log during that step (cleared before it);
- ratio: wall / (emulated action time / time scale + the empty ``up``'s wall), where the emulated action
  time is the critical path of the step's DigitalOcean work in :mod:`ocean.api.models.durations`
  (create: droplet create, then the firewall settling; resize: shutdown + resize + power_on; destroy:
  droplet delete, then the VPC's member lag). 1.0 is an engine plus a provider that notices everything the
  moment it happens;
- every command runs with ``--parallel 1000`` (all resources at once, v3.79.0's default; the newest CLI's
  default, 4 × the CPUs, would create 10 droplets in two waves on a 2-core machine);
- detection p50/p95: for each droplet action completed in the step, real seconds from its
  ``completed_at`` (the emulator's state) to the first later GET that could show it completed (the
  action itself, a list of actions, the droplet or a list of droplets). A list request is counted as
  showing every action, whatever page it asked for: a lower bound, close when lists are read newest
  first.

Usage: ``python bench/engine_bench.py`` (the default cases, as ``make bench BENCH=engine``), or e.g.
``python bench/engine_bench.py --droplets 10 --time-scale 1`` for one case.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "provider"))

from ocean.api.models import durations  # noqa: E402
from tests.e2e.harness import Stack, kill_marked, make_stack, pulumi_bin_dir  # noqa: E402

VARIANTS = ("per-resource", "shared")
LIFECYCLE = ("empty", "up", "refresh", "resize", "destroy")
STEP_LABELS = {
    "empty": "empty `up` (engine overhead)",
    "up": "`up` (create)",
    "refresh": "`refresh`",
    "resize": "resize to a bigger size",
    "destroy": "`destroy`",
}
SIZE, BIGGER = "s-1vcpu-1gb", "s-1vcpu-2gb"
FIREWALL_IDS_MAX = 10  # DigitalOcean: at most 10 droplet ids per firewall
#: In every token: a provider may remember a token's spent budget across processes (the governor's
#: ledger), and each variant's emulator starts with none spent, so no run inherits an earlier one's.
RUN = uuid.uuid4().hex[:8]

#: Emulated seconds of DigitalOcean work on each step's critical path.
ACTION_S: dict[str, float] = {
    "empty": 0.0,
    "up": durations.DROPLET_CREATE_S + durations.FIREWALL_SETTLE_S,
    "refresh": 0.0,
    "resize": sum(durations.action_s(a) for a in ("shutdown", "resize", "power_on")),
    "destroy": durations.DROPLET_DELETE_S + durations.VPC_MEMBER_LAG_S,
}

#: Issue 15's figures for pulumi-digitalocean v4.22.0 (10 droplets, no firewall or VPC, v3.79.0 engine):
#: quoted, not measured here.
BRIDGED_10 = {
    "up": "41.0–42.3 s / 60",
    "refresh": "0.4–0.9 s / 20",
    "resize": "90.3–92.4 s / 140",
    "destroy": "20.5–20.8 s / 30",
}

PROGRAM = """\
import pulumi

import pulumi_ocean as ocean

N = {n}
SIZE = "{size}"
timeouts = pulumi.CustomTimeouts(create="60m", update="60m", delete="60m")
vpc = ocean.Vpc("bench", region="nyc3", opts=pulumi.ResourceOptions(custom_timeouts=timeouts))
droplets = [
    ocean.Droplet(
        f"d-{{i}}",
        region="nyc3",
        size=SIZE,
        image="ubuntu-24-04-x64",
        tags=["bench"],
        vpc_uuid=vpc.vpc_id,
        opts=pulumi.ResourceOptions(custom_timeouts=timeouts),
    )
    for i in range(N)
]
if droplets:
    ocean.Firewall(
        "bench",
        droplet_ids=[d.droplet_id for d in droplets[:{ids_max}]],
        tags=["bench"],
        inbound_rules=[
            ocean.FirewallInboundRuleArgs(protocol="tcp", port_range="22", source_addresses=["0.0.0.0/0"])
        ],
        opts=pulumi.ResourceOptions(custom_timeouts=timeouts, depends_on=droplets),
    )
"""
EMPTY_PROGRAM = "import pulumi\n"


def program(n: int, size: str = SIZE) -> str:
    return PROGRAM.format(n=n, size=size, ids_max=FIREWALL_IDS_MAX)


# ------------------------------------------------------------------------------------------- emulator


@dataclass
class Emulator:
    """``ocean emulator serve`` as a subprocess, with its control API."""

    proc: subprocess.Popen[str]
    base_url: str
    control: httpx.Client

    def clear_log(self) -> None:
        self.control.delete("/_emulator/requests").raise_for_status()

    def now(self) -> float:
        return float(self.control.get("/_emulator/clock").json()["now"])

    def requests(self) -> dict[str, Any]:
        r = self.control.get("/_emulator/requests")
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]

    def state(self) -> dict[str, Any]:
        r = self.control.get("/_emulator/state")
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]


@contextlib.contextmanager
def emulator(time_scale: float, *extra: str) -> Iterator[Emulator]:
    cmd = [sys.executable, "-m", "ocean.cli", "emulator", "serve", "--port", "0", "--quiet"]
    cmd += ["--time-scale", f"{time_scale:g}", *extra]
    # This checkout's emulator, whatever the virtualenv's editable install points at.
    path = os.pathsep.join(p for p in (str(REPO / "provider"), os.environ.get("PYTHONPATH")) if p)
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONPATH": path},
    )
    control: httpx.Client | None = None
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        if not base_url.startswith("http"):
            raise RuntimeError(f"the emulator did not start (exit {proc.poll()})")
        control = httpx.Client(base_url=base_url, timeout=30)
        yield Emulator(proc, base_url, control)
    finally:
        if control is not None:
            control.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# ---------------------------------------------------------------------------------------- measuring


@dataclass
class Step:
    step: str
    wall_s: float
    requests: int
    throttled: int
    action_s: float  # emulated seconds on the critical path
    detection_s: list[float] = field(default_factory=list)
    #: Real seconds from the command's start to its first and its last ``/v2`` request: where the time
    #: outside DigitalOcean's work goes (engine and provider start, the engine after the last answer).
    first_request_s: float | None = None
    last_request_s: float | None = None

    def summary(self, time_scale: float, overhead_s: float | None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "wall_s": round(self.wall_s, 3),
            "requests": self.requests,
            "throttled_429": self.throttled,
            "action_s_real": round(self.action_s / time_scale, 3),
        }
        if overhead_s is not None and self.step != "empty":
            out["wall_over_action_plus_overhead"] = round(
                self.wall_s / (self.action_s / time_scale + overhead_s), 3
            )
        if self.detection_s:
            out["detection_p50_s"] = round(percentile(self.detection_s, 50), 3)
            out["detection_p95_s"] = round(percentile(self.detection_s, 95), 3)
            out["detected_actions"] = len(self.detection_s)
        if self.first_request_s is not None and self.last_request_s is not None:
            out["first_request_s"] = round(self.first_request_s, 3)
            out["last_request_s"] = round(self.last_request_s, 3)
        return out


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _observes(path: str, action_id: int, droplet_id: int) -> bool:
    """Whether a GET of ``path`` could show action ``action_id`` of droplet ``droplet_id`` completed."""
    return path in (
        f"/v2/actions/{action_id}",
        f"/v2/droplets/{droplet_id}/actions/{action_id}",
        "/v2/actions",
        f"/v2/droplets/{droplet_id}/actions",
        f"/v2/droplets/{droplet_id}",
        "/v2/droplets",
    )


def detection_latencies(
    log: dict[str, Any], state: dict[str, Any], since: float, scale: float
) -> list[float]:
    """Real seconds from each droplet action's completion (started at or after ``since``, emulated time)
    to the first GET after it that could show it; see the module docstring."""
    gets = sorted(
        (e["time"], e["path"]) for e in log["requests"] if e["method"] == "GET" and 200 <= e["status"] < 300
    )
    out = []
    for action in (state.get("actions") or {}).values():
        done = action.get("completed_at")
        if action.get("status") != "completed" or done is None or action["started_at"] < since:
            continue
        seen = next(
            (t for t, path in gets if t >= done and _observes(path, action["id"], action["resource_id"])),
            None,
        )
        if seen is not None:
            out.append((seen - done) / scale)
    return out


def measure(emu: Emulator, stack: Stack, step: str, command: list[str], scale: float) -> Step:
    emu.clear_log()
    since = emu.now()
    started = time.perf_counter()
    stack.run(*command, timeout=3600)
    wall = time.perf_counter() - started
    log = emu.requests()
    v2 = [e for e in log["requests"] if e["path"].startswith("/v2")]
    times = [e["time"] for e in v2]
    return Step(
        step=step,
        wall_s=wall,
        requests=int(log["total"]),
        throttled=sum(1 for e in v2 if e["status"] == 429),
        action_s=ACTION_S.get(step, 0.0),
        detection_s=detection_latencies(log, emu.state(), since, scale),
        first_request_s=(min(times) - since) / scale if times else None,
        last_request_s=(max(times) - since) / scale if times else None,
    )


#: Every resource operation at once, as v3.79.0 (issue 15's figures) does by default; the newest CLI's
#: default is 4 × the CPUs (8 on a 2-core machine: 10 droplets would be created in two waves of 30 s).
PARALLEL = ["--parallel", "1000"]
UP = ["up", "--yes", "--skip-preview", *PARALLEL]
COMMANDS = {
    "empty": UP,
    "up": UP,
    "refresh": ["refresh", "--yes", "--skip-preview", *PARALLEL],
    "resize": UP,
    "destroy": ["destroy", "--yes", "--skip-preview", *PARALLEL],
}


def _stack(tmp: Path, emu: Emulator, variant: str, token: str, engine: str) -> Stack:
    env = {
        "OCEAN_POLLING": variant,
        "DIGITALOCEAN_TOKEN": token,
        "DIGITALOCEAN_API_URL": emu.base_url,
    }
    return make_stack(tmp, EMPTY_PROGRAM, pulumi_dir=pulumi_bin_dir(engine), extra_env=env, project="bench")


def run_lifecycle(
    n: int,
    scale: float,
    variant: str,
    steps: Sequence[str] = LIFECYCLE,
    log: Any = print,
    engine: str = "newest",
) -> dict[str, Step]:
    """One variant of the lifecycle case on an emulator of its own; the steps in ``steps`` (a subset of
    LIFECYCLE, in its order) are measured."""
    results: dict[str, Step] = {}
    with tempfile.TemporaryDirectory(prefix="ocean-bench-") as tmp, emulator(scale) as emu:
        stack = _stack(Path(tmp), emu, variant, f"bench-{variant}-{RUN}", engine)
        try:
            for step in LIFECYCLE:
                if step not in steps:
                    continue
                if step == "up":
                    stack.write_program(program(n))
                elif step == "resize":
                    stack.write_program(program(n, BIGGER))
                results[step] = measure(emu, stack, step, COMMANDS[step], scale)
                log(f"   {n} droplets ×{scale:g}, {variant:<12} {step:<8} {_brief(results[step])}")
        finally:
            if "destroy" not in results:
                stack.run(*COMMANDS["destroy"], check=False, timeout=3600)
            kill_marked(stack.marker)
    return results


def run_refresh_only(
    n: int, scale: float, variants: Sequence[str] = VARIANTS, log: Any = print, engine: str = "newest"
) -> dict[str, Step]:
    """``n`` droplets created once (shared polling; not measured), then one ``refresh`` per variant, each
    with a token of its own. The droplets are left to the emulator, which is stopped afterwards."""
    results: dict[str, Step] = {}
    with tempfile.TemporaryDirectory(prefix="ocean-bench-") as tmp, emulator(scale) as emu:
        stack = _stack(Path(tmp), emu, "shared", f"bench-setup-{RUN}", engine)
        try:
            results["empty"] = measure(emu, stack, "empty", UP, scale)
            stack.write_program(program(n))
            setup = measure(emu, stack, "up", UP, scale)
            log(f"   {n} droplets ×{scale:g}, setup        up       {_brief(setup)}")
            for variant in variants:
                stack.env.update(OCEAN_POLLING=variant, DIGITALOCEAN_TOKEN=f"bench-refresh-{variant}-{RUN}")
                key = f"refresh:{variant}"
                results[key] = measure(emu, stack, "refresh", COMMANDS["refresh"], scale)
                log(f"   {n} droplets ×{scale:g}, {variant:<12} refresh  {_brief(results[key])}")
        finally:
            kill_marked(stack.marker)
    return results


def _brief(s: Step) -> str:
    det = f", detection p95 {percentile(s.detection_s, 95):.2f}s" if s.detection_s else ""
    return f"{s.wall_s:.1f}s, {s.requests} requests, {s.throttled} × 429{det}"


# ------------------------------------------------------------------------------------------ reporting


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}"


def _fmt_step(d: dict[str, Any] | None) -> str:
    if d is None:
        return "–"
    cell = f"{d['wall_s']:.1f} s / {d['requests']} / {d['throttled_429']}"
    if "wall_over_action_plus_overhead" in d:
        cell += f" / ×{d['wall_over_action_plus_overhead']:.2f}"
    return cell


def _fmt_detection(d: dict[str, Any] | None) -> str:
    if not d or "detection_p50_s" not in d:
        return "–"
    return f"{d['detection_p50_s']:.2f} / {d['detection_p95_s']:.2f}"


def target(n: int, step: str, time_scale: float, overhead: float | None, refresh_only: bool = False) -> str:
    """Issue 15's target for a step, with the wall bound in seconds where it depends on the overhead."""

    def bound(factor: float) -> str:
        if overhead is None:
            return ""
        return f" (≤ {factor * (ACTION_S[step] / time_scale + overhead):.1f} s)"

    if refresh_only:
        return "≤ 10 requests" if n >= 200 else "–"
    det = "; detection p95 ≤ 1 s" if step in ("up", "resize") else ""
    if n == 10:
        return {
            "up": f"≤ 50 requests; wall ≤ 1.05×{bound(1.05)}{det}",
            "refresh": "wall ≤ 0.9 s (bridged)",
            "resize": f"≤ 100 requests; wall ≤ 1.05×{bound(1.05)}{det}",
            "destroy": "wall < 5 s (droplets only; the VPC adds its member lag)",
        }.get(step, "–")
    if n >= 100 and step == "up":
        return f"≤ {1.5 * n:.0f} requests; 0 × 429; wall ≤ 1.10×{bound(1.10)}{det}"
    return det.removeprefix("; ") or "–"


def table(results: dict[str, Any]) -> str:
    """The markdown table: per case and step, both variants, their ratio, the target, and for 10 droplets
    the bridged provider's figures quoted from the issue."""
    lines = [
        "Cells: wall / API requests / 429s / wall ÷ (action time + empty-up overhead); "
        "ratio = shared ÷ per-resource (wall, requests); detection p50 / p95 in s.",
        "",
        "| case | step | per-resource (baseline) | shared (ours) | ratio wall | ratio requests "
        "| detection p50/p95 baseline | detection p50/p95 ours | target (issue 15) "
        "| bridged, from issue 15, not measured here |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for case in results["cases"]:
        n, scale, steps = case["droplets"], case["time_scale"], case["steps"]
        refresh_only = case["kind"] == "refresh-only"
        label = f"{n} droplets ×{scale:g}" + (" (refresh only)" if refresh_only else "")
        for step, by_variant in steps.items():
            base, ours = by_variant.get("per-resource"), by_variant.get("shared")
            overhead = case.get("overhead_s")
            bridged = BRIDGED_10.get(step, "–") if n == 10 and scale == 1 and not refresh_only else "–"
            lines.append(
                f"| {label} | {STEP_LABELS.get(step, step)} | {_fmt_step(base)} | {_fmt_step(ours)} "
                f"| {_ratio(ours and ours['wall_s'], base and base['wall_s'])} "
                f"| {_ratio(ours and ours['requests'], base and base['requests'])} "
                f"| {_fmt_detection(base)} | {_fmt_detection(ours)} "
                f"| {target(n, step, scale, overhead, refresh_only)} | {bridged} |"
            )
    scaled = sorted({c["time_scale"] for c in results["cases"] if c["time_scale"] != 1})
    if scaled:
        lines += [
            "",
            f"At ×{', ×'.join(f'{x:g}' for x in scaled)} DigitalOcean's work runs that much faster while the "
            "provider still expects real durations, so its polls come late against the scaled clock: "
            "there, detection and wall ÷ (action + overhead) read high, and both variants poll fewer times "
            "before a completion than at ×1.",
        ]
    return "\n".join(lines)


def lifecycle_case(
    n: int,
    scale: float,
    variants: Sequence[str] = VARIANTS,
    steps: Sequence[str] = LIFECYCLE,
    log: Any = print,
    engine: str = "newest",
) -> dict[str, Any]:
    by_variant = {v: run_lifecycle(n, scale, v, steps, log, engine) for v in variants}
    empties = [r["empty"].wall_s for r in by_variant.values() if "empty" in r]
    overhead = statistics.median(empties) if empties else None
    out: dict[str, Any] = {"kind": "lifecycle", "droplets": n, "time_scale": scale, "overhead_s": overhead}
    out["steps"] = {
        step: {v: r[step].summary(scale, overhead) for v, r in by_variant.items() if step in r}
        for step in LIFECYCLE
        if step in steps
    }
    return out


def refresh_case(
    n: int, scale: float, variants: Sequence[str] = VARIANTS, log: Any = print, engine: str = "newest"
) -> dict[str, Any]:
    r = run_refresh_only(n, scale, variants, log, engine)
    overhead = r["empty"].wall_s
    return {
        "kind": "refresh-only",
        "droplets": n,
        "time_scale": scale,
        "overhead_s": overhead,
        "steps": {"refresh": {v: r[f"refresh:{v}"].summary(scale, overhead) for v in variants}},
    }


@dataclass(frozen=True)
class Case:
    kind: str  # "lifecycle" or "refresh-only"
    droplets: int
    time_scale: float
    steps: tuple[str, ...] = LIFECYCLE


#: `make bench`'s cases. 100 droplets run at ×10: at ×1 the per-resource baseline's ~13 polls a droplet
#: per create (28 per resize) queue behind the 250/minute limit for well over 5 minutes a variant.
DEFAULT_CASES = (
    Case("lifecycle", 10, 1.0),
    Case("lifecycle", 100, 10.0),
    Case("refresh-only", 200, 100.0),
)


def bench(
    cases: Sequence[Case] = DEFAULT_CASES,
    variants: Sequence[str] = VARIANTS,
    log: Any = print,
    engine: str = "newest",
) -> dict[str, Any]:
    """The cases, each variant in turn; returns the figures and the markdown table (``"table"``).
    ``engine``: the Pulumi CLI of the e2e harness, ``newest`` (issue 15's targets) or ``oldest``."""
    started = time.perf_counter()
    out: list[dict[str, Any]] = []
    for case in cases:
        if case.kind == "refresh-only":
            out.append(refresh_case(case.droplets, case.time_scale, variants, log, engine))
        else:
            out.append(lifecycle_case(case.droplets, case.time_scale, variants, case.steps, log, engine))
    results: dict[str, Any] = {
        "engine": pulumi_bin_dir(engine).parent.name,
        "variants": list(variants),
        "cases": out,
        "seconds": round(time.perf_counter() - started, 1),
    }
    results["table"] = table(results)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--droplets", type=int, help="one lifecycle case of this many droplets")
    parser.add_argument("--time-scale", type=float, default=1.0, help="emulated seconds per real second")
    parser.add_argument("--refresh-only", action="store_true", help="the refresh-only case instead")
    parser.add_argument("--variant", choices=VARIANTS, action="append", help="only this variant (repeatable)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--engine", choices=("newest", "oldest"), default="newest", help="the Pulumi CLI")
    args = parser.parse_args(argv)
    cases: tuple[Case, ...] = DEFAULT_CASES
    if args.droplets is not None:
        cases = (Case("refresh-only" if args.refresh_only else "lifecycle", args.droplets, args.time_scale),)
    results = bench(cases, tuple(args.variant or VARIANTS), engine=args.engine)
    print(results["table"])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
