"""Install hints from what the project declares (pure: files written here, no installs)."""

from __future__ import annotations

import sys

from maestro_tasks.testing import hints
from maestro_tasks.testing.interpreter import Interpreter


def write(tmp_path, text, name="pyproject.toml"):
    (tmp_path / name).write_text(text)
    return tmp_path


def test_pytest_missing_points_at_the_projects_test_extra(tmp_path):
    write(tmp_path, '[project]\nname = "p"\nversion = "1"\ndependencies = ["requests"]\n\n'
                    '[project.optional-dependencies]\ndocs = ["sphinx"]\ntest = ["pytest>=8"]\n')
    venv = Interpreter([str(tmp_path / ".venv" / "bin" / "python")], ".venv")
    hint = hints.for_distribution("pytest", tmp_path, venv)
    assert hint.text == ("pytest is declared in pyproject.toml extra [test] but not installed; "
                         "run: .venv/bin/python -m pip install -e '.[test]'")
    assert hints.for_project(tmp_path, venv) == \
        "install the project under test: .venv/bin/python -m pip install -e ."


def test_poetry_and_uv_environments_use_their_own_tools(tmp_path):
    write(tmp_path, '[tool.poetry]\nname = "p"\n\n[tool.poetry.dependencies]\npython = "^3.11"\n'
                    'numpy = "*"\n\n[tool.poetry.group.test.dependencies]\npytest = "*"\n'
                    '\n[dependency-groups]\nlint = ["ruff"]\n')
    poetry = Interpreter(["/usr/local/bin/poetry", "run", "python"], "poetry")
    assert hints.for_distribution("pytest", tmp_path, poetry).command == \
        "poetry install --with test"
    assert hints.for_distribution("numpy", tmp_path, poetry).command == "poetry install"
    assert hints.for_distribution("scipy", tmp_path, poetry).command == \
        "poetry add --group test scipy"
    (tmp_path / "uv.lock").write_text("")
    uv = Interpreter(["/usr/bin/uv", "run", "--no-sync", "python"], "uv")
    assert hints.for_distribution("ruff", tmp_path, uv).command == "uv sync --group lint"


def test_our_own_interpreter_is_never_named(tmp_path):
    write(tmp_path, "greenlet\n", "requirements-dev.txt")
    ours = Interpreter([sys.executable], "current")
    hint = hints.for_distribution("greenlet", tmp_path, ours)
    assert sys.executable not in hint.text
    assert hint.command == "python -m pip install -r requirements-dev.txt"
    assert "project's own environment" in hint.text


def test_combine_says_each_command_once(tmp_path):
    write(tmp_path, '[dependency-groups]\ntest = ["a", "b"]\n')
    venv = Interpreter([str(tmp_path / ".venv" / "bin" / "python")], ".venv")
    both = [hints.for_distribution(d, tmp_path, venv) for d in ("a", "b", "a")]
    assert hints.combine(both) == "a, b missing; run: .venv/bin/python -m pip install --group test"


def test_uv_lock_with_an_explicit_interpreter_installs_into_that_interpreter(tmp_path):
    write(tmp_path, '[project]\nname = "p"\nversion = "1"\ndependencies = ["pydantic"]\n')
    (tmp_path / "uv.lock").write_text("")
    named = Interpreter(["/opt/envs/p/bin/python"], "--python")
    assert hints.for_distribution("pydantic", tmp_path, named).command == \
        "/opt/envs/p/bin/python -m pip install -e ."
    venv = Interpreter([str(tmp_path / ".venv" / "bin" / "python")], ".venv")
    assert hints.for_distribution("pydantic", tmp_path, venv).command == "uv sync"


def test_undeclared_modules_come_after_the_declared_installs(tmp_path):
    write(tmp_path, '[project]\nname = "p"\nversion = "1"\ndependencies = ["pydantic"]\n')
    venv = Interpreter([str(tmp_path / ".venv" / "bin" / "python")], ".venv")
    out = hints.combine([hints.for_distribution(d, tmp_path, venv)
                         for d in ("annotated-types", "pydantic")])
    assert out == ("pydantic is declared in pyproject.toml [project] dependencies but not "
                   "installed; run: .venv/bin/python -m pip install -e .; annotated-types not "
                   "declared (maybe installed along with the above; else run: .venv/bin/python "
                   "-m pip install annotated-types)")
