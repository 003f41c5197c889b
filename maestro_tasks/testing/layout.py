"""What the target's own code is: top-level packages, the folders they live in, declared deps."""

from __future__ import annotations

import configparser
import os
import re
import tomllib
from pathlib import Path
from typing import Any

# Folders never searched for the project's code (also pruned by the cache walk).
PRUNED_DIRS = frozenset({".git", "node_modules", ".venv", "venv", ".maestro", ".tox", ".nox",
                         ".hg", ".svn", ".mypy_cache", ".ruff_cache", "__pycache__",
                         ".pytest_cache", "build", "dist", ".eggs", "site-packages"})
TEST_DIR_NAMES = frozenset({"tests", "test", "testing"})
_ROOT_MODULES_SKIPPED = frozenset({"setup", "conftest", "tasks", "noxfile", "manage", "fabfile"})
MAX_DEPTH = 3


def is_virtualenv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file()


def _children(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError:
        return []


def package_roots(target: Path) -> dict[str, list[str]]:
    """Folders (relative, "." for the target) that hold top-level packages, with their names.

    A top-level package is a folder with ``__init__.py`` whose parent has none. Test folders
    are not the project's packages; ``src/`` also counts its plain modules.
    """
    roots: dict[str, list[str]] = {}
    stack = [(target, 0)]
    while stack:
        folder, depth = stack.pop()
        for entry in _children(folder):
            if entry.name.startswith(".") or entry.name in PRUNED_DIRS:
                continue
            if not entry.is_dir(follow_symlinks=False):
                continue
            path = Path(entry.path)
            if is_virtualenv(path):
                continue
            if (path / "__init__.py").is_file() and not (folder / "__init__.py").is_file():
                if entry.name not in TEST_DIR_NAMES and entry.name.isidentifier():
                    rel = "." if folder == target else str(folder.relative_to(target))
                    roots.setdefault(rel, []).append(entry.name)
                continue
            if depth + 1 < MAX_DEPTH and entry.name not in TEST_DIR_NAMES:
                stack.append((path, depth + 1))
    src = target / "src"
    if src.is_dir():
        for entry in _children(src):
            if entry.is_file() and entry.name.endswith(".py") and entry.name[:-3].isidentifier():
                roots.setdefault("src", []).append(entry.name[:-3])
    return {k: sorted(set(v)) for k, v in sorted(roots.items())}


def _has_python(folder: Path, depth: int = 0) -> bool:
    """Python code somewhere below ``folder`` (a few levels deep), virtualenvs excluded."""
    for entry in _children(folder):
        if entry.is_file() and entry.name.endswith(".py"):
            return True
        if (depth < MAX_DEPTH and entry.is_dir(follow_symlinks=False)
                and not entry.name.startswith(".") and entry.name not in PRUNED_DIRS
                and not is_virtualenv(Path(entry.path))
                and _has_python(Path(entry.path), depth + 1)):
            return True
    return False


def is_namespace_package(folder: Path) -> bool:
    """A PEP 420 namespace package: a folder with a Python name, no ``__init__.py``, that holds
    Python code (modules or packages) below it."""
    return (folder.is_dir() and not folder.is_symlink() and folder.name.isidentifier()
            and folder.name not in PRUNED_DIRS and not (folder / "__init__.py").is_file()
            and not is_virtualenv(folder) and _has_python(folder))


def _namespace_roots(target: Path, top: str) -> list[str]:
    """Folders (relative) holding a namespace package named ``top``, walked like
    ``package_roots`` (not inside a regular package: there ``top`` would be a subpackage)."""
    found: list[str] = []
    queue = [(target, 0)]
    while queue:
        folder, depth = queue.pop(0)
        if (folder / "__init__.py").is_file():
            continue
        if is_namespace_package(folder / top):
            found.append("." if folder == target else str(folder.relative_to(target)))
        if depth + 1 >= MAX_DEPTH:
            continue
        for entry in _children(folder):
            if (entry.is_dir(follow_symlinks=False) and not entry.name.startswith(".")
                    and entry.name not in PRUNED_DIRS and not is_virtualenv(Path(entry.path))):
                queue.append((Path(entry.path), depth + 1))
    return found


def find_module_roots(target: Path, top: str) -> list[str]:
    """Folders (relative) from which ``import <top>`` would find the target's own code: a
    regular package, a plain module, or a PEP 420 namespace package (a folder of the target
    with that name is the project's code, whatever PyPI holds under the same name)."""
    found = []
    for root, names in package_roots(target).items():
        if top in names:
            found.append(root)
    if not found:
        # plain modules and test helper packages (tests/helpers.py imported as ``helpers``)
        for candidate in (target, target / "src", target / "tests", target / "test"):
            if (candidate / f"{top}.py").is_file() or (candidate / top / "__init__.py").is_file():
                found.append("." if candidate == target else candidate.name)
    if not found and top.isidentifier():
        found = _namespace_roots(target, top)
    return found


def project_names(target: Path) -> set[str]:
    """The project's own name(s), normalized, from pyproject.toml / setup.cfg."""
    names: set[str] = set()
    try:
        data = tomllib.loads((target / "pyproject.toml").read_text(encoding="utf-8-sig"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        data = {}
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else {}
    for name in (project.get("name"), poetry.get("name")):
        if isinstance(name, str):
            names.add(normalize(name))
    cfg = configparser.ConfigParser()
    try:
        cfg.read(target / "setup.cfg", encoding="utf-8")
        name = cfg.get("metadata", "name", fallback="")
    except configparser.Error:
        name = ""
    if name:
        names.add(normalize(name))
    return names


def _packages_in(folder: Path, *, namespaces: bool, skip: frozenset[str] = frozenset()
                 ) -> list[str]:
    """Importable package names directly in ``folder`` (an entry of the import path): regular
    packages, and for a namespace package the regular packages inside it (``acme.core``)."""
    names: list[str] = []
    for entry in _children(folder):
        name = entry.name
        if (not entry.is_dir(follow_symlinks=False) or name.startswith(".") or not
                name.isidentifier() or name in PRUNED_DIRS or name in TEST_DIR_NAMES
                or name in skip):
            continue
        path = Path(entry.path)
        if (path / "__init__.py").is_file():
            names.append(name)
        elif namespaces and is_namespace_package(path):
            names += [f"{name}.{sub}" for sub in _packages_in(path, namespaces=False)]
    return names


def top_level_packages(target: Path, settings: dict[str, Any] | None = None,
                       pythonpath: list[str] | None = None) -> list[str]:
    """The packages the smoke test imports: configured, else the packages that are top level on
    the import path the tests see: the target folder, ``src/`` and the ``pythonpath`` entries.
    A package folder nested under a plain folder is not importable by its name, so it is not
    imported; a namespace package is imported through the regular packages inside it. At the
    target's root a namespace folder counts only when it carries the project's name."""
    configured = (settings or {}).get("smoke_packages") or (settings or {}).get("packages")
    if configured:
        return [str(p) for p in configured]
    roots = ["."] + (["src"] if (target / "src").is_dir() else []) + list(pythonpath or [])
    own = project_names(target)
    names: list[str] = []
    seen_roots: set[Path] = set()
    for root in roots:
        folder = (target / root).resolve()
        if folder in seen_roots or not folder.is_dir():
            continue
        seen_roots.add(folder)
        at_root = folder == target.resolve()
        found = _packages_in(folder, namespaces=not at_root,
                             skip=_ROOT_MODULES_SKIPPED if at_root else frozenset())
        if at_root:
            found += [f"{entry.name}.{sub}" for entry in _children(folder)
                      if entry.is_dir(follow_symlinks=False) and normalize(entry.name) in own
                      and is_namespace_package(Path(entry.path))
                      for sub in _packages_in(Path(entry.path), namespaces=False)]
        for name in found:
            if name not in names:
                names.append(name)
    return names


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()
