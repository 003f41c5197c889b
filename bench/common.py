"""Shared benchmark plumbing: timing, statistics, the CLIs under test, machine facts.

A *figure* is one benchmark (B1 … B6): several *series* (ours, the baselines) measured in the
same rounds, interleaved, so that a noisy neighbour slows every series alike; then ratios of
medians checked against targets.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the project's venv: maestro-tasks and invoke live here
MAESTRO = str(BIN / "maestro-tasks")
INVOKE = str(BIN / "invoke")


class BenchError(Exception):
    """A run did not do what it should (wrong exit code, sentinel gone): its time is void."""


@dataclass
class Series:
    name: str
    times: list[float] = field(default_factory=list)

    def stats(self) -> dict[str, Any]:
        t = self.times
        return {"name": self.name, "runs": len(t),
                "min_s": round(min(t), 4) if t else None,
                "median_s": round(statistics.median(t), 4) if t else None,
                "max_s": round(max(t), 4) if t else None,
                "times_s": [round(x, 4) for x in t]}

    @property
    def median(self) -> float:
        return statistics.median(self.times)


@dataclass
class Check:
    """One target: ``value`` (a ratio or seconds) against ``limit``; pass when value <= limit."""

    label: str
    value: float
    limit: float
    unit: str = "x"

    @property
    def passed(self) -> bool:
        return self.value <= self.limit

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "value": round(self.value, 4), "target": self.limit,
                "unit": self.unit, "pass": self.passed}


@dataclass
class Figure:
    key: str
    title: str
    series: list[Series] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    info: dict[str, float] = field(default_factory=dict)  # ratios shown without a target

    def get(self, name: str) -> Series:
        for s in self.series:
            if s.name == name:
                return s
        raise KeyError(name)

    def ratio(self, ours: str, base: str, limit: float, label: str | None = None) -> Check:
        check = Check(label or f"{ours} / {base}", self.get(ours).median / self.get(base).median,
                      limit)
        self.checks.append(check)
        return check

    def info_ratio(self, ours: str, base: str) -> float:
        value = self.get(ours).median / self.get(base).median
        self.info[f"{ours} / {base}"] = round(value, 4)
        return value

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title,
                "series": [s.stats() for s in self.series],
                "checks": [c.to_json() for c in self.checks],
                "info_ratios": self.info,
                "pass": all(c.passed for c in self.checks) if self.checks else None,
                "notes": self.notes, **self.extra}


Step = Callable[[], None]


@dataclass
class Variant:
    """One series: ``action`` is timed; ``setup`` (before) and ``check`` (after) are not."""

    action: Step
    setup: Step | None = None
    check: Step | None = None


def measure(figure: Figure, variants: dict[str, Variant], runs: int, warmup: int = 1,
            log: Callable[[str], None] = print) -> None:
    """Time every variant ``runs`` times after ``warmup`` untimed rounds.

    Variants are interleaved round by round and the order rotates, so a noisy neighbour slows
    every series alike and no series always runs right after the same one. ``check`` runs after
    every action (warm-up included): a failing check voids the benchmark.
    """
    for name in variants:
        if name not in {s.name for s in figure.series}:
            figure.series.append(Series(name))
    names = list(variants)
    for rnd in range(warmup + runs):
        shift = rnd % len(names)
        for name in names[shift:] + names[:shift]:
            variant = variants[name]
            if variant.setup is not None:
                variant.setup()
            start = time.perf_counter()
            variant.action()
            elapsed = time.perf_counter() - start
            if variant.check is not None:
                variant.check()
            if rnd >= warmup:
                figure.get(name).times.append(elapsed)
            last = elapsed
            figure.extra.setdefault("_last", {})[name] = last
        label = "warm-up" if rnd < warmup else f"run {rnd - warmup + 1}/{runs}"
        log(f"  {figure.key} {label}: " + ", ".join(
            f"{n} {figure.extra['_last'][n]:.3f}s" for n in names))
    figure.extra.pop("_last", None)


def cli_env() -> dict[str, str]:
    """The environment every CLI run gets: no colours, no CI flag, the venv first on PATH, and
    bytecode caching on as on a user's machine (a PYTHONDONTWRITEBYTECODE in the environment
    would make every run recompile the suite, which no user pays after the first run)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("CI", "FORCE_COLOR", "PYTHONDONTWRITEBYTECODE")}
    env["NO_COLOR"] = "1"
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def run(cmd: list[str], *, cwd: Path | str | None = None, ok_codes: tuple[int, ...] = (0,),
        capture: bool = False, env: dict[str, str] | None = None,
        timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    """Run a command; its output is discarded unless ``capture``; a bad exit code voids the run."""
    out = subprocess.PIPE if capture else subprocess.DEVNULL
    res = subprocess.run(cmd, cwd=cwd, stdout=out, stderr=out, stdin=subprocess.DEVNULL,
                         text=True, env=env or cli_env(), timeout=timeout)
    if ok_codes and res.returncode not in ok_codes:
        detail = ""
        if capture:
            detail = "\n" + "\n".join(((res.stdout or "") + (res.stderr or "")).splitlines()[-15:])
        raise BenchError(f"`{' '.join(cmd)}` exited {res.returncode}{detail}")
    return res


def scratch(prefix: str, memory: bool = False) -> Path:
    """A new scratch folder; ``memory``: on a tmpfs when the machine has one with room."""
    where = None
    if memory:
        shm = Path("/dev/shm")  # Linux's standard tmpfs
        if shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 2 << 30:
            where = str(shm)
    return Path(tempfile.mkdtemp(prefix=f"maestro-bench-{prefix}-", dir=where))


def filesystem(path: Path) -> str | None:
    """The type of the filesystem holding ``path`` (from /proc/mounts), e.g. tmpfs or ext4."""
    try:
        mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return None
    best = max((m for m in mounts if len(m) > 2 and str(path).startswith(m[1].rstrip("/") + "/")),
               key=lambda m: len(m[1]), default=None)
    return best[2] if best else None


def rmtree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def copy_example(dest: Path) -> Path:
    """A fresh copy of the bundled example, git-initialised, as ``invoke demo`` makes it."""
    from maestro_tasks.demo import MARKER, prepare_demo

    if dest.exists() and not (dest / MARKER).exists():
        rmtree(dest)
    return prepare_demo(dest)


def _version(cmd: list[str]) -> str | None:
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (res.stdout or res.stderr).strip()
    return text.splitlines()[0] if res.returncode == 0 and text else None


def code_state() -> dict[str, Any]:
    """Which code was measured: the commit, uncommitted changes, and whether the imported
    maestro_tasks is this repository's (PYTHONPATH can point the bench at a patched copy)."""
    import maestro_tasks

    def git(*args: str) -> str | None:
        res = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return res.stdout.strip() if res.returncode == 0 else None

    status = git("status", "--porcelain", "--", "maestro_tasks")
    return {"commit": git("rev-parse", "--short", "HEAD"),
            "uncommitted_changes_in_maestro_tasks": bool(status),
            "maestro_tasks_from_this_repo":
                Path(maestro_tasks.__file__).resolve().is_relative_to(REPO)}


def machine() -> dict[str, Any]:
    model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
        mem_gib = round(mem_kb / 1024 / 1024, 1)
    except (OSError, StopIteration, ValueError):
        mem_gib = None
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    from importlib.metadata import version

    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": model or platform.processor() or None,
        "memory_gib": mem_gib,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "invoke": version("invoke"),
        "node": _version(["node", "--version"]),
        "npm": _version(["npm", "--version"]),
        "docker": _version(["docker", "--version"]),
        "compose": _version(["docker", "compose", "version", "--short"]),
        "find": _version(["find", "--version"]),
        "load_avg_at_start": load,
    }
