"""B6: week1.fix-tests on the example against a bare ``python -m pytest`` of the repaired example.

- ``fix-tests (fresh example)``: the CLI on a fresh copy of the broken example (copy untimed):
  interpreter probe, cache scan, config diagnosis by collect-only probes, import smoke test, the
  suite run, TEST_STATUS.md; and, as the first write to that target, the one-time baseline
  measurement of every domain (.maestro/state.json).
- ``fix-tests (re-run, repaired)``: the CLI again on a repaired copy: what CI pays every push.
- ``bare pytest``: ``python -m pytest`` in a repaired copy, with the interpreter fix-tests chose;
  exit 1 is expected (the example keeps one genuinely failing test).
"""

from __future__ import annotations

import json
import sys

from common import (
    MAESTRO, BenchError, Figure, Variant, copy_example, measure, rmtree, run, scratch,
)

FRESH = "fix-tests (fresh example)"
RERUN = "fix-tests (re-run, repaired)"
BARE = "bare python -m pytest (repaired)"


def bench(runs: int, quick: bool, log) -> Figure:
    fig = Figure("B6", "week1.fix-tests vs bare pytest on the example")
    work = scratch("b6")
    try:
        repaired = copy_example(work / "repaired")
        res = run([MAESTRO, "week1.fix-tests", "--target", str(repaired), "--json"], capture=True)
        doc = json.loads(res.stdout)
        interp = next((s.get("data", {}) for s in doc["steps"] if s["name"] == "interpreter"), {})
        python = interp.get("executable") or sys.executable
        if not any(s["status"] == "changed" for s in doc["steps"]):
            raise BenchError("fix-tests changed nothing on a fresh example copy")
        fresh_dir = work / "fresh"

        def fresh_copy() -> None:
            copy_example(fresh_dir)

        def fresh_changed() -> None:
            if (fresh_dir / "pytest.ini").read_bytes() != (repaired / "pytest.ini").read_bytes() \
                    or not (fresh_dir / "TEST_STATUS.md").is_file():
                raise BenchError("fix-tests did not repair the fresh copy as it did the first")

        measure(fig, {
            FRESH: Variant(lambda: run([MAESTRO, "week1.fix-tests", "--target", str(fresh_dir)]),
                           setup=fresh_copy, check=fresh_changed),
            RERUN: Variant(lambda: run([MAESTRO, "week1.fix-tests", "--target", str(repaired)])),
            BARE: Variant(lambda: run([python, "-m", "pytest"], cwd=repaired, ok_codes=(0, 1))),
        }, runs=runs, warmup=1, log=log)
        fig.extra["interpreter"] = interp.get("command")
    finally:
        rmtree(work)
    fig.ratio(FRESH, BARE, 1.5)
    fig.ratio(RERUN, BARE, 1.5, label=f"{RERUN} / {BARE} (same target, CI case)")
    fig.notes.append("the example keeps one failing test on purpose: exit 0 for fix-tests (only "
                     "collection errors fail it), exit 1 for bare pytest")
    return fig
