"""The weekly report renders measured numbers; unknown stays 'unknown'."""

from __future__ import annotations

from maestro_tasks.resources import template
from maestro_tasks.weekly.report import outcomes, render

BEFORE = {"measured_at": "2026-11-23T09:00:00Z", "tests_collected": 0, "tests_passed": None,
          "tests_failed": None, "collection_errors": 4, "hardcoded_secrets": 17, "uis_total": 2,
          "uis_built": 0, "services_total": None, "services_healthy": None}
AFTER = {"tests_collected": 14, "tests_passed": 12, "tests_failed": 1, "collection_errors": 0,
         "hardcoded_secrets": 0, "uis_total": 2, "uis_built": 2, "services_total": 8,
         "services_healthy": 0, "tests_errors": 3, "secrets_files": ["docker-compose.yml"],
         "test_errors_by_cause": [["ConnectionRefusedError: db refused", 2],
                                  ["TimeoutError: slow", 1]]}


def render_it(before=BEFORE, after=AFTER):
    return render(template("WEEK1_REPORT.md"), before=before, after=after,
                  target_name="maestro_ml", generated_at="2026-11-27T16:00:00Z", version="0.1.0")


def test_rows_show_before_and_after():
    text = render_it()
    assert "| tests passing | unknown | 12 |" in text
    assert "| collection errors | 4 | 0 |" in text
    assert "| hardcoded secrets in compose files (docker-compose.yml) | 17 | 0 |" in text
    assert "| tests failing | unknown | 1 |" in text and "| test errors | unknown | 3 |" in text
    assert "| UIs built | 0 of 2 | 2 of 2 |" in text
    assert "| services healthy | unknown | 0 of 8 |" in text
    assert "- 12 tests passing (was unknown)" in text
    assert "$" not in text  # no unrendered placeholder, unlike the old script's $TEST_COUNT


def test_shipped_and_blockers_follow_the_numbers():
    text = render_it()
    shipped = text.split("## Shipped", 1)[1].split("##", 1)[0]
    blockers = text.split("## Blockers", 1)[1].split("##", 1)[0]
    assert "Tests execute without import errors" in shipped
    assert "No hardcoded secrets" in shipped
    assert "Stack running" in blockers and "0 of 8 services healthy" in blockers
    assert "1 failing tests" in blockers
    assert "3 test errors (setup / teardown), by cause:" in blockers
    assert "  - 2 × ConnectionRefusedError: db refused" in blockers


def test_no_baseline_says_unknown_not_zero():
    text = render_it(before=None)
    assert "| hardcoded secrets in compose files (docker-compose.yml) | unknown | 0 |" in text
    assert "baseline measured unknown" in text


def test_outcomes_unknown_when_not_measurable():
    judged = dict((what, done) for what, done, _ in outcomes({"hardcoded_secrets": 3}))
    assert judged["No hardcoded secrets in the compose files"] is False
    assert judged["Stack running and healthy"] is None


def test_error_causes_group_across_phases():
    from maestro_tasks.weekly.metrics import error_cause

    assert error_cause('failed on setup with "OSError: x"') == "OSError: x"
    assert error_cause('failed on teardown with "OSError: x"') == "OSError: x"
    assert error_cause("") == "no message"
    assert error_cause("ValueError: y") == "ValueError: y"


def test_a_target_without_python_tests_has_no_test_outcome_to_chase():
    text = render_it(after={**AFTER, "python_tests": False, "tests_collected": 0,
                            "tests_passed": None, "tests_failed": None, "tests_errors": None})
    blockers = text.split("## Blockers", 1)[1].split("##", 1)[0]
    steps = text.split("## Next steps", 1)[1]
    assert "Tests execute" not in blockers and "fix-tests" not in steps
    assert "No Python tests in this repository" in text
