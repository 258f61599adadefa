"""The benchmark: the plan against the SDK floor, the pack's share, scaling and start-up.

    .venv/bin/python bench/run.py            # every figure, medians of 5 whole-process runs (~10 minutes)
    .venv/bin/python bench/run.py --quick    # smallest size, one run each (the smoke test)

Each figure is the median of ``--reps`` whole-process runs on this machine, in this one run, so that the
ratios compare like with like. Results go to ``bench/results.json`` and, between the Performance markers,
to the README; the last line printed is a one-line summary of the ratios against their targets.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PYTHON = sys.executable
#: Every process runs with bytecode caching on, as a user's installation has it (this sandbox sets
#: PYTHONDONTWRITEBYTECODE, which would make each run recompile the library and the pack from source), after
#: one discarded warm-up run of each command that writes the caches.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
TARGETS = {"plan_vs_sdk": 1.10, "pack_share": 0.10, "pack_startup": 1.5, "scaling": 1.15, "cli_start_s": 0.5}


@dataclass(frozen=True)
class Run:
    seconds: float
    max_rss_mb: float
    stdout: str


def measure(command: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path = ROOT) -> Run:
    """Run a whole process; its wall time and the peak RSS of it and its waited-for children."""
    env = env if env is not None else ENV
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE, env=env, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        err = process.stderr.read().decode() if process.stderr else ""
        if process.stderr:
            process.stderr.close()
        out.seek(0)
        text = out.read().decode()
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}): {err.strip()[-2000:]}")
    return Run(seconds, usage.ru_maxrss / 1024, text)


def median_of(reps: int, run: Callable[[], Run]) -> tuple[float, float, list[Run]]:
    run()  # warm-up: writes the bytecode caches; not counted
    runs = [run() for _ in range(reps)]
    return statistics.median(r.seconds for r in runs), statistics.median(r.max_rss_mb for r in runs), runs


def interleaved(reps: int, runs: dict[str, Callable[[], Run]]) -> dict[str, tuple[float, float, list[Run]]]:
    """Medians of commands run in turn (a, b, c, a, b, c, ...), so that a slow spell of the machine weighs on
    each of them alike: the ratios between them are what the benchmark is for."""
    for run in runs.values():
        run()  # warm-up
    done: dict[str, list[Run]] = {name: [] for name in runs}
    for _ in range(reps):
        for name, run in runs.items():
            done[name].append(run())
    return {
        name: (statistics.median(r.seconds for r in rs), statistics.median(r.max_rss_mb for r in rs), rs)
        for name, rs in done.items()
    }


def engine_command(project_dir: Path, project: str, stack: str, config_dir: str) -> list[str]:
    return [
        PYTHON,
        "-m",
        "hardened_aml_cli.engine",
        "--project-dir",
        str(project_dir),
        "--project",
        project,
        "--stack",
        stack,
        "--main",
        ".",
        "--config-dir",
        config_dir,
    ]


def plan_figures(reps: int, work: Path) -> dict[str, Any]:
    """1. The plan of prod, the plan without the pack, and the two replays of its custom resources."""
    plan_json = work / "prod.json"
    timings = work / "timings.json"
    env = {**ENV, "HARDENED_AML_TIMINGS": str(timings)}
    plan_cmd = [
        PYTHON,
        "-m",
        "hardened_aml_cli.main",
        "plan",
        "--stack",
        "prod",
        "--format",
        "json",
        "--quiet",
        "--out",
        str(plan_json),
    ]
    pack_shares, pack_seconds, analyze_rates = [], [], []

    def plan_once() -> Run:
        run = measure(plan_cmd, env=env)
        t = json.loads(timings.read_text())
        pack_shares.append(t["pack_s"] / run.seconds)
        pack_seconds.append(t["pack_s"])
        analyze_rates.append(t["analyzed"] / t["analyze_s"])
        return run

    plan_s, plan_mb, _ = median_of(reps, plan_once)
    del pack_shares[0], pack_seconds[0], analyze_rates[0]  # the warm-up run
    resources = [r for r in json.loads(plan_json.read_text())["resources"] if r["custom"]]
    count = len(resources)
    medians = interleaved(
        reps,
        {
            "engine": lambda: measure(engine_command(ROOT, "hardened-aml", "prod", "stacks")),
            "sdk": lambda: measure([PYTHON, str(BENCH / "replay.py"), str(plan_json), "--mode", "sdk"]),
            "bare": lambda: measure([PYTHON, str(BENCH / "replay.py"), str(plan_json), "--mode", "bare"]),
        },
    )
    engine_s, engine_mb, _ = medians["engine"]
    replays = {}
    for mode in ("sdk", "bare"):
        seconds, mb, runs = medians[mode]
        reply = json.loads(runs[-1].stdout)
        if reply["resources"] != count or reply["mismatched"]:
            raise RuntimeError(f"the {mode} replay did not register the plan's resources as planned: {reply}")
        replays[mode] = (seconds, mb)
    return {
        "resources": count,
        "plan": {"s": plan_s, "ms_per_resource": 1000 * plan_s / count, "max_rss_mb": plan_mb},
        "plan_without_pack": {"s": engine_s, "ms_per_resource": 1000 * engine_s / count, "max_rss_mb": engine_mb},
        "sdk_replay": {
            "s": replays["sdk"][0],
            "ms_per_resource": 1000 * replays["sdk"][0] / count,
            "max_rss_mb": replays["sdk"][1],
        },
        "engine_floor": {
            "s": replays["bare"][0],
            "ms_per_resource": 1000 * replays["bare"][0] / count,
            "max_rss_mb": replays["bare"][1],
        },
        "plan_vs_sdk": engine_s / replays["sdk"][0],
        "pack": {
            "share_of_plan": statistics.median(pack_shares),
            "s": statistics.median(pack_seconds),
            "analyze_per_s": statistics.median(analyze_rates),
        },
    }


def pack_startup(folder: Path) -> float:
    """Seconds from process start to the port the pack prints (as the CLI waits for it)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [PYTHON, "-m", "pulumi.policy", "127.0.0.1:0", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=ENV,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    seconds = time.perf_counter() - started
    process.kill()
    process.wait()
    process.stdout.close()
    if not line.strip().isdigit():
        raise RuntimeError(f"the pack in {folder} did not print a port")
    return seconds


def pack_figures(reps: int) -> dict[str, Any]:
    """2. Pack start-up against a one-policy pack started the same way."""
    pack_startup(ROOT / "policies"), pack_startup(BENCH / "one_policy_pack")  # warm-up
    ours_runs: list[float] = []
    one_runs: list[float] = []
    for _ in range(reps):
        ours_runs.append(pack_startup(ROOT / "policies"))
        one_runs.append(pack_startup(BENCH / "one_policy_pack"))
    ours, one = statistics.median(ours_runs), statistics.median(one_runs)
    return {"startup_s": ours, "one_policy_startup_s": one, "startup_ratio": ours / one}


def scaling_figures(reps: int, sizes: Sequence[int], work: Path) -> dict[str, Any]:
    """3. N complete estates in one stack: ms and MB per resource at each size."""
    import yaml

    project = work / "scale"
    project.mkdir()
    shutil.copy(BENCH / "scale_program.py", project / "__main__.py")
    (project / "Pulumi.yaml").write_text("name: hardened-aml\nruntime: python\n")
    prod = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())
    figures = {}
    for n in sizes:
        config = dict(prod["config"])
        config["bench:estates"] = n
        (project / f"Pulumi.e{n}.yaml").write_text(yaml.safe_dump({"config": config}))
        seconds, mb, runs = median_of(reps, lambda n=n: measure(engine_command(project, "hardened-aml", f"e{n}", ".")))
        count = sum(1 for r in json.loads(runs[-1].stdout)["resources"] if r["custom"])
        figures[str(n)] = {
            "resources": count,
            "s": seconds,
            "ms_per_resource": 1000 * seconds / count,
            "mb_per_resource": mb / count,
            "max_rss_mb": mb,
        }
    small, large = figures[str(sizes[0])], figures[str(sizes[-1])]
    return {
        "sizes": figures,
        "ms_ratio": large["ms_per_resource"] / small["ms_per_resource"],
        "mb_ratio": large["mb_per_resource"] / small["mb_per_resource"],
    }


