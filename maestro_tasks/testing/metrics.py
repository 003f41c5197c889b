"""Read-only test numbers of a target for week1.report ("before" and "after")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

KEYS = ("tests_collected", "collection_errors", "tests_passed", "tests_failed")


def baseline_metrics(target: Path, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Collected tests and collection errors from a collect-only run that writes nothing, in
    the interpreter fix-tests would choose (``settings``: the tasks' ``ctx.settings``; without
    them, pyproject's ``[tool.maestro-tasks]``); passed/failed from pytest's counts of the
    latest fix-tests run in .maestro/ (None when there is none; failed counts failures and
    setup/teardown errors)."""
    from ..engine import MaestroError
    from ..engine.target import load_settings
    from . import interpreter, probe

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
    recorded = recorded_counts(target)
    if recorded is not None:
        values["tests_passed"] = recorded["passed"]
        values["tests_failed"] = recorded["failed"] + recorded["errors"] \
            - recorded["collection_errors"]
    return values


def recorded_counts(target: Path) -> dict[str, Any] | None:
    """pytest's counts of the latest fix-tests run (.maestro/pytest-stats.json), with its
    errors grouped by cause; from the JUnit XML when only that exists (a run of an older
    version); None when no run was recorded."""
    from . import junit, stats

    path = Path(target) / ".maestro" / stats.STATS_NAME
    if path.is_file():
        try:
            counts = stats.load(path)
        except ValueError:
            counts = None
        if counts is not None:
            return {**counts.counts(), "errors_by_cause": counts.errors_by_cause(),
                    "summary": counts.summary}
    from .suite import JUNIT_NAME

    xml = Path(target) / ".maestro" / JUNIT_NAME
    if xml.is_file():
        try:
            old = junit.parse(xml)
        except ValueError:
            return None
        values = {**old.counts(), "errors": old.errors + old.collection_errors}
        causes: dict[str, int] = {}
        for outcome in old.outcomes:
            if outcome.status in ("error", "collection_error"):
                cause = stats.root_cause(outcome.reason)
                causes[cause] = causes.get(cause, 0) + 1
        return {**values, "errors_by_cause": sorted(causes.items(),
                                                    key=lambda i: (-i[1], i[0])),
                "summary": None}
    return None
