"""Read-only test numbers of a target for week1.report ("before" and "after")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

KEYS = ("tests_collected", "collection_errors", "tests_passed", "tests_failed")


def baseline_metrics(target: Path, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Collected tests and collection errors from a collect-only run that writes nothing, in
    the interpreter fix-tests would choose (``settings``: the tasks' ``ctx.settings``; without
    them, pyproject's ``[tool.maestro-tasks]``); passed/failed from the latest JUnit XML in
    .maestro/ (None when there is none)."""
    from ..engine import MaestroError
    from ..engine.target import load_settings
    from . import interpreter, junit, probe
    from .suite import JUNIT_NAME

    values: dict[str, Any] = dict.fromkeys(KEYS)
    target = Path(target)
    try:
        if settings is None:
            settings = load_settings(target, None)
        chosen = interpreter.choose(target, settings.get("python"), source="setting python")
        interp = interpreter.inspect(chosen, target)
        if interp.pytest_version:
            result = probe.collect(interp, target)
            if not result.config_failed:
                values["tests_collected"] = result.collected
            values["collection_errors"] = result.error_count
    except (MaestroError, OSError):
        pass
    xml = target / ".maestro" / JUNIT_NAME
    if xml.is_file():
        try:
            counts = junit.parse(xml)
        except ValueError:
            counts = None
        if counts is not None:
            values["tests_passed"] = counts.passed
            values["tests_failed"] = counts.failed + counts.errors
    return values
