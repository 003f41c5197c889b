"""Safe file I/O inside a target: atomic replace, mode keeping, no symlink escapes, backups.

Test-only hook: ``MAESTRO_TEST_WRITE_DELAY_S=<seconds>`` sleeps inside every safe write (after
half of the content, and again before the rename), so the crash tests in tests/reliability can
``kill -9`` a run while a write is half done. Unset or empty (always, outside those tests) it
does nothing.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .model import InputError, MaestroError

SECRET_FILE_MODE = 0o600
_HAS_ONEXC = sys.version_info >= (3, 12)
PRIVATE_DIR_MODE = 0o700


class WriteError(MaestroError):
    """A write failed (disk full, permission, read-only): exit 1, originals intact."""


def resolve_inside(target: Path, rel: str | os.PathLike[str]) -> Path:
    """The absolute path of ``rel`` under ``target``; refuses any path that leaves the target.

    Symlinks are resolved, so a link (or a link in a parent folder) pointing outside is refused.
    """
    root = os.path.realpath(target)
    candidate = Path(root, rel)
    real = os.path.realpath(candidate)
    if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
        if candidate.is_symlink():
            raise InputError(str(rel), f"is a symlink to {real}, outside the target; refusing")
        raise InputError(str(rel), "resolves outside the target; refusing")
    return candidate


class InsideResolver:
    """``resolve_inside`` for the many paths of one run (a cache clean deletes thousands).

    A folder found to be a real folder (no symlink) whose parent is one too is remembered, so a
    new path costs one lstat per folder not seen before instead of a full realpath; anything
    else (a symlink, "..", a missing folder) takes the full ``resolve_inside``.
    """

    def __init__(self, target: Path):
        self.target = target
        self.root = os.path.realpath(target)
        self._real_dirs: set[str] = {""}

    def _real_dir(self, rel: str) -> bool:
        if rel in self._real_dirs:
            return True
        parent = os.path.dirname(rel)
        try:
            ok = self._real_dir(parent) and stat.S_ISDIR(os.lstat(os.path.join(self.root, rel)).st_mode)
        except OSError:
            return False
        if ok:
            self._real_dirs.add(rel)
        return ok

    def __call__(self, rel: str | os.PathLike[str]) -> Path:
        norm = os.path.normpath(os.fspath(rel))
        if norm == "." or os.path.isabs(norm) or norm.split(os.sep, 1)[0] == ".." \
                or not self._real_dir(os.path.dirname(norm)):
            return resolve_inside(self.target, rel)
        candidate = os.path.join(self.root, norm)
        try:
            if stat.S_ISLNK(os.lstat(candidate).st_mode):
                return resolve_inside(self.target, rel)
        except FileNotFoundError:
            pass  # not there yet (a file about to be written) inside a real folder: inside
        return Path(candidate)


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


def _test_pause() -> None:
    """The crash tests' window widener (see the module docstring); a no-op unless set."""
    delay = os.environ.get("MAESTRO_TEST_WRITE_DELAY_S")
    if delay:
        try:
            time.sleep(float(delay))
        except ValueError:
            pass


def _write_all(fd: int, content: bytes) -> None:
    view = memoryview(content)
    half = len(view) // 2
    while len(view) > half:
        view = view[os.write(fd, view[: len(view) - half]):]
    _test_pause()
    while view:
        view = view[os.write(fd, view):]


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
        sweep_stale_temps(folder)
        fd, tmp = _mkstemp(path)
        try:
            os.fchmod(fd, SECRET_FILE_MODE if secret else mode)
            _write_all(fd, content)
            os.fsync(fd)
        finally:
            os.close(fd)
        if not secret:
            os.chmod(tmp, mode)
        _test_pause()
        os.replace(tmp, path)
        tmp = None
        _fsync_dir(folder)
    except OSError as exc:
        raise WriteError(describe_os_error(exc, path)) from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


_TEMP_NAME = re.compile(r"^\..+\.maestro-(\d+)-[A-Za-z0-9_]+\.tmp$")


def _mkstemp(path: Path) -> tuple[int, str]:
    """A temp file beside ``path``, 0600, named after its writer's PID (see sweep_stale_temps)."""
    return tempfile.mkstemp(prefix=f".{path.name}.maestro-{os.getpid()}-", suffix=".tmp",
                            dir=path.parent)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


_SCRATCH = re.compile(r"maestro-[a-z]+-(\d+)-")


def scratch_dir(purpose: str) -> Path:
    """A private (0700) scratch folder in the system temp dir, named after this PID.

    A run killed by SIGKILL cannot remove its scratch folder, which may hold copies of files
    with secrets in them; every new one first removes those whose creator is gone.
    """
    base = tempfile.gettempdir()
    try:
        names = os.listdir(base)
    except OSError:
        names = []
    for name in names:
        match = _SCRATCH.match(name)
        if match and not _alive(int(match.group(1))):
            shutil.rmtree(os.path.join(base, name), ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"maestro-{purpose}-{os.getpid()}-"))


