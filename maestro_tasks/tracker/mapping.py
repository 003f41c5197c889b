"""One CRITICAL_ISSUES.md entry → the GitHub issue that tracks it (pure).

The issue carries a hidden marker naming its entry, so a rerun finds its own issues whatever
their titles became. Labels in the ``priority:`` / ``severity:`` / ``area:`` namespaces are
ours to set; any other label a person added stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from ..engine.model import InputError
from .parse import ACCEPTANCE, Entry

MILESTONE = "Week 1"
MILESTONE_DESCRIPTION = "Week-1 blockers from CRITICAL_ISSUES.md (maestro-tasks week1.issues)"
MARKER = "<!-- maestro-tasks:critical-issue:{n} -->"
_MARKER = re.compile(r"<!--\s*maestro-tasks:critical-issue:(\d+)\s*-->")
MANAGED_PREFIXES = ("priority:", "severity:", "area:")
# Role words that say nothing about the area: "Backend Engineer" → area:backend.
_ROLE_WORDS = {"engineer", "engineers", "engineering", "team", "lead", "developer", "developers",
               "dev", "owner", "squad"}
_UNASSIGNED = {"", "tbd", "unassigned", "none", "n/a", "-", "?"}
_COLORS = {"critical": "b60205", "blocker": "b60205", "p0": "b60205", "high": "d93f0b",
           "p1": "d93f0b", "medium": "fbca04", "p2": "fbca04", "low": "0e8a16", "p3": "0e8a16"}
_AREA_COLOR = "1d76db"
_ITEM = re.compile(r"^(\s*[-*+]\s+\[)([ xX])(\]\s+)(.*?)\s*$")


@dataclass(frozen=True)
class IssueSpec:
    """What the tracking issue of one entry should say."""

    entry: int
    title: str
    body: str
    labels: tuple[str, ...]
    assignees: tuple[str, ...]
    unassigned: tuple[str, ...]  # roles with no login in the owners table


def marker_of(body: str | None) -> int | None:
    match = _MARKER.search(body or "")
    return int(match.group(1)) if match else None


def slug(value: str) -> str:
    """``"🔴 CRITICAL"`` → ``critical``, ``"DevOps / SRE"`` → ``devops-sre``."""
    return re.sub(r"[^0-9a-z]+", "-", value.lower()).strip("-")


def role_of(entry: Entry) -> str | None:
    role = (entry.field("assigned") or entry.field("owner") or "").strip()
    return None if role.lower() in _UNASSIGNED else role


def roles_of(entry: Entry) -> list[str]:
    """``"QA Engineer + Backend Engineer"`` → both; ``"2 Backend Engineers"`` → Backend Engineer."""
    out: list[str] = []
    for part in re.split(r"\s*(?:\+|,|&|/|\band\b)\s*", role_of(entry) or ""):
        part = re.sub(r"^\d+\s+", "", part.strip())
        part = re.sub(r"(?i)\b(engineer|developer|lead|owner)s\b", r"\1", part)
        if part and part.lower() not in _UNASSIGNED and part not in out:
            out.append(part)
    return out


def area_of(entry: Entry) -> str:
    explicit = entry.field("area")
    if explicit:
        return slug(explicit)
    roles = roles_of(entry)
    words = [w for w in (roles[0] if roles else "").split() if w.lower() not in _ROLE_WORDS]
    return slug(" ".join(words))


_LEVEL = re.compile(r"(?i)\b(p[0-4]|critical|blocker|high|medium|low)\b")


def level(value: str) -> str:
    """One label value per level: ``"P0 - BLOCKING"`` → ``p0``, ``"🔴 CRITICAL"`` → ``critical``."""
    match = _LEVEL.search(value)
    return match.group(1).lower() if match else slug(value)


def labels_of(entry: Entry) -> tuple[str, ...]:
    labels = []
    for prefix, value in (("priority", entry.field("priority")),
                          ("severity", entry.field("severity"))):
        if value and level(value):
            labels.append(f"{prefix}:{level(value)}")
    if area_of(entry):
        labels.append(f"area:{area_of(entry)}")
    return tuple(labels)


def label_color(name: str) -> str:
    prefix, _, value = name.partition(":")
    return _AREA_COLOR if prefix == "area" else _COLORS.get(value, "c5def5")


def owners_table(settings: Mapping[str, Any]) -> dict[str, str]:
    """``owners = {"Backend Engineer" = "alice"}`` from the target settings, keyed by lower role."""
    raw = settings.get("owners") or {}
    if not isinstance(raw, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise InputError("pyproject.toml", "[tool.maestro-tasks] owners must be a table of "
                                           'role = "login" strings')
    for role, login in raw.items():
        if not re.fullmatch(r"@?[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})", login.strip()):
            raise InputError("pyproject.toml", f"owners: {login!r} (for {role!r}) is not a "
                                               "GitHub login")
    return {k.strip().lower(): v.strip().lstrip("@") for k, v in raw.items()}


def checked_items(body: str | None) -> set[tuple[str, int]]:
    """Checklist items ticked on GitHub, as (text, occurrence of that text): a rerun keeps them
    ticked, and two items with the same text are told apart."""
    out, seen, inside = set(), {}, False
    for line in (body or "").splitlines():
        if line.startswith("### ") or line.startswith("_Tracked from"):
            inside = line.strip().lower() == f"### {ACCEPTANCE}"
            continue
        match = _ITEM.match(line) if inside else None
        if match:
            n = seen[match.group(4)] = seen.get(match.group(4), -1) + 1
            if match.group(2) != " ":
                out.add((match.group(4), n))
    return out


def _tick(text: str, checked: set[tuple[str, int]]) -> str:
    lines, seen = [], {}
    for line in text.splitlines():
        match = _ITEM.match(line)
        if match:
            n = seen[match.group(4)] = seen.get(match.group(4), -1) + 1
            if (match.group(4), n) in checked and match.group(2) == " ":
                line = f"{match.group(1)}x{match.group(3)}{match.group(4)}"
        lines.append(line)
    return "\n".join(lines)


def _related(entry: Entry, numbers: Mapping[int, int], titles: Mapping[int, str]) -> str:
    lines = []
    for ref in entry.related:
        if ref in numbers:
            lines.append(f"- #{numbers[ref]} (Issue #{ref}: {titles.get(ref, '')})")
        elif ref in titles:
            lines.append(f"- Issue #{ref}: {titles[ref]} (not tracked yet)")
        else:
            lines.append(f"- Issue #{ref} (not in the source file)")
    return "\n".join(lines)


def render_body(entry: Entry, *, source: str, numbers: Mapping[int, int],
                titles: Mapping[int, str],
                checked: set[tuple[str, int]] = frozenset()) -> str:
    """The issue body: marker, the fields as one line, each section, links to related issues."""
    shown = [(k, v) for k, v in entry.fields if k.lower() != "related issues" and v]
    parts = [MARKER.format(n=entry.number),
             " · ".join(f"**{k}**: {v}" for k, v in shown) if shown else ""]
    for name, text in entry.sections:
        if not text:
            continue
        if name.lower() == ACCEPTANCE:
            text = _tick(text, checked)
        parts.append(f"### {name}\n\n{text}")
    if entry.related:
        parts.append(f"### Related Issues\n\n{_related(entry, numbers, titles)}")
    parts.append(f"_Tracked from `{source}` (Issue #{entry.number}) by maestro-tasks "
                 "`week1.issues`: edit the entry there and rerun; edits made here are "
                 "overwritten._")
    return "\n\n".join(p for p in parts if p) + "\n"


def desired(entry: Entry, *, source: str, owners: Mapping[str, str], numbers: Mapping[int, int],
            titles: Mapping[int, str], current_body: str | None = None) -> IssueSpec:
    roles = roles_of(entry)
    logins = tuple(dict.fromkeys(owners[r.lower()] for r in roles if r.lower() in owners))
    return IssueSpec(
        entry=entry.number,
        title=entry.title,
        body=render_body(entry, source=source, numbers=numbers, titles=titles,
                         checked=checked_items(current_body)),
        labels=labels_of(entry),
        assignees=logins,
        unassigned=tuple(r for r in roles if r.lower() not in owners),
    )


def _names(items: Any, key: str) -> list[str]:
    return [i[key] if isinstance(i, dict) else str(i) for i in items or []]


def update_payload(current: Mapping[str, Any], spec: IssueSpec,
                   milestone: int | None) -> dict[str, Any]:
    """The PATCH that brings ``current`` to ``spec`` ({} when it already matches).

    Title, body and our label namespaces follow the source; a milestone or assignee is only
    set where the issue has none, so a person's triage on GitHub is never undone.
    """
    payload: dict[str, Any] = {}
    if current.get("title") != spec.title:
        payload["title"] = spec.title
    if (current.get("body") or "").replace("\r\n", "\n") != spec.body:
        payload["body"] = spec.body
    have = _names(current.get("labels"), "name")
    kept = [n for n in have if not n.lower().startswith(MANAGED_PREFIXES)]
    wanted = kept + [n for n in spec.labels if n.lower() not in {k.lower() for k in kept}]
    if sorted(n.lower() for n in have) != sorted(n.lower() for n in wanted):
        payload["labels"] = wanted
    if milestone is not None and not current.get("milestone"):
        payload["milestone"] = milestone
    if spec.assignees and not current.get("assignees"):
        payload["assignees"] = list(spec.assignees)
    return payload


def create_payload(spec: IssueSpec, milestone: int | None) -> dict[str, Any]:
    payload: dict[str, Any] = {"title": spec.title, "body": spec.body, "labels": list(spec.labels)}
    if milestone is not None:
        payload["milestone"] = milestone
    if spec.assignees:
        payload["assignees"] = list(spec.assignees)
    return payload
