"""Read-only numbers for week1.report: how many UI apps the target has and how many are built."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..engine import MaestroError
from ..engine.state import StateDir
from ..engine.target import load_settings
from .discovery import discover
from .fingerprint import load_cache
from .status import assess
from .toolchain import Toolchain


def baseline_metrics(target: Path, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """``uis_total`` apps found; ``uis_built``: output present and fingerprint equal to the last
    recorded good build. None where the target's inputs cannot be read. ``settings``: the ones
    the task runs with (``ctx.settings``); without them, pyproject's ``[tool.maestro-tasks]``."""
    try:
        if settings is None:
            settings = load_settings(target, None)
        apps = discover(target, settings).apps
    except MaestroError:
        return {"uis_total": None, "uis_built": None}
    cache = load_cache(StateDir(target).root)
    toolchain = Toolchain().node_label()
    built = 0
    for app in apps:
        status = assess(target, app, cache.get(app.rel), toolchain)
        built += status.fingerprint.digest == (cache.get(app.rel) or {}).get("fingerprint") \
            and status.output.present
    return {"uis_total": len(apps), "uis_built": built}
