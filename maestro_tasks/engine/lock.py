"""The target lock: one writer per target at a time.

``fcntl.flock`` on ``.maestro/lock`` is released by the kernel when its holder dies, so a lock
left by a killed run (even ``kill -9``) is recovered automatically; the PID written in the file
only serves the "locked by PID …" message.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from .fsio import WriteError, describe_os_error
from .model import LockedError


class TargetLock:
    def __init__(self, path: Path, timeout: float = 10.0):
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None

    def holder(self) -> str:
        try:
            return self.path.read_text().strip() or "unknown"
        except OSError:
            return "unknown"

    def _open(self) -> int:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise WriteError(describe_os_error(exc, self.path)) from None

    def _still_the_file(self, fd: int) -> bool:
        """The locked file is still the one at ``path``: a run that had nothing to do removes
        its fresh .maestro/ (lock included) on exit, and a lock on that unlinked file guards
        nothing."""
        try:
            return os.stat(self.path).st_ino == os.fstat(fd).st_ino
        except OSError:
            return False

    def acquire(self) -> None:
        fd = self._open()
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if not self._still_the_file(fd):
                    os.close(fd)
                    fd = self._open()
                    continue
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = self.holder()
                    os.close(fd)
                    raise LockedError(
                        f"target is locked by PID {holder} ({self.path}); "
                        "wait for that run to finish"
                    ) from None
                time.sleep(0.05)
        self._fd = fd
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError as exc:
            # A full disk can refuse even these few bytes: say which file, not just ENOSPC.
            self.release()
            raise WriteError(describe_os_error(exc, self.path)) from None

    def release(self) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            except OSError:
                pass
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "TargetLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
