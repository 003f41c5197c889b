"""The layering, read from the code: the engine imports no domain, and the domains that share
Compose (secrets, stack) meet in ``compose/`` rather than importing each other.

Every module of the package is parsed with ``ast`` (nothing is imported), every import resolved
to its absolute name, lazy imports inside functions included.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "maestro_tasks"
ROOT = PACKAGE.name


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, name: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute imported name) for every import statement in ``source``."""
    package = name if is_package else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # `from . import x` may name a submodule: record prefix.x for each name.
            out += [(node.lineno, f"{prefix}.{alias.name}") for alias in node.names]
    return out


def package_imports() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        for line, imported in imports_of(path.read_text(encoding="utf-8"), name,
                                         path.name == "__init__.py"):
            found.append((name, line, imported))
    return found


def _in(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def violations(edges: list[tuple[str, int, str]]) -> list[str]:
    problems = []
    engine = f"{ROOT}.engine"
    for importer, line, imported in edges:
        where = f"{importer}:{line} imports {imported}"
        if _in(importer, engine):
            top = imported.split(".")[0]
            if top == ROOT and not _in(imported, engine):
                problems.append(f"{where} (the engine imports no domain)")
            elif top != ROOT and top != "invoke" and top not in sys.stdlib_module_names:
                problems.append(f"{where} (the engine needs only the stdlib and invoke)")
        for a, b in (("secrets", "stack"), ("stack", "secrets"), ("compose", "secrets"),
                     ("compose", "stack")):
            if _in(importer, f"{ROOT}.{a}") and _in(imported, f"{ROOT}.{b}"):
                problems.append(f"{where} ({a}/ and {b}/ meet only in compose/ or below)")
    return problems


def absolute_self_imports() -> list[str]:
    """Imports of the package by its own name from inside it (one style: relative)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                     else [])
            found += [f"{module_name(path)}:{node.lineno} {n}" for n in names if _in(n, ROOT)]
    return found


def test_imports_inside_the_package_are_relative():
    assert absolute_self_imports() == []


def test_the_package_keeps_its_layers():
    edges = package_imports()
    assert len(edges) > 200  # the walk really read the package
    assert violations(edges) == []


@pytest.mark.parametrize("importer, source, is_package, expected", [
    ("maestro_tasks.engine.runner", "def f():\n    from ..secrets.known import x\n", False,
     "maestro_tasks.engine.runner:2 imports maestro_tasks.secrets.known.x"),
    ("maestro_tasks.engine", "from .. import demo\n", True,
     "maestro_tasks.engine:1 imports maestro_tasks.demo"),
    ("maestro_tasks.engine.output", "import rich\n", False,
     "maestro_tasks.engine.output:1 imports rich"),
    ("maestro_tasks.secrets.steps", "from ..stack.compose import default_files\n", False,
     "maestro_tasks.secrets.steps:1 imports maestro_tasks.stack.compose.default_files"),
    ("maestro_tasks.stack.preflight", "import maestro_tasks.secrets.rules\n", False,
     "maestro_tasks.stack.preflight:1 imports maestro_tasks.secrets.rules"),
    ("maestro_tasks.stack", "from ..secrets import rules\n", True,
     "maestro_tasks.stack:1 imports maestro_tasks.secrets.rules"),
    ("maestro_tasks.compose.cli", "from ..stack import health\n", False,
     "maestro_tasks.compose.cli:1 imports maestro_tasks.stack.health"),
])
def test_each_kind_of_forbidden_import_is_caught(importer, source, is_package, expected):
    edges = [(importer, line, name) for line, name in imports_of(source, importer, is_package)]
    found = violations(edges)
    assert len(found) == 1 and found[0].startswith(expected)


@pytest.mark.parametrize("importer, source", [
    ("maestro_tasks.engine.runner", "import os\nfrom invoke.exceptions import Exit\n"
                                    "from .context import Context\nfrom . import fsio\n"),
    ("maestro_tasks.stack.steps", "from ..compose import cli\nfrom ..engine import BaseStep\n"),
    ("maestro_tasks.secrets.known", "from ..credentials import is_secret_key\n"),
])
def test_allowed_imports_pass(importer, source):
    edges = [(importer, line, name) for line, name in imports_of(source, importer, False)]
    assert violations(edges) == []
