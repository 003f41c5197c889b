"""The report's baseline is recorded per domain: a task measures only what it is about to change.

A first fix-secrets run must not pay for a pytest collection, and a first fix-tests run must
not scan compose files. Collection is observed through a conftest that leaves a marker in the
target when pytest imports it (fix-secrets' own proof collects in a scratch copy, not here).
"""

from __future__ import annotations

import json
import subprocess

from mt_testkit import compose_cmd, require, run_cli

COMPOSE = """services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: hunter2hunter2
"""
CONFTEST = """from pathlib import Path
(Path(__file__).parent / "collected.marker").write_text("x")
"""


def _target(tmp_path):
    (tmp_path / "docker-compose.yml").write_text(COMPOSE)
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "conftest.py").write_text(CONFTEST)
    (tests / "test_ok.py").write_text("def test_ok():\n    assert True\n")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def _baseline(target):
    return json.loads((target / ".maestro" / "state.json").read_text())["baseline"]


def test_fix_secrets_records_the_secrets_baseline_without_collecting_tests(tmp_path):
    require(compose_cmd() is not None, "docker compose v2")
    target = _target(tmp_path)
    res = run_cli("week1.fix-secrets", "--target", str(target))
    assert res.returncode == 0, res.stdout + res.stderr
    marker = target / "tests" / "collected.marker"
    assert not marker.exists(), "fix-secrets ran a pytest collection in the target"
    base = _baseline(target)
    assert set(base["domains"]) == {"secrets"}
    assert base["hardcoded_secrets"] == 1
    assert "tests_collected" not in base and "services_total" not in base
    first = base["measured_at"]

    tests = run_cli("week1.fix-tests", "--target", str(target), timeout=600)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    base = _baseline(target)
    assert set(base["domains"]) == {"secrets", "testing"}
    assert base["tests_collected"] == 1 and base["collection_errors"] == 0
    assert base["hardcoded_secrets"] == 1, "a later task must not re-measure a recorded domain"
    assert base["measured_at"] == first

    report = run_cli("week1.report", "--target", str(target), "--json")
    assert report.returncode == 0, report.stdout + report.stderr
    before = json.loads(report.stdout)["steps"][0]["data"]["before"]
    assert before["hardcoded_secrets"] == 1 and before["tests_collected"] == 1
    assert before.get("uis_total") is None  # never measured: the report says "unknown"


def test_fix_tests_records_only_the_testing_baseline(tmp_path):
    target = _target(tmp_path)
    res = run_cli("week1.fix-tests", "--target", str(target), timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    base = _baseline(target)
    assert set(base["domains"]) == {"testing"}
    assert "hardcoded_secrets" not in base and "services_total" not in base


def test_a_baseline_recorded_before_domains_counts_as_complete(tmp_path):
    target = _target(tmp_path)
    (target / ".maestro").mkdir()
    old = {"measured_at": "2026-01-01T00:00:00Z", "tests_collected": 7,
           "collection_errors": 3, "hardcoded_secrets": 9}
    (target / ".maestro" / "state.json").write_text(json.dumps({"baseline": old}))
    res = run_cli("week1.fix-tests", "--target", str(target), timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    assert _baseline(target) == old
