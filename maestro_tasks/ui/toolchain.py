"""node and the package managers: where they are, their versions, the commands for an app, and
the app's ``engines`` check."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from . import semver
from .discovery import App


class ToolError(Exception):
    """A tool an app needs is missing or the wrong version; the message says which and why."""


@dataclass
class Toolchain:
    """Tool paths and versions, probed lazily and remembered for one run."""

    path: str | None = None  # PATH to search; None = the process's PATH
    _versions: dict[str, str | None] = field(default_factory=dict)

    def which(self, tool: str) -> str | None:
        return shutil.which(tool, path=self.path)

    def version(self, tool: str) -> str | None:
        """``tool --version`` (first line), or None when the tool is missing or broken."""
        if tool not in self._versions:
            try:
                argv = [self.which("node")] if tool == "node" else self.manager_command(tool)
            except ToolError:
                argv = [None]
            out = None
            if argv[0]:
                try:
                    res = subprocess.run([*argv, "--version"], capture_output=True,
                                         encoding="utf-8", errors="replace", timeout=60,
                                         stdin=subprocess.DEVNULL)
                    if res.returncode == 0 and res.stdout.strip():
                        out = res.stdout.strip().splitlines()[0].strip()
                except (OSError, subprocess.TimeoutExpired):
                    out = None
            self._versions[tool] = out
        return self._versions[tool]

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
