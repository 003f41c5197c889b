"""What a build depends on, as hashes; and the cache of the last good build (``ui-cache.json``).

Inputs are every file of the app folder except installed packages, build outputs, caches and the
env files of other modes (a build reads ``.env``, ``.env.local``, ``.env.production`` and
``.env.production.local``). The fingerprint recorded after a build is taken *after* it, so files
a build writes into the app (``next-env.d.ts``, ``*.tsbuildinfo``) count as part of the state
that build produced instead of triggering the next one.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .discovery import NEXT, App

CACHE_FILE = "ui-cache.json"
CACHE_VERSION = 1

_SKIP_DIRS = frozenset({
    "node_modules", ".git", ".hg", ".svn", ".maestro", ".cache", ".vite", ".turbo",
    ".parcel-cache", ".swc", ".eslintcache", "coverage", ".nyc_output", ".DS_Store",
})
_BUILD_ENV_FILES = frozenset({".env", ".env.local", ".env.production", ".env.production.local"})
# Files that decide what gets installed: a change here means a fresh install.
DEPENDENCY_FILES = ("package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock",
                    "pnpm-lock.yaml", "bun.lock", "bun.lockb", ".npmrc", ".yarnrc", ".yarnrc.yml",
                    ".pnpmfile.cjs")


def _skipped_file(name: str) -> bool:
    if name.startswith(".env"):
        return name not in _BUILD_ENV_FILES
    return name.endswith(".log") or name == ".DS_Store"


def input_files(app_dir: Path, app: App) -> list[str]:
    """Sorted POSIX paths (relative to the app) of the files a build reads."""
    outputs = set(app.outputs) | ({".next", "out"} if app.framework == NEXT else set())
    # A workspace root's lockfile ("../bun.lock") decides the install as much as the app's own.
    found: list[str] = [app.lockfile] if app.lockfile and app.lockfile.startswith("../") else []
    for root, dirs, files in os.walk(app_dir):
        rel_root = Path(root).relative_to(app_dir).as_posix()
        prefix = "" if rel_root == "." else rel_root + "/"
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and prefix + d not in outputs
                         and not os.path.islink(os.path.join(root, d)))
        found.extend(prefix + f for f in files if not _skipped_file(f))
    return sorted(found)


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    if path.is_symlink():
        digest.update(b"symlink:" + os.readlink(path).encode())
        return digest.hexdigest()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if os.access(path, os.X_OK):
        digest.update(b"\0exec")
    return digest.hexdigest()


@dataclass
class Fingerprint:
    digest: str          # all inputs + toolchain
    deps: str            # what decides the install
    files: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {"fingerprint": self.digest, "deps": self.deps, "files": self.files}


def compute(app_dir: Path, app: App, toolchain: str) -> Fingerprint:
    """Hash every input file; ``toolchain`` (e.g. ``node v20.11.1``) is part of both digests."""
    files = {}
    for rel in input_files(app_dir, app):
        try:
            files[rel] = _hash_file(app_dir / rel)
        except OSError:
            continue  # vanished while walking: it is no input any more
    whole = hashlib.sha256(f"{toolchain}\n".encode())
    deps = hashlib.sha256(f"{toolchain}\n{app.package_manager}\n".encode())
    for rel, sha in files.items():
        whole.update(f"{rel}\0{sha}\n".encode())
        if rel in DEPENDENCY_FILES or rel == app.lockfile:
            deps.update(f"{rel}\0{sha}\n".encode())
    return Fingerprint(whole.hexdigest(), deps.hexdigest(), files)


def tree_files(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` -> the hash of its bytes (a symlink: of its text), nothing
    skipped: what a server of that folder may read. Symlinked folders are entries, not walked."""
    files: dict[str, str] = {}
    for root, dirs, names in os.walk(folder):
        rel_root = Path(root).relative_to(folder).as_posix()
        prefix = "" if rel_root == "." else rel_root + "/"
        links = [d for d in dirs if os.path.islink(os.path.join(root, d))]
        dirs[:] = sorted(d for d in dirs if d not in links)
        for name in [*names, *links]:
            try:
                files[prefix + name] = _hash_file(Path(root, name))
            except OSError:
                files[prefix + name] = "unreadable"
    return dict(sorted(files.items()))


def changed_files(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """Files added, removed or modified between two fingerprints, sorted."""
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def load_cache(state_root: Path) -> dict[str, Any]:
    """The cache's ``apps`` table; an unreadable or foreign cache counts as empty (rebuild)."""
    try:
        data = json.loads((state_root / CACHE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return {}
    apps = data.get("apps")
    return apps if isinstance(apps, dict) else {}


def dump_cache(apps: dict[str, Any]) -> bytes:
    doc = {"version": CACHE_VERSION, "apps": apps}
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()