def cli_figures(reps: int) -> dict[str, Any]:
    """4. ``hardened-aml --help`` against ``python -c pass``."""
    cli, _, _ = median_of(reps, lambda: measure([PYTHON, "-m", "hardened_aml_cli.main", "--help"]))
    bare, _, _ = median_of(reps, lambda: measure([PYTHON, "-c", "pass"]))
    return {"help_s": cli, "python_s": bare, "above_python_s": cli - bare}


def environment() -> dict[str, Any]:
    return {
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": {p: version(p) for p in ("pulumi", "pulumi-azure-native", "pulumi-policy", "hardened-aml")},
    }


def summary(results: dict[str, Any]) -> str:
    plan, pack, scale, cli = results["plan"], results["pack"], results["scaling"], results["cli"]
    parts = [
        f"plan/sdk {plan['plan_vs_sdk']:.2f} (<= {TARGETS['plan_vs_sdk']})",
        f"pack share {plan['pack']['share_of_plan']:.1%} (<= {TARGETS['pack_share']:.0%})",
        f"pack start {pack['startup_ratio']:.2f}x one-policy (<= {TARGETS['pack_startup']})",
        f"scaling ms {scale['ms_ratio']:.2f} MB {scale['mb_ratio']:.2f} (<= {TARGETS['scaling']})",
        f"cli +{cli['above_python_s']:.3f} s (<= {TARGETS['cli_start_s']})",
    ]
    return "ratios: " + "; ".join(parts)


