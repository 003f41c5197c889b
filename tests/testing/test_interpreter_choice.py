"""--python > poetry > uv > .venv/bin/python > the current interpreter."""

from __future__ import annotations

import sys

import pytest

from maestro_tasks.engine import StepFailed
from maestro_tasks.testing.interpreter import Interpreter, choose, inspect


def which_of(*available):
    return lambda name: f"/opt/bin/{name}" if name in available else None


def project(tmp_path, pyproject="", venv=False, uv_lock=False):
    if pyproject:
        (tmp_path / "pyproject.toml").write_text(pyproject)
    if venv:
        (tmp_path / ".venv" / "bin").mkdir(parents=True)
        (tmp_path / ".venv" / "bin" / "python").write_text("")
    if uv_lock:
        (tmp_path / "uv.lock").write_text("")
    return tmp_path


POETRY = "[tool.poetry]\nname = 'x'\n"


def test_flag_wins_over_everything(tmp_path):
    root = project(tmp_path, POETRY, venv=True)
    chosen = choose(root, "poetry run python", which=which_of("poetry"))
    assert chosen.argv == ["poetry", "run", "python"] and chosen.source == "--python"


def test_poetry_project_needs_poetry_installed(tmp_path):
    root = project(tmp_path, POETRY, venv=True)
    assert choose(root, which=which_of("poetry")).source == "poetry"
    assert choose(root, which=which_of()).source == ".venv"


def test_uv_project_needs_uv_and_never_syncs(tmp_path):
    root = project(tmp_path, uv_lock=True)
    chosen = choose(root, which=which_of("uv"))
    assert chosen.source == "uv" and "--no-sync" in chosen.argv
    assert choose(root, which=which_of()).source == "current"


def test_current_interpreter_last(tmp_path):
    chosen = choose(tmp_path, which=which_of())
    assert chosen.argv == [sys.executable] and chosen.source == "current"


def test_inspect_reports_versions(tmp_path):
    about = inspect(Interpreter([sys.executable], "current"), tmp_path)
    assert about.python_version.startswith("3.") and about.pytest_version
    assert about.pytest_tuple >= (7,)


def test_missing_interpreter_fails_with_a_hint(tmp_path):
    with pytest.raises(StepFailed, match="not found"):
        inspect(Interpreter([str(tmp_path / "nope")], "--python"), tmp_path)
