"""Usage errors exit 2 with one line naming the task and --help, for `maestro-tasks` and for
`invoke` run from this repository."""

from __future__ import annotations

import pytest

from mt_testkit import run_cli

CASES = [
    (("week1.up", "--bogus"), "week1.up: error: unknown flag --bogus (see `{b} week1.up --help`)"),
    (("nosuch",), "{b}: error: no task named 'nosuch' (see `{b} --list` or `{b} --help`)"),
    (("week1.up", "--timeout"),
     "week1.up: error: --timeout needs a value (see `{b} week1.up --help`)"),
    (("week1.up", "--timeout", "soon"),
     "week1.up: error: --timeout soon: not a whole number (see `{b} week1.up --help`)"),
    (("week1.build-uis", "--jobs=many"),
     "week1.build-uis: error: --jobs many: not a whole number (see `{b} week1.build-uis --help`)"),
    (("week1.report", "stray"),
     "week1.report: error: unexpected argument stray (see `{b} week1.report --help`)"),
    (("--bogus",), "{b}: error: unknown flag --bogus (see `{b} --help`)"),
]


@pytest.mark.parametrize("tool", ["maestro-tasks", "invoke"])
@pytest.mark.parametrize("args,line", CASES, ids=[" ".join(a) for a, _ in CASES])
def test_usage_errors_exit_2_with_one_line(tool, args, line, tmp_path):
    res = run_cli(*args, tool=tool, cwd=None if tool == "invoke" else tmp_path)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert res.stderr.strip().splitlines() == [line.format(b=tool)]
    assert res.stdout == "" and "Traceback" not in res.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_bad_value_the_task_judges_is_2_as_well(tmp_path):
    res = run_cli("week1.build-uis", "--target", str(tmp_path), "--jobs", "-3")
    assert res.returncode == 2
    assert "--jobs -3" in res.stderr
