"""fix-tests reports pytest's own numbers: each sample project here is run by the tool and by
bare pytest (the oracle: pytest's own summary line of the same project), and the numbers agree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mt_testkit import run_cli
from maestro_tasks.testing import report, stats

PY = sys.executable
COMPARED = ("passed", "failed", "errors", "skipped", "xfailed", "xpassed", "deselected",
            "warnings", "subtests_passed", "subtests_failed", "subtests_skipped")


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def bare_pytest(target: Path, *args: str) -> dict[str, int]:
    """The oracle: pytest's own summary line of a bare run, at the project's own verbosity."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTHONPATH")}
    env.update(PYTHONDONTWRITEBYTECODE="1", NO_COLOR="1")
    proc = subprocess.run([PY, "-m", "pytest", "-p", "no:randomly", *args], cwd=target,
                          env=env, capture_output=True, text=True, timeout=300)
    counts = stats.summary_counts(proc.stdout)
    assert counts is not None, proc.stdout[-2000:] + proc.stderr[-2000:]
    return counts


def fix(target: Path, *args: str, **kw) -> subprocess.CompletedProcess[str]:
    return run_cli("week1.fix-tests", "--target", str(target), "--python", PY, *args, **kw)


def suite_data(proc) -> dict:
    doc = json.loads(proc.stdout)
    return next(s for s in doc["steps"] if s["name"] == "test-suite")["data"]


def assert_same_numbers(data: dict, oracle: dict[str, int]) -> None:
    ours = {k: data.get(k, 0) for k in COMPARED}
    assert ours == {k: oracle.get(k, 0) for k in COMPARED}, (ours, oracle)


OUTCOMES = {
    "tests/test_outcomes.py": '''
        import warnings
        import pytest

        @pytest.fixture
        def bad_teardown():
            yield
            raise RuntimeError("teardown boom")

        def test_fails_and_errors_in_teardown(bad_teardown):
            assert 1 == 2

        def test_passes_and_errors_in_teardown(bad_teardown):
            pass

        @pytest.mark.xfail(reason="known")
        def test_xpass():
            pass

        @pytest.mark.xfail(reason="known")
        def test_xfail():
            assert 0

        @pytest.mark.skip(reason="not today")
        def test_skipped():
            pass

        def test_warns():
            warnings.warn(UserWarning("careful"))

        @pytest.mark.slow
        def test_deselected():
            pass
    ''',
    "pytest.ini": '''
        [pytest]
        addopts = -m "not slow"
        markers = slow: slow tests
    ''',
}


def test_teardown_errors_xpass_skip_warning_deselected_are_pytests_numbers(tmp_path):
    target = write(tmp_path / "proj", OUTCOMES)
    oracle = bare_pytest(target)
    assert oracle["failed"] == 1 and oracle["errors"] == 2 and oracle["xpassed"] == 1
    proc = fix(target, "--json")
    data = suite_data(proc)
    assert_same_numbers(data, oracle)
    assert data["collected"] == 7 and data["deselected"] == 1
    status = (target / "TEST_STATUS.md").read_text()
    assert report.counts_in_report(status) == {
        "collected": 7, "passed": oracle["passed"], "failed": 1, "errors": 2, "skipped": 1,
        "xfailed": 1, "xpassed": 1, "deselected": 1, "warnings": 1, "collection_errors": 0}
    assert "2 errors: RuntimeError: teardown boom" in status
    assert data["pytest_summary"].startswith("1 failed, 2 passed")
    assert (target / ".maestro" / "junit.xml").is_file()


SUBTESTS = {
    "tests/test_sub.py": '''
        def test_sub(subtests):
            for i in range(4):
                with subtests.test(i=i):
                    assert i % 2 == 0

        def test_plain():
            pass
    ''',
}


def _has_builtin_subtests() -> bool:
    import pytest as installed

    return tuple(int(p) for p in installed.__version__.split(".")[:1]) >= (9,)


@pytest.mark.skipif(not _has_builtin_subtests(), reason="pytest < 9 has no built-in subtests")
def test_subtests_are_counted_as_pytest_counts_them(tmp_path):
    target = write(tmp_path / "proj", SUBTESTS)
    oracle = bare_pytest(target)
    data = suite_data(fix(target, "--json"))
    assert_same_numbers(data, oracle)
    assert data["failed"] == oracle["failed"] >= 2  # two failing subtests and their test
    assert any("i=1" in f["test"] for f in data["failing"])


COLLECTION = {
    "tests/conftest.py": '''
        import pytest

        @pytest.fixture
        def needs_greenlet():
            import greenlet_not_installed_anywhere  # noqa: F401
    ''',
    "tests/test_uses.py": '''
        def test_a(needs_greenlet): pass
        def test_b(needs_greenlet): pass
        def test_c(needs_greenlet): pass
        def test_ok(): pass
    ''',
    "tests/test_broken.py": "import another_module_nobody_has\n",
}


