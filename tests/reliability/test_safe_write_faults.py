"""The safe-write helpers under faults, in-process: what the crash and disk tests rely on."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys

import pytest

from maestro_tasks.engine import fsio
from maestro_tasks.engine.fsio import WriteError, atomic_write, copy_private, sweep_stale_temps


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_sweep_removes_only_temps_of_dead_writers(tmp_path):
    dead = tmp_path / f"..env.maestro-{dead_pid()}-abc123.tmp"
    live_writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        live = tmp_path / f"..env.maestro-{live_writer.pid}-def456.tmp"
        mine = tmp_path / f".x.maestro-{os.getpid()}-ghi789.tmp"
        users = [tmp_path / ".notes.tmp", tmp_path / ".env.maestro-backup.tmp"]
        for path in [dead, live, mine, *users]:
            path.write_text("A=secret\n")
        assert sweep_stale_temps(tmp_path) == 1
        assert not dead.exists()
        assert all(p.exists() for p in [live, mine, *users])
    finally:
        live_writer.kill()
        live_writer.wait()


def test_interrupted_backup_copy_leaves_no_partial_backup(tmp_path, monkeypatch):
    src = tmp_path / ".env"
    src.write_bytes(b"A=" + b"x" * 5000 + b"\n")
    dst = tmp_path / "backups" / "stamp" / ".env"
    real_write, calls = os.write, []

    def write_then_fail(fd, data):
        calls.append(len(data))
        if len(calls) > 1:  # the first half is on disk, the second half does not fit
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(fsio.os, "write", write_then_fail)
    with pytest.raises(WriteError, match="no space left on device"):
        copy_private(src, dst)
    monkeypatch.undo()
    assert len(calls) == 2
    assert not dst.exists()
    assert list(dst.parent.iterdir()) == []
    copy_private(src, dst)
    assert dst.read_bytes() == src.read_bytes()
    assert stat.S_IMODE(dst.stat().st_mode) == 0o600


def test_backup_folders_are_0700_at_every_level(tmp_path):
    src = tmp_path / "app.env"
    src.write_text("A=1\n")
    copy_private(src, tmp_path / "backups" / "stamp" / "deploy" / "prod" / "app.env")
    for folder in ("backups", "backups/stamp", "backups/stamp/deploy",
                   "backups/stamp/deploy/prod"):
        assert stat.S_IMODE((tmp_path / folder).stat().st_mode) == 0o700, folder


def test_write_delay_hook_is_inert_unless_set(tmp_path, monkeypatch):
    monkeypatch.delenv("MAESTRO_TEST_WRITE_DELAY_S", raising=False)
    slept = []
    monkeypatch.setattr(fsio.time, "sleep", slept.append)
    atomic_write(tmp_path / "f", b"content")
    assert slept == []
    monkeypatch.setenv("MAESTRO_TEST_WRITE_DELAY_S", "0.25")
    atomic_write(tmp_path / "f", b"content")
    assert slept == [0.25, 0.25]  # after half the bytes, and before the rename
    monkeypatch.setenv("MAESTRO_TEST_WRITE_DELAY_S", "not-a-number")
    atomic_write(tmp_path / "f", b"content")
    assert len(slept) == 2
