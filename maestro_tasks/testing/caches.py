"""Python and pytest caches under a target: found in one pruned walk.

The walk never enters ``.git``, ``node_modules``, virtualenvs (``.venv``, ``venv``, any folder
holding ``pyvenv.cfg``), the ``.maestro`` state folder, or configured folders, and never follows
symlinks. A cache folder is reported whole (its content is not walked for matches).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

PRUNED = frozenset({".git", "node_modules", ".venv", "venv", ".maestro", ".hg", ".svn"})
CACHE_DIRS = frozenset({"__pycache__", ".pytest_cache"})
CACHE_SUFFIXES = (".pyc", ".pyo")


@dataclass(frozen=True)
class CacheEntry:
    path: str  # relative to the target, "/"-separated
    kind: str  # "__pycache__", ".pytest_cache", "*.pyc"
    files: int
    bytes: int


def _tree_size(path: str) -> tuple[int, int]:
    files = size = 0
    stack = [path]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    else:
                        files += 1
                        try:
                            size += entry.stat(follow_symlinks=False).st_size
                        except OSError:
                            pass
        except OSError:
            continue
    return files, size


def find_caches(target: Path, extra_pruned: Iterable[str] = ()) -> list[CacheEntry]:
    """Every cache under ``target``, sorted by path. ``extra_pruned``: relative folders to skip."""
    root = os.path.abspath(target)
    pruned_paths = {os.path.normpath(os.path.join(root, p)) for p in extra_pruned}
    found: list[CacheEntry] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError:
            continue
        if folder != root and any(e.name == "pyvenv.cfg" for e in entries):
            continue  # a virtualenv found by its marker
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name in CACHE_DIRS:
                    files, size = _tree_size(entry.path)
                    found.append(CacheEntry(_rel(root, entry.path), entry.name, files, size))
                elif entry.name not in PRUNED and entry.path not in pruned_paths:
                    stack.append(entry.path)
            elif entry.name.endswith(CACHE_SUFFIXES) and not entry.is_symlink():
                try:
                    size = entry.stat(follow_symlinks=False).st_size
                except OSError:
                    size = 0
                found.append(CacheEntry(_rel(root, entry.path), "*.pyc", 1, size))
    return sorted(found, key=lambda e: e.path)


def _rel(root: str, path: str) -> str:
    # Every path here was built by scandir under root: slicing is exact, relpath is costly.
    return path[len(root.rstrip(os.sep)) + 1:].replace(os.sep, "/")


def summarize(entries: list[CacheEntry]) -> dict[str, int]:
    return {
        "pycache_dirs": sum(1 for e in entries if e.kind == "__pycache__"),
        "pytest_cache_dirs": sum(1 for e in entries if e.kind == ".pytest_cache"),
        "stray_bytecode_files": sum(1 for e in entries if e.kind == "*.pyc"),
        "files": sum(e.files for e in entries),
        "bytes": sum(e.bytes for e in entries),
    }


def human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
