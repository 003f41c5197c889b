"""Keep the env file and the state folder out of git, and notice secrets already tracked.

Inside a git work tree ``git check-ignore`` decides (it knows every ignore source and ``!``
negations); outside one a small last-match-wins reading of the target's .gitignore stands in.
Missing entries are appended at the end, where they win over an earlier ``!.env``.
"""

from __future__ import annotations

import fnmatch
import subprocess
from pathlib import Path


def in_git(target: Path) -> bool:
    try:
        res = subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=target,
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return res.returncode == 0 and res.stdout.strip() == "true"


def _matches(pattern: str, rel: str, is_dir: bool) -> bool:
    pat = pattern.rstrip("/")
    if pattern.endswith("/") and not is_dir:
        return False
    anchored = pat.startswith("/") or "/" in pat.strip("/")
    pat = pat.lstrip("/")
    if anchored:
        return fnmatch.fnmatchcase(rel, pat)
    return fnmatch.fnmatchcase(rel.rsplit("/", 1)[-1], pat)


def ignored_by_text(text: str, rel: str, is_dir: bool = False) -> bool:
    """Last matching pattern wins; ``!`` negates. Only the root .gitignore is read."""
    verdict = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if _matches(line[1:] if negate else line, rel, is_dir):
            verdict = not negate
    return verdict


def check_ignored(target: Path, rel: str, gitignore_text: str, is_dir: bool = False) -> bool:
    if in_git(target):
        probe = rel.rstrip("/") + ("/" if is_dir else "")
        res = subprocess.run(["git", "check-ignore", "-q", "--no-index", probe], cwd=target,
                             capture_output=True, timeout=30)
        return res.returncode == 0
    return ignored_by_text(gitignore_text, rel.rstrip("/"), is_dir)


def tracked(target: Path, rel: str) -> bool:
    if not in_git(target):
        return False
    res = subprocess.run(["git", "ls-files", "--error-unmatch", "--", rel], cwd=target,
                         capture_output=True, timeout=30)
    return res.returncode == 0


def with_entries(text: str, entries: list[str]) -> str:
    """``text`` with ``entries`` appended, keeping its newline style."""
    if not entries:
        return text
    nl = "\r\n" if "\r\n" in text else "\n"
    if text and not text.endswith("\n"):
        text += nl
    block = ["# maestro-tasks: secrets and run state stay out of git", *entries]
    return text + nl.join(block) + nl
