"""Safe file I/O inside a target: atomic replace, mode keeping, no symlink escapes, backups."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from pathlib import Path

from .model import InputError, MaestroError

SECRET_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


class WriteError(MaestroError):
    """A write failed (disk full, permission, read-only): exit 1, originals intact."""


def resolve_inside(target: Path, rel: str | os.PathLike[str]) -> Path:
    """The absolute path of ``rel`` under ``target``; refuses any path that leaves the target.

    Symlinks are resolved, so a link (or a link in a parent folder) pointing outside is refused.
    """
    root = target.resolve()
    candidate = (root / rel)
    real = candidate.resolve()
    if real != root and root not in real.parents:
        if candidate.is_symlink():
            raise InputError(str(rel), f"is a symlink to {real}, outside the target; refusing")
        raise InputError(str(rel), "resolves outside the target; refusing")
    return candidate


def read_bytes(target: Path, rel: str) -> bytes | None:
    """Content of a file under the target, or None if absent. Unreadable → InputError."""
    path = resolve_inside(target, rel)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise InputError(rel, "is a directory, expected a file") from None
    except PermissionError:
        raise InputError(rel, "cannot be read: permission denied") from None
    except OSError as exc:
        raise InputError(rel, f"cannot be read: {exc.strerror}") from None


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, content: bytes, *, secret: bool = False) -> None:
    """Write ``content`` to ``path`` so that a crash leaves the old or the new file, never half.

    The temp file lives in the same folder, is fsynced, then ``os.replace``d over the target.
    An existing file's mode is kept; a secret file is created 0600 from the start (no window).
    """
    folder = path.parent
    try:
        old_mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        old_mode = None
    if secret:
        mode = SECRET_FILE_MODE
    elif old_mode is not None:
        mode = old_mode
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        try:
            os.fchmod(fd, SECRET_FILE_MODE if secret else mode)
            view = memoryview(content)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        if not secret:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
        tmp = None
        _fsync_dir(folder)
    except OSError as exc:
        raise WriteError(_describe_os_error(exc, path)) from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _describe_os_error(exc: OSError, path: Path) -> str:
    reasons = {
        errno.ENOSPC: "no space left on device",
        errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted",
        errno.EROFS: "read-only file system",
        errno.EDQUOT: "disk quota exceeded",
    }
    reason = reasons.get(exc.errno or 0, exc.strerror or str(exc))
    return f"cannot write {path}: {reason}"


def make_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with the last folders 0700."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
        os.chmod(path, PRIVATE_DIR_MODE)
    except OSError as exc:
        raise WriteError(_describe_os_error(exc, path)) from None
    return path


def copy_private(src: Path, dst: Path) -> None:
    """Copy a file into a backup: 0600 from creation, content fsynced."""
    make_private_dir(dst.parent)
    try:
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SECRET_FILE_MODE)
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out)
            out.flush()
            os.fsync(out.fileno())
    except FileExistsError:
        return  # already backed up in this session: keep the first (the true original)
    except OSError as exc:
        raise WriteError(_describe_os_error(exc, dst)) from None


def remove_path(path: Path) -> int:
    """Delete a file or folder tree; returns bytes freed. Never follows symlinks."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return 0
    if stat.S_ISDIR(st.st_mode):
        freed = 0
        for root, dirs, files in os.walk(path):
            for name in files:
                try:
                    freed += os.lstat(os.path.join(root, name)).st_size
                except OSError:
                    pass
        shutil.rmtree(path, ignore_errors=True)
        return freed
    path.unlink(missing_ok=True)
    return st.st_size
