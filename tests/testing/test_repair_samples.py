"""Each sample project reaches zero collection errors, or the right diagnosis, with a config diff
limited to the lines that had to change. Real pytest runs; the steps are called in-process."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from maestro_tasks.engine import FAILED, Masker, TaskSpec, run_steps
from maestro_tasks.engine.context import Context
from maestro_tasks.engine.output import Reporter
from maestro_tasks.testing import config, diagnose, interpreter, probe
from maestro_tasks.testing.steps import fix_tests_steps

SAMPLES = Path(__file__).parent / "samples"

# sample -> (config file, lines removed, lines added)
EXPECTED = {
    "src_layout_ini": ("pytest.ini", set(), {"pythonpath = src"}),
    "flat_pyproject": ("pyproject.toml", set(), {'pythonpath = ["."]'}),
    "tox_ini": ("tox.ini", {"testpaths = unit_tests"}, {"testpaths = tests", "pythonpath = src"}),
    # the dead import-mode key is deleted (pytest ignored it), not turned into importlib mode
    "setup_cfg": ("setup.cfg", {"import-mode = importlib", "python-files = check_*.py"},
                  {"python_files = check_*.py", "pythonpath = lib"}),
    "headerless_ini": ("pytest.ini", set(), {"[pytest]"}),
}


def copy_sample(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(SAMPLES / name, target)
    return target


def diff_sets(old: str, new: str) -> tuple[set[str], set[str]]:
    removed, added = set(), set()
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        (removed if line.startswith("-") else added).add(line[1:])
    return removed, added


def run_fix(target: Path, **options):
    ctx = Context(target=target, json=True, masker=Masker())
    spec = TaskSpec("week1.fix-tests", fix_tests_steps)
    return run_steps(ctx, [(spec, {"no_run": True, **options})], Reporter(Masker(), True))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_is_repaired_with_a_minimal_diff(name, tmp_path):
    target = copy_sample(name, tmp_path)
    rel, removed, added = EXPECTED[name]
    before = (target / rel).read_text()
    result = run_fix(target)
    steps = {s.name: s for s in result.steps}
    cfg = steps["pytest-config"]
    assert cfg.status == "changed", cfg.summary
    assert cfg.data["collection_errors"] == 0 and cfg.data["collected"] > 0
    assert all(c.met for c in cfg.criteria)
    assert diff_sets(before, (target / rel).read_text()) == (removed, added)
    assert steps["import-smoke"].status == "ok"
    # the runner's re-plan after apply found nothing left to change (else: failed)


def test_missing_dependency_is_diagnosed_not_path_patched(tmp_path):
    target = copy_sample("missing_dep", tmp_path)
    before = (target / "pyproject.toml").read_bytes()
    result = run_fix(target)
    cfg = next(s for s in result.steps if s.name == "pytest-config")
    assert cfg.status == FAILED
    assert (target / "pyproject.toml").read_bytes() == before
    assert cfg.changes == []
    missing = [f for f in cfg.data["findings"] if f["kind"] == "missing-dependency"]
    assert len(missing) == 1 and "'sklearn'" in missing[0]["message"]
    assert "scikit-learn is declared in pyproject.toml" in missing[0]["hint"]
    assert "scikit-learn" in cfg.hint
    assert not [f for f in cfg.data["findings"] if f["kind"] == "own-package-not-importable"]


def test_search_prefers_the_smallest_change_and_keeps_trying_only_when_needed(tmp_path):
    target = copy_sample("src_layout_ini", tmp_path)
    interp = interpreter.inspect(interpreter.choose(target), target)
    discovery = config.discover(target, interp.pytest_tuple)
    seen: list[probe.Overrides] = []

    def run(overrides):
        seen.append(overrides)
        return probe.collect(interp, target, overrides)

    before = run(probe.Overrides())
    assert before.error_count == 1 and before.errors[0].top_module == "inventory"
    diag = diagnose.diagnose(target, discovery, before, run, interp_command=interp.command,
                             interp_source=interp.source)
    assert diag.edits == [config.Edit("set", "pythonpath", ("src",))]
    assert diag.after.error_count == 0 and diag.after.collected == 2
    # level one reached zero errors: no pythonpath + import-mode combination was tried
    assert all(c.size <= 1 for c in diag.tried)
    assert ("pythonpath", str((target / "src").resolve())) in seen[1].ini


def test_static_findings_rootdir_init_and_conftest_side_effects(tmp_path):
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text("import sys\nsys.path.insert(0, 'src')\n")
    findings = diagnose.static_findings(tmp_path, config.discover(tmp_path, (9, 0)))
    kinds = {f.kind for f in findings}
    assert {"rootdir-init", "conftest-side-effect", "no-config"} <= kinds


def test_rootdir_conftest_import_failure_is_repaired_with_a_new_config(tmp_path):
    """pytest stops before collecting when the rootdir conftest cannot import the package."""
    (tmp_path / "src" / "ownpkg").mkdir(parents=True)
    (tmp_path / "src" / "ownpkg" / "__init__.py").write_text("V = 1\n")
    (tmp_path / "conftest.py").write_text("from ownpkg import V\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_v.py").write_text("from ownpkg import V\n\n\ndef test_v():\n"
                                                  "    assert V == 1\n")
    result = run_fix(tmp_path)
    cfg = next(s for s in result.steps if s.name == "pytest-config")
    assert cfg.status == "changed" and cfg.data["collection_errors"] == 0
    assert cfg.data["collection_errors_before"] is None  # pytest never reached collection
    own = [f for f in cfg.data["findings"] if f["kind"] == "own-package-not-importable"]
    assert own and "conftest.py" in own[0]["message"]
    assert (tmp_path / "pytest.ini").read_text() == "[pytest]\npythonpath = src\n"
