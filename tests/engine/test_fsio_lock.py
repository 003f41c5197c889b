"""Safe writes, symlink refusal and the target lock."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from maestro_tasks.engine import InputError, LockedError
from maestro_tasks.engine.fsio import atomic_write, resolve_inside
from maestro_tasks.engine.lock import TargetLock


def test_atomic_write_keeps_mode_and_secret_files_are_0600(tmp_path):
    plain = tmp_path / "run.sh"
    plain.write_text("old")
    plain.chmod(0o750)
    atomic_write(plain, b"new")
    assert plain.read_bytes() == b"new" and plain.stat().st_mode & 0o777 == 0o750
    secret = tmp_path / ".env"
    atomic_write(secret, b"A=b\n", secret=True)
    assert secret.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_resolve_inside_refuses_symlink_leaving_target(tmp_path):
    outside = tmp_path / "outside.env"
    outside.write_text("X=1\n")
    target = tmp_path / "target"
    target.mkdir()
    (target / ".env").symlink_to(outside)
    with pytest.raises(InputError, match="outside the target"):
        resolve_inside(target, ".env")
    (target / "inner").write_text("")
    (target / "link").symlink_to(target / "inner")
    assert resolve_inside(target, "link") == target / "link"


def test_lock_times_out_naming_the_holder(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from maestro_tasks.engine.lock import TargetLock; "
         f"l = TargetLock(__import__('pathlib').Path({str(tmp_path / 'lock')!r})); l.acquire(); "
         "print('held', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockedError, match=f"locked by PID {holder.pid}"):
            TargetLock(tmp_path / "lock", timeout=0.3).acquire()
    finally:
        holder.kill()
        holder.wait()
    # The holder died without releasing (kill -9 semantics): the lock is recovered at once.
    start = time.monotonic()
    lock = TargetLock(tmp_path / "lock", timeout=5)
    lock.acquire()
    assert time.monotonic() - start < 1
    assert (tmp_path / "lock").read_text().strip() == str(os.getpid())
    lock.release()


def test_stale_lock_file_with_dead_pid_is_recovered(tmp_path):
    (tmp_path / "lock").write_text("999999\n")
    lock = TargetLock(tmp_path / "lock", timeout=0.2)
    lock.acquire()
    lock.release()


def test_crash_mid_write_leaves_old_or_new(tmp_path):
    """An exception between temp write and replace leaves the original and no temp file."""
    path = tmp_path / "f.txt"
    path.write_bytes(b"original")
    real_replace = os.replace

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    os.replace = failing_replace
    try:
        with pytest.raises(Exception, match="no space left"):
            atomic_write(path, b"new content")
    finally:
        os.replace = real_replace
    assert path.read_bytes() == b"original"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]


def test_remove_path_reports_a_folder_it_cannot_delete_fake_unlink(tmp_path):
    """A cache that cannot be deleted is a write failure naming the file, not a silent no-op.

    Fake: os.unlink is replaced, because as root a real permission fault needs the capability
    games of tests/reliability; this only proves the failure is reported."""

    from maestro_tasks.engine.fsio import WriteError, remove_path

    cache = tmp_path / "__pycache__"
    cache.mkdir()
    (cache / "m.pyc").write_bytes(b"x" * 10)
    real_unlink = os.unlink

    def denied(path, *a, **kw):
        raise PermissionError(13, "Permission denied", str(path))

    os.unlink = denied
    try:
        with pytest.raises(WriteError, match="permission denied"):
            remove_path(cache)
    finally:
        os.unlink = real_unlink
    assert (cache / "m.pyc").exists()
    assert remove_path(cache) == 10 and not cache.exists()


def test_context_paths_refuse_links_in_any_parent_folder(tmp_path):
    """The per-run resolver's shortcut never lets a symlinked folder lead out of the target."""
    from maestro_tasks.engine import Context

    outside = tmp_path / "outside"
    (outside / "pkg").mkdir(parents=True)
    target = tmp_path / "target"
    (target / "src").mkdir(parents=True)
    (target / "src" / "real").mkdir()
    (target / "src" / "link").symlink_to(outside)
    ctx = Context(target=target)
    assert ctx.path("src/real/__pycache__") == target / "src" / "real" / "__pycache__"
    for rel in ("src/link/pkg/__pycache__", "src/link", "../outside/pkg", str(outside)):
        with pytest.raises(InputError):
            ctx.path(rel)
    # A folder seen as real, later replaced by a link, is still caught for new children.
    (target / "src" / "real").rmdir()
    (target / "src" / "real").symlink_to(outside)
    with pytest.raises(InputError):
        ctx.path("src/real/pkg/x.pyc")


def test_scratch_dirs_of_dead_runs_are_removed(tmp_path, monkeypatch):
    """A SIGKILLed run's scratch folder (copies of secret files) goes at the next run."""
    import tempfile

    from maestro_tasks.engine.fsio import scratch_dir

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f"maestro-secrets-{dead}-abc"
    stale.mkdir()
    (stale / "orig.env").write_text("X=1\n")
    live = tmp_path / f"maestro-secrets-{os.getpid()}-def"
    live.mkdir()
    fresh = scratch_dir("secrets")
    assert not stale.exists() and live.exists()
    assert fresh.parent == tmp_path and fresh.stat().st_mode & 0o777 == 0o700
