"""Crash safety: ``kill -9`` of ``maestro-tasks week1.fix-secrets`` at random points of its apply.

The test-only hook MAESTRO_TEST_WRITE_DELAY_S (engine/fsio.py) pauses inside every safe write
(after half of the bytes, and before the rename), so many kills land while a temp file is half
written. Each kill waits for the run's write phase to begin (reading and proving the plan before
it write nothing), then comes at a time drawn uniformly over the write phase's length in one
uninterrupted apply.

Trials run in chains on one target: each run is killed, and the next run starts from whatever
the kill left (a dead PID in .maestro/lock, maybe a half-written temp file) -- so every run
after the first is also a recovery run, killed in turn. Each chain ends with an uninterrupted
run that must converge to the result of a run that was never interrupted.
After every kill, each file is the original or the complete new version, .env parses with every
variable, and once .env exists its values never change (a secret is never re-minted).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from maestro_tasks.resources import REPO_ROOT
from reliability_kit import (CLI, SECRET_TASK, WATCHED, ForkServer, alive, cli_env, run_in,
                             seeded_copy, snapshot, wait_gone)

TRIALS = int(os.environ.get('XT', 200))          # kills in total
CHAIN = 4             # kills per target before its uninterrupted run
WORKERS = 4           # 2 cores; the write pauses sleep, so more workers overlap them
DELAY_S = "0.03"      # per pause; each write pauses twice


def env_structure(data: bytes) -> list[str]:
    """The .env lines with the values blanked: equal for two runs with different secrets."""
    return [line.split("=", 1)[0] + ("=…" if "=" in line else "")
            for line in data.decode("utf-8").splitlines()]


def env_values(data: bytes) -> dict[str, str | None]:
    import io

    from dotenv import dotenv_values

    return dict(dotenv_values(stream=io.StringIO(data.decode("utf-8"))))


def strength_problems(values: dict[str, str | None]) -> list[str]:
    from maestro_tasks.secrets import envfile, rules

    template = envfile.parse_template(".env.template", (REPO_ROOT / ".env.template").read_bytes())
    out = []
    for name, value in values.items():
        why = rules.weakness(value or "", template.get(name) or rules.rule_for(name, value))
        if why:
            out.append(f"{name}: {why}")
    return out


class Reference:
    """What one uninterrupted apply produces on a fresh copy (minus the random values)."""

    def __init__(self, target: Path, duration: float, first_write: float):
        self.duration = duration
        self.first_write = first_write  # when the writes begin, after reading and proving
        self.files = snapshot(target)
        self.env_shape = env_structure(self.files[".env"])
        self.env_keys = set(env_values(self.files[".env"]))


def temp_files(target: Path) -> list[str]:
    """Leftover safe-write temp files anywhere in the target (they may hold secrets)."""
    return sorted(str(p.relative_to(target)) for p in target.rglob(".*.tmp")
                  if ".git" not in p.relative_to(target).parts)


def check_state(target: Path, original: dict, ref: Reference, known_env: dict | None) -> dict:
    """The invariants after a kill; returns the .env values (None while .env is absent)."""
    now = snapshot(target)
    for name in WATCHED:
        if name == ".env":
            continue
        assert now[name] in (original[name], ref.files[name]), (
            f"{name} is neither the original nor the complete new version")
    env = now[".env"]
    values = None
    if env is not None:
        assert env_structure(env) == ref.env_shape, ".env is partial or malformed"
        values = env_values(env)
        assert set(values) == ref.env_keys
        assert not strength_problems(values)
        if known_env is not None:
            assert values == known_env, "a secret already in .env was re-minted after a crash"
    backups = target / ".maestro" / "backups"
    for path in backups.rglob("*") if backups.is_dir() else []:
        rel = path.relative_to(backups)
        if path.is_file() and not path.name.endswith(".tmp") and path.name != "manifest.json":
            name = str(Path(*rel.parts[1:]))
            assert path.read_bytes() in (original.get(name), ref.files.get(name)), (
                f"backup {rel} is not a complete copy")
    return values


def classify(before: dict, target: Path) -> str:
    """Where a kill landed: the files the killed run had already replaced."""
    now = snapshot(target)
    done = [n for n in WATCHED if now[n] != before[n]]
    return " ".join(done) if done else "none yet"


def start_apply(server: ForkServer, target: Path, env: dict[str, str]) -> int:
    """Start the task; return its PID once it holds the target lock (its PID is in
    .maestro/lock): from there on it reads, writes and verifies; before, it only parses argv."""
    pid = server.start(target, ["maestro-tasks", SECRET_TASK], env)
    lock = target / ".maestro" / "lock"
    deadline = time.monotonic() + 60
    while alive(pid) and time.monotonic() < deadline:
        try:
            if lock.read_text().strip() == str(pid):
                break
        except OSError:
            pass
        time.sleep(0.002)
    return pid


@pytest.fixture(scope="module")
def server():
    srv = ForkServer()
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def reference(pristine, probed, server, tmp_path_factory) -> Reference:
    """One uninterrupted apply: its files, and how long it runs once it holds the lock."""
    target = seeded_copy(pristine, tmp_path_factory.mktemp("crash-ref") / "t", probed)
    pid = start_apply(server, target, cli_env(MAESTRO_TEST_WRITE_DELAY_S=DELAY_S))
    start = time.monotonic()
    first_write = None
    while alive(pid):
        if first_write is None and _writing(target):
            first_write = time.monotonic() - start
        time.sleep(0.002)
    wait_gone(pid)
    duration = time.monotonic() - start
    assert first_write is not None, "the reference run was never seen writing"
    assert run_in(target, SECRET_TASK, "--check").returncode == 0
    return Reference(target, duration, first_write)


def _backup_runs(target: Path) -> set[str]:
    try:
        return set(os.listdir(target / ".maestro" / "backups"))
    except OSError:
        return set()


def _writing(target: Path, seen: set[str] | None = None) -> bool:
    """The first sign of a run's write phase: a new backup folder or a safe-write temp file."""
    return bool(_backup_runs(target) - (seen or set())) or any(
        name.endswith(".tmp") for name in os.listdir(target))


