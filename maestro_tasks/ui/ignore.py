"""Keep git clean after a build: every app's dependency and output folders ignored.

``git check-ignore`` decides what is ignored (it knows every ignore source, nested .gitignore
files and ``!`` negations). Missing folders are added as anchored lines at the end of one
.gitignore (the app's own when it has one, else the target's root one, else a new one in the
app), where they win over an earlier negation; the edit is append-only and idempotent.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from .discovery import NEXT, App, target_path

HEADER = "# maestro-tasks: UI dependencies and build output stay out of git"


def app_folders(target: Path, app: App) -> list[str]:
    """What installing and building the app creates, relative to the app: node_modules, the
    output folder(s), and the next-env.d.ts Next.js generates (TypeScript apps)."""
    out = ["node_modules", *app.outputs]
    folder = target / app.rel
    if app.framework == NEXT and ((folder / "tsconfig.json").is_file()
                                  or (folder / "next-env.d.ts").is_file()):
        out.append("next-env.d.ts")
    return list(dict.fromkeys(o.strip("/") for o in out if o and o != "."))


def git_root(target: Path) -> Path | None:
    try:
        res = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=target,
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return Path(res.stdout.strip()) if res.returncode == 0 and res.stdout.strip() else None


def not_ignored(target: Path, paths: list[str]) -> list[str]:
    """Those of ``paths`` (relative to the target; a trailing / marks a folder) that git would
    not ignore. Asked of git itself, as if nothing were tracked (``--no-index``)."""
    if not paths:
        return []
    res = subprocess.run(["git", "check-ignore", "--no-index", "--stdin", "-z"], cwd=target,
                         input="\0".join(paths) + "\0", capture_output=True, text=True,
                         timeout=60)
    if res.returncode not in (0, 1):
        raise OSError(f"git check-ignore failed: {res.stderr.strip()}")
    ignored = {p for p in res.stdout.split("\0") if p}
    return [p for p in paths if p not in ignored]


def tracked_under(target: Path, rel: str) -> int:
    """How many tracked files lie under ``rel`` (a build output someone committed)."""
    res = subprocess.run(["git", "ls-files", "-z", "--", rel], cwd=target, capture_output=True,
                         timeout=60)
    return len([p for p in res.stdout.split(b"\0") if p]) if res.returncode == 0 else 0


def untracked_under(target: Path, rels: list[str]) -> int:
    """Files git would show as untracked under ``rels``: 0 when git stays clean."""
    if not rels:
        return 0
    res = subprocess.run(["git", "ls-files", "-z", "--others", "--exclude-standard", "--", *rels],
                         cwd=target, capture_output=True, timeout=120)
    return len([p for p in res.stdout.split(b"\0") if p]) if res.returncode == 0 else 0


def listed_files(target: Path, rels: list[str], *, untracked: bool = False) -> list[str]:
    """The tracked files (or, with ``untracked``, the files git would show as untracked) under
    any of ``rels``, with one git process for all of them."""
    if not rels:
        return []
    extra = ["--others", "--exclude-standard"] if untracked else []
    res = subprocess.run(["git", "ls-files", "-z", *extra, "--", *rels], cwd=target,
                         capture_output=True, timeout=120)
    if res.returncode != 0:
        return []
    return [p.decode("utf-8", "surrogateescape") for p in res.stdout.split(b"\0") if p]


def files_under(files: list[str], rels: list[str]) -> int:
    """How many of ``files`` lie under (or are) one of ``rels``."""
    bases = [r.rstrip("/") for r in rels]
    return sum(1 for f in files if any(f == b or f.startswith(b + "/") for b in bases))


def probe_path(rel: str, name: str) -> str:
    """``name`` (relative to the app) as a target-relative probe; next-env.d.ts is a file, the
    rest are folders (probed with a trailing slash)."""
    path = target_path(rel, name)
    base = name.rsplit("/", 1)[-1]
    return path if "." in base.lstrip(".") and not base.startswith(".") else f"{path}/"


@dataclass
class IgnorePlan:
    file: str            # the .gitignore to edit, relative to the target
    lines: list[str]     # the lines to append (anchored)
    content: bytes       # the file's new content
    missing: list[str]   # target-relative paths git does not ignore yet


def plan_ignores(target: Path, app: App, current: bytes | None, root_current: bytes | None,
                 ) -> IgnorePlan | None:
    """The minimal .gitignore edit that makes git ignore the app's folders, or None."""
    names = app_folders(target, app)
    probes = {probe_path(app.rel, n): n for n in names}
    missing = not_ignored(target, list(probes))
    missing = [p for p in missing if not tracked_under(target, p.rstrip("/"))]
    if not missing:
        return None
    # An output outside the app (Vite's outDir "../backend/static") can only be ignored from
    # above it: then every line goes to the root .gitignore.
    inside = all(p.startswith(f"{app.rel}/") for p in missing)
    if inside and (current is not None or root_current is None):
        file, base = f"{app.rel}/.gitignore", current
        lines = [f"/{probes[p]}" + ("/" if p.endswith("/") else "") for p in missing]
    else:
        file, base = ".gitignore", root_current
        lines = [f"/{p}" for p in missing]
    text = (base or b"").decode("utf-8", "surrogateescape")
    nl = "\r\n" if "\r\n" in text else "\n"
    if text and not text.endswith("\n"):
        text += nl
    text += nl.join([HEADER, *lines]) + nl
    return IgnorePlan(file, lines, text.encode("utf-8", "surrogateescape"), missing)
