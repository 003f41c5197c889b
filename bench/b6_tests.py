"""B6: what a re-run of week1.fix-tests costs over a bare ``python -m pytest``.

Two targets, each in two identical copies (one for fix-tests, one for bare pytest, so that
neither clears or warms the other's caches):

- a healthy real-sized suite generated here: a small package (``calc``) and 40 test modules of
  30 tests each (plain tests, parametrized ones, fixtures from a conftest), 1,200 tests in all,
  config in ``pyproject.toml``. Target (a): the fix-tests re-run ≤ 1.1× bare pytest.
- the bundled example, repaired by a first fix-tests run. Target (b): the fixed overhead, the
  fix-tests re-run minus bare pytest, ≤ +0.4 s. The example keeps one genuinely failing test:
  bare pytest exits 1, fix-tests 0 (only collection errors fail it).

Both series use the same interpreter (the one fix-tests chose). The fresh example (first run,
repair included) is shown as info.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from common import (
    MAESTRO, BenchError, Check, Figure, Variant, copy_example, measure, rmtree, run, scratch,
)

RERUN_BIG = "fix-tests re-run, 1,200-test suite"
BARE_BIG = "bare python -m pytest, 1,200-test suite"
RERUN_SMALL = "fix-tests re-run, example"
BARE_SMALL = "bare python -m pytest, example"
FRESH = "fix-tests, fresh broken example (info)"
MODULES, TESTS_PER_MODULE = 40, 30


def generate_suite(root: Path, modules: int = MODULES, per_module: int = TESTS_PER_MODULE) -> int:
    """A healthy suite of ``modules`` × ``per_module`` tests; returns the test count."""
    (root / "src" / "calc").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "src" / "calc" / "__init__.py").write_text(
        "from .ops import add, mul, clamp\n\n__all__ = ['add', 'mul', 'clamp']\n")
    (root / "src" / "calc" / "ops.py").write_text(
        "def add(a, b):\n    return a + b\n\n\n"
        "def mul(a, b):\n    return a * b\n\n\n"
        "def clamp(x, lo, hi):\n    return max(lo, min(hi, x))\n")
    (root / "pyproject.toml").write_text(
        "[project]\nname = \"calc\"\nversion = \"0.1\"\n\n"
        "[tool.pytest.ini_options]\ntestpaths = [\"tests\"]\npythonpath = [\"src\"]\n"
        "markers = [\"slowish: a marker the suite declares\"]\n")
    (root / "tests" / "conftest.py").write_text(
        "import pytest\n\n\n@pytest.fixture\ndef pair():\n    return (3, 4)\n\n\n"
        "@pytest.fixture(scope='module')\ndef table():\n"
        "    return {i: i * i for i in range(100)}\n")
    total = 0
    third = per_module // 3
    for m in range(modules):
        lines = ["import pytest", "", "from calc import add, clamp, mul", "", ""]
        for t in range(third):
            lines += [f"def test_add_{t}(pair):", f"    assert add(*pair) + {t} == 7 + {t}", "",
                      ""]
        lines += [f"@pytest.mark.parametrize('x', range({third}))",
                  "def test_square(x, table):", "    assert mul(x, x) == table[x]", "", ""]
        rest = per_module - 2 * third
        lines += ["class TestClamp:"]
        for t in range(rest):
            lines += ["    @pytest.mark.slowish" if t % 5 == 0 else "",
                      f"    def test_clamp_{t}(self):",
                      f"        assert clamp({t} + {m}, 0, 5) == min({t} + {m}, 5)", ""]
        (root / "tests" / f"test_mod{m:02d}.py").write_text("\n".join(lines) + "\n")
        total += per_module
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return total


def bench(runs: int, quick: bool, log) -> Figure:
    fig = Figure("B6", "week1.fix-tests re-run vs bare pytest: a 1,200-test suite and the example")
    work = scratch("b6")
    try:
        big_ours, big_bare = work / "big-ours", work / "big-bare"
        count = generate_suite(big_ours)
        shutil.copytree(big_ours, big_bare)
        small_ours = copy_example(work / "small-ours")
        res = run([MAESTRO, "week1.fix-tests", "--target", str(small_ours), "--json"],
                  capture=True)
        doc = json.loads(res.stdout)
        interp = next((s.get("data", {}) for s in doc["steps"] if s["name"] == "interpreter"), {})
        python = interp.get("executable") or sys.executable
        if not any(s["status"] == "changed" for s in doc["steps"]):
            raise BenchError("fix-tests changed nothing on a fresh example copy")
        small_bare = work / "small-bare"
        shutil.copytree(small_ours, small_bare, symlinks=True)
        rmtree(small_bare / ".maestro")
        first = run([MAESTRO, "week1.fix-tests", "--target", str(big_ours), "--python", python,
                     "--json"], capture=True)
        suite = next(s for s in json.loads(first.stdout)["steps"] if s["name"] == "test-suite")
        if suite.get("data", {}).get("passed") != count:
            raise BenchError(f"the generated suite did not pass whole: {suite.get('summary')}")
        fresh_dir = work / "fresh"

        def fresh_copy() -> None:
            copy_example(fresh_dir)

        def fresh_changed() -> None:
            if (fresh_dir / "pytest.ini").read_bytes() != (small_ours / "pytest.ini").read_bytes() \
                    or not (fresh_dir / "TEST_STATUS.md").is_file():
                raise BenchError("fix-tests did not repair the fresh copy as it did the first")

        def fix(target: Path):
            return lambda: run([MAESTRO, "week1.fix-tests", "--target", str(target),
                                "--python", python])

        variants = {
            RERUN_BIG: Variant(fix(big_ours)),
            BARE_BIG: Variant(lambda: run([python, "-m", "pytest"], cwd=big_bare)),
            RERUN_SMALL: Variant(fix(small_ours)),
            BARE_SMALL: Variant(lambda: run([python, "-m", "pytest"], cwd=small_bare,
                                            ok_codes=(0, 1))),
        }
        if not quick:
            variants[FRESH] = Variant(
                lambda: run([MAESTRO, "week1.fix-tests", "--target", str(fresh_dir)]),
                setup=fresh_copy, check=fresh_changed)
        measure(fig, variants, runs=runs, warmup=1, log=log)
        fig.extra["interpreter"] = interp.get("command")
        fig.extra["generated_tests"] = count
    finally:
        rmtree(work)
    fig.ratio(RERUN_BIG, BARE_BIG, 1.1, label=f"(a) {RERUN_BIG} / {BARE_BIG}")
    overhead = fig.get(RERUN_SMALL).median - fig.get(BARE_SMALL).median
    fig.checks.append(Check(f"(b) fixed overhead: {RERUN_SMALL} - {BARE_SMALL}", overhead, 0.4,
                            unit="s"))
    fig.info_ratio(RERUN_SMALL, BARE_SMALL)
    if not quick:
        fig.info_ratio(FRESH, BARE_SMALL)
    fig.notes.append("each target in two identical copies: fix-tests never clears the caches "
                     "bare pytest uses, and bare pytest's bytecode never counts as pending")
    fig.notes.append("the example keeps one failing test on purpose: exit 0 for fix-tests (only "
                     "collection errors fail it), exit 1 for bare pytest")
    return fig
