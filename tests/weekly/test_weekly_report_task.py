"""week1.report through the real CLI: each line once, changed vs ok, --output anywhere, true
numbers from a real fix-tests run (failures and errors apart, errors grouped by cause)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from mt_testkit import run_cli

SUITE = '''\
import pytest


@pytest.fixture
def db():
    raise ConnectionRefusedError("database at localhost:5432 refused")


@pytest.fixture
def cache():
    raise TimeoutError("cache did not answer")


def test_ok():
    assert 1 + 1 == 2


def test_ok_too():
    assert "a" in "abc"


def test_wrong():
    assert 2 + 2 == 5


@pytest.mark.parametrize("n", range(3))
def test_needs_db(db, n):
    pass


def test_needs_cache(cache):
    pass
'''

COMPOSE = '''\
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: hunter2hunter2
'''


def _doc(res):
    assert res.stdout.strip(), res.stderr
    return json.loads(res.stdout)


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_things.py").write_text(SUITE)
    (root / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n")
    (root / "docker-compose.yml").write_text(COMPOSE)
    (root / "pyproject.toml").write_text(f'[tool.maestro-tasks]\npython = "{sys.executable}"\n')
    return root


def test_report_numbers_are_the_recorded_runs_each_line_once_changed_then_ok(project):
    tests = run_cli("week1.fix-tests", "--target", str(project), "--json", timeout=900)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    first = run_cli("week1.report", "--target", str(project), "--json")
    assert first.returncode == 0, first.stdout + first.stderr
    step = _doc(first)["steps"][0]
    assert step["status"] == "changed"
    details = step["details"]
    assert len(details) == len(set(details)), details  # each line once
    after = step["data"]["after"]
    assert (after["tests_collected"], after["tests_passed"], after["tests_failed"],
            after["tests_errors"]) == (7, 2, 1, 4)
    assert after["test_errors_by_cause"] == [
        ["ConnectionRefusedError: database at localhost:5432 refused", 3],
        ["TimeoutError: cache did not answer", 1]]
    assert after["secrets_files"] == ["docker-compose.yml"]
    text = (project / "WEEK1_REPORT.md").read_text()
    assert "| tests failing | unknown | 1 |" in text or "| tests failing |" in text
    assert "| test errors |" in text and text.count("| tests failing |") == 1
    assert "- 3 × ConnectionRefusedError: database at localhost:5432 refused" in text
    assert "| hardcoded secrets in compose files (docker-compose.yml) |" in text
    assert "hunter2hunter2" not in text

    # Human output: every line once.
    human = run_cli("week1.report", "--target", str(project))
    lines = [ln for ln in human.stdout.splitlines() if ln.strip().startswith("|")]
    assert lines and len(lines) == len(set(lines)), human.stdout

    before = (project / "WEEK1_REPORT.md").read_bytes()
    again = run_cli("week1.report", "--target", str(project), "--json")
    assert _doc(again)["steps"][0]["status"] == "ok"
    assert (project / "WEEK1_REPORT.md").read_bytes() == before


def test_output_relative_to_the_current_folder_or_absolute(tmp_path, project):
    elsewhere = tmp_path / "reports"
    elsewhere.mkdir()
    rel = run_cli("week1.report", "--target", str(project), "--output", "weekly.md", "--json",
                  cwd=elsewhere)
    assert rel.returncode == 0, rel.stdout + rel.stderr
    assert (elsewhere / "weekly.md").read_text().startswith("# Week 1 Summary")
    assert not (project / "weekly.md").exists()
    absolute = tmp_path / "out" / "abs.md"
    res = run_cli("week1.report", "--target", str(project), "--output", str(absolute), "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    doc = _doc(res)
    assert doc["steps"][0]["status"] == "changed"
    assert doc["steps"][0]["data"]["output"] == str(absolute)
    assert absolute.read_text().startswith("# Week 1 Summary")
    assert "hunter2hunter2" not in absolute.read_text()
    # A folder is not a file to write.
    bad = run_cli("week1.report", "--target", str(project), "--output", str(tmp_path))
    assert bad.returncode == 2 and "is a folder" in bad.stderr


def test_report_is_masked_wherever_it_lands(tmp_path, project):
    # A secret the target holds (here in .env) never reaches the report, even outside it.
    (project / ".env").write_text("POSTGRES_PASSWORD=Zq8sLkP2mW9vXc4nRt7yB3hJ\n")
    out = tmp_path / "r.md"
    res = run_cli("week1.report", "--target", str(project), "--output", str(out))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Zq8sLkP2mW9vXc4nRt7yB3hJ" not in out.read_text() + res.stdout + res.stderr


def test_without_an_issues_file_the_report_says_there_is_nothing_to_track(project):
    res = run_cli("week1.report", "--target", str(project), "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    text = (project / "WEEK1_REPORT.md").read_text()
    assert "- No CRITICAL_ISSUES.md in this repository: no critical issues to track" in text
    assert "Not synced yet" not in text
    (project / "CRITICAL_ISSUES.md").write_text("# Critical issues\n")
    run_cli("week1.report", "--target", str(project), "--json")
    assert "Not synced yet: run `invoke week1.issues`" in (project / "WEEK1_REPORT.md").read_text()
