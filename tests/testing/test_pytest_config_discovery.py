"""Config discovery follows pytest's precedence, checked against pytest itself where it matters."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from maestro_tasks.engine import InputError
from maestro_tasks.testing.config import discover

V9, V8 = (9, 0), (8, 3)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


PYPROJECT = '[tool.pytest.ini_options]\npythonpath = ["src"]\n'


def test_empty_pytest_ini_wins_and_shadows_pyproject(tmp_path):
    write(tmp_path, {"pytest.ini": "", "pyproject.toml": PYPROJECT})
    found = discover(tmp_path, V9)
    assert found.effective.name == "pytest.ini" and found.effective.values == {}
    assert [s.label() for s in found.shadowed] == ["pyproject.toml [tool.pytest.ini_options]"]


def test_tox_ini_without_pytest_section_is_not_config(tmp_path):
    write(tmp_path, {"tox.ini": "[tox]\nenvlist = py311\n",
                     "setup.cfg": "[tool:pytest]\ntestpaths = tests\n"})
    found = discover(tmp_path, V9)
    assert found.effective.label() == "setup.cfg [tool:pytest]"
    assert found.effective.values == {"testpaths": "tests"}


def test_pyproject_without_pytest_tables_is_skipped(tmp_path):
    write(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n",
                     "tox.ini": "[pytest]\naddopts = -q\n"})
    assert discover(tmp_path, V9).effective.name == "tox.ini"


def test_native_tool_pytest_only_where_pytest_supports_it(tmp_path):
    write(tmp_path, {"pyproject.toml": '[tool.pytest]\npythonpath = ["src"]\n',
                     "setup.cfg": "[tool:pytest]\naddopts = -q\n"})
    assert discover(tmp_path, V9).effective.label() == "pyproject.toml [tool.pytest]"
    assert discover(tmp_path, V8).effective.name == "setup.cfg"


def test_pytest_toml_outranks_pytest_ini_on_pytest_9(tmp_path):
    write(tmp_path, {"pytest.toml": "[pytest]\naddopts = ['-q']\n", "pytest.ini": "[pytest]\n"})
    assert discover(tmp_path, V9).effective.name == "pytest.toml"
    assert discover(tmp_path, V8).effective.name == "pytest.ini"


def test_headerless_pytest_ini_is_diagnosed_not_rejected(tmp_path):
    write(tmp_path, {"pytest.ini": "# old\npythonpath = .\n"})
    eff = discover(tmp_path, V9).effective
    assert eff.headerless and eff.values == {"pythonpath": "."}


@pytest.mark.parametrize("name, text, line", [
    ("pytest.ini", "[pytest]\nthis line is broken\n", 2),
    ("pyproject.toml", "[tool.pytest.ini_options]\npythonpath = [\n", 2),
    ("setup.cfg", "[metadata]\nname = x\n[tool:pytest]\nnovalue\n", 4),
    ("tox.ini", "envlist = py311\n[pytest]\n", 1),
])
def test_unparseable_config_is_an_input_error_with_file_and_line(tmp_path, name, text, line):
    write(tmp_path, {name: text})
    with pytest.raises(InputError) as err:
        discover(tmp_path, V9)
    assert err.value.path == name and err.value.line == line


def test_setup_cfg_plain_pytest_section_is_refused_like_pytest(tmp_path):
    write(tmp_path, {"setup.cfg": "[pytest]\naddopts = -q\n"})
    with pytest.raises(InputError, match="tool:pytest"):
        discover(tmp_path, V9)


@pytest.mark.parametrize("files", [
    {"pytest.ini": "", "pyproject.toml": PYPROJECT, "tox.ini": "[pytest]\naddopts = -ra\n"},
    {"pyproject.toml": PYPROJECT, "tox.ini": "[pytest]\naddopts = -ra\n"},
    {"pyproject.toml": "[project]\nname = 'x'\n", "tox.ini": "[pytest]\naddopts = -ra\n"},
    {"tox.ini": "[tox]\nenvlist = py311\n", "setup.cfg": "[tool:pytest]\naddopts = -ra\n"},
    {"pyproject.toml": '[tool.pytest]\naddopts = ["-ra"]\n',
     "setup.cfg": "[tool:pytest]\naddopts = -ra\n"},
], ids=["empty-ini-wins", "pyproject", "tox-over-plain-pyproject", "setup-cfg", "native-toml"])
def test_model_agrees_with_the_installed_pytest(tmp_path, files):
    """pytest prints the config file it chose; the model must name the same one."""
    write(tmp_path, {**files, "tests/test_x.py": "def test_x(): pass\n"})
    out = subprocess.run([sys.executable, "-m", "pytest", "--co", "-p", "no:cacheprovider"],
                         cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"})
    line = next(line for line in out.stdout.splitlines() if "configfile: " in line)
    chosen = line.split("configfile: ")[1].split()[0].rstrip(",")
    ignored = re.findall(r"ignoring pytest config in ([^!]+)!", line)
    ignored = [name.strip() for group in ignored for name in group.split(",")]
    import pytest as installed

    version = tuple(int(p) for p in installed.__version__.split(".")[:2])
    found = discover(tmp_path, version)
    assert found.effective.name == chosen
    assert [s.name for s in found.shadowed] == ignored
