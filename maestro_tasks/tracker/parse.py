"""CRITICAL_ISSUES.md as data: ``### Issue #N: Title`` entries with bold fields and sections.

Pure: text in, entries out. The shape read here::

    ## 🔴 CRITICAL                       <- a group heading (kept as the entry's group)
    ### Issue #1: Tests fail at collection
    **Priority**: CRITICAL                <- a one-line field (FIELDS)
    **Problem**:                          <- a section: every line up to the next bold key,
    text, lists, ```code blocks```           heading or --- rule (fenced code is never parsed)
    **Acceptance Criteria**:
    - [ ] a checklist item
    **Related Issues**: #2, #3

A malformed entry raises InputError naming the file and line; ``render`` writes the canonical
form back, and ``parse(render(entries)) == entries``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..engine.model import InputError

# Keys whose value is one line; any other bold key opens a multi-line section.
FIELDS = ("priority", "severity", "status", "estimated", "assigned", "related issues", "area",
          "effort", "owner")
# Only these: the roadmap's own file gives its lower-priority entries no Problem and no
# acceptance checklist, and they must still become issues.
REQUIRED_FIELDS = ("priority",)
ACCEPTANCE = "acceptance criteria"

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")  # a closing ### needs a space
_LOOKS_LIKE_ISSUE = re.compile(r"issue\b", re.I)
_ISSUE = re.compile(r"^Issue\s+#(\d+)\s*:\s*(\S.*?)\s*$")
# **Key**: value  or  **Key:** value
_KEY = re.compile(r"^\*\*([^*\n]+?)(?::\*\*|\*\*\s*:)[ \t]*(.*?)\s*$")
_RULE = re.compile(r"^(?:-{3,}|\*{3,}|_{3,})\s*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ITEM = re.compile(r"^\s*[-*+]\s+\[([ xX])\]\s+(.*?)\s*$")
_REF = re.compile(r"#(\d+)")


@dataclass(frozen=True)
class Entry:
    number: int
    title: str
    group: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    sections: tuple[tuple[str, str], ...] = ()
    line: int = field(default=0, compare=False)

    def field(self, name: str) -> str | None:
        return next((v for k, v in self.fields if k.lower() == name), None)

    def section(self, name: str) -> str | None:
        return next((v for k, v in self.sections if k.lower() == name), None)

    @property
    def acceptance(self) -> list[tuple[bool, str]]:
        """The acceptance checklist: (checked, text) per item."""
        out = []
        for line in (self.section(ACCEPTANCE) or "").splitlines():
            match = _ITEM.match(line)
            if match:
                out.append((match.group(1) != " ", match.group(2)))
        return out

    @property
    def related(self) -> tuple[int, ...]:
        value = self.field("related issues") or ""
        return tuple(dict.fromkeys(int(n) for n in _REF.findall(value)))


def _clean(lines: list[str]) -> str:
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


class _Builder:
    """The entry being read: its fields and sections, in order, with where each began."""

    def __init__(self, number: int, title: str, group: str, line: int):
        self.number, self.title, self.group, self.line = number, title, group, line
        self.fields: list[tuple[str, str]] = []
        self.sections: list[tuple[str, list[str]]] = []
        self.seen: dict[str, int] = {}

    def key(self, path: str, name: str, value: str, line: int) -> bool:
        """Record a bold key; True when it opened a section that takes the following lines."""
        low = name.strip().lower()
        if low in self.seen:
            raise InputError(path, f"Issue #{self.number}: **{name.strip()}** given twice "
                                   f"(first on line {self.seen[low]})", line)
        self.seen[low] = line
        if low in FIELDS:
            self.fields.append((name.strip(), value))
            return False
        self.sections.append((name.strip(), [value] if value else []))
        return True

    def text(self, line: str) -> None:
        if not self.sections:
            if not line.strip():
                return
            # Prose right under the fields: kept as the entry's description.
            self.sections.append(("Description", []))
            self.seen.setdefault("description", self.line)
        self.sections[-1][1].append(line)

    def build(self, path: str) -> Entry:
        entry = Entry(self.number, self.title, self.group, tuple(self.fields),
                      tuple((k, _clean(v)) for k, v in self.sections), self.line)
        for name in REQUIRED_FIELDS:
            if not (entry.field(name) or "").strip():
                raise InputError(path, f"Issue #{self.number} has no **{name.title()}**: field",
                                 self.line)
        return entry


def parse(text: str, path: str = "CRITICAL_ISSUES.md") -> list[Entry]:
    """Every ``### Issue #N: Title`` entry of ``text``, in file order."""
    entries: list[Entry] = []
    numbers: dict[int, int] = {}
    group = ""
    current: _Builder | None = None
    in_section = False
    fence: tuple[str, int] | None = None  # (marker, line it opened on)

    def close() -> None:
        nonlocal current, in_section
        if current is not None:
            entries.append(current.build(path))
        current, in_section = None, False

    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if fence is not None:
            match = _FENCE.match(line)
            if match and match.group(1)[0] == fence[0][0] and len(match.group(1)) >= len(fence[0]) \
                    and not line.strip()[len(match.group(1)):].strip():
                fence = None
            if current is not None and in_section:
                current.text(line)
            continue
        match = _FENCE.match(line)
        if match:
            fence = (match.group(1), lineno)
            if current is not None:
                if not in_section:
                    current.text("")  # a code block right under the fields: description
                    in_section = True
                current.text(line)
            continue
        heading = _HEADING.match(line)
        if heading and len(heading.group(1)) <= 3:
            level, title = len(heading.group(1)), heading.group(2)
            if level == 3 and _LOOKS_LIKE_ISSUE.match(title):
                close()
                issue = _ISSUE.match(title)
                if not issue:
                    raise InputError(path, f"malformed issue heading {line!r}: expected "
                                           "`### Issue #N: Title`", lineno)
                number = int(issue.group(1))
                if number in numbers:
                    raise InputError(path, f"Issue #{number} appears twice (first on line "
                                           f"{numbers[number]})", lineno)
                numbers[number] = lineno
                current = _Builder(number, issue.group(2), group, lineno)
                continue
            close()
            if level == 2:
                group = title
            continue
        if _RULE.match(line):
            close()
            continue
        key = _KEY.match(line)
        if current is None:
            if key and key.group(1).strip().lower() in REQUIRED_FIELDS:
                # An entry whose heading is mistyped must not vanish silently.
                raise InputError(path, f"**{key.group(1).strip()}** outside an issue entry: "
                                       "is the heading above it `### Issue #N: Title`?", lineno)
            continue
        if key:
            in_section = current.key(path, key.group(1), key.group(2), lineno)
            continue
        if in_section or line.strip():
            in_section = True
            current.text(line)
    if fence is not None:
        raise InputError(path, f"code block opened with {fence[0]} is never closed", fence[1])
    close()
    if not entries:
        raise InputError(path, "no issue entries: expected headings `### Issue #N: Title`")
    return entries


def render(entries: list[Entry], title: str = "Critical Issues") -> str:
    """The canonical Markdown of ``entries`` (the inverse of ``parse``)."""
    out = [f"# {title}", ""]
    group: str | None = None
    for entry in entries:
        if entry.group != group:
            group = entry.group
            if group:
                out += [f"## {group}", ""]
        out.append(f"### Issue #{entry.number}: {entry.title}")
        out += [f"**{k}**: {v}" for k, v in entry.fields]
        for name, text in entry.sections:
            out += ["", f"**{name}**:"]
            if text:
                out.append(text)
        out += ["", "---", ""]
    return "\n".join(out)
