"""import-smoke picks the packages that are top level on the import path the tests see, and
diagnosis recognises the project's own PEP 420 namespace packages (real folders, real imports)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings, strategies as st

from maestro_tasks.testing import layout


def make(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_packages_nested_under_plain_folders_are_not_top_level(tmp_path):
    make(tmp_path, {
        "platform/__init__.py": "",
        "services/model_api/app/__init__.py": "",  # importable only as ... nothing
        "services/model_api/app/main.py": "",
        "notebooks/exp/__init__.py": "",
        "tests/test_x.py": "",
        "setup.py": "",
        "conftest.py": "",
    })
    assert layout.top_level_packages(tmp_path) == ["platform"]
    # a configured pythonpath entry makes its packages top level
    assert layout.top_level_packages(tmp_path, pythonpath=["services/model_api"]) == \
        ["platform", "app"]


def test_namespace_project_imports_the_packages_inside_the_namespace(tmp_path):
    make(tmp_path, {"src/acme/core/__init__.py": "X = 1\n", "src/acme/web/__init__.py": "",
                    "src/acme/util.py": "", "tests/test_core.py": ""})
    packages = layout.top_level_packages(tmp_path)
    assert packages == ["acme.core", "acme.web"]
    assert "core" not in packages
    # each is importable from src: a fresh interpreter proves the names are right
    for name in packages:
        subprocess.run([sys.executable, "-c", f"import {name}"], cwd=tmp_path, check=True,
                       env={"PYTHONPATH": str(tmp_path / "src")})


def test_root_namespace_counts_only_under_the_project_name(tmp_path):
    make(tmp_path, {"pyproject.toml": '[project]\nname = "acme"\nversion = "1"\n',
                    "acme/core/__init__.py": "", "examples/demo/__init__.py": ""})
    assert layout.top_level_packages(tmp_path) == ["acme.core"]


def test_namespace_packages_are_the_projects_own_modules(tmp_path):
    make(tmp_path, {"src/acme/core/__init__.py": "", "pkgless/tool.py": "",
                    "docs/conf.txt": ""})
    assert layout.find_module_roots(tmp_path, "acme") == ["src"]
    assert layout.find_module_roots(tmp_path, "pkgless") == ["."]
    assert layout.find_module_roots(tmp_path, "docs") == []  # no Python code in it
    assert layout.find_module_roots(tmp_path, "requests") == []


names = st.text(alphabet="abcdefgh", min_size=1, max_size=5)


@settings(max_examples=40, deadline=None)
@given(tree=st.lists(st.tuples(st.lists(names, min_size=1, max_size=3), st.booleans()),
                     max_size=6))
def test_every_smoke_package_is_importable_by_its_name(tmp_path_factory, tree):
    """Property: whatever the folder tree, each package named is importable from the root
    with src/ on the path (no nested-under-plain-folder names)."""
    root = tmp_path_factory.mktemp("tree")
    for parts, is_pkg in tree:
        folder = root.joinpath(*parts)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ("__init__.py" if is_pkg else "mod.py")).write_text("")
    for name in layout.top_level_packages(root):
        first = name.split(".")[0]
        where = root / first
        assert where.is_dir() and (
            (where / "__init__.py").is_file() or layout.is_namespace_package(where)), name