def test_kill9_at_random_points_never_leaves_a_half_written_file(reference, server, pristine,
                                                                 probed, tmp_path):
    rng = random.Random()  # kill timing only; nothing secret
    env = cli_env(MAESTRO_TEST_WRITE_DELAY_S=DELAY_S)
    original = snapshot(pristine)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def chain(index: int) -> None:
        target = seeded_copy(pristine, tmp_path / f"chain-{index}", probed)
        known_env = None
        for _ in range(CHAIN):
            before = snapshot(target)
            seen = _backup_runs(target)
            pid = start_apply(server, target, env)
            # Reading and proving the plan come first and write nothing, and take longer when
            # the chains share the cores: each kill waits for this run's write phase to begin,
            # then comes at a time drawn over the write phase's measured length.
            deadline = time.monotonic() + 120
            while alive(pid) and not _writing(target, seen) and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(rng.uniform(0, reference.duration - reference.first_write))
            finished = not alive(pid)
            if not finished:
                os.kill(pid, signal.SIGKILL)
            wait_gone(pid)
            values = check_state(target, original, reference, known_env)
            known_env = values if values is not None else known_env
            with lock:
                if finished:
                    outcomes["completed before the kill"] += 1
                else:
                    outcomes["killed; this run had replaced: " + classify(before, target)] += 1
                    outcomes["(kills that left a temp file)"] += bool(temp_files(target))
        # The recovery run: stale lock from a dead PID, leftovers of the kills.
        code = server.run(target, ["maestro-tasks", SECRET_TASK], env, tmp_path / f"rc-{index}")
        assert code == 0, run_in(target, SECRET_TASK).stdout
        final = snapshot(target)
        for name in WATCHED:
            if name != ".env":
                assert final[name] == reference.files[name], f"{name} did not converge"
        assert env_structure(final[".env"]) == reference.env_shape
        if known_env is not None:
            assert env_values(final[".env"]) == known_env
        assert (target / ".env").stat().st_mode & 0o777 == 0o600
        assert temp_files(target) == [], "temp files left behind after recovery"

    with ThreadPoolExecutor(WORKERS) as pool:
        for future in [pool.submit(chain, i) for i in range(TRIALS // CHAIN)]:
            future.result()
    killed = {k: n for k, n in outcomes.items() if k.startswith("killed")}
    print(f"\n{TRIALS} trials, {sum(killed.values())} killed mid-run; outcomes:")
    for key, n in sorted(outcomes.items()):
        print(f"  {n:4d}  {key}")
    assert sum(killed.values()) + outcomes["completed before the kill"] == TRIALS
    # The kill times must really cover the write sequence, not only start-up and verification:
    # many kills after this run replaced a file, and many inside a write (a temp file left).
    partial = sum(n for k, n in killed.items() if not k.endswith("none yet"))
    # Kills wait for the write phase; a chain's later runs have little left to write and often
    # finish first (measured: 55% of the kills landed mid-run, 43% after a replace, 21% mid-write).
    assert sum(killed.values()) >= TRIALS * 0.35
    assert partial >= TRIALS * 0.1
    assert outcomes["(kills that left a temp file)"] >= TRIALS * 0.1


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_or_terminate_mid_apply(sig, reference, pristine, probed, tmp_path):
    """Ctrl-C and a polite kill: no traceback, files old or new, the next run converges."""
    import subprocess

    rng = random.Random()
    env = cli_env(MAESTRO_TEST_WRITE_DELAY_S=DELAY_S)
    original = snapshot(pristine)
    target = seeded_copy(pristine, tmp_path / "t", probed)
    known_env = None
    for _ in range(4):
        proc = subprocess.Popen([CLI, SECRET_TASK], cwd=target, env=env, text=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        # From the moment it holds the lock: a signal during Python's own start-up (importing
        # invoke on a loaded machine) is Python's default handling, not ours.
        lock, deadline = target / ".maestro" / "lock", time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if lock.read_text().strip() == str(proc.pid):
                    break
            except OSError:
                pass
            time.sleep(0.002)
        time.sleep(rng.uniform(0, reference.duration))
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode in (0, 1, 128 + sig, -sig), out + err
        assert "Traceback" not in err, err
        values = check_state(target, original, reference, known_env)
        known_env = values if values is not None else known_env
    res = run_in(target, SECRET_TASK)
    assert res.returncode == 0, res.stdout + res.stderr
    assert temp_files(target) == []
    if known_env is not None:
        assert env_values((target / ".env").read_bytes()) == known_env
