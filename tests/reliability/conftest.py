"""Fixtures of the reliability suite: fast copies of the example, mounts.

Every test here drives the real ``maestro-tasks`` console script as a subprocess; the faults
(kill -9, full disk, read-only mount, missing permission) are real kernel conditions.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

# The suite's helpers live next to this file (unique module name, no package needed).
sys.path.insert(0, str(Path(__file__).resolve().parent))

from reliability_kit import SECRET_TASK, run_in, umount_all, unavailable  # noqa: E402


@pytest.fixture(scope="session")
def pristine(tmp_path_factory) -> Path:
    """The bundled example, git-initialised once per session (copy it, never write to it)."""
    from maestro_tasks.demo import prepare_demo

    return prepare_demo(tmp_path_factory.mktemp("pristine") / "maestro-demo")


@pytest.fixture
def fresh_target(pristine: Path, tmp_path: Path) -> Callable[[str], Path]:
    """``fresh_target(name)`` → a new copy of the pristine example (with its git repo)."""

    def make(name: str, root: Path = tmp_path) -> Path:
        dst = root / name
        shutil.copytree(pristine, dst, symlinks=True)
        return dst

    return make


@pytest.fixture
def mount_tmpfs(tmp_path: Path):
    """``mount_tmpfs(path, size)``: a real tmpfs of ``size`` (e.g. "2m"), unmounted afterwards."""
    mounted: list[Path] = []

    def mount(path: Path, size: str) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs",
                              str(path)], capture_output=True, text=True)
        if res.returncode != 0:
            unavailable(f"mount -t tmpfs ({res.stderr.strip()})")
        mounted.append(path)
        return path

    yield mount
    umount_all(mounted)


@pytest.fixture
def bind_readonly():
    """``bind_readonly(path)``: ``path`` re-mounted onto itself read-only (a real EROFS)."""
    mounted: list[Path] = []

    def bind(path: Path) -> Path:
        res = subprocess.run(["mount", "--bind", str(path), str(path)], capture_output=True,
                             text=True)
        if res.returncode != 0:
            unavailable(f"mount --bind ({res.stderr.strip()})")
        mounted.append(path)
        res = subprocess.run(["mount", "-o", "remount,ro,bind", str(path)], capture_output=True,
                             text=True)
        if res.returncode != 0:
            unavailable(f"mount -o remount,ro,bind ({res.stderr.strip()})")
        return path

    yield bind
    umount_all(mounted)


@pytest.fixture(scope="session")
def probed(pristine, tmp_path_factory) -> bytes:
    """.maestro/state.json after a first real run: its baseline (the secrets domain, measured
    once before the task's first write) lets the kill runs skip it."""
    target = tmp_path_factory.mktemp("crash-probe") / "t"
    shutil.copytree(pristine, target, symlinks=True)
    res = run_in(target, SECRET_TASK)
    assert res.returncode == 0, res.stdout + res.stderr
    baseline = json.loads((target / ".maestro" / "state.json").read_text())["baseline"]
    return json.dumps({"baseline": baseline}, indent=2).encode()
