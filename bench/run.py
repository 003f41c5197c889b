"""Run the maestro-tasks benchmarks and write bench/results.json.

    python bench/run.py                 # every figure (B5 builds the UIs: several minutes)
    python bench/run.py --only B1,B3    # some figures
    python bench/run.py --runs 7        # timed runs per series (default: 5, 20 for start-up)
    python bench/run.py --quick         # smoke run: smaller inputs, 3 runs, no B5; not a result

Not part of the test suite. See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def _reexec_in_venv() -> None:
    """`python bench/run.py` with a Python that lacks the project: use the project's venv."""
    try:
        import maestro_tasks  # noqa: F401
    except ImportError:
        venv_python = REPO / ".venv" / "bin" / "python"
        if venv_python.exists() and Path(sys.executable) != venv_python:
            os.execv(str(venv_python), [str(venv_python), *sys.argv])
        raise


_reexec_in_venv()
sys.path.insert(0, str(HERE))

import common  # noqa: E402

FIGURES = ("B1", "B2", "B3", "B4", "B5", "B6")
CHEAP = ("B2", "B3")  # sub-second commands: more runs for a stable median


def _modules():
    import b1_caches
    import b2_startup
    import b4_secrets
    import b5_uis
    import b6_tests

    return {"B1": b1_caches.bench, "B2": b2_startup.bench_b2, "B3": b2_startup.bench_b3,
            "B4": b4_secrets.bench, "B5": b5_uis.bench, "B6": b6_tests.bench}


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


def table(figures: list[dict]) -> str:
    lines = [f"{'fig':<4} {'series':<44} {'runs':>4} {'min s':>8} {'median s':>9} {'max s':>8}"]
    for fig in figures:
        lines.append(f"{fig['key']:<4} {fig['title']}")
        if fig.get("error"):
            lines.append(f"{'':<4} ERROR: {fig['error']}")
            continue
        for s in fig["series"]:
            lines.append(f"{'':<4} {s['name']:<44} {s['runs']:>4} {_fmt(s['min_s']):>8} "
                         f"{_fmt(s['median_s']):>9} {_fmt(s['max_s']):>8}")
        for c in fig["checks"]:
            unit = "s" if c["unit"] == "s" else "x"
            verdict = "PASS" if c["pass"] else "MISS"
            lines.append(f"{'':<4} {verdict:<5}{c['label']}: {c['value']:.3f}{unit} "
                         f"(target <= {c['target']}{unit})")
        for label, value in fig.get("info_ratios", {}).items():
            unit = "x" if " / " in label else ""
            lines.append(f"{'':<4} info {label}: {value:.3f}{unit}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated figures, e.g. B1,B3")
    parser.add_argument("--runs", type=int, default=0,
                        help="timed runs per series after one warm-up (default 5; 20 for B2/B3; "
                             "at least 5 for a result)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: smaller inputs, 3 runs, B5 skipped unless in --only")
    parser.add_argument("--output", default=str(HERE / "results.json"),
                        help="where to write the JSON results (default bench/results.json)")
    args = parser.parse_args(argv)

    only = [f.strip().upper() for f in args.only.split(",") if f.strip()]
    unknown = [f for f in only if f not in FIGURES]
    if unknown:
        parser.error(f"unknown figure(s) {', '.join(unknown)}; choose from {', '.join(FIGURES)}")
    chosen = only or [f for f in FIGURES if not (args.quick and f == "B5")]

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    benches = _modules()
    started = datetime.now(timezone.utc)
    results = {"started_utc": started.isoformat(timespec="seconds"), "quick": args.quick,
               "machine": common.machine(), "code": common.code_state(), "figures": []}
    log(f"machine: {results['machine']['cpu_count']} CPU {results['machine']['cpu_model']}, "
        f"load {results['machine']['load_avg_at_start']}")
    for key in chosen:
        runs = args.runs or (3 if args.quick else 20 if key in CHEAP else 5)
        log(f"{key}: {runs} run(s) per series")
        t0 = time.monotonic()
        try:
            fig = benches[key](runs=runs, quick=args.quick, log=log).to_json()
        except Exception as exc:  # one broken figure must not lose the others
            traceback.print_exc()
            fig = {"key": key, "title": "", "error": f"{type(exc).__name__}: {exc}",
                   "series": [], "checks": [], "pass": False}
        fig["wall_s"] = round(time.monotonic() - t0, 1)
        results["figures"].append(fig)
    results["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["duration_s"] = round((datetime.now(timezone.utc) - started).total_seconds(), 1)

    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
    m = results["machine"]
    print(f"machine: {m['cpu_count']} x {m['cpu_model']}, {m['memory_gib']} GiB, {m['os']}; "
          f"Python {m['python']}, invoke {m['invoke']}, node {m['node']}, npm {m['npm']}, "
          f"{m['docker']}, compose {m['compose']}; load {m['load_avg_at_start']} -> "
          f"{results['load_avg_at_end']}")
    print(table(results["figures"]))
    misses = [f["key"] for f in results["figures"] if f.get("pass") is False]
    print(f"results: {args.output}" + (f"; missed: {', '.join(misses)}" if misses else
                                       "; every target met"))
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
