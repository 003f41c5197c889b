"""The run context handed to every step: target, mode, settings, and the only write paths."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import fsio
from .masking import Masker
from .model import Change, StepResult
from .proofs import Proofs
from .state import StateDir


@dataclass
class Context:
    target: Path
    check: bool = False
    diff: bool = False
    preview: bool = False  # with diff: print the diffs, write nothing (TaskSpec.diff_previews)
    json: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    masker: Masker = field(default_factory=Masker)
    # Values shared by the steps of one run (a parsed compose model, a test run's results).
    cache: dict[str, Any] = field(default_factory=dict)
    # Called once, before the run's first write, with the recorded baseline (or None); returns
    # the baseline to record, or None when it has nothing to add.
    baseline_probe: Callable[["Context", dict[str, Any] | None], dict[str, Any] | None] | None = None
    current: StepResult | None = None
    no_cache: bool = False  # --no-cache: every content-keyed proof runs again
    _proofs: Proofs | None = None
    _resolver: "fsio.InsideResolver | None" = None
    _backup_dir: Path | None = None
    _backup_manifest: dict[str, str] = field(default_factory=dict)

    @property
    def mode(self) -> str:
        return "check" if self.check else "apply"

    @property
    def state(self) -> StateDir:
        return StateDir(self.target)

    def path(self, rel: str | os.PathLike[str]) -> Path:
        """Absolute path of ``rel`` inside the target; refuses symlinks that leave it."""
        if self._resolver is not None:
            return self._resolver(rel)
        return fsio.resolve_inside(self.target, rel)

    @property
    def proofs(self) -> Proofs:
        """Content-keyed proofs of this target (engine/proofs.py), masked like every output."""
        if self._proofs is None:
            self._proofs = Proofs(self.state, enabled=not self.no_cache, mask=self.masker)
        # Check mode and a --diff preview write nothing at all; preview is set per task of a
        # pipeline, so this is read on every use.
        self._proofs.writable = not self.check and not (self.diff and self.preview)
        return self._proofs

    def read_bytes(self, rel: str) -> bytes | None:
        return fsio.read_bytes(self.target, rel)

    # ---- output helpers -------------------------------------------------------------------
    def warn(self, message: str) -> None:
        """A warning line on stderr (masked); in JSON mode it also lands in the step's details."""
        text = self.masker(message)
        if self.current is not None:
            self.current.details.append(f"warning: {message}")
        if not self.json:
            print(f"  warning: {text}", file=sys.stderr)

    # ---- writes: every one goes through here ----------------------------------------------
    def _ensure_baseline(self) -> None:
        if self.baseline_probe is None:
            return
        probe, self.baseline_probe = self.baseline_probe, None
        recorded = self.state.read_state().get("baseline")
        updated = probe(self, recorded if isinstance(recorded, dict) else None)
        if updated is not None:
            self.state.update_state(baseline=updated)

    def backup(self, rel: str) -> None:
        """Keep the original of ``rel`` under .maestro/backups/<UTC stamp>/ before its first change."""
        if rel in self._backup_manifest:
            return
        src = self.path(rel)
        if self._backup_dir is None:
            self._backup_dir = self.state.new_backup_dir()
            # A run killed mid-backup left a temp copy in its own backup folder: remove it.
            for folder, _, _ in os.walk(self._backup_dir.parent):
                fsio.sweep_stale_temps(Path(folder))
        if src.is_file():
            fsio.copy_private(src, self._backup_dir / rel)
            self._backup_manifest[rel] = "modified"
        else:
            self._backup_manifest[rel] = "created"
        fsio.atomic_write(
            self._backup_dir / "manifest.json",
            (json.dumps(self._backup_manifest, indent=2, sort_keys=True) + "\n").encode(),
            secret=True,
        )

    def write_file(self, rel: str, content: bytes, *, secret: bool = False) -> None:
        self._ensure_baseline()
        # Through a symlink that stays inside the target (checked by path()): replacing the
        # link itself would leave the old content in the file it points to.
        path = self.path(rel).resolve()
        self.backup(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        fsio.atomic_write(path, content, secret=secret)

    def write_output(self, rel: str, content: bytes) -> None:
        """A report the run produces every time (TEST_STATUS.md): masked, no backup."""
        path = self.path(rel).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        fsio.atomic_write(path, self.masker(content.decode()).encode())

    def remove(self, rel: str, *, measure: bool = True) -> int:
        """Delete a file or folder under the target (no backup: caches only). Bytes freed
        (0 without ``measure``)."""
        self._ensure_baseline()
        return fsio.remove_path(self.path(rel), measure=measure)

    def write_log(self, name: str, text: str) -> Path:
        """A masked log file under .maestro/logs/; returns its path."""
        path = self.state.logs() / name
        fsio.atomic_write(path, self.masker(text).encode())
        return path

    def apply_changes(self, changes: list[Change]) -> None:
        """The default apply: writes, deletions and actions, in plan order.

        Within one apply, folders already seen to be real (no symlink) are remembered, so a
        cache clean of thousands of paths costs one lstat per new folder; the memory ends with
        the apply, so a folder swapped for a link later is caught by the full check again.
        """
        self._resolver = fsio.InsideResolver(self.target)
        try:
            self._apply_each(changes)
        finally:
            self._resolver = None

    def _apply_each(self, changes: list[Change]) -> None:
        for change in changes:
            if change.action == "run" and change.run is not None:
                self._ensure_baseline()
                change.run(self)
            elif change.action == "delete":
                self.remove(change.path, measure=False)  # the plan already sized it
            elif change.content is not None:
                if change.output:
                    self.write_output(change.path, change.content)
                else:
                    self.write_file(change.path, change.content, secret=change.secret)
