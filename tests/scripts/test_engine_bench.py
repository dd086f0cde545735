"""bench/engine_bench.py and bench/run.py's sections: the harness behind issue 15's table, kept from rotting.

The e2e test runs the engine bench for real at a tiny size (2 droplets, one variant, a fast clock) and checks
the shape and plausibility of what it reports, never a timing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench import engine_bench, run  # noqa: E402


def test_detection_latency_is_the_first_get_after_completion_that_can_show_it() -> None:
    state = {
        "actions": {
            "1": {
                "id": 1,
                "resource_id": 7,
                "status": "completed",
                "started_at": 100.0,
                "completed_at": 130.0,
            },
            # Started before the step: not the step's.
            "2": {"id": 2, "resource_id": 7, "status": "completed", "started_at": 50.0, "completed_at": 60.0},
            "3": {"id": 3, "resource_id": 8, "status": "errored", "started_at": 100.0, "completed_at": 110.0},
        }
    }
    log = {
        "requests": [
            {"method": "GET", "path": "/v2/actions/1", "status": 200, "time": 129.0},  # before completion
            {"method": "GET", "path": "/v2/droplets/8", "status": 200, "time": 131.0},  # another droplet
            {
                "method": "GET",
                "path": "/v2/actions/1",
                "status": 429,
                "time": 132.0,
            },  # refused: shows nothing
            {"method": "POST", "path": "/v2/droplets/7/actions", "status": 201, "time": 133.0},
            {"method": "GET", "path": "/v2/actions", "status": 200, "time": 134.0},  # the list: it shows it
            {"method": "GET", "path": "/v2/actions/1", "status": 200, "time": 135.0},
        ]
    }
    assert engine_bench.detection_latencies(log, state, since=100.0, scale=2.0) == [2.0]


def test_percentiles_interpolate() -> None:
    assert engine_bench.percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert engine_bench.percentile([0.0, 10.0], 95) == pytest.approx(9.5)
    assert engine_bench.percentile([4.0], 95) == 4.0


def test_run_refuses_an_unknown_section(capsys: pytest.CaptureFixture[str]) -> None:
    assert run.main(["no-such-section"]) == 2
    err = capsys.readouterr().err
    assert "no-such-section" in err and "engine" in err and "startup" in err


@pytest.mark.e2e
def test_engine_bench_reports_every_step_with_plausible_request_counts() -> None:
    n = 2
    lines: list[str] = []
    results = engine_bench.bench(
        (engine_bench.Case("lifecycle", n, 20.0),),
        variants=("shared",),
        log=lines.append,
        engine=os.environ.get("OCEAN_E2E_ENGINE") or "newest",  # as tests/e2e: `make test-e2e ENGINE=...`
    )
    (case,) = results["cases"]
    assert case["overhead_s"] > 0
    steps = {step: by_variant["shared"] for step, by_variant in case["steps"].items()}
    assert list(steps) == list(engine_bench.LIFECYCLE)
    assert steps["empty"]["requests"] == 0  # no resources, no API calls
    # Each droplet, the VPC and the firewall are created, read at least once, and deleted.
    assert steps["up"]["requests"] >= n + 2
    assert steps["refresh"]["requests"] >= 1
    assert steps["resize"]["requests"] >= 3 * n  # shutdown, resize and power_on posted for each droplet
    assert steps["destroy"]["requests"] >= n + 2
    for step in ("up", "refresh", "resize", "destroy"):
        assert steps[step]["throttled_429"] == 0, step
        assert steps[step]["wall_over_action_plus_overhead"] > 0, step
    # Every droplet's create, and its three resize actions, are seen completed by some later request.
    assert steps["up"]["detected_actions"] == n
    assert steps["resize"]["detected_actions"] == 3 * n
    assert 0 <= steps["resize"]["detection_p50_s"] <= steps["resize"]["detection_p95_s"]
    assert 0 <= steps["up"]["first_request_s"] <= steps["up"]["last_request_s"]
    rows = [line for line in results["table"].splitlines() if line.startswith(f"| {n} droplets")]
    assert [row.split(" | ")[1] for row in rows] == [
        engine_bench.STEP_LABELS[s] for s in engine_bench.LIFECYCLE
    ]
    assert len(lines) == len(engine_bench.LIFECYCLE)


def test_run_reports_a_failing_section_and_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken() -> dict[str, object]:
        raise RuntimeError("no engine")

    monkeypatch.setattr(run, "REPO", tmp_path)
    monkeypatch.setattr(
        run, "SECTIONS", {"broken": broken, "fine": lambda: {"figure": 1.5, "table": "| t |"}}
    )
    assert run.main([]) == 1
    out, err = capsys.readouterr()
    assert "figure" in out and "| t |" in out
    assert "failed: broken" in err
    written = (tmp_path / "bench" / "results" / "latest.json").read_text()
    assert '"error": "RuntimeError: no engine"' in written and '"figure": 1.5' in written