def test_errors_are_grouped_by_root_cause_and_collection_errors_are_errors(tmp_path):
    target = write(tmp_path / "proj", COLLECTION)
    oracle = bare_pytest(target, "--continue-on-collection-errors")
    data = suite_data(fix(target, "--json"))
    assert_same_numbers(data, oracle)
    assert data["errors"] == 4 and data["collection_errors"] == 1
    assert ["ModuleNotFoundError: greenlet_not_installed_anywhere", 3] in data["errors_by_cause"]
    status = (target / "TEST_STATUS.md").read_text()
    assert "3 errors: ModuleNotFoundError: greenlet_not_installed_anywhere" in status
    assert "1 error: ModuleNotFoundError: another_module_nobody_has" in status
    assert "real failures" not in status


@pytest.mark.parametrize("flag", ["--ff", "--lf", "--nf", "--sw"])
def test_cache_options_in_addopts_keep_working(tmp_path, flag):
    target = write(tmp_path / "proj", {
        "pyproject.toml": f'''
            [tool.pytest.ini_options]
            addopts = "{flag}"
        ''',
        "tests/test_x.py": '''
            def test_fails(): assert 0
            def test_one(): pass
            def test_two(): pass
        ''',
    })
    before = (target / "pyproject.toml").read_bytes()
    # the oracle runs everything: a first run (no cache yet) and stepwise off
    oracle = bare_pytest(target, "-o", "addopts=", "-p", "no:cacheprovider")
    proc = fix(target, "--json")
    data = suite_data(proc)
    assert data["exit_code"] == 1, proc.stdout
    assert_same_numbers(data, oracle)
    assert (target / "pyproject.toml").read_bytes() == before  # not blamed on the config
    assert not (target / ".pytest_cache").exists()
    # a second run: the private cache is emptied first, so --lf still runs the whole suite
    again = suite_data(fix(target, "--json"))
    assert_same_numbers(again, oracle)


def test_usage_error_is_reported_as_what_it_is_without_a_table_of_zeros(tmp_path):
    target = write(tmp_path / "proj", {
        "pytest.ini": "[pytest]\naddopts = --definitely-not-a-pytest-flag\n",
        "tests/test_x.py": "def test_one(): pass\n",
    })
    proc = fix(target, "--json")
    assert proc.returncode == 1
    data = suite_data(proc)
    assert data["exit_code"] == 4
    assert "usage error" in data["stopped"] and "--definitely-not-a-pytest-flag" in data["stopped"]
    status = (target / "TEST_STATUS.md").read_text()
    assert report.counts_in_report(status) is None
    assert "| 0 | 0 |" not in status and "\nNone.\n\n## Next steps" not in status
    assert "unrecognized arguments: --definitely-not-a-pytest-flag" in status


def test_summary_line_parser_reads_every_part():
    line = "==== 3 failed, 2 passed, 1 xfailed, 1 xpassed, 2 errors, 1 warning, " \
           "2 subtests passed in 5.73s ===="
    assert stats.summary_counts(f"noise\n{line}\n") == {
        "failed": 3, "passed": 2, "xfailed": 1, "xpassed": 1, "errors": 2, "warnings": 1,
        "subtests_passed": 2}
    assert stats.summary_counts("1 passed, 1 deselected in 0.01s") == {
        "passed": 1, "deselected": 1}
    assert stats.summary_counts("no tests ran in 0.01s") == {}
    assert stats.summary_counts("nothing here") is None


def test_root_cause_names_the_missing_module():
    assert stats.root_cause("ModuleNotFoundError: No module named 'greenlet'") == \
        "ModuleNotFoundError: greenlet"
    assert stats.root_cause("RuntimeError: x\nmore") == "RuntimeError: x"


def test_internal_error_and_interruption_are_reported_in_pytests_words(tmp_path):
    internal = write(tmp_path / "internal", {
        "conftest.py": '''
            def pytest_collection_modifyitems(items):
                raise RuntimeError("a plugin bug in modifyitems")
        ''',
        "tests/test_x.py": "def test_one(): pass\n",
    })
    data = suite_data(fix(internal, "--json"))
    assert data["exit_code"] == 3
    assert data["stopped"] == "internal error: RuntimeError: a plugin bug in modifyitems"
    status = (internal / "TEST_STATUS.md").read_text()
    assert "a plugin bug in modifyitems" in status and report.counts_in_report(status) is None

    stopped = write(tmp_path / "stopped", {
        "tests/test_x.py": '''
            import pytest

            def test_one():
                pass

            def test_two():
                pytest.exit("the database is gone")

            def test_three():
                pass
        ''',
    })
    oracle = bare_pytest(stopped)
    data = suite_data(fix(stopped, "--json"))
    assert data["exit_code"] == 2 and "the database is gone" in data["stopped"]
    assert_same_numbers(data, oracle)
    status = (stopped / "TEST_STATUS.md").read_text()
    assert "pytest stopped early: interrupted" in status and "not the suite" in status
