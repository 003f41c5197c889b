"""A target with nothing for a task to do: skipped with the reason, and nothing written (not
even .maestro/)."""

from __future__ import annotations

import json
import subprocess

import pytest

from mt_testkit import run_cli, tree_digest


@pytest.fixture
def bare(tmp_path):
    target = tmp_path / "bare"
    (target / "docs").mkdir(parents=True)
    (target / "README.md").write_text("nothing to build here\n")
    (target / "docs" / "notes.py").write_text("print('not a test')\n")
    subprocess.run(["git", "init", "-q"], cwd=target, check=True)
    return target


@pytest.mark.parametrize("task,step,reason", [
    ("week1.fix-tests", "tests", "no Python tests in the target"),
    ("week1.fix-secrets", "compose", "no compose file"),
    ("week1.build-uis", "discover", "no UI apps"),
    ("week1.up", "preflight", "no compose file in the target"),
])
def test_nothing_to_do_is_skipped_and_writes_nothing(bare, task, step, reason):
    before = tree_digest(bare)
    res = run_cli(task, "--target", str(bare), "--json", timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    doc = json.loads(res.stdout)
    steps = {s["name"]: s for s in doc["steps"]}
    assert steps[step]["status"] == "skipped" and reason in steps[step]["summary"]
    assert all(s["status"] == "skipped" for s in doc["steps"])
    assert tree_digest(bare) == before
    assert not (bare / ".maestro").exists()


def test_fix_tests_runs_when_a_test_module_exists(bare):
    (bare / "tests").mkdir()
    (bare / "tests" / "test_one.py").write_text("def test_one():\n    assert True\n")
    res = run_cli("week1.fix-tests", "--target", str(bare), "--json", timeout=300)
    doc = json.loads(res.stdout)
    assert "tests" not in {s["name"] for s in doc["steps"]}
    assert (bare / "TEST_STATUS.md").is_file()


def test_verify_skips_what_does_not_apply_instead_of_failing_it(bare):
    """No tests, no compose file, no UI, no CRITICAL_ISSUES.md: nothing of week 1 applies, so
    verify is not failed by it, and says why for each item."""
    before = tree_digest(bare)
    res = run_cli("week1.verify", "--target", str(bare), "--json", timeout=300)
    doc = json.loads(res.stdout)
    assert res.returncode == 0, res.stdout + res.stderr
    assert {s["status"] for s in doc["steps"]} == {"skipped"}
    reasons = {s["name"]: s["summary"] for s in doc["steps"]}
    assert "no Python tests" in reasons["tests execute without import errors"]
    assert "no compose file" in reasons["docker-compose stack running"]
    assert "no CRITICAL_ISSUES.md" in reasons["critical issues tracked"]
    assert tree_digest(bare) == before and not (bare / ".maestro").exists()


def test_verify_still_fails_an_unmet_item_next_to_one_that_does_not_apply(bare):
    (bare / "tests").mkdir()
    (bare / "tests" / "test_broken.py").write_text("import not_a_module_anywhere\n")
    res = run_cli("week1.verify", "--target", str(bare), "--json", timeout=300)
    doc = json.loads(res.stdout)
    status = {s["name"]: s["status"] for s in doc["steps"]}
    assert res.returncode == 1
    assert status["tests execute without import errors"] == "failed"
    assert status["docker-compose stack running"] == "skipped"
