"""What a collect-only run and an import smoke test read: the inputs of their proofs.

A collect-only result of the config as it is, and the import of the top-level packages, are pure
functions of files and tool versions; ``engine.proofs`` reuses them while the digest of exactly
these inputs is unchanged:

- the bytes of every file collection or an import can read that could change it, found in the
  pruned walk the cache step uses (no ``.git``, ``node_modules``, virtualenvs, ``.maestro``):
  Python sources and stubs, ``.pth`` files, every pytest config file and the env/ini/toml files
  plugins read (``.env*``, ``*.ini``, ``*.cfg``, ``*.toml``), the text files doctest and
  collection plugins may collect (``*.txt``, ``*.rst``, ``*.md``, ``*.yaml``, ``*.yml``);
- pytest config files and ``conftest.py`` in every folder above the target (pytest looks up for
  its rootdir and config when the target has none);
- the interpreter (command, executable, Python version), pytest's version and every installed
  distribution of the target environment (name and version);
- the ``PYTEST*`` / ``PY*`` environment variables our runs pass on, and the extra pytest
  arguments.

Our own outputs (``TEST_STATUS.md``, ``test-results.txt``) are not inputs: every run rewrites
them. Caches (``__pycache__``, ``.pytest_cache``) are not either: they are cleared before the
config step, and a ``__pycache__`` entry is only used for its unchanged source.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..engine.proofs import Digest
from .caches import PRUNED
from .interpreter import Interpreter, base_env

CONFIG_NAMES = ("pytest.toml", ".pytest.toml", "pytest.ini", ".pytest.ini", "pyproject.toml",
                "tox.ini", "setup.cfg", "conftest.py")
SUFFIXES = (".py", ".pyi", ".pth", ".ini", ".cfg", ".toml", ".txt", ".rst", ".md", ".yaml",
            ".yml")
OUTPUTS = frozenset({"TEST_STATUS.md", "test-results.txt"})  # written by every run
SKIPPED_DIRS = PRUNED | {"__pycache__", ".pytest_cache"}


def _is_input(name: str) -> bool:
    return name.endswith(SUFFIXES) or name.startswith(".env")


def source_files(target: Path) -> list[tuple[str, str]]:
    """(relative "/" path, absolute path) of every input file under ``target``, sorted."""
    out: list[tuple[str, str]] = []
    root = str(target)
    stack = [(root, "")]
    while stack:
        folder, rel = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if name in SKIPPED_DIRS or os.path.exists(
                            os.path.join(entry.path, "pyvenv.cfg")):
                        continue
                    stack.append((entry.path, f"{rel}{name}/"))
                elif _is_input(name) and not (rel == "" and name in OUTPUTS):
                    out.append((f"{rel}{name}", entry.path))
            except OSError:
                continue
    out.sort()
    return out


def add_tree(digest: Digest, target: Path) -> int:
    """Add the input files under ``target`` and the config files above it; the file count."""
    files = source_files(target)
    for rel, path in files:
        try:
            with open(path, "rb") as fh:
                data: bytes | None = fh.read()
        except OSError:
            data = None
        digest.add(f"file:{rel}", data)
    here = target.resolve()
    for folder in here.parents:
        for name in CONFIG_NAMES:
            candidate = folder / name
            if candidate.is_file():
                digest.file(f"above:{candidate}", candidate)
    return len(files)


def add_interpreter(digest: Digest, interp: Interpreter) -> bool:
    """Add the interpreter, pytest and the environment's distributions; False when the
    distributions were not read (then nothing may be proven by this digest)."""
    digest.add("python-command", "\0".join(interp.argv))
    digest.add("python-executable", interp.executable)
    digest.add("python-version", interp.python_version)
    digest.add("pytest-version", interp.pytest_version)
    dists = (interp.environment or {}).get("distributions") or {}
    digest.add("distributions", "\n".join(f"{k}=={v}" for k, v in sorted(dists.items())))
    env = base_env(interp.env)
    digest.add("environment", "\n".join(f"{k}={v}" for k, v in sorted(env.items())
                                        if k.startswith("PY")))
    return interp.environment is not None and bool(dists)
