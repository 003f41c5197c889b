"""Which GitHub repository the issues go to: ``--repo``, the ``issues_repo`` setting, or the
target's ``origin`` remote (https, ssh and scp-like forms)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_URL = re.compile(r"^(?:https?|ssh|git)://(?:[^@/]+@)?[^/]+/(?P<path>.+?)/?$")
_SCP = re.compile(r"^(?:[^@/:]+@)?[^/:]+:(?P<path>[^/].*?)/?$")


def valid_repo(name: str) -> bool:
    return bool(_NAME.match(name)) and ".." not in name


def parse_remote(url: str) -> str | None:
    """``owner/name`` from a git remote URL, or None when it does not name one."""
    url = url.strip()
    match = _URL.match(url) or (None if "://" in url else _SCP.match(url))
    if not match:
        return None
    path = match.group("path")
    if path.endswith(".git"):
        path = path[:-4]
    return path if valid_repo(path) else None


def origin_repo(target: Path) -> str | None:
    """The repository the target's ``origin`` remote points to (None: no git, no origin)."""
    try:
        res = subprocess.run(["git", "-C", str(target), "config", "--get", "remote.origin.url"],
                             capture_output=True, text=True, timeout=15,
                             stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    # The URL itself is never shown: it may carry credentials (https://user:token@host/…).
    return parse_remote(res.stdout) if res.returncode == 0 else None
