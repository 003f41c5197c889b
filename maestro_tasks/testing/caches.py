"""Python and pytest caches under a target: found in one pruned walk.

The walk never enters ``.git``, ``node_modules``, virtualenvs (``.venv``, ``venv``, any folder
holding ``pyvenv.cfg``), the ``.maestro`` state folder, or configured folders, and never follows
symlinks. A cache folder is reported whole (its content is not walked for matches).

Never a git-tracked file: when the target is in a git work tree, ``git ls-files`` names the
files the repository keeps (some projects track bytecode as test fixtures); a cache folder
holding any of them is reported file by file, untracked files only, and tracked ``.pyc`` files
are left alone. Caches the test suite itself wrote during the last run are told apart by
``produced_by_suite`` so a rerun does not call them pending.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
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
    names: tuple[str, ...] = field(default=(), compare=False)  # files inside, relative


def git_tracked(target: Path) -> set[str] | None:
    """Paths (relative to ``target``, "/"-separated) git tracks under it; None when the target
    is in no git repository or git is unavailable (empty inside a .git folder)."""
    # One subprocess: outside a work tree (no repository, inside .git, a bare repository)
    # ls-files itself fails, as the separate ``rev-parse --is-inside-work-tree`` would.
    try:
        proc = subprocess.run(["git", "ls-files", "-z", "--cached", "--", "."], cwd=target,
                              capture_output=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return {p.decode("utf-8", "surrogateescape") for p in proc.stdout.split(b"\0") if p}


def _tracked_dirs(tracked: set[str]) -> set[str]:
    dirs = set()
    for path in tracked:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    return dirs


def _tree_files(path: str) -> list[tuple[str, int]]:
    """(path relative to ``path``, size) of every non-folder entry below ``path``; symlinks not
    followed."""
    out = []
    stack = [(path, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append((entry.path, prefix + entry.name + "/"))
                        continue
                    try:
                        size = entry.stat(follow_symlinks=False).st_size
                    except OSError:
                        size = 0
                    out.append((prefix + entry.name, size))
        except OSError:
            continue
    return out


def _tree_size(path: str) -> tuple[int, int]:
    files = _tree_files(path)
    return len(files), sum(size for _p, size in files)


def find_caches(target: Path, extra_pruned: Iterable[str] = (), *,
                tracked: set[str] | None = None,
                kept: list[str] | None = None) -> list[CacheEntry]:
    """Every cache under ``target``, sorted by path. ``extra_pruned``: relative folders to skip.
    ``tracked``: git-tracked paths (relative), never reported; their paths go to ``kept``.

    One ``scandir`` per folder walked and per cache folder (whose files are sized from the
    directory entries, symlinks not followed); relative paths are built along the walk."""
    root = os.path.abspath(target)
    pruned_rels = {os.path.relpath(os.path.join(root, p), root).replace(os.sep, "/")
                   for p in extra_pruned}
    tracked = tracked or set()
    tracked_dirs = _tracked_dirs(tracked) if tracked else set()
    found: list[CacheEntry] = []
    stack = [(root, "")]
    while stack:
        folder, prefix = stack.pop()  # prefix: the folder relative to root, with a final "/"
        here: list[CacheEntry] = []
        below: list[tuple[str, str]] = []
        venv = False
        try:
            with os.scandir(folder) as it:
                for entry in it:
                    name = entry.name
                    if name == "pyvenv.cfg":
                        venv = True
                    elif entry.is_dir(follow_symlinks=False):
                        rel = prefix + name
                        if name in CACHE_DIRS:
                            files = _tree_files(entry.path)
                            if rel not in tracked_dirs:
                                here.append(CacheEntry(rel, name, len(files),
                                                       sum(size for _p, size in files),
                                                       tuple(sorted(p for p, _s in files))))
                                continue
                            for inner, size in files:  # the repository keeps some: file by file
                                file_rel = f"{rel}/{inner}"
                                if file_rel in tracked:
                                    here.append(CacheEntry(file_rel, "", 0, 0))  # kept
                                else:
                                    here.append(CacheEntry(file_rel, "*.pyc", 1, size))
                        elif name not in PRUNED and rel not in pruned_rels:
                            below.append((entry.path, rel + "/"))
                    elif name.endswith(CACHE_SUFFIXES) and not entry.is_symlink():
                        rel = prefix + name
                        if rel in tracked:
                            here.append(CacheEntry(rel, "", 0, 0))  # kept
                            continue
                        try:
                            size = entry.stat(follow_symlinks=False).st_size
                        except OSError:
                            size = 0
                        here.append(CacheEntry(rel, "*.pyc", 1, size))
        except OSError:
            continue
        if venv and prefix:
            continue  # a virtualenv found by its marker: nothing in it is ours
        for entry in here:
            if entry.kind:
                found.append(entry)
            elif kept is not None:
                kept.append(entry.path)
        stack.extend(below)
    return sorted(found, key=lambda e: e.path)


def snapshot(entries: list[CacheEntry]) -> dict[str, list[str]]:
    """What a suite run left behind, as recorded in .maestro/: cache path -> files in it."""
    return {e.path: list(e.names) if e.kind != "*.pyc" else [] for e in entries}


def dump_snapshot(entries: list[CacheEntry]) -> bytes:
    return json.dumps(snapshot(entries), indent=1, sort_keys=True).encode("utf-8")


def load_snapshot(raw: bytes | None) -> dict[str, list[str]]:
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return {str(k): [str(n) for n in v] for k, v in data.items() if isinstance(v, list)} \
        if isinstance(data, dict) else {}


def produced_by_suite(entry: CacheEntry, recorded: dict[str, list[str]]) -> bool:
    """The suite's own run wrote this cache (same place, nothing in it the run did not write):
    it comes back on every run, so clearing it is not a pending change."""
    if entry.path not in recorded:
        return False
    return entry.kind == "*.pyc" or set(entry.names) <= set(recorded[entry.path])


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
