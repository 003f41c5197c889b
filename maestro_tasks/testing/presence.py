"""Whether a target has Python tests at all: without any, fix-tests has nothing to do."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

from .caches import PRUNED

# pytest's default python_files; a config that sets its own patterns is trusted to have tests.
DEFAULT_PATTERNS = ("test_*.py", "*_test.py")
_CONFIGS = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
_SKIP = PRUNED | {"__pycache__", ".tox", ".nox", ".mypy_cache", ".pytest_cache", "site-packages",
                  "dist", "build"}


def _custom_patterns(target: Path) -> bool:
    for name in _CONFIGS:
        try:
            text = (target / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if "python_files" in text:
            return True
    return False


def has_python_tests(target: Path) -> bool:
    """True at the first test module found (pruned walk: no .git, node_modules, virtualenv)."""
    if _custom_patterns(target):
        return True
    stack = [str(target)]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in _SKIP and not os.path.exists(
                            os.path.join(entry.path, "pyvenv.cfg")):
                        stack.append(entry.path)
                elif any(fnmatch.fnmatchcase(entry.name, p) for p in DEFAULT_PATTERNS):
                    return True
            except OSError:
                continue
    return False
