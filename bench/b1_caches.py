"""B1: clearing Python caches in a big monorepo-like tree.

The tree (about 100k files): ``src/`` with 10,000 packages, each a ``__pycache__`` folder of .pyc
files next to its sources, plus stray .pyc / .pyo files and a ``.pytest_cache``; a 50,000-file
``node_modules`` and a ``.venv`` (with ``pyvenv.cfg``), both holding ``__pycache__`` folders of
their own that a cache clean must leave alone (their sentinels are checked after ours).

Series, each on a freshly generated tree (generation untimed):
- ``ours``: in-process, the fix-tests caches step's plan (``testing.caches.find_caches``) and
  its apply (the engine's ``fsio.remove_many`` deleting every entry in one pass), without the
  runner around them;
- ``ours-step``: the same through the engine (``run_steps`` with the fix-tests ``CacheStep``:
  lock, plan, apply, re-plan, verify);
- ``old-script``: the old script's three unpruned ``find`` commands;
- ``pruned-find``: one ``find`` that prunes .git / node_modules / virtualenvs and removes the
  caches with ``-exec rm -rf {} +``.
"""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path
from typing import Any, Callable

from common import BenchError, Figure, Variant, filesystem, measure, rmtree, scratch

PYC = b"\x00" * 64 + b"bytecode" * 40  # ~400 bytes, a realistic small .pyc
SRC = b"def f():\n    return 1\n"

OLD_SCRIPT = ("find . -type d -name __pycache__ -exec rm -rf {} + ; "
              "find . -name '*.pyc' -delete ; "
              "find . -name '*.pyo' -delete")
PRUNED_FIND = [
    "find", ".",
    "-type", "d", "(", "-name", ".git", "-o", "-name", "node_modules", "-o", "-name", ".venv",
    "-o", "-name", "venv", "-o", "-name", ".maestro", ")", "-prune",
    "-o", "-type", "d", "(", "-name", "__pycache__", "-o", "-name", ".pytest_cache", ")",
    "-prune", "-exec", "rm", "-rf", "{}", "+",
    "-o", "-type", "f", "(", "-name", "*.pyc", "-o", "-name", "*.pyo", ")",
    "-exec", "rm", "-f", "{}", "+",
]


