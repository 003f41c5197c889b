"""One read-only measurement of a target across every domain: the numbers of the weekly report.

Each domain package owns how its numbers are taken (``<domain>.metrics.baseline_metrics``); this
module only merges them. A domain that cannot measure here (no Docker engine) gives None values.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Callable, Sequence

DOMAINS = ("testing", "secrets", "ui", "stack")

# Every key the report knows, so a missing domain still shows "unknown" rather than nothing.
KEYS = ("tests_collected", "tests_passed", "tests_failed", "collection_errors",
        "hardcoded_secrets", "tracked_credentials", "uis_total", "uis_built", "services_total", "services_healthy")


def measure(target: Path, settings: dict[str, Any] | None = None,
            domains: Sequence[str] = DOMAINS) -> dict[str, Any]:
    """The numbers of ``domains`` (default: every one, each key present), taken with the same
    per-target settings the tasks use."""
    from concurrent.futures import ThreadPoolExecutor

    values: dict[str, Any] = dict.fromkeys(KEYS) if tuple(domains) == DOMAINS else {}
    modules = [importlib.import_module(f"..{d}.metrics", __package__) for d in domains]
    if len(modules) == 1:
        values.update(modules[0].baseline_metrics(target, settings))
        return values
    # Each domain mostly waits on its own subprocess (pytest, compose): measure them together.
    with ThreadPoolExecutor(max(len(modules), 1)) as pool:
        for part in pool.map(lambda m: m.baseline_metrics(target, settings), modules):
            values.update(part)
    return values


def baseline_probe(*domains: str) -> Callable[[Any, dict[str, Any] | None], dict[str, Any] | None]:
    """The engine's baseline hook of a task that changes ``domains``: each domain is measured
    once, before the first write of the first task that touches it, so a first fix-secrets run
    pays for no pytest collection and a first fix-tests run for no compose scan.

    The recorded baseline holds every measured value and ``domains`` (domain → when it was
    measured); ``measured_at`` is the first of those times. A baseline recorded before per-domain
    recording (no ``domains``) counts as every domain measured.
    """
    unknown = [d for d in domains if d not in DOMAINS]
    if unknown or not domains:
        raise ValueError(f"unknown baseline domain(s): {unknown or domains}")

    def probe(ctx: Any, recorded: dict[str, Any] | None) -> dict[str, Any] | None:
        from ..engine.state import utc_now_iso

        baseline = dict(recorded or {})
        done = baseline.get("domains")
        if not isinstance(done, dict):
            done = dict.fromkeys(DOMAINS, baseline.get("measured_at")) if baseline else {}
        missing = [d for d in DOMAINS if d in domains and d not in done]
        if not missing:
            return None
        now = utc_now_iso()
        baseline.update(measure(ctx.target, ctx.settings, missing))
        baseline["domains"] = {**done, **dict.fromkeys(missing, now)}
        baseline.setdefault("measured_at", now)
        return baseline

    probe.domains = tuple(domains)  # type: ignore[attr-defined]
    return probe


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
