"""One read-only measurement of a target across every domain: the numbers of the weekly report.

Each domain package owns how its numbers are taken (``<domain>.metrics.baseline_metrics``); this
module only merges them. A domain that cannot measure here (no Docker engine) gives None values.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

DOMAINS = ("testing", "secrets", "ui", "stack")

# Every key the report knows, so a missing domain still shows "unknown" rather than nothing.
KEYS = ("tests_collected", "tests_passed", "tests_failed", "collection_errors",
        "hardcoded_secrets", "tracked_credentials", "uis_total", "uis_built", "services_total", "services_healthy")


def measure(target: Path, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every domain's numbers, taken with the same per-target settings the tasks use."""
    from concurrent.futures import ThreadPoolExecutor

    values: dict[str, Any] = dict.fromkeys(KEYS)
    modules = [importlib.import_module(f"..{d}.metrics", __package__) for d in DOMAINS]
    # Each domain mostly waits on its own subprocess (pytest, compose): measure them together.
    with ThreadPoolExecutor(len(modules)) as pool:
        for part in pool.map(lambda m: m.baseline_metrics(target, settings), modules):
            values.update(part)
    return values


def baseline_probe(ctx: Any) -> dict[str, Any]:
    """The engine's baseline hook: what the target looked like before week 1 touched it."""
    from ..engine.state import utc_now_iso

    return {"measured_at": utc_now_iso(), **measure(ctx.target, ctx.settings)}


def error_cause(reason: str) -> str:
    """The exception a test error reports, without pytest's 'failed on setup with "…"' frame,
    so errors of one cause group together whichever phase raised them."""
    import re

    match = re.fullmatch(r'(?:failed|error) on (?:setup|teardown|call) with "(.*)"', reason or "",
                         re.S)
    return (match.group(1) if match else reason).strip() or "no message"


def recorded_tests(target: Path, state: dict[str, Any]) -> dict[str, Any]:
    """The latest fix-tests run as recorded in .maestro/ (pytest's stats and state.json):
    failures and errors apart, errors grouped by cause. {} when no run was recorded."""
    from ..testing.metrics import recorded_counts

    recorded = state.get("fix_tests") if isinstance(state.get("fix_tests"), dict) else {}
    counts = recorded_counts(Path(target))
    if counts is None and not recorded:
        return {}
    if counts is not None:
        # pytest's own numbers; "errors" here are setup/teardown errors, collection errors
        # have their own key (pytest's summary counts both as errors)
        values = {"tests_collected": counts["collected"], "tests_passed": counts["passed"],
                  "tests_failed": counts["failed"],
                  "tests_errors": counts["errors"] - counts["collection_errors"],
                  "collection_errors": counts["collection_errors"],
                  "test_errors_by_cause": [[c, n] for c, n in counts["errors_by_cause"]],
                  "pytest_summary": counts["summary"]}
    else:
        values = {"tests_collected": recorded.get("collected"),
                  "tests_passed": recorded.get("passed"), "tests_failed": recorded.get("failed"),
                  "tests_errors": recorded.get("errors"),
                  "collection_errors": recorded.get("collection_errors"),
                  "test_errors_by_cause": []}
    values["tests_source"] = (f"the fix-tests run of {recorded['ran_at']}"
                              if recorded.get("ran_at") else "the last fix-tests run")
    return values


def secret_scope(target: Path, settings: dict[str, Any] | None) -> list[str]:
    """The files the hardcoded-secret count covers (the compose files fix-secrets fixes)."""
    try:
        from ..compose.files import discover_files

        configured = (settings or {}).get("compose_files")
        return list(discover_files(Path(target), [configured] if isinstance(configured, str)
                                   else configured))
    except Exception:  # noqa: BLE001 - an unreadable setting is fix-secrets' finding
        return []


def report_numbers(target: Path, settings: dict[str, Any] | None,
                   state: dict[str, Any]) -> dict[str, Any]:
    """The report's "after": measured now, with the test numbers of the recorded run (a probe
    that cannot collect says nothing about what the run found) and the secret count's scope."""
    values = measure(target, settings)
    values.update(dict.fromkeys(("tests_errors",)), test_errors_by_cause=[],
                  tests_source="a collect-only run now")
    values.update(recorded_tests(target, state))
    values["secrets_files"] = secret_scope(target, settings)
    from ..testing.presence import has_python_tests

    values["python_tests"] = has_python_tests(Path(target))
    return values