def _write(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


class Tree:
    """The generated tree's shape; ``scale`` 1.0 = about 100k files."""

    def __init__(self, scale: float = 1.0):
        self.packages = max(10, int(10_000 * scale))       # one __pycache__ each
        self.node_files = max(100, int(50_000 * scale))
        self.venv_packages = max(5, int(900 * scale))
        self.stray = max(4, int(1_000 * scale))             # legacy foo.pyc / foo.pyo

    def generate(self, root: Path) -> dict[str, int]:
        """Write the tree; returns what a correct clean removes and what it must keep."""
        root.mkdir(parents=True)
        os.mkdir(root / ".git")
        _write(str(root / ".git" / "HEAD"), b"ref: refs/heads/main\n")
        counts = {"files": 1, "cache_dirs": 0, "cache_files": 0, "kept_files": 0}
        # Source packages: src/gNN/pkgNNNNN/{__init__,mod,util}.py + __pycache__/*.pyc
        groups = max(1, self.packages // 100)
        for i in range(self.packages):
            pkg = f"{root}/src/g{i % groups:03d}/pkg{i:05d}"
            os.makedirs(f"{pkg}/__pycache__")
            for mod in ("__init__", "mod"):
                _write(f"{pkg}/{mod}.py", SRC)
                _write(f"{pkg}/__pycache__/{mod}.cpython-311.pyc", PYC)
            counts["files"] += 4
            counts["cache_dirs"] += 1
            counts["cache_files"] += 2
        for i in range(self.stray):
            pkg = f"{root}/src/g{i % groups:03d}/pkg{i:05d}"
            _write(f"{pkg}/legacy.{'pyo' if i % 4 == 0 else 'pyc'}", PYC)
            counts["files"] += 1
            counts["cache_files"] += 1
        os.makedirs(f"{root}/.pytest_cache/v/cache")
        _write(f"{root}/.pytest_cache/v/cache/nodeids", b"[]")
        counts["files"] += 1
        counts["cache_dirs"] += 1
        counts["cache_files"] += 1
        # node_modules: packages of 20 files in lib/ and dist/, a few with Python inside
        # (node-gyp ships gyp, with bytecode) that no cache clean may touch.
        per_pkg = 20
        for p in range(self.node_files // per_pkg):
            base = f"{root}/node_modules/pkg{p:05d}"
            os.makedirs(f"{base}/lib")
            os.makedirs(f"{base}/dist")
            _write(f"{base}/package.json", b'{"name": "x", "version": "1.0.0"}')
            for f in range(per_pkg - 1):
                _write(f"{base}/{'lib' if f % 2 else 'dist'}/f{f}.js", b"module.exports = 1;\n")
            counts["files"] += per_pkg
            counts["kept_files"] += per_pkg
        gyp = f"{root}/node_modules/node-gyp/gyp/pylib/gyp"
        os.makedirs(f"{gyp}/__pycache__")
        for mod in ("input", "common"):
            _write(f"{gyp}/{mod}.py", SRC)
            _write(f"{gyp}/__pycache__/{mod}.cpython-311.pyc", PYC)
            counts["files"] += 2
            counts["kept_files"] += 2
        # .venv: pyvenv.cfg + site-packages with bytecode
        site = f"{root}/.venv/lib/python3.11/site-packages"
        os.makedirs(site)
        _write(f"{root}/.venv/pyvenv.cfg", b"home = /usr/bin\nversion = 3.11.7\n")
        counts["files"] += 1
        counts["kept_files"] += 1
        for p in range(self.venv_packages):
            base = f"{site}/vpkg{p:04d}"
            os.makedirs(f"{base}/__pycache__")
            for mod in ("__init__", "core", "api", "util", "errors"):
                _write(f"{base}/{mod}.py", SRC)
                _write(f"{base}/__pycache__/{mod}.cpython-311.pyc", PYC)
            counts["files"] += 10
            counts["kept_files"] += 10
        return counts


SENTINELS = (
    "node_modules/node-gyp/gyp/pylib/gyp/__pycache__/input.cpython-311.pyc",
    "node_modules/node-gyp/gyp/pylib/gyp/common.py",
    "node_modules/pkg00000/package.json",
    ".venv/pyvenv.cfg",
    ".venv/lib/python3.11/site-packages/vpkg0000/__pycache__/core.cpython-311.pyc",
)


def _count_files(path: Path) -> int:
    total = 0
    for _, _, files in os.walk(path):
        total += len(files)
    return total


def check_clean(root: Path, expected: dict[str, int], *, keeps_pruned: bool) -> None:
    """The caches under src/ are gone; with ``keeps_pruned`` the .pytest_cache is gone too and
    node_modules / .venv are intact (every sentinel present, the same file count)."""
    left = []
    for _, dirs, files in os.walk(root / "src"):
        left += [d for d in dirs if d == "__pycache__"]
        left += [f for f in files if f.endswith((".pyc", ".pyo"))]
    if left:
        raise BenchError(f"{len(left)} cache entries left under src/")
    if not keeps_pruned:
        return
    if (root / ".pytest_cache").exists():
        raise BenchError(".pytest_cache left")
    missing = [s for s in SENTINELS if not (root / s).exists()]
    kept = _count_files(root / "node_modules") + _count_files(root / ".venv")
    if missing or kept != expected["kept_files"]:
        raise BenchError(f"pruned folders damaged: missing {missing}, "
                         f"{kept}/{expected['kept_files']} files kept")


def ours_in_process(root: Path) -> None:
    """The domain's scan and the engine's delete path, as the caches step runs them, without the
    runner around them (lock, re-plan, verify)."""
    from maestro_tasks.engine import Context
    from maestro_tasks.testing.steps import CacheStep

    ctx = Context(target=root)
    step = CacheStep()
    step.apply(ctx, step.plan(ctx))


def ours_step(root: Path) -> None:
    from maestro_tasks.engine import Context, Masker
    from maestro_tasks.engine.output import Reporter
    from maestro_tasks.engine.runner import TaskSpec, run_steps
    from maestro_tasks.testing.steps import CacheStep

    ctx = Context(target=root)
    reporter = Reporter(Masker(), as_json=True, out=io.StringIO(), err=io.StringIO())
    result = run_steps(ctx, [(TaskSpec("bench.caches", lambda c: [CacheStep()]), {})], reporter)
    if not result.ok:
        raise BenchError(f"cache step: {[s.summary for s in result.steps]}")


def shell(cmd: list[str] | str, root: Path) -> None:
    # The old script's finds complain when rm removed a folder they meant to enter: expected.
    subprocess.run(cmd, cwd=root, shell=isinstance(cmd, str), stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)


def bench(runs: int, quick: bool, log) -> Figure:
    tree = Tree(scale=0.1 if quick else 1.0)
    fig = Figure("B1", "cache clearing on a generated tree")
    # BENCH_B1_ON_DISK=1 puts the tree on the working disk instead of a tmpfs.
    work = scratch("b1", memory=os.environ.get("BENCH_B1_ON_DISK") != "1")
    fig.extra["filesystem"] = filesystem(work)
    state: dict[str, Any] = {"n": 0}

    def regenerate() -> None:
        if "root" in state:
            rmtree(state["root"])
        state["n"] += 1
        state["root"] = work / f"tree-{state['n']}"
        state["counts"] = tree.generate(state["root"])

    def variant(fn: Callable[[Path], None], keeps_pruned: bool) -> Variant:
        return Variant(action=lambda: fn(state["root"]), setup=regenerate,
                       check=lambda: check_clean(state["root"], state["counts"],
                                                 keeps_pruned=keeps_pruned))

    try:
        measure(fig, {
            "ours": variant(ours_in_process, True),
            "ours-step": variant(ours_step, True),
            "old-script": variant(lambda r: shell(OLD_SCRIPT, r), False),
            "pruned-find": variant(lambda r: shell(PRUNED_FIND, r), True),
        }, runs=runs, warmup=1, log=log)
    finally:
        rmtree(work)
    counts = state["counts"]
    fig.extra["tree"] = counts
    fig.ratio("ours", "old-script", 0.5)
    fig.ratio("ours", "pruned-find", 1.5)
    fig.info_ratio("ours-step", "pruned-find")
    fig.info_ratio("old-script", "pruned-find")
    fig.notes.append(f"tree: {counts['files']} files, {counts['cache_dirs']} cache folders and "
                     f"{counts['cache_files']} cache files to remove, {counts['kept_files']} "
                     "files in node_modules/.venv to keep")
    fig.notes.append(f"tree on {fig.extra['filesystem']}: a tmpfs when there is one, so that "
                     "disk noise does not drown the walk and unlink work being compared")
    fig.notes.append("after every run (untimed): src/ has no cache left; for ours, ours-step and "
                     "pruned-find every node_modules/.venv sentinel and file survived")
    return fig
