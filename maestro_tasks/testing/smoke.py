"""Import smoke test: each top-level package imported in a fresh interpreter of the target."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .interpreter import Interpreter, base_env


@dataclass
class ImportResult:
    package: str
    ok: bool
    tail: list[str]  # last traceback lines when it failed


def smoke_imports(interp: Interpreter, target: Path, packages: list[str], pythonpath: list[str],
                  *, timeout: float = 120) -> list[ImportResult]:
    """``pythonpath``: folders (relative to the target) the tests see, so the import sees the
    same code the tests import. Nothing is written (no bytecode)."""
    extra = os.pathsep.join(str((target / p).resolve()) for p in pythonpath)
    env = base_env({"PYTHONPATH": extra} if extra else None)
    results = []
    for package in packages:
        try:
            proc = subprocess.run([*interp.argv, "-c", f"import {package}"], cwd=target, env=env,
                                  capture_output=True, encoding="utf-8", errors="replace",
                                  timeout=timeout)
            ok = proc.returncode == 0
            tail = [] if ok else [ln for ln in proc.stderr.strip().splitlines()][-4:]
        except subprocess.TimeoutExpired:
            ok, tail = False, [f"import did not finish within {timeout:.0f}s"]
        results.append(ImportResult(package, ok, tail))
    return results
