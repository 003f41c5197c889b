"""One small project per shape the diagnosis must know (written here, real pytest runs): the
finding's kind, the repair as a minimal diff or the hint's text, and bare pytest after a repair."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from maestro_tasks.testing import diagnose, interpreter, known, targetenv

from .test_repair_samples import diff_sets, run_fix

PYTEST = Path(sys.executable).with_name("pytest")
PASSING = "def test_ok():\n    assert True\n"


def make(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def bare_pytest(target: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run([str(PYTEST), "-q", "-p", "no:cacheprovider"], cwd=target, env=env,
                          capture_output=True, text=True)


def fix(target: Path):
    result = run_fix(target)
    steps = {s.name: s for s in result.steps}
    cfg = steps["pytest-config"]
    return steps, cfg, {f["kind"]: f for f in cfg.data.get("findings", [])}


def venv_wrapper(target: Path) -> None:
    """The target's own .venv, standing in as a wrapper that runs this interpreter."""
    python = target / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)


# ---- item 5: the project's own code is a path problem, never `pip install` ---------------------
def test_root_namespace_package_is_repaired_by_path_not_pip(tmp_path):
    make(tmp_path, {"pyproject.toml": '[project]\nname = "acme"\nversion = "1"\n\n'
                                      '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
                    "acme/core/__init__.py": "", "acme/core/thing.py": "VALUE = 3\n",
                    "tests/test_thing.py": "from acme.core.thing import VALUE\n\n\n"
                                           "def test_value():\n    assert VALUE == 3\n"})
    before = (tmp_path / "pyproject.toml").read_text()
    steps, cfg, kinds = fix(tmp_path)
    assert "own-package-not-importable" in kinds and "missing-dependency" not in kinds
    assert "pip install acme" not in str(cfg.data["findings"])  # never a stranger's package
    assert diff_sets(before, (tmp_path / "pyproject.toml").read_text()) == \
        (set(), {'pythonpath = ["."]'})
    assert steps["import-smoke"].data["imported"] == ["acme.core"]
    assert bare_pytest(tmp_path).returncode == 0


def test_src_pep420_package_is_repaired(tmp_path):
    make(tmp_path, {"pytest.ini": "[pytest]\ntestpaths = tests\n",
                    "src/acme/core/__init__.py": "", "src/acme/core/thing.py": "VALUE = 3\n",
                    "tests/test_thing.py": "from acme.core.thing import VALUE\n\n\n"
                                           "def test_value():\n    assert VALUE == 3\n"})
    steps, cfg, kinds = fix(tmp_path)
    assert cfg.status == "changed" and "own-package-not-importable" in kinds
    assert (tmp_path / "pytest.ini").read_text() == \
        "[pytest]\ntestpaths = tests\npythonpath = src\n"
    assert steps["import-smoke"].data["imported"] == ["acme.core"]  # never a bare `core`
    assert bare_pytest(tmp_path).returncode == 0


def test_transitive_import_error_in_a_conftest_names_the_missing_distribution(tmp_path):
    make(tmp_path, {"pytest.ini": "[pytest]\npythonpath = .\n",
                    "app/__init__.py": "",
                    # what SQLAlchemy does when greenlet is absent
                    "app/db.py": "try:\n    import greenlet\nexcept ImportError as exc:\n"
                                 "    raise ValueError(f'the greenlet library is required to use "
                                 "this function. {exc}') from None\n",
                    "tests/conftest.py": "from app.db import greenlet\n",
                    "tests/test_db.py": PASSING})
    _, cfg, kinds = fix(tmp_path)
    assert "missing-dependency" in kinds, kinds
    assert "'greenlet'" in kinds["missing-dependency"]["message"]
    assert "collection-error" not in kinds and "fix the test module" not in str(kinds)
    assert "greenlet is not declared anywhere" in cfg.hint


def test_missing_plugin_is_named_as_a_plugin(tmp_path):
    make(tmp_path, {"pytest.ini": "[pytest]\naddopts = --strict-markers\nasyncio_mode = auto\n",
                    "tests/test_async.py": "import pytest\n\n\n@pytest.mark.asyncio\n"
                                           "async def test_a():\n    pass\n",
                    "requirements-dev.txt": "pytest\npytest-asyncio>=0.23\n"})
    before = (tmp_path / "pytest.ini").read_text()
    _, cfg, kinds = fix(tmp_path)
    plugin = kinds["missing-plugin"]
    assert "pytest-asyncio" in plugin["message"]
    assert "collection-error" not in kinds and "unknown-key" not in kinds
    assert "-m pip install -r requirements-dev.txt" in plugin["hint"]
    assert "pytest-asyncio is declared in requirements-dev.txt" in cfg.hint
    assert (tmp_path / "pytest.ini").read_text() == before  # the plugin's key is kept


