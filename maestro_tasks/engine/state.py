"""The ``.maestro/`` state folder of a target: state.json, backups, logs, lock."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .fsio import atomic_write, make_private_dir

STATE_DIR = ".maestro"


def utc_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class StateDir:
    """Paths and small helpers for ``<target>/.maestro``; created lazily on first write."""

    def __init__(self, target: Path):
        self.root = target / STATE_DIR

    def ensure(self) -> Path:
        if not self.root.is_dir():
            make_private_dir(self.root)
        marker = self.root / ".gitignore"
        if not marker.exists():
            # Keeps the state folder out of git even before .gitignore is fixed.
            atomic_write(marker, b"*\n")
        return self.root

    def discard_if_pristine(self) -> None:
        """Remove the folder again if this run only made its lock and marker (a bad-input exit),
        and the proofs of a run that changed nothing (a no-op leaves no trace)."""
        try:
            names = {p.name for p in self.root.iterdir()}
        except FileNotFoundError:
            return
        if names <= {"lock", ".gitignore", "proofs.json"}:
            for name in names:
                (self.root / name).unlink(missing_ok=True)
            self.root.rmdir()

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    def read_state(self) -> dict[str, Any]:
        try:
            data = json.loads(self.state_file.read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def update_state(self, **fields: Any) -> dict[str, Any]:
        self.ensure()
        data = self.read_state()
        data.update(fields)
        atomic_write(self.state_file, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())
        return data

    def logs(self) -> Path:
        return make_private_dir(self.ensure() / "logs")

    def new_backup_dir(self) -> Path:
        return make_private_dir(make_private_dir(self.ensure() / "backups") / utc_stamp())
