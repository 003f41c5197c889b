"""Runs are safe: spawn/forkserver children do not rerun the suite, the whole process tree of a
run is ended on exit, timeout and interrupt, and temp folders are removed."""

from __future__ import annotations

import json
import os
import runpy
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mt_testkit import BIN
from maestro_tasks.engine import processes
from maestro_tasks.testing import interpreter, probe, suite

from .test_pytest_numbers import bare_pytest, assert_same_numbers, fix, suite_data, write

PY = sys.executable


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def wait_gone(pids: list[int], seconds: float = 10) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


def test_runner_is_import_safe_for_spawned_children(tmp_path):
    runner = probe.write_helpers(tmp_path)
    source = runner.read_text()
    assert "console_main" not in source and "pytest.main()" in source
    # a spawn/forkserver child imports the parent's main module as __mp_main__: nothing runs
    runpy.run_path(str(runner), run_name="__mp_main__")


SPAWN = {
    "tests/test_pool.py": '''
        import multiprocessing as mp

        def square(x):
            return x * x

        def test_spawn_pool():
            with mp.get_context("spawn").Pool(2) as pool:
                assert pool.map(square, range(4)) == [0, 1, 4, 9]

        def test_forkserver_pool():
            with mp.get_context("forkserver").Pool(2) as pool:
                assert pool.map(square, range(3)) == [0, 1, 4]

        def test_plain():
            pass
    ''',
}


def test_a_suite_with_spawn_and_forkserver_pools_finishes_once(tmp_path):
    target = write(tmp_path / "proj", SPAWN)
    oracle = bare_pytest(target)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = fix(target, "--json", env={"TMPDIR": str(scratch)}, timeout=300)
    data = suite_data(proc)
    assert data["exit_code"] == 0, proc.stdout
    assert_same_numbers(data, oracle)
    assert data["passed"] == 3
    junit = (target / ".maestro" / "junit.xml").read_text()
    assert junit.count("<testcase ") == 3  # no child wrote into the parent's report
    assert list(scratch.iterdir()) == []  # every temp folder removed


LEAKY = {
    "tests/test_leak.py": '''
        import os
        import subprocess
        import sys

        def test_leaves_a_child_behind():
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
            with open(os.environ["LEAK_PID_FILE"], "a") as fh:
                fh.write(f"{child.pid}\\n")

        def test_leaves_a_new_session_behind():
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                                     start_new_session=True, stdout=None)
            with open(os.environ["LEAK_PID_FILE"], "a") as fh:
                fh.write(f"{child.pid}\\n")
    ''',
}


def _interp() -> interpreter.Interpreter:
    return interpreter.inspect(interpreter.Interpreter([PY], "--python"), Path.cwd())


def test_processes_left_by_the_suite_are_ended_when_it_exits(tmp_path, monkeypatch):
    target = write(tmp_path / "proj", LEAKY)
    pid_file = tmp_path / "pids"
    monkeypatch.setenv("LEAK_PID_FILE", str(pid_file))
    started = time.monotonic()
    run = suite.run_suite(_interp(), target, [], timeout=120)
    assert run.exit_code == 0, run.log
    assert time.monotonic() - started < 60  # a leftover holding the output does not hang us
    pids = [int(p) for p in pid_file.read_text().split()]
    assert len(pids) == 2
    assert wait_gone(pids) == []


HANGS = {
    "tests/test_hang.py": '''
        import os
        import subprocess
        import sys
        import time

        def test_hangs():
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
            with open(os.environ["LEAK_PID_FILE"], "w") as fh:
                fh.write(f"{os.getpid()} {child.pid}\\n")
            time.sleep(600)
    ''',
}


def test_a_timeout_ends_the_whole_tree(tmp_path, monkeypatch):
    target = write(tmp_path / "proj", HANGS)
    pid_file = tmp_path / "pids"
    monkeypatch.setenv("LEAK_PID_FILE", str(pid_file))
    run = suite.run_suite(_interp(), target, [], timeout=8)
    assert run.exit_code == -1 and "stopped after 8s" in run.log
    assert run.stopped_early.startswith("timeout")
    pids = [int(p) for p in pid_file.read_text().split()]
    assert wait_gone(pids) == []


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_an_interrupt_ends_the_tree_removes_temp_files_and_exits_128_plus_signal(
        tmp_path, sig, code):
    target = write(tmp_path / "proj", HANGS)
    pid_file = tmp_path / "pids"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "LEAK_PID_FILE": str(pid_file), "TMPDIR": str(scratch),
           "NO_COLOR": "1"}
    cli = subprocess.Popen([str(BIN / "maestro-tasks"), "week1.fix-tests", "--target",
                            str(target), "--python", PY], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (pid_file.exists() and pid_file.read_text().strip()):
            assert time.monotonic() < deadline and cli.poll() is None, cli.communicate()
            time.sleep(0.2)
        cli.send_signal(sig)
        out, err = cli.communicate(timeout=60)
    finally:
        if cli.poll() is None:
            cli.kill()
    assert cli.returncode == code, out + err
    assert "interrupted" in err
    pids = [int(p) for p in pid_file.read_text().split()]
    assert wait_gone(pids) == []
    assert list(scratch.iterdir()) == []
    assert (target / ".maestro" / "lock").read_text() == ""  # released


def test_run_reports_output_and_code_and_leaves_nothing(tmp_path):
    done = processes.run([PY, "-c", "import sys; print('out'); print('err', file=sys.stderr);"
                          " sys.exit(3)"], cwd=tmp_path, env=dict(os.environ), timeout=30)
    assert done.returncode == 3 and "out" in done.output and "err" in done.output
    with pytest.raises(subprocess.TimeoutExpired) as info:
        processes.run([PY, "-c", "print('started', flush=True); import time; time.sleep(60)"],
                      cwd=tmp_path, env=dict(os.environ), timeout=2)
    assert "started" in info.value.output