def test_uninstalled_project_under_test_is_named(tmp_path):
    venv_wrapper(tmp_path)
    make(tmp_path, {"pyproject.toml": '[project]\nname = "acme-proj"\nversion = "1"\n',
                    "tests/test_version.py": "from importlib.metadata import version\n"
                                             "V = version('acme-proj')\n\n\n" + PASSING})
    _, cfg, kinds = fix(tmp_path)
    assert kinds["project-not-installed"]["hint"] == \
        "install the project under test: .venv/bin/python -m pip install -e ."


def test_module_to_distribution_table_and_target_metadata(tmp_path):
    for module, dist in (("google.protobuf", "protobuf"), ("google.protobuf.json_format",
                         "protobuf"), ("grpc", "grpcio"), ("ruamel.yaml", "ruamel.yaml"),
                         ("pkg_resources", "setuptools"), ("yaml", "PyYAML"),
                         ("sklearn.linear_model", "scikit-learn"), ("cv2", "opencv-python"),
                         ("PIL", "Pillow")):
        assert diagnose.distribution_for(module, tmp_path, None) == dist
    # not in the table: the target environment's own metadata answers
    interp = interpreter.inspect(interpreter.Interpreter([sys.executable], "--python"), tmp_path)
    env = targetenv.inspect_env(interp, tmp_path)
    assert env.installed("pytest") and env.version("pip")
    assert diagnose.distribution_for("_hypothesis_pytestplugin", tmp_path, env) == "hypothesis"
    assert known.missing_plugin("'asyncio' not found in `markers` configuration option")[0] == \
        "pytest-asyncio"
    assert known.missing_plugin("error: unrecognized arguments: --cov=src")[0] == "pytest-cov"


# ---- item 6: hints install what the project declares, into its own environment -----------------
NEEDS_GREENLET = {"tests/test_g.py": "import greenlet\n\n\n" + PASSING}


def _hint(tmp_path, files):
    venv_wrapper(tmp_path)
    make(tmp_path, {**files, **NEEDS_GREENLET})
    _, cfg, kinds = fix(tmp_path)
    assert cfg.status == "failed" and "missing-dependency" in kinds
    return kinds["missing-dependency"]["hint"], cfg.hint


def test_hint_poetry_group(tmp_path):
    hint, _ = _hint(tmp_path, {"pyproject.toml": '[tool.poetry]\nname = "p"\nversion = "1"\n\n'
                                                 '[tool.poetry.group.test.dependencies]\n'
                                                 'greenlet = "^3"\n'})
    assert hint.endswith("run: poetry install --with test")
    assert "Poetry group test" in hint


def test_hint_pep735_group_needs_pip_25_1(tmp_path):
    hint, _ = _hint(tmp_path, {"pyproject.toml": '[project]\nname = "p"\nversion = "1"\n\n'
                                                 '[dependency-groups]\ntest = ["greenlet>=3"]\n'})
    assert "declared in pyproject.toml [dependency-groups] test" in hint
    assert ".venv/bin/python -m pip install --group test" in hint
    assert sys.executable not in hint  # the target's interpreter, never ours
    env = targetenv.inspect_env(interpreter.Interpreter([sys.executable], "x"), tmp_path)
    if not env.pip_at_least(25, 1):
        assert "pip>=25.1" in hint and "uv sync --group test" in hint


def test_hint_extras_and_requirements_and_no_duplicates(tmp_path):
    hint, step_hint = _hint(tmp_path, {
        "pyproject.toml": '[project]\nname = "p"\nversion = "1"\n\n'
                          '[project.optional-dependencies]\ntests = ["greenlet", "greenlet2"]\n',
        "tests/test_h.py": "import greenlet2\n\n\n" + PASSING})
    assert hint.endswith("run: .venv/bin/python -m pip install -e '.[tests]'")
    # two modules, one command: said once
    assert step_hint == "greenlet, greenlet2 missing; run: .venv/bin/python -m pip install -e " \
                        "'.[tests]'"


def test_hint_requirements_file(tmp_path):
    hint, _ = _hint(tmp_path, {"test-requirements.txt": "greenlet==3.0\n"})
    assert hint.endswith("run: .venv/bin/python -m pip install -r test-requirements.txt")


