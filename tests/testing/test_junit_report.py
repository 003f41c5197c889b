"""The JUnit XML (kept as an artefact) parses right; TEST_STATUS.md shows pytest's own counts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from maestro_tasks.resources import template
from maestro_tasks.testing import junit, report

TESTS = '''
import pytest

def test_ok():
    pass

def test_bad():
    assert 1 + 1 == 3, "arithmetic is broken"

@pytest.mark.skip(reason="not today")
def test_skip():
    pass

@pytest.mark.xfail(reason="known bug")
def test_xfail():
    assert False

@pytest.fixture
def broken():
    raise RuntimeError("fixture exploded")

def test_setup_error(broken):
    pass

class TestGroup:
    def test_inner(self):
        pass
'''


def real_junit(tmp_path: Path) -> Path:
    """A JUnit file written by the real pytest, with a collection error too."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_mix.py").write_text(TESTS)
    (tmp_path / "tests" / "test_broken.py").write_text("import not_a_module_anywhere\n")
    xml = tmp_path / "junit.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                    "--continue-on-collection-errors", "-o", "junit_family=xunit1",
                    f"--junitxml={xml}", "tests"], cwd=tmp_path, capture_output=True,
                   env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"})
    return xml


def test_counts_from_real_pytest_junit(tmp_path):
    counts = junit.parse(real_junit(tmp_path))
    assert counts.counts() == {"collected": 6, "passed": 2, "failed": 1, "errors": 1,
                               "collection_errors": 1, "skipped": 1, "xfailed": 1}
    failing = {o.test: o.reason for o in counts.failing}
    assert "tests/test_mix.py::test_bad" in failing
    assert "arithmetic is broken" in failing["tests/test_mix.py::test_bad"]
    assert "tests/test_mix.py::TestGroup::test_inner" in {o.test for o in counts.outcomes}
    assert [(o.test, o.reason) for o in counts.broken_collection] == [
        ("tests/test_broken.py", "ModuleNotFoundError: No module named 'not_a_module_anywhere'")]


def test_rendered_report_carries_pytests_counts(tmp_path):
    from maestro_tasks.testing import interpreter, suite

    real_junit(tmp_path)
    interp = interpreter.inspect(interpreter.Interpreter([sys.executable], "current"), tmp_path)
    run = suite.run_suite(interp, tmp_path, ["tests"], timeout=300)
    counts = run.stats
    info = report.RunInfo("2026-01-01T00:00:00Z", "/usr/bin/python3", "current", "3.11",
                          "9.0", "pytest -p no:cacheprovider", 1, ".maestro/junit.xml")
    text = report.render(template(report.TEMPLATE_NAME), counts, info, ["run: pip install x"])
    # pytest counts the collection error among its errors
    assert report.counts_in_report(text) == {
        "collected": 6, "passed": 2, "failed": 1, "errors": 2, "skipped": 1, "xfailed": 1,
        "xpassed": 0, "deselected": 0, "warnings": 0, "collection_errors": 1}
    assert report.counts_in_report(text) == counts.table_counts()
    assert "$" not in text  # no unrendered placeholder
    assert "2026-01-01T00:00:00Z" in text and "`pytest -p no:cacheprovider`" in text
    assert "tests/test_mix.py::test_bad" in text and "arithmetic is broken" in text
    assert "run: pip install x" in text
    assert "not_a_module_anywhere" in text.split("## Collection errors")[1]
    assert "1 error: ModuleNotFoundError: not_a_module_anywhere" in text


def test_counts_in_report_refuses_a_table_that_was_not_rendered():
    assert report.counts_in_report("# Test status\nTests: $TEST_COUNT\n") is None


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(["passed", "failure", "error", "skipped", "xfail"]),
                max_size=30))
def test_parse_counts_every_case_once(kinds):
    bodies = {"passed": "", "failure": '<failure message="boom">x</failure>',
              "error": '<error message="setup">x</error>',
              "skipped": '<skipped type="pytest.skip" message="s"/>',
              "xfail": '<skipped type="pytest.xfail" message="x"/>'}
    cases = "".join(f'<testcase classname="t" name="c{i}" time="0.1">{bodies[k]}</testcase>'
                    for i, k in enumerate(kinds))
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "j.xml"
        path.write_text(f'<testsuites><testsuite name="pytest" time="1.5">{cases}</testsuite>'
                        "</testsuites>")
        counts = junit.parse(path)
    assert counts.collected == len(kinds)
    assert counts.passed == kinds.count("passed") and counts.failed == kinds.count("failure")
    assert counts.errors == kinds.count("error") and counts.xfailed == kinds.count("xfail")
    assert counts.skipped == kinds.count("skipped")
