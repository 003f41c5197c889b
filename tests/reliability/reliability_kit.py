"""Helpers of the reliability suite (tests/reliability is put on sys.path by its conftest)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mt_testkit import BIN, IN_CI

CLI = str(BIN / "maestro-tasks")
SECRET_TASK = "week1.fix-secrets"
# The files fix-secrets may write in the example (besides .maestro/).
WATCHED = (".gitignore", ".env", "docker-compose.yml", ".env.example")


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MAESTRO_TEST_WRITE_DELAY_S"}
    env.update(NO_COLOR="1", **extra)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_in(target: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120,
           prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    """``maestro-tasks ARGS`` with the target as the current folder (its default target)."""
    return subprocess.run([*(prefix or []), CLI, *args], cwd=target, env=env or cli_env(),
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def snapshot(target: Path, names=WATCHED) -> dict[str, bytes | None]:
    out = {}
    for name in names:
        path = target / name
        out[name] = path.read_bytes() if path.is_file() else None
    return out


def umount_all(mounted: list[Path]) -> None:
    for path in reversed(mounted):
        for _ in range(20):
            if subprocess.run(["umount", str(path)], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)


def unavailable(what: str) -> None:
    # Mounting needs root (CAP_SYS_ADMIN): CI runs as root, so there it is a failure.
    if IN_CI:
        pytest.fail(f"CI=true but {what} failed")
    pytest.skip(f"{what} is not permitted here")


def assert_clean_error(res: subprocess.CompletedProcess[str], codes=(1, 2)) -> str:
    """Exit 1 or 2, one clear error line, never a Python traceback."""
    both = res.stdout + res.stderr
    assert res.returncode in codes, f"exit {res.returncode}\n{both}"
    assert not re.search(r"^Traceback", both, re.M), both
    assert "error" in res.stderr.lower(), both
    return both


# A single-threaded server that has imported maestro-tasks and the libraries fix-secrets loads,
# and forks one child per run: the child runs the console script's own main() with the given
# argv, folder and environment. Kill trials use it to skip the interpreter start and imports
# (about half of a run's CPU), which is what lets 200 kill -9 trials fit in the CI budget.
_FORK_SERVER = r"""
import json, os, signal, sys
import maestro_tasks.cli
import maestro_tasks.week1.fix_secrets, maestro_tasks.secrets.steps
import ruamel.yaml, dotenv.parser, invoke
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
print("ready", flush=True)
for line in sys.stdin:
    job = json.loads(line)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        os.chdir(job["cwd"])
        os.environ.clear()
        os.environ.update(job["env"])
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        sys.argv = job["argv"]
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        code = 0
        try:
            maestro_tasks.cli.main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            code = 70
        sys.stdout.flush()
        if job.get("status"):
            with open(job["status"], "w") as status:
                status.write(str(code))
        os._exit(code)
    print(pid, flush=True)
"""


class ForkServer:
    """Start ``maestro-tasks ARGV`` runs as forks of one pre-imported Python process."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", _FORK_SERVER],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env=cli_env())
        assert self.proc.stdout.readline().strip() == "ready"
        self._lock = __import__("threading").Lock()

    def start(self, cwd: Path, argv: list[str], env: dict[str, str],
              status: Path | None = None) -> int:
        """Fork a run; its exit code is written to ``status`` (if given) when it ends."""
        import json

        job = {"cwd": str(cwd), "argv": argv, "env": env, "status": str(status or "")}
        with self._lock:
            self.proc.stdin.write(json.dumps(job) + "\n")
            self.proc.stdin.flush()
            return int(self.proc.stdout.readline())

    def run(self, cwd: Path, argv: list[str], env: dict[str, str], status: Path) -> int:
        """Fork a run and wait for it; its exit code."""
        status.unlink(missing_ok=True)
        wait_gone(self.start(cwd, argv, env, status))
        return int(status.read_text())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_gone(pid: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while alive(pid):
        assert time.monotonic() < deadline, f"PID {pid} still running"
        time.sleep(0.002)


def seeded_copy(pristine: Path, dst: Path, state: bytes) -> Path:
    """A copy of the example whose baseline is already recorded (see the ``probed`` fixture)."""
    import shutil

    shutil.copytree(pristine, dst, symlinks=True)
    (dst / ".maestro").mkdir(mode=0o700)
    (dst / ".maestro" / "state.json").write_bytes(state)
    return dst
