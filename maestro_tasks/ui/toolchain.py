"""node and the package managers: where they are, their versions, the commands for an app, and
the app's ``engines`` check."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine.proofs import Digest
from . import semver
from .discovery import App


class ToolError(Exception):
    """A tool an app needs is missing or the wrong version; the message says which and why."""


def _stat_line(path: str) -> str:
    st = os.stat(path)
    return f"{path} {st.st_dev} {st.st_ino} {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns}"


def tool_identity(exe: str, name: str) -> str | None:
    """What pins the version ``exe --version`` prints without running it: the stat of the
    installed program (any reinstall, upgrade or edit changes its inode, size or ctime). None
    when that is not enough to know the version, and the tool is then asked every run: a
    dispatching shim (volta's ``node`` -> ``volta-shim``, whose version follows the project),
    or a launcher script other than Debian's chromium one, which starts
    ``/usr/lib/chromium/chromium`` (the program whose stat is then added)."""
    real = os.path.realpath(exe)
    if Path(real).name != name:
        return None
    try:
        lines = [_stat_line(real)]
        with open(real, "rb") as handle:
            script = handle.read(2) == b"#!"
        if script:
            program = f"/usr/lib/{name}/{name}"
            if name not in ("chromium", "chromium-browser") or not os.path.isfile(program):
                return None
            lines.append(_stat_line(program))
    except OSError:
        return None
    return "\n".join(lines)


@dataclass
class Toolchain:
    """Tool paths and versions, probed lazily and remembered for one run.

    With ``memo`` (the target's proof store), a version is also remembered across runs, keyed
    by the identity of the installed program (``tool_identity``): an unchanged ``node`` or
    ``chromium`` is not started just to print its version again. ``--no-cache`` asks again.
    """

    path: str | None = None  # PATH to search; None = the process's PATH
    memo: Any = None         # engine.proofs.Proofs, or None
    _versions: dict[str, str | None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def which(self, tool: str) -> str | None:
        return shutil.which(tool, path=self.path)

    def version(self, tool: str) -> str | None:
        """``tool --version`` (first line), or None when the tool is missing or broken."""
        with self._lock:  # builds run in threads; a probe and its memo happen once
            if tool not in self._versions:
                try:
                    argv = [self.which("node")] if tool == "node" else self.manager_command(tool)
                except ToolError:
                    argv = [None]
                self._versions[tool] = self._probe(tool, argv) if argv[0] else None
            return self._versions[tool]

    def version_at(self, exe: str | None, name: str) -> str | None:
        """The version of the program at ``exe`` (e.g. the browser), memoised as ``version``."""
        if exe is None:
            return None
        with self._lock:
            key = f"{name}@{exe}"
            if key not in self._versions:
                self._versions[key] = self._probe(name, [exe])
            return self._versions[key]

    def _probe(self, name: str, argv: list[Any]) -> str | None:
        identity = tool_identity(argv[0], name) if self.memo is not None and len(argv) == 1 \
            else None
        key = digest = None
        if identity is not None:
            key = f"tool-version:{argv[0]}"
            digest = Digest("tool-version").add("argv", argv[0]).add("identity",
                                                                     identity).hexdigest()
            known = self.memo.get(key, digest)
            if known is not None and isinstance(known.data.get("version"), str):
                return known.data["version"]
        out = None
        try:
            res = subprocess.run([*argv, "--version"], capture_output=True, encoding="utf-8",
                                 errors="replace", timeout=60, stdin=subprocess.DEVNULL)
            if res.returncode == 0 and res.stdout.strip():
                out = res.stdout.strip().splitlines()[0].strip()
        except (OSError, subprocess.TimeoutExpired):
            out = None
        if out is not None and key is not None and digest is not None:
            self.memo.put(key, digest, f"{argv[0]} --version: {out}", {"version": out})
        return out

    def node_label(self) -> str:
        """What the fingerprint records about the toolchain (no package manager process)."""
        return f"node {self.version('node') or 'missing'}"

    def manager_command(self, manager: str) -> list[str]:
        """The argv prefix running ``manager``; yarn / pnpm through corepack when not on PATH."""
        exe = self.which(manager)
        if exe:
            return [exe]
        if manager in ("yarn", "pnpm") and self.which("corepack"):
            return [self.which("corepack") or "corepack", manager]
        hint = {"npm": "install Node.js (it ships npm)",
                "bun": "install bun (`npm install -g bun`, or see bun.sh); its lockfile is "
                       "the one the app is locked with"}.get(
            manager, f"install {manager} or enable it with `corepack enable`")
        raise ToolError(f"{manager} is needed but was not found on PATH; {hint}")


def install_command(app: App, app_dir: Path) -> list[str]:
    """The reproducible install for the app's lockfile (argv after the manager)."""
    if app.package_manager == "npm":
        return ["ci"] if app.lockfile else ["install"]
    if app.package_manager == "yarn":
        if not app.lockfile:
            return ["install"]
        berry = (app_dir / ".yarnrc.yml").is_file()
        return ["install", "--immutable" if berry else "--frozen-lockfile"]
    return ["install", "--frozen-lockfile"] if app.lockfile else ["install"]


def build_command(app: App) -> list[str]:
    return ["run", "build"]


def check_engines(app: App, tools: Toolchain) -> list[str]:
    """Check node (and the package manager) against ``engines``. Returns evidence lines;
    raises ToolError naming the tool, its version and the wanted range."""
    if tools.which("node") is None:
        raise ToolError("node is needed but was not found on PATH; install Node.js")
    evidence = []
    for tool in ("node", app.package_manager):
        wanted = app.engines.get(tool)
        if not wanted:
            continue
        if tool != "node":
            tools.manager_command(tool)  # a missing manager is reported before its version
        raw = tools.version(tool)
        if raw is None:
            raise ToolError(f"{tool} --version failed; cannot check engines.{tool} {wanted!r}")
        try:
            ok = semver.satisfies(raw.lstrip("v"), wanted)
        except ValueError as exc:
            raise ToolError(f"{app.rel}/package.json: engines.{tool} {wanted!r}: {exc}") from None
        if not ok:
            raise ToolError(f"{tool} {raw} does not satisfy engines.{tool} {wanted!r} "
                            f"in {app.rel}/package.json")
        evidence.append(f"{tool} {raw} satisfies {wanted!r}")
    return evidence
