"""B2: start-up cost; B3: a no-op week1.fix-secrets against that start-up.

B2: ``invoke --list`` in this repository (invoke, tasks.py, every week1 module's wiring) vs
``python -c "import invoke"`` with the same interpreter: what our task collection adds on top of
importing invoke. B3: ``maestro-tasks week1.fix-secrets`` on an example copy already fixed (every
step ``ok``; the real ``docker compose config`` checks still run) vs ``invoke --list``.
"""

from __future__ import annotations

import json
import sys

from common import (
    INVOKE, MAESTRO, REPO, BenchError, Figure, Variant, copy_example, measure, rmtree, run,
    scratch,
)


def bench_b2(runs: int, quick: bool, log) -> Figure:
    fig = Figure("B2", "start-up: invoke --list vs import invoke")
    measure(fig, {
        "invoke --list": Variant(lambda: run([INVOKE, "--list"], cwd=REPO)),
        "python -c 'import invoke'": Variant(lambda: run([sys.executable, "-c", "import invoke"],
                                                         cwd=REPO)),
    }, runs=runs, warmup=2, log=log)
    fig.ratio("invoke --list", "python -c 'import invoke'", 1.3)
    fig.notes.append("both from the repository root with the project's venv Python; output "
                     "discarded")
    return fig


def _steps_status(target) -> dict[str, str]:
    res = run([MAESTRO, "week1.fix-secrets", "--target", str(target), "--json"], capture=True)
    doc = json.loads(res.stdout)
    return {s["name"]: s["status"] for s in doc["steps"]}


def bench_b3(runs: int, quick: bool, log) -> Figure:
    fig = Figure("B3", "no-op week1.fix-secrets on the fixed example vs invoke --list")
    work = scratch("b3")
    try:
        target = copy_example(work / "example")
        first = _steps_status(target)  # the fix itself: untimed
        if "changed" not in first.values():
            raise BenchError(f"the example copy needed no fix-secrets change: {first}")
        again = _steps_status(target)
        if set(again.values()) != {"ok"}:
            raise BenchError(f"a second fix-secrets is not a no-op: {again}")
        fix = [MAESTRO, "week1.fix-secrets", "--target", str(target)]
        measure(fig, {
            "fix-secrets (no-op)": Variant(lambda: run(fix)),
            "fix-secrets --check (no-op)": Variant(lambda: run(fix + ["--check"])),
            "invoke --list": Variant(lambda: run([INVOKE, "--list"], cwd=REPO)),
        }, runs=runs, warmup=2, log=log)
        after = _steps_status(target)
        if set(after.values()) != {"ok"}:
            raise BenchError(f"the timed runs were not all no-ops: {after}")
    finally:
        rmtree(work)
    fig.ratio("fix-secrets (no-op)", "invoke --list", 1.5)
    fig.info_ratio("fix-secrets --check (no-op)", "invoke --list")
    fig.notes.append("every step `ok` before and after the timed runs (checked with --json); "
                     "includes the real `docker compose config` verification")
    return fig