def sweep_stale_temps(folder: Path) -> int:
    """Delete the temp files that a killed writer left in ``folder``; returns how many.

    A run killed between creating its temp file and renaming it leaves that file behind, and a
    temp .env holds every secret. Only files named by ``_mkstemp`` whose writer PID is gone are
    removed, so a concurrent live writer's temp file is never touched.
    """
    removed = 0
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    for name in names:
        match = _TEMP_NAME.match(name)
        if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
            try:
                os.unlink(folder / name)
                removed += 1
            except OSError:
                pass
    return removed


def describe_os_error(exc: OSError, path: Path) -> str:
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
    """Create ``path`` and its missing parents, each new one 0700 (``path`` itself always)."""
    try:
        missing = [p for p in [path, *path.parents] if not p.exists()]
        for folder in reversed(missing):
            # mkdir(parents=True) would create the parents with the umask's mode, not 0700.
            folder.mkdir(mode=PRIVATE_DIR_MODE, exist_ok=True)
            os.chmod(folder, PRIVATE_DIR_MODE)
        os.chmod(path, PRIVATE_DIR_MODE)
    except OSError as exc:
        raise WriteError(describe_os_error(exc, path)) from None
    return path


def copy_private(src: Path, dst: Path) -> None:
    """Copy a file into a backup: 0600 from creation, content fsynced, complete or absent.

    The copy is written to a temp file and hard-linked into place, so a crash never leaves a
    half-copied backup, and an existing backup (the true original) is never replaced.
    """
    make_private_dir(dst.parent)
    tmp = None
    try:
        data = src.read_bytes()
        fd, tmp = _mkstemp(dst)
        try:
            os.fchmod(fd, SECRET_FILE_MODE)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        _test_pause()
        os.link(tmp, dst)
        _fsync_dir(dst.parent)
    except FileExistsError:
        return  # already backed up in this session: keep the first (the true original)
    except OSError as exc:
        raise WriteError(describe_os_error(exc, dst)) from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def remove_path(path: Path, *, measure: bool = True) -> int:
    """Delete a file or folder tree; returns bytes freed (0 without ``measure``: sizing a
    tree is a second walk of it). Never follows symlinks."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return 0
    if stat.S_ISDIR(st.st_mode):
        freed = 0
        for root, dirs, files in os.walk(path) if measure else ():
            for name in files:
                try:
                    freed += os.lstat(os.path.join(root, name)).st_size
                except OSError:
                    pass
        failures: list[OSError] = []
        shutil.rmtree(path, onexc=lambda _fn, _p, exc: failures.append(exc)) if _HAS_ONEXC else \
            shutil.rmtree(path, onerror=lambda _fn, _p, info: failures.append(info[1]))
        if failures:
            exc = failures[0]
            raise WriteError(describe_os_error(exc, Path(exc.filename or path))) from None
        return freed
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise WriteError(describe_os_error(exc, path)) from None
    return st.st_size


_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) \
    | getattr(os, "O_CLOEXEC", 0)
REMOVE_WORKERS = 4  # threads deleting one large cache clean: on a disk their journal waits overlap
_FD_SAFE = (hasattr(os, "O_DIRECTORY") and hasattr(os, "O_NOFOLLOW")
            and {os.open, os.unlink, os.rmdir} <= os.supports_dir_fd and os.scandir in os.supports_fd)


def _empty_dir(fd: int) -> None:
    """Delete everything inside the folder open as ``fd``; links are unlinked, never followed."""
    with os.scandir(fd) as it:
        entries = list(it)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            _remove_at(fd, entry.name)
        else:
            try:
                os.unlink(entry.name, dir_fd=fd)
            except FileNotFoundError:
                pass


def _remove_at(parent_fd: int, name: str) -> None:
    """Delete ``name`` (a file, link or folder tree) in the folder open as ``parent_fd``."""
    try:
        fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    except FileNotFoundError:
        return
    except OSError as exc:  # ENOTDIR: a file; ELOOP: a symlink (to a folder or not): unlink it
        if exc.errno not in (errno.ENOTDIR, errno.ELOOP):
            raise
        try:
            os.unlink(name, dir_fd=parent_fd)
        except FileNotFoundError:
            pass
        return
    try:
        _empty_dir(fd)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=parent_fd)


def _remove_known_at(parent_fd: int, name: str, inner: tuple[str, ...] | None) -> None:
    """``_remove_at`` given what the plan saw: ``inner`` None, a file (unlinked first);
    else a folder holding the files ``inner``, unlinked by name without listing the folder.
    Anything else found there (a new file, a subfolder) is caught by the folder not being
    empty, and the folder is then listed and emptied as ``_remove_at`` does."""
    if inner is None:
        try:
            os.unlink(name, dir_fd=parent_fd)
            return
        except FileNotFoundError:
            return
        except OSError as exc:  # a folder now (EISDIR; EPERM elsewhere): the general way
            if exc.errno not in (errno.EISDIR, errno.EPERM):
                raise
        _remove_at(parent_fd, name)
        return
    try:
        fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    except OSError:
        _remove_at(parent_fd, name)  # gone, or not a folder any more: the general way
        return
    try:
        for inner_name in inner:
            if "/" in inner_name:
                continue  # in a subfolder: emptied below
            try:
                os.unlink(inner_name, dir_fd=fd)
            except OSError as exc:  # gone, or a folder now: the listing below deals with it
                if exc.errno not in (errno.ENOENT, errno.EISDIR, errno.EPERM):
                    raise
    finally:
        # Closed before the rmdir: a folder removed while open goes through the file system's
        # orphan list (on ext4 a journal write at rmdir and another at close, ~1 ms each).
        os.close(fd)
    try:
        os.rmdir(name, dir_fd=parent_fd)
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
        _remove_at(parent_fd, name)  # more than the plan saw: listed and emptied


def remove_many(target: Path, rels: list[str],
                known: dict[str, tuple[str, ...] | None] | None = None) -> None:
    """Delete many files and folder trees under ``target`` (relative, "/"-separated paths) in
    one pass: the fast path of a cache clean of thousands of folders.

    Safety, as ``resolve_inside`` + ``remove_path`` and stricter: every folder on the way is
    opened relative to its parent with ``O_NOFOLLOW``, so a symlink anywhere on the way is
    refused, never followed (even one that stays inside the target); an entry that is itself
    a link is unlinked as a link; a folder's content is deleted through its own descriptor, so
    a folder swapped for a link meanwhile is refused too. A path with "..", an absolute path or
    an empty part is refused. Paths already gone are skipped. A path under another listed one
    goes with it. From 1,000 paths on, slices are deleted by up to ``REMOVE_WORKERS`` threads
    (each opening its own folders below the root descriptor). A failure is raised as a
    ``WriteError`` naming the path (the other slices run to their end).

    ``known`` (optional): what the plan saw at each path, saving a listing per folder: None
    for a file, or the names of the files inside a folder. Only a hint: the same descriptors
    and the same refusals apply, and a folder holding more than that is listed and emptied.
    """
    if not _FD_SAFE:  # no *at() calls here: the path-based check of each entry
        resolver = InsideResolver(target)
        for rel in rels:
            remove_path(resolver(rel), measure=False)
        return
    known = known or {}
    for rel in rels:
        parts = rel.split("/")
        if rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise InputError(rel, "is not a plain path inside the target; refusing")
    ordered: list[str] = []
    for rel in sorted(rels):  # a path under one already listed goes with it
        if not ordered or not rel.startswith(ordered[-1] + "/"):
            ordered.append(rel)
    root = os.path.realpath(target)
    root_fd = os.open(root, _DIR_FLAGS)
    try:
        workers = min(REMOVE_WORKERS, len(ordered) // 500)
        if workers < 2:
            _remove_sorted(root, root_fd, ordered, known)
            return
        # Independent slices in parallel (no path is under another): on a disk, each rmdir
        # waits on the file system's journal, and those waits overlap.
        size = -(-len(ordered) // workers)
        with ThreadPoolExecutor(workers) as pool:
            futures = [pool.submit(_remove_sorted, root, root_fd, ordered[i:i + size], known)
                       for i in range(0, len(ordered), size)]
            errors = [f.exception() for f in futures]
        for exc in errors:
            if exc is not None:
                raise exc
    finally:
        os.close(root_fd)


def _remove_sorted(root: str, root_fd: int, rels: list[str],
                   known: dict[str, tuple[str, ...] | None]) -> None:
    # Open folders along the current path: (relative folder, fd); sorted paths share prefixes.
    stack: list[tuple[str, int]] = [("", root_fd)]
    current = ""
    try:
        for rel in rels:
            parent, _, name = rel.rpartition("/")
            try:
                while stack[-1][0] and not (parent == stack[-1][0]
                                            or parent.startswith(stack[-1][0] + "/")):
                    os.close(stack.pop()[1])
                current = stack[-1][0]
                missing = False
                for part in (parent[len(current):].lstrip("/").split("/") if parent != current
                             else ()):
                    try:
                        fd = os.open(part, _DIR_FLAGS, dir_fd=stack[-1][1])
                    except FileNotFoundError:
                        missing = True  # already gone with its folder
                        break
                    except OSError as exc:
                        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                            raise InputError(rel, "has a symlink (or a file) on its way inside "
                                                  "the target; refusing to follow it") from None
                        raise
                    current = f"{current}/{part}" if current else part
                    stack.append((current, fd))
                if missing:
                    pass
                elif rel in known:
                    _remove_known_at(stack[-1][1], name, known[rel])
                else:
                    _remove_at(stack[-1][1], name)
            except OSError as exc:
                raise WriteError(describe_os_error(exc, Path(root, rel))) from None
    finally:
        for _rel, fd in stack[1:]:
            os.close(fd)