def table(results: dict[str, Any]) -> str:
    env, plan, pack, scale, cli = (results[k] for k in ("environment", "plan", "pack", "scaling", "cli"))
    rows = [
        "| figure | value | target |",
        "|---|---|---|",
        f"| plan of prod, whole (Pulumi test engine + pack) | {plan['plan']['s']:.2f} s, "
        f"{plan['plan']['ms_per_resource']:.1f} ms/resource, {plan['plan']['max_rss_mb']:.0f} MB | |",
        f"| plan without the pack | {plan['plan_without_pack']['ms_per_resource']:.1f} ms/resource | |",
        f"| SDK replay (same resources through azure-native classes) | "
        f"{plan['sdk_replay']['ms_per_resource']:.1f} ms/resource | |",
        f"| engine floor (bare `pulumi.CustomResource`) | "
        f"{plan['engine_floor']['ms_per_resource']:.1f} ms/resource | |",
        f"| plan without pack / SDK replay | {plan['plan_vs_sdk']:.2f} | <= {TARGETS['plan_vs_sdk']} |",
        f"| pack share of the plan (start to last AnalyzeStack) | {plan['pack']['share_of_plan']:.1%} | "
        f"<= {TARGETS['pack_share']:.0%} |",
        f"| pack start-up / one-policy pack | {pack['startup_s']:.2f} s / {pack['one_policy_startup_s']:.2f} s = "
        f"{pack['startup_ratio']:.2f} | <= {TARGETS['pack_startup']} |",
        f"| Analyze throughput | {plan['pack']['analyze_per_s']:.0f} resources/s | |",
    ]
    for n, f in scale["sizes"].items():
        rows.append(
            f"| {n} estate(s): {f['resources']} resources | {f['ms_per_resource']:.1f} ms/resource, "
            f"{f['mb_per_resource']:.2f} MB/resource | |"
        )
    rows += [
        f"| largest / smallest scale, per resource | {scale['ms_ratio']:.2f} (ms), {scale['mb_ratio']:.2f} (MB) | "
        f"<= {TARGETS['scaling']} |",
        f"| `hardened-aml --help` above `python -c pass` | {cli['above_python_s'] * 1000:.0f} ms | "
        f"<= {TARGETS['cli_start_s'] * 1000:.0f} ms |",
    ]
    packages = ", ".join(f"{k} {v}" for k, v in env["packages"].items())
    head = (
        f"Measured {env['date']} on {env['machine']}, Python {env['python']}; {packages}. "
        f"Medians of {results['reps']} whole-process runs each."
    )
    return head + "\n\n" + "\n".join(rows) + "\n"


def update_readme(readme: Path, text: str) -> None:
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    content = readme.read_text(encoding="utf-8")
    if start not in content:
        return
    before, rest = content.split(start, 1)
    after = rest.split(end, 1)[1]
    readme.write_text(f"{before}{start}\n{text}{end}{after}", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5, help="whole-process runs per figure (default 5)")
    parser.add_argument("--sizes", default="1,5,20", help="estates per stack for the scaling figure")
    parser.add_argument("--quick", action="store_true", help="one run each, the smallest size only (smoke test)")
    parser.add_argument("--out", type=Path, default=BENCH / "results.json")
    parser.add_argument(
        "--readme", type=Path, default=ROOT / "README.md", help="README whose Performance table to update"
    )
    parser.add_argument("--no-readme", action="store_true", help="leave the README as it is")
    args = parser.parse_args(argv)
    reps = 1 if args.quick else args.reps
    sizes = [1] if args.quick else [int(s) for s in args.sizes.split(",")]
    results: dict[str, Any] = {"reps": reps, "environment": environment()}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        steps: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("plan", lambda: plan_figures(reps, work)),
            ("pack", lambda: pack_figures(reps)),
            ("scaling", lambda: scaling_figures(reps, sizes, work)),
            ("cli", lambda: cli_figures(reps)),
        ]
        for name, step in steps:
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            results[name] = step()
            print(json.dumps({name: results[name]}, indent=2))
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if not (args.no_readme or args.quick):
        update_readme(args.readme, table(results))
    print(table(results))
    print(summary(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
