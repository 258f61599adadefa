"""Smoke test of the benchmark: the smallest size, one repetition. It asserts the report's shape and that
every ratio is a positive number; it never asserts a time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_bench_runs_and_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1].startswith("ratios: plan/sdk ")
    results = json.loads(out.read_text())
    assert set(results) == {"reps", "environment", "plan", "pack", "scaling", "cli"}
    plan = results["plan"]
    assert plan["resources"] > 50
    for key in ("plan", "plan_without_pack", "sdk_replay", "engine_floor"):
        assert set(plan[key]) == {"s", "ms_per_resource", "max_rss_mb"}
    ratios = [
        plan["plan_vs_sdk"],
        plan["pack"]["share_of_plan"],
        plan["pack"]["analyze_per_s"],
        results["pack"]["startup_ratio"],
        results["scaling"]["ms_ratio"],
        results["scaling"]["mb_ratio"],
        results["cli"]["help_s"],
    ]
    assert all(isinstance(r, float) and r > 0 for r in ratios), ratios
    assert set(results["scaling"]["sizes"]) == {"1"}
    assert set(results["environment"]["packages"]) == {"pulumi", "pulumi-azure-native", "pulumi-policy", "hardened-aml"}
