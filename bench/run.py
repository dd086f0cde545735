"""`make bench`: performance figures, each reported with a baseline measured in the same run.

Not a test: nothing here asserts a timing. Each section prints its numbers; the targets they are read
against are stated beside them. Results are also written to bench/results/latest.json.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _spawn_until_first_line(cmd: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.kill()
    proc.wait()
    return elapsed


def provider_cold_start(runs: int = 15) -> dict[str, Any]:
    """Spawn → port printed, against the bare interpreter printing a line (the floor)."""
    provider = [sys.executable, str(REPO / "provider"), "127.0.0.1:1"]
    floor = [sys.executable, "-c", "print(1, flush=True)"]
    _spawn_until_first_line(provider)  # warm the OS page cache
    p = sorted(_spawn_until_first_line(provider) for _ in range(runs))
    b = sorted(_spawn_until_first_line(floor) for _ in range(runs))
    return {
        "provider_median_s": statistics.median(p),
        "provider_p95_s": p[int(0.95 * (runs - 1))],
        "bare_python_median_s": statistics.median(b),
        "ratio_to_bare_python": statistics.median(p) / statistics.median(b),
        "target": "median under 0.5 s",
    }


def emulator_get_rate() -> dict[str, Any]:
    from ocean.emulator.bench import baseline_app, measure_get_rate

    rate = measure_get_rate(seconds=2.0)
    floor = measure_get_rate(seconds=2.0, app=baseline_app())
    return {
        "simple_gets_per_s": rate,
        "constant_app_gets_per_s": floor,
        "ratio_to_constant_app": rate / floor,
        "target": "at least 1,000/s",
    }


def api_waits() -> dict[str, Any]:
    import asyncio

    from bench.api_bench import bench_actions

    result: dict[str, Any] = asyncio.run(bench_actions(20.0, 20))
    return result


def api_burst() -> dict[str, Any]:
    import asyncio

    from bench.api_bench import bench_burst

    result: dict[str, Any] = asyncio.run(bench_burst(100))
    return result


def droplet_resize() -> dict[str, Any]:
    from bench.droplet_bench import bench_resize

    return bench_resize(scale=20.0, resizes=3)


def engine() -> dict[str, Any]:
    """Issue 15's table: the real Pulumi engine and the emulator, shared polling against the per-resource
    baseline (OCEAN_POLLING=per-resource) in the same run; see bench/engine_bench.py."""
    from bench.engine_bench import bench

    return bench()


def startup() -> dict[str, Any]:
    """Provider start-up before its first API call (issue 15 item 4; bench/startup_bench.py)."""
    from bench.startup_bench import startup as measure  # type: ignore[import-not-found]

    result: dict[str, Any] = measure()
    return result


SECTIONS: dict[str, Callable[[], dict[str, Any]]] = {
    "provider_cold_start": provider_cold_start,
    "startup": startup,
    "emulator_get_rate": emulator_get_rate,
    "api_waits": api_waits,
    "api_burst": api_burst,
    "droplet_resize": droplet_resize,
    "engine": engine,
}


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def main(argv: list[str]) -> int:
    """`bench/run.py [SECTION ...]`: the named sections (`make bench BENCH="engine api_waits"`), or all."""
    wanted = argv or list(SECTIONS)
    unknown = [name for name in wanted if name not in SECTIONS]
    if unknown:
        print(f"unknown section {unknown[0]!r}; the sections are: {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    results: dict[str, Any] = {}
    failed = []
    for name in wanted:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        try:
            results[name] = SECTIONS[name]()
        except Exception as e:  # one broken section must not cost the others' figures
            traceback.print_exc()
            results[name] = {"error": f"{type(e).__name__}: {e}"}
            failed.append(name)
        for key, value in results[name].items():
            if key == "table":
                continue
            shown = _show(value)
            if len(shown) > 200:
                shown = shown[:200] + " … (bench/results/latest.json)"
            print(f"   {key:<32} {shown}")
        if isinstance(results[name].get("table"), str):
            print("\n" + results[name]["table"] + "\n")
        print(f"   ({time.perf_counter() - started:.1f}s)", flush=True)
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
