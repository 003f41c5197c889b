"""Bad config, bad flags and bad bytes end in exit 2 or an honest failure, never a traceback or a
false "0 collection errors"."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mt_testkit import run_cli
from maestro_tasks.engine import InputError, UsageError
from maestro_tasks.testing import config, diagnose, inifile, interpreter, probe

BROKEN_HEADER = "[tool:pytest]\naddopts = -q\n[metadata\n"


def fix(*args: str, target: Path):
    return run_cli("week1.fix-tests", "--target", str(target), *args)


def one_test(target: Path) -> None:
    (target / "tests").mkdir()
    (target / "tests" / "test_one.py").write_text("def test_one():\n    pass\n")


# ---- unterminated section header ------------------------------------------------------------
@pytest.mark.parametrize("name, text, line", [
    ("setup.cfg", BROKEN_HEADER, 3),
    ("tox.ini", "[pytest]\naddopts = -q\n[testenv\n", 3),
    ("pytest.ini", "[pytest]\naddopts = -q\n[other\n", 3),
])
def test_unterminated_section_header_is_invalid_ini(tmp_path, name, text, line):
    (tmp_path / name).write_text(text)
    with pytest.raises(InputError) as err:
        config.discover(tmp_path, (9, 0))
    assert err.value.path == name and err.value.line == line
    assert "unterminated section header" in err.value.message


def test_non_strict_parse_still_reads_an_unterminated_header_as_pytest_does():
    doc = inifile.parse(BROKEN_HEADER, strict=False)
    assert doc.section("tool:pytest").get("addopts").value == "-q\n[metadata"


def test_broken_setup_cfg_exits_2_through_the_cli(tmp_path):
    (tmp_path / "setup.cfg").write_text(BROKEN_HEADER)
    one_test(tmp_path)
    proc = fix(target=tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert "setup.cfg:3" in out and "Traceback" not in out
    assert "0 collection error" not in out


def current_interpreter(target: Path) -> interpreter.Interpreter:
    return interpreter.inspect(interpreter.Interpreter([sys.executable], "current"), target)


def test_a_pytest_usage_error_is_not_zero_collection_errors(tmp_path):
    """What pytest does with the broken setup.cfg value: exit 4 after "collecting" nothing."""
    one_test(tmp_path)
    result = probe.collect(current_interpreter(tmp_path), tmp_path,
                           probe.Overrides(ini=(("addopts", "-q\n[metadata"),)))
    assert result.exit_code == 4
    assert result.config_failed and result.errors
    assert "parametrization" in result.errors[0].last_line()
    assert result.score() != (0, 0)


# ---- unbalanced quotes ----------------------------------------------------------------------
@pytest.mark.parametrize("name, text, line", [
    ("pytest.ini", '[pytest]\ntestpaths = tests\naddopts = "-ra\n', 3),
    ("setup.cfg", "[tool:pytest]\ntestpaths = 'tests\n", 2),
    ("pyproject.toml", "[tool.pytest.ini_options]\naddopts = '\"-ra'\n", None),
])
def test_unbalanced_quote_in_a_split_value_is_bad_input(tmp_path, name, text, line):
    (tmp_path / name).write_text(text)
    with pytest.raises(InputError) as err:
        config.discover(tmp_path, (8, 0))
    assert err.value.path == name and err.value.line == line
    assert "unbalanced quote" in err.value.message


@pytest.mark.parametrize("args, words", [
    (("--pytest-args", '"-k'), "--pytest-args"),
    (("--python", '"x'), "--python"),
])
def test_unbalanced_quote_in_a_flag_exits_2(tmp_path, args, words):
    one_test(tmp_path)
    proc = fix(*args, target=tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert words in out and "Traceback" not in out


def test_unbalanced_quote_in_addopts_exits_2_through_the_cli(tmp_path):
    (tmp_path / "pytest.ini").write_text('[pytest]\naddopts = "-ra\n')
    one_test(tmp_path)
    proc = fix(target=tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert "pytest.ini:2" in out and "unbalanced quote in addopts" in out
    assert "Traceback" not in out


def test_unbalanced_quote_in_the_python_setting_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="setting python"):
        interpreter.choose(tmp_path, '"x', source="setting python")


# ---- absolute testpaths ---------------------------------------------------------------------
def discovery_for(target: Path) -> config.Discovery:
    return config.discover(target, (9, 0))


def nothing_collected() -> probe.ProbeResult:
    return probe.ProbeResult(0, 0, [], [], None, None, [], "")


def test_absolute_testpaths_are_kept_when_they_exist_and_flagged_outside_the_target(tmp_path):
    target = tmp_path / "proj"
    target.mkdir()
    one_test(target)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    gone = tmp_path / "gone"
    inside = target / "tests"
    (target / "pytest.ini").write_text(f"[pytest]\ntestpaths = {inside} {elsewhere} {gone}\n")
    findings: list[diagnose.Finding] = []
    edits = diagnose.base_edits(target, discovery_for(target), nothing_collected(), findings)
    assert edits == [config.Edit("set", "testpaths", (str(inside), str(elsewhere)))]
    outside = [f for f in findings if f.kind == "testpaths-outside-target"]
    assert [str(elsewhere) in f.message for f in outside] == [True]
    nowhere = [f for f in findings if f.kind == "testpaths-nowhere"]
    assert len(nowhere) == 1 and str(gone) in nowhere[0].message


def test_testpaths_etc_runs_without_a_traceback(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\ntestpaths = /etc\n")
    one_test(tmp_path)
    proc = fix("--check", "--json", target=tmp_path)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out and proc.returncode in (0, 1), out
    cfg = next(s for s in json.loads(proc.stdout)["steps"] if s["name"] == "pytest-config")
    kinds = [f["kind"] for f in cfg["data"]["findings"]]
    assert "testpaths-outside-target" in kinds


# ---- undecodable output ---------------------------------------------------------------------
def test_a_package_writing_invalid_utf8_to_stderr_does_not_crash(tmp_path):
    (tmp_path / "noisy").mkdir()
    (tmp_path / "noisy" / "__init__.py").write_text(
        "import sys\nsys.stderr.buffer.write(b'\\xff\\xfe\\n')\nsys.stderr.buffer.flush()\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_noisy.py").write_text(
        "import noisy\n\n\ndef test_imports():\n    assert noisy\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    proc = fix("--json", target=tmp_path)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out and "UnicodeDecodeError" not in out
    assert proc.returncode == 0, out
    steps = {s["name"]: s for s in json.loads(proc.stdout)["steps"]}
    assert steps["import-smoke"]["data"]["imported"] == ["noisy"]
    assert steps["test-suite"]["data"]["passed"] == 1


# ---- metrics use the tasks' settings --------------------------------------------------------
def test_metrics_run_pytest_in_the_interpreter_the_settings_name(tmp_path):
    from maestro_tasks.testing.metrics import baseline_metrics

    target = tmp_path / "proj"
    target.mkdir()
    one_test(target)
    calls = tmp_path / "calls.txt"
    wrapper = tmp_path / "python-wrapper"
    wrapper.write_text(f'#!/bin/sh\necho called >> "{calls}"\nexec "{sys.executable}" "$@"\n')
    wrapper.chmod(0o755)
    metrics = baseline_metrics(target, {"python": str(wrapper)})
    assert metrics["tests_collected"] == 1 and calls.is_file()
    calls.unlink()
    (target / "pyproject.toml").write_text(f'[tool.maestro-tasks]\npython = "{wrapper}"\n')
    assert baseline_metrics(target)["tests_collected"] == 1 and calls.is_file()