# ---- item 7: strict modes, misspelled and dead keys, shadowing and parent configs --------------
def test_misspelled_key_renamed_in_place_under_filterwarnings_error(tmp_path):
    make(tmp_path, {"pytest.ini": "[pytest]\n# ours\npython-files = check_*.py\n"
                                  "filterwarnings =\n    error\n",
                    "tests/check_one.py": PASSING})
    assert bare_pytest(tmp_path).returncode != 0  # pytest crashes on the unknown key
    _, cfg, kinds = fix(tmp_path)
    assert cfg.status == "changed", cfg.summary
    assert (tmp_path / "pytest.ini").read_text() == \
        "[pytest]\n# ours\npython_files = check_*.py\nfilterwarnings =\n    error\n"
    assert "misspelled-key" in kinds and "config-error" not in kinds
    run = bare_pytest(tmp_path)
    assert run.returncode == 0 and "1 passed" in run.stdout


def test_misspelled_keys_renamed_in_toml_under_strict_config(tmp_path):
    make(tmp_path, {"pyproject.toml": '[tool.pytest.ini_options]\naddopts = "--strict-config"\n'
                                      'python-files = ["check_*.py"]\n'
                                      'asyncio-mode = "auto"\nmarkers = ["slow: slow"]\n'
                                      'xfail-strict = true\n',  # an alias of strict_xfail
                    "tests/check_one.py": PASSING})
    before = (tmp_path / "pyproject.toml").read_text()
    _, cfg, kinds = fix(tmp_path)
    after = (tmp_path / "pyproject.toml").read_text()
    assert diff_sets(before, after) == (
        {'python-files = ["check_*.py"]', 'asyncio-mode = "auto"', "xfail-strict = true"},
        {'python_files = ["check_*.py"]', 'asyncio_mode = "auto"', "xfail_strict = true"})
    assert after.splitlines()[2].startswith("python_files")  # same line
    assert "pytest-asyncio" in kinds["missing-plugin"]["message"]


def test_dead_import_mode_key_is_deleted_not_switched_on(tmp_path):
    make(tmp_path, {"pytest.ini": "[pytest]\nimport-mode = importlib\ntestpaths = tests\n",
                    "tests/test_a.py": PASSING})
    _, cfg, kinds = fix(tmp_path)
    assert (tmp_path / "pytest.ini").read_text() == "[pytest]\ntestpaths = tests\n"
    assert "dead-key" in kinds
    assert bare_pytest(tmp_path).returncode == 0


def test_empty_shadowing_ini_is_deleted_and_pyproject_takes_over(tmp_path):
    make(tmp_path, {"pytest.ini": "[pytest]\n",
                    "pyproject.toml": '[tool.pytest.ini_options]\npython_files = ["check_*.py"]\n',
                    "tests/check_one.py": PASSING})
    pyproject = (tmp_path / "pyproject.toml").read_bytes()
    assert "no tests ran" in bare_pytest(tmp_path).stdout
    _, cfg, kinds = fix(tmp_path)
    assert cfg.status == "changed" and "empty-shadowing-config" in kinds
    assert [c.action for c in cfg.changes] == ["delete"]
    assert cfg.data["effective_config"] == "pyproject.toml [tool.pytest.ini_options]"
    assert not (tmp_path / "pytest.ini").exists()
    assert (tmp_path / "pyproject.toml").read_bytes() == pyproject
    assert list((tmp_path / ".maestro" / "backups").rglob("pytest.ini"))  # kept in the backup
    run = bare_pytest(tmp_path)
    assert run.returncode == 0 and "1 passed" in run.stdout


def test_parent_config_that_hides_the_target_is_reported(tmp_path):
    make(tmp_path, {"pytest.ini": "[pytest]\npython_files = spec_*.py\n",
                    "proj/tests/test_a.py": PASSING})
    target = tmp_path / "proj"
    _, cfg, kinds = fix(target)
    parent = kinds["parent-config"]
    assert "above the target" in parent["message"] and "no test" in parent["message"]
    assert sorted(p.name for p in target.iterdir()) == [".maestro", "tests"]  # nothing written


def test_missing_git_submodule_is_named(tmp_path):
    make(tmp_path, {".gitmodules": '[submodule "cases"]\n\tpath = tests/cases\n'
                                   "\turl = https://example.invalid/cases.git\n",
                    "tests/test_cases.py": "import pathlib\n"
                                           "LIST = (pathlib.Path(__file__).parent / 'cases' / "
                                           "'list.txt').read_text()\n\n\n" + PASSING})
    (tmp_path / "tests" / "cases").mkdir()  # what a clone without --recursive leaves
    _, cfg, kinds = fix(tmp_path)
    assert kinds["submodule-missing"]["hint"] == ("tests/cases is a git submodule that is not "
                                                  "checked out; run: git submodule update --init")
    assert "collection-error" not in kinds
