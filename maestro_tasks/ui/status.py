"""Is an app's build up to date? Compares its current fingerprint and output with the cache."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .discovery import App
from .fingerprint import DEPENDENCY_FILES, Fingerprint, changed_files, compute
from .outputs import OutputState, check_output


@dataclass
class AppStatus:
    app: App
    fingerprint: Fingerprint
    output: OutputState
    up_to_date: bool
    install: bool      # a (re)install is due before the build
    reason: str        # why a build is due ("" when up to date)

    @property
    def action(self) -> str:
        """The planned work, e.g. ``npm ci + build ui/model-registry (inputs changed: …)``."""
        what = f"{self.app.install_label} + build" if self.install else "build"
        return f"{what} {self.app.rel} ({self.reason})"


def _listing(paths: list[str], limit: int = 3) -> str:
    shown = ", ".join(paths[:limit])
    return shown + (f" +{len(paths) - limit} more" if len(paths) > limit else "")


def assess(target: Path, app: App, entry: dict[str, Any] | None, toolchain: str,
           force: bool = False) -> AppStatus:
    app_dir = target / app.rel
    fp = compute(app_dir, app, toolchain)
    output = check_output(app_dir, app)
    entry = entry if isinstance(entry, dict) else None
    old_files = entry.get("files", {}) if entry else {}
    old_files = old_files if isinstance(old_files, dict) else {}
    modules_missing = app.has_dependencies and not any(d.is_dir() for d in app.module_dirs(app_dir))
    deps_changed = entry is None or entry.get("deps") != fp.deps

    if force:
        reason = "--force"
    elif entry is None:
        reason = "no build recorded"
    elif entry.get("fingerprint") != fp.digest:
        changed = changed_files(old_files, fp.files)
        dep_changes = [f for f in changed if f in DEPENDENCY_FILES]
        if dep_changes:
            reason = f"dependencies changed: {_listing(dep_changes)}"
        elif changed:
            reason = f"inputs changed: {_listing(changed)}"
        else:
            reason = f"toolchain changed: now {toolchain}"
    elif not output.present:
        reason = f"output missing: {output.evidence}"
    elif modules_missing:
        reason = "node_modules missing"
    else:
        reason = ""
    return AppStatus(app=app, fingerprint=fp, output=output, up_to_date=not reason,
                     install=bool(reason) and (force or deps_changed or modules_missing),
                     reason=reason)
