"""Child process trees: each run starts in its own session and is ended whole.

A test suite may start processes of its own (a multiprocessing pool, a server fixture, a
daemon that double-forks). ``run`` starts the command with ``start_new_session=True``, writes
its output to a file (not a pipe a leftover grandchild could hold open forever) and, however
the run ends — normal exit, timeout, Ctrl-C, SIGTERM — ends every process still in that
session or below the command, SIGTERM first and SIGKILL after a grace period.

``signals_as_exceptions`` turns SIGTERM into ``Interrupted`` (and keeps SIGINT as
``KeyboardInterrupt``) so ``finally`` blocks run, temp folders are removed and the task exits
130 / 143 as a shell would report it. Linux ``/proc`` is read to find the members; elsewhere
only the process group is ended.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

GRACE_S = 3.0
POLL_S = 0.5  # how often a running tree is looked at

_live: dict[int, subprocess.Popen] = {}
_live_lock = threading.Lock()


class Interrupted(BaseException):
    """SIGTERM (or another signal) arrived: unwind like KeyboardInterrupt does."""

    def __init__(self, signum: int):
        super().__init__(f"interrupted by signal {signum}")
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


@dataclass
class Finished:
    returncode: int
    output: str  # stdout and stderr interleaved as written


def _proc_table() -> list[tuple[int, int, int, int]]:
    """(pid, ppid, pgrp, session) of every live, non-zombie process."""
    rows = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return rows
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read().decode("utf-8", "replace")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) < 4 or fields[0] in ("Z", "X"):
            continue
        try:
            rows.append((int(entry), int(fields[1]), int(fields[2]), int(fields[3])))
        except ValueError:
            continue
    return rows


def tree_members(leader: int) -> list[int]:
    """Every live process of the run started as ``leader``: its session, its process group,
    and the descendants of any of them (a child that called setsid() again)."""
    table = _proc_table()
    members = {pid for pid, _ppid, pgrp, sid in table if sid == leader or pgrp == leader}
    if any(pid == leader for pid, *_ in table):
        members.add(leader)
    children: dict[int, list[int]] = {}
    for pid, ppid, _pgrp, _sid in table:
        children.setdefault(ppid, []).append(pid)
    stack = list(members)
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in members:
                members.add(child)
                stack.append(child)
    members.discard(os.getpid())
    return sorted(members)


def _signal_all(pids: list[int], leader: int, sig: int) -> None:
    try:
        os.killpg(leader, sig)
    except (ProcessLookupError, PermissionError):
        pass
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def end_tree(proc: subprocess.Popen, grace_s: float = GRACE_S) -> list[int]:
    """SIGTERM every member of the run, SIGKILL what is left after ``grace_s``; reaps the
    leader. Returns the pids still alive afterwards (none, unless unkillable)."""
    leader = proc.pid
    members = tree_members(leader)
    if proc.poll() is None or members:
        _signal_all(members, leader, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline:
            proc.poll()
            if proc.returncode is not None and not tree_members(leader):
                break
            time.sleep(0.05)
        else:
            _signal_all(tree_members(leader) + members, leader, signal.SIGKILL)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        pass
    deadline = time.monotonic() + grace_s
    left = tree_members(leader)
    while left and time.monotonic() < deadline:
        _signal_all(left, leader, signal.SIGKILL)
        time.sleep(0.05)
        left = tree_members(leader)
    return left


def _start_time(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    fields = stat[stat.rfind(")") + 2:].split()
    return fields[19] if len(fields) > 19 else ""


def _end_seen(seen: dict[int, str], grace_s: float = GRACE_S) -> None:
    """End the processes seen during the run that are still the same processes (same start
    time: a reused pid is someone else's)."""
    def still(pid: int) -> bool:
        return bool(seen[pid]) and _start_time(pid) == seen[pid]

    for sig in (signal.SIGTERM, signal.SIGKILL):
        left = [pid for pid in seen if still(pid)]
        if not left:
            return
        for pid in left:
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                pass
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and any(still(pid) for pid in left):
            time.sleep(0.05)


def end_all() -> None:
    """SIGTERM every run still registered (called from a signal handler: no waiting here;
    each ``run`` finishes the job in its own ``finally``)."""
    with _live_lock:
        procs = list(_live.values())
    for proc in procs:
        _signal_all(tree_members(proc.pid), proc.pid, signal.SIGTERM)


def run(argv: list[str], *, cwd: str | os.PathLike[str], env: dict[str, str],
        timeout: float | None) -> Finished:
    """Run ``argv`` in a new session; stdin is /dev/null. When it exits (or times out, or this
    process is interrupted) whatever it left running is ended. Raises
    ``subprocess.TimeoutExpired`` (with the output so far) after ``timeout`` seconds."""
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        with _live_lock:
            _live[proc.pid] = proc
        timed_out = False
        seen: dict[int, str] = {}  # pid -> start time: processes of the run seen while it ran
        try:
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                step = POLL_S if deadline is None else min(POLL_S, deadline - time.monotonic())
                try:
                    proc.wait(timeout=max(step, 0.01))
                    break
                except subprocess.TimeoutExpired:
                    if deadline is not None and time.monotonic() >= deadline:
                        timed_out = True
                        break
                # a child that starts a session of its own and outlives its parent is found
                # by no walk afterwards: remember it now
                for pid in tree_members(proc.pid):
                    seen.setdefault(pid, _start_time(pid))
        finally:
            end_tree(proc)
            _end_seen(seen)
            with _live_lock:
                _live.pop(proc.pid, None)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if timed_out:
        raise subprocess.TimeoutExpired(argv, timeout or 0, output=text)
    return Finished(proc.returncode, text)


@contextmanager
def signals_as_exceptions() -> Iterator[None]:
    """Within the block, SIGTERM raises ``Interrupted`` and SIGINT ``KeyboardInterrupt``,
    after asking every live run to stop. Only the main thread can install handlers; elsewhere
    this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_term(signum, _frame):
        end_all()
        raise Interrupted(signum)

    def on_int(_signum, _frame):
        end_all()
        raise KeyboardInterrupt

    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    signal.signal(signal.SIGTERM, on_term)
    if saved[signal.SIGINT] is signal.default_int_handler:
        signal.signal(signal.SIGINT, on_int)
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
