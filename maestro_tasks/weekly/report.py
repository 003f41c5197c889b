"""The weekly summary: measured before → after numbers rendered through a template (pure)."""

from __future__ import annotations

from string import Template
from typing import Any

UNKNOWN = "unknown"


def _fmt(value: Any) -> str:
    return UNKNOWN if value is None else str(value)


def _of(done: Any, total: Any) -> str:
    if done is None or total is None:
        return UNKNOWN
    return f"{done} of {total}"


SECRETS_LABEL = "hardcoded secrets in compose files"
TRACKED_LABEL = "credentials in other tracked files"
TRACKED_SCOPE = ("other compose files and backups, *.env files, Kubernetes Secrets, compose "
                 "secrets: files")

# (label, how to show a metrics dict) in report order. Failures (an assertion did not hold)
# and errors (setup / teardown raised) are counted apart, as pytest does.
ROWS = (
    ("tests collected", lambda m: _fmt(m.get("tests_collected"))),
    ("tests passing", lambda m: _fmt(m.get("tests_passed"))),
    ("tests failing", lambda m: _fmt(m.get("tests_failed"))),
    ("test errors", lambda m: _fmt(m.get("tests_errors"))),
    ("collection errors", lambda m: _fmt(m.get("collection_errors"))),
    (SECRETS_LABEL, lambda m: _fmt(m.get("hardcoded_secrets"))),
    (TRACKED_LABEL, lambda m: _fmt(m.get("tracked_credentials"))),
    ("UIs built", lambda m: _of(m.get("uis_built"), m.get("uis_total"))),
    ("services healthy", lambda m: _of(m.get("services_healthy"), m.get("services_total"))),
)


def _scope(after: dict[str, Any]) -> str:
    files = after.get("secrets_files") or []
    return ", ".join(files) if files else "no compose file found"


def _causes(after: dict[str, Any], limit: int = 5) -> list[str]:
    causes = after.get("test_errors_by_cause") or []
    lines = [f"  - {n} × {cause}" for cause, n in causes[:limit]]
    if len(causes) > limit:
        rest = sum(n for _, n in causes[limit:])
        lines.append(f"  - {rest} more, from {len(causes) - limit} other cause(s)")
    return lines


TESTS_OUTCOME = "Tests execute without import errors"


def outcomes(after: dict[str, Any]) -> list[tuple[str, bool | None, str]]:
    """The week-1 outcomes judged from measured numbers: (what, done?, why not). A target
    without Python tests has no test outcome to judge (``python_tests`` False)."""
    def all_of(done: Any, total: Any) -> bool | None:
        if done is None or total is None:
            return None
        return total > 0 and done == total

    errors, collected = after.get("collection_errors"), after.get("tests_collected")
    tests = None if errors is None else (errors == 0 and bool(collected))
    secrets = None if after.get("hardcoded_secrets") is None else after["hardcoded_secrets"] == 0
    judged = [
        (TESTS_OUTCOME, tests,
         f"{_fmt(errors)} collection errors, {_fmt(collected)} tests collected"),
        ("No hardcoded secrets in the compose files", secrets,
         f"{_fmt(after.get('hardcoded_secrets'))} hardcoded secrets left"),
        ("UIs built", all_of(after.get("uis_built"), after.get("uis_total")),
         f"{_of(after.get('uis_built'), after.get('uis_total'))} UIs built"),
        ("Stack running and healthy",
         all_of(after.get("services_healthy"), after.get("services_total")),
         f"{_of(after.get('services_healthy'), after.get('services_total'))} services healthy"),
    ]
    if after.get("python_tests") is False:
        judged = [item for item in judged if item[0] != TESTS_OUTCOME]
    return judged


