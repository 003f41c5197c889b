"""Sync the entries of CRITICAL_ISSUES.md with GitHub: what exists, what to do, doing it.

``snapshot`` reads the repository, ``plan_sync`` is pure (snapshot in, creates and updates out),
``apply_sync`` performs a plan: the milestone and missing labels first, then the missing issues,
then one pass that brings every issue to its entry, so "Related Issues" link to the numbers
the new issues received. Nothing is ever closed or deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from .github import GitHub, GitHubError
from .mapping import (
    MILESTONE, MILESTONE_DESCRIPTION, IssueSpec, create_payload, desired, label_color, labels_of,
    marker_of, update_payload,
)
from .parse import Entry


@dataclass
class Snapshot:
    issues: dict[int, dict[str, Any]]  # entry number → its tracking issue
    duplicates: dict[int, list[int]]   # entry number → further issues carrying its marker
    labels: set[str]                   # lower-cased label names
    milestone: int | None


@dataclass
class Plan:
    milestone_missing: bool
    labels_missing: list[str]
    creates: list[IssueSpec]
    updates: list[tuple[int, int, dict[str, Any]]]  # (entry, issue number, PATCH payload)
    unassigned: list[tuple[int, str]]               # (entry, role with no login in owners)
    specs: dict[int, IssueSpec] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.milestone_missing or self.labels_missing or self.creates or self.updates)


@dataclass
class SyncResult:
    created: list[tuple[int, int]] = field(default_factory=list)  # (entry, issue number)
    updated: list[tuple[int, int]] = field(default_factory=list)
    linked: list[tuple[int, int]] = field(default_factory=list)   # new issues given their links
    labels_created: list[str] = field(default_factory=list)
    milestone_created: bool = False
    warnings: list[str] = field(default_factory=list)


def snapshot(gh: GitHub, repo: str) -> Snapshot:
    issues: dict[int, dict[str, Any]] = {}
    duplicates: dict[int, list[int]] = {}
    for issue in sorted(gh.issues(repo), key=lambda i: i.get("number", 0)):
        entry = marker_of(issue.get("body"))
        if entry is None:
            continue
        if entry in issues:
            duplicates.setdefault(entry, []).append(issue["number"])
        else:
            issues[entry] = issue
    labels = {str(label.get("name", "")).lower() for label in gh.labels(repo)}
    milestone = next((m["number"] for m in gh.milestones(repo)
                      if str(m.get("title", "")).strip().lower() == MILESTONE.lower()), None)
    return Snapshot(issues, duplicates, labels, milestone)


def _numbers(issues: Mapping[int, Mapping[str, Any]]) -> dict[int, int]:
    return {n: issue["number"] for n, issue in issues.items()}


def plan_sync(entries: list[Entry], snap: Snapshot, *, source: str, owners: Mapping[str, str],
              refused: set[int] = frozenset()) -> Plan:
    """What the repository needs so that every entry has an up-to-date issue.

    ``refused``: entries whose assignee GitHub would not take in this run (not asked again).
    """
    numbers = _numbers(snap.issues)
    titles = {e.number: e.title for e in entries}
    plan = Plan(snap.milestone is None, [], [], [], [])
    wanted_labels: dict[str, None] = {}
    for entry in entries:
        current = snap.issues.get(entry.number)
        spec = desired(entry, source=source, owners=owners, numbers=numbers, titles=titles,
                       current_body=(current or {}).get("body"))
        plan.specs[entry.number] = spec
        wanted_labels.update(dict.fromkeys(labels_of(entry)))
        plan.unassigned.extend((entry.number, role) for role in spec.unassigned)
        if current is None:
            plan.creates.append(spec)
            continue
        payload = update_payload(current, spec, snap.milestone)
        if entry.number in refused:
            payload.pop("assignees", None)
        if payload:
            plan.updates.append((entry.number, current["number"], payload))
    plan.labels_missing = [name for name in wanted_labels if name.lower() not in snap.labels]
    return plan


def _assignee_refused(issue: Mapping[str, Any], spec: IssueSpec) -> bool:
    logins = {str(a.get("login", "")).lower() for a in issue.get("assignees") or []
              if isinstance(a, dict)}
    return bool(spec.assignees) and not logins


def _send(call: Callable[[dict[str, Any]], dict[str, Any]], payload: dict[str, Any],
          entry: int, result: SyncResult, refused: set[int],
          current: dict[str, Any] | None = None) -> dict[str, Any]:
    """One create / update; an assignee GitHub rejects (422) is dropped with a warning."""
    try:
        return call(payload)
    except GitHubError as exc:
        if exc.status != 422 or "assignees" not in payload:
            raise
        logins = ", ".join(payload.pop("assignees"))
        refused.add(entry)
        result.warnings.append(f"Issue #{entry}: GitHub refused assignee {logins} ({exc}); "
                               "left unassigned")
        if not payload and current is not None:
            return current  # the assignee was the only change
        return call(payload)


def apply_sync(gh: GitHub, repo: str, entries: list[Entry], snap: Snapshot, *, source: str,
               owners: Mapping[str, str], refused: set[int]) -> SyncResult:
    result = SyncResult()
    milestone = snap.milestone
    if milestone is None:
        milestone = gh.create_milestone(repo, MILESTONE, MILESTONE_DESCRIPTION)["number"]
        result.milestone_created = True
    plan = plan_sync(entries, snap, source=source, owners=owners, refused=refused)
    for name in plan.labels_missing:
        prefix = name.split(":", 1)[0]
        gh.create_label(repo, name, label_color(name), f"{prefix} (maestro-tasks week1.issues)")
        result.labels_created.append(name)
    current = dict(snap.issues)
    titles = {e.number: e.title for e in entries}
    created: set[int] = set()
    for entry in entries:
        if entry.number in current:
            continue
        spec = desired(entry, source=source, owners=owners, numbers=_numbers(current),
                       titles=titles)
        issue = _send(lambda p: gh.create_issue(repo, p), create_payload(spec, milestone),
                      entry.number, result, refused)
        if _assignee_refused(issue, spec) and entry.number not in refused:
            refused.add(entry.number)
            result.warnings.append(f"Issue #{entry.number}: GitHub did not assign "
                                   f"{', '.join(spec.assignees)} (no access to the repository?)")
        current[entry.number] = issue
        created.add(entry.number)
        result.created.append((entry.number, issue["number"]))
    numbers = _numbers(current)
    for entry in entries:
        issue = current[entry.number]
        spec = desired(entry, source=source, owners=owners, numbers=numbers, titles=titles,
                       current_body=issue.get("body"))
        payload = update_payload(issue, spec, milestone)
        if entry.number in refused:
            payload.pop("assignees", None)
        if not payload:
            continue
        number = issue["number"]
        issue = _send(lambda p: gh.update_issue(repo, number, p), payload, entry.number, result,
                      refused, current=issue)
        if "assignees" in payload and _assignee_refused(issue, spec):
            refused.add(entry.number)
            result.warnings.append(f"Issue #{entry.number}: GitHub did not assign "
                                   f"{', '.join(spec.assignees)} (no access to the repository?)")
        current[entry.number] = issue
        (result.linked if entry.number in created else result.updated).append(
            (entry.number, number))
    return result


def tracking(entries: list[Entry], snap: Snapshot) -> dict[str, Any]:
    """Which entries have their issue, and in which state: the evidence and the report's list."""
    rows = []
    for entry in entries:
        issue = snap.issues.get(entry.number)
        rows.append({"entry": entry.number, "title": entry.title,
                     "number": issue["number"] if issue else None,
                     "state": issue.get("state", "open") if issue else None,
                     "url": issue.get("html_url") if issue else None})
    tracked = [r for r in rows if r["number"] is not None]
    return {"total": len(rows), "tracked": len(tracked),
            "open": sum(1 for r in tracked if r["state"] == "open"),
            "closed": sum(1 for r in tracked if r["state"] == "closed"),
            "missing": [r["entry"] for r in rows if r["number"] is None],
            "issues": rows}
