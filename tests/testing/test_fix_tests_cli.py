"""week1.fix-tests through the real CLI, on a sample of our own and on the bundled example."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mt_testkit import run_cli, tree_digest
from maestro_tasks.testing import report, stats
from maestro_tasks.testing.metrics import baseline_metrics

SAMPLES = Path(__file__).parent / "samples"


def fix(*args: str, target: Path):
    return run_cli("week1.fix-tests", "--target", str(target), *args)


def doc(proc) -> dict:
    assert proc.stdout.strip(), proc.stderr
    return json.loads(proc.stdout)


def step(document: dict, name: str) -> dict:
    return next(s for s in document["steps"] if s["name"] == name)


def test_check_writes_nothing_and_exits_1_while_pending_then_0(tmp_path):
    target = tmp_path / "proj"
    shutil.copytree(SAMPLES / "tox_ini", target)
    stale = target / "src" / "ledger" / "__pycache__"
    stale.mkdir()
    (stale / "__init__.cpython-311.pyc").write_bytes(b"stale")
    before = tree_digest(target)

    checked = fix("--check", "--json", target=target)
    assert checked.returncode == 1, checked.stderr
    assert tree_digest(target) == before  # not even __pycache__ or .pytest_cache
    pending = doc(checked)
    assert [c["path"] for c in step(pending, "pytest-config")["changes"]] == ["tox.ini"]
    assert [c["action"] for c in step(pending, "caches")["changes"]] == ["delete"]

    applied = fix("--json", target=target)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    result = doc(applied)
    assert not stale.exists()
    suite = step(result, "test-suite")["data"]
    assert (suite["collected"], suite["passed"], suite["collection_errors"]) == (2, 2, 0)
    status = (target / "TEST_STATUS.md").read_text()
    recorded = stats.load(target / ".maestro/pytest-stats.json")
    assert report.counts_in_report(status) == recorded.table_counts()
    assert (target / ".maestro/junit.xml").is_file()  # kept as an artefact

    rechecked = fix("--check", target=target)
    assert rechecked.returncode == 0, rechecked.stdout + rechecked.stderr
    assert not list(target.rglob("__pycache__")) and not list(target.rglob(".pytest_cache"))


def test_missing_dependency_exits_1_with_the_install_hint(tmp_path):
    target = tmp_path / "proj"
    shutil.copytree(SAMPLES / "missing_dep", target)
    before = (target / "pyproject.toml").read_bytes()
    proc = fix("--json", target=target)
    assert proc.returncode == 1
    cfg = step(doc(proc), "pytest-config")
    assert cfg["status"] == "failed" and "scikit-learn" in cfg["hint"]
    assert (target / "pyproject.toml").read_bytes() == before
    # the suite still ran: the tests that can run, ran
    suite = step(doc(proc), "test-suite")["data"]
    assert suite["passed"] == 1 and suite["collection_errors"] == 1


def test_broken_pytest_ini_exits_2_and_writes_nothing(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\ntestpaths = tests\nthis is not ini\n")
    before = tree_digest(tmp_path)
    proc = fix(target=tmp_path)
    assert proc.returncode == 2
    assert "pytest.ini:3" in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr
    # the engine takes the target lock (in .maestro/) before inputs are parsed; nothing else
    after = {k: v for k, v in tree_digest(tmp_path).items() if not k.startswith(".maestro")}
    assert after == before


def test_stopping_early_is_refused(tmp_path):
    proc = fix("--pytest-args", "-x -q", target=tmp_path)
    assert proc.returncode == 2 and "-x" in proc.stderr + proc.stdout


def test_every_flag_is_documented():
    proc = run_cli("--help", "week1.fix-tests")
    assert proc.returncode == 0
    for flag in ("--target", "--python", "--check", "--diff", "--json", "--no-run", "--strict",
                 "--pytest-args"):
        assert flag in proc.stdout


def test_bundled_example_end_to_end(example_copy):
    target = example_copy
    baseline = baseline_metrics(target)
    assert baseline["collection_errors"] and baseline["collection_errors"] > 0
    assert baseline["tests_passed"] is None
    config_files = ("pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini")

    first = fix("--json", target=target)
    assert first.returncode == 0, first.stdout + first.stderr
    result = doc(first)
    assert step(result, "pytest-config")["status"] == "changed"
    suite = step(result, "test-suite")["data"]
    assert suite["collection_errors"] == 0 and suite["failed"] >= 1
    failing = [f["test"] for f in suite["failing"] if f["status"] == "failed"]
    assert failing
    status = (target / "TEST_STATUS.md").read_text()
    log = (target / "test-results.txt").read_text()
    for test in failing:
        assert test in status
        assert f"FAILED {test}" in log
    assert report.counts_in_report(status)["failed"] == suite["failed"]
    after = baseline_metrics(target)
    assert after["collection_errors"] == 0 and after["tests_failed"] == suite["failed"]

    kept = {name: (target / name).read_bytes() for name in config_files
            if (target / name).exists()}
    second = fix("--json", target=target)
    assert second.returncode == 0, second.stdout + second.stderr
    changes = [c for s in doc(second)["steps"] for c in s["changes"] if c["action"] != "run"]
    assert changes == []
    assert {name: (target / name).read_bytes() for name in kept} == kept

    strict = fix("--check", "--strict", target=target)
    assert strict.returncode == 1  # a genuinely failing test fails the task only with --strict
    assert "no failing tests" in strict.stdout


def test_python_setting_in_pyproject_chooses_the_interpreter(tmp_path):
    import sys

    target = tmp_path / "proj"
    shutil.copytree(SAMPLES / "src_layout_ini", target)
    pyproject = target / "pyproject.toml"
    existing = pyproject.read_text() if pyproject.exists() else ""
    pyproject.write_text(existing + f'\n[tool.maestro-tasks]\npython = "{sys.executable} -I"\n')
    result = doc(fix("--check", "--json", target=target))
    summary = step(result, "interpreter")["summary"]
    assert "setting python" in summary and "-I" in summary


def test_a_test_that_prints_an_env_secret_leaks_it_into_no_report(tmp_path):
    secret = "Qc7Lm2Vx9Tr4Kp8Wz3Hs6Nd1Yb5Fj0Ga"
    target = tmp_path / "proj"
    shutil.copytree(SAMPLES / "src_layout_ini", target)
    (target / ".env").write_text(f"POSTGRES_PASSWORD={secret}\n")
    (target / "tests" / "test_leaky.py").write_text(
        "def test_leaky():\n"
        f"    value = {secret!r}\n"
        "    print('connecting with', value)\n"
        "    assert value == 'something else'\n")
    res = fix("--json", target=target)
    assert res.returncode == 0, res.stdout + res.stderr
    assert doc(res)["steps"][-1]["data"]["failed"] == 1
    written = {name: (target / name).read_text() for name in
               ("TEST_STATUS.md", "test-results.txt", ".maestro/junit.xml")}
    for name, text in {**written, "stdout": res.stdout, "stderr": res.stderr}.items():
        assert secret not in text and secret[:12] not in text, name
    assert "Qc…(32)" in written["test-results.txt"]