def issues_lines(issues: dict[str, Any] | None) -> str:
    """The critical issues as week1.issues last saw them (.maestro/state.json)."""
    if not issues:
        return "- Not synced yet: run `invoke week1.issues` (needs a GitHub token)"
    if "absent" in issues:
        return f"- No {issues['absent']} in this repository: no critical issues to track"
    created = set(issues.get("created") or [])
    lines = [f"- {issues.get('tracked', 0)} of {issues.get('total', 0)} entries of "
             f"{issues.get('source')} tracked in {issues.get('repo')}: {len(created)} created "
             f"by maestro-tasks, {issues.get('open', 0)} open, {issues.get('closed', 0)} closed "
             f"(as of {issues.get('synced_at', UNKNOWN)})"]
    for row in issues.get("issues") or []:
        if row.get("number") is None:
            lines.append(f"- Issue #{row['entry']}: {row['title']} — not tracked")
        else:
            lines.append(f"- #{row['number']} {row['state']}: {row['title']} "
                         f"(Issue #{row['entry']})")
    return "\n".join(lines)


def render(template: str, *, before: dict[str, Any] | None, after: dict[str, Any],
           target_name: str, generated_at: str, version: str,
           issues: dict[str, Any] | None = None) -> str:
    before = before or {}
    scope = _scope(after)
    rows = "\n".join(
        f"| {label + (f' ({scope})' if label == SECRETS_LABEL else '')} | {show(before)} | "
        f"{show(after)} |" for label, show in ROWS)
    headline = "\n".join([
        f"- {_fmt(after.get('tests_passed'))} tests passing "
        f"(was {_fmt(before.get('tests_passed'))})",
        f"- {_fmt(after.get('hardcoded_secrets'))} hardcoded secrets in {scope} "
        f"(was {_fmt(before.get('hardcoded_secrets'))}): literals in the compose files compose "
        "loads, the ones week1.fix-secrets moves to .env; other files are not counted here",
        f"- {_fmt(after.get('tracked_credentials'))} credentials in other git-tracked files "
        f"(was {_fmt(before.get('tracked_credentials'))}): {TRACKED_SCOPE}; "
        "week1.fix-secrets lists each with file:line, masked",
        f"- {_of(after.get('uis_built'), after.get('uis_total'))} UIs built "
        f"(was {_of(before.get('uis_built'), before.get('uis_total'))})",
        f"- {_of(after.get('services_healthy'), after.get('services_total'))} services healthy "
        f"(was {_of(before.get('services_healthy'), before.get('services_total'))})",
    ])
    judged = outcomes(after)
    shipped = [f"- {what}" for what, done, _ in judged if done]
    if after.get("python_tests") is False:
        shipped.append("- No Python tests in this repository: fix-tests had nothing to run")
    blockers = [f"- {what}: {why}" for what, done, why in judged if done is False]
    blockers += [f"- {what}: not measurable here ({why})" for what, done, why in judged
                 if done is None]
    if after.get("tracked_credentials"):
        blockers.append(f"- {after['tracked_credentials']} credentials in other git-tracked files "
                        f"({TRACKED_SCOPE}): `invoke week1.fix-secrets` lists them; move them "
                        "out of git and rotate them")
    if after.get("tests_failed"):
        blockers.append(f"- {after['tests_failed']} failing tests (see TEST_STATUS.md)")
    if after.get("tests_errors"):
        blockers.append(f"- {after['tests_errors']} test errors (setup / teardown), by cause:")
        blockers.extend(_causes(after))
    next_steps = {
        "Tests execute without import errors": "run `invoke week1.fix-tests`",
        "No hardcoded secrets in the compose files": "run `invoke week1.fix-secrets`",
        "UIs built": "run `invoke week1.build-uis`",
        "Stack running and healthy": "run `invoke week1.up` and read its per-service table",
    }
    steps = [f"- {what}: {next_steps[what]}" for what, done, _ in judged if not done]
    if after.get("tests_failed") or after.get("tests_errors"):
        steps.append("- Fix the failing and erroring tests listed in TEST_STATUS.md")
    return Template(template).substitute(
        target_name=target_name,
        generated_at=generated_at,
        version=version,
        baseline_at=before.get("measured_at", UNKNOWN),
        tests_source=after.get("tests_source") or "a collect-only run now",
        headline=headline,
        shipped="\n".join(shipped) or "- Nothing yet",
        metrics_rows=rows,
        blockers="\n".join(blockers) or "- None",
        next_steps="\n".join(steps) or "- Week 1 is done: move on to week 2",
        issues=issues_lines(issues),
    )
