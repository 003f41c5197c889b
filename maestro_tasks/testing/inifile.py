"""INI files as pytest reads them, through ``iniconfig``, with line spans for minimal edits.

pytest parses pytest.ini, tox.ini and setup.cfg with ``iniconfig``: ``#``/``;`` comment lines,
``[section]`` headers, ``key = value`` or ``key: value`` lines, indented continuation lines, no
inline comments. ``iniconfig`` is the authority here too: it decides what is an error (with its
line) and every value. It gives a key's first line only, so a small scan of ours adds where each
key's continuation lines end; the edits below replace only the lines of the key they change.
Two rules of ours on top: an unterminated ``[section`` line is an error (iniconfig reads it as a
continuation, which pytest then refuses), and key lines before the first header are kept in a
``Section(None)`` (iniconfig refuses them) so the missing header can be diagnosed and repaired.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import iniconfig

COMMENT_CHARS = "#;"


class IniParseError(ValueError):
    def __init__(self, line: int, message: str):
        self.line, self.message = line, message  # line is 1-based
        super().__init__(f"line {line}: {message}")


@dataclass
class Entry:
    key: str
    value: str
    first: int  # 0-based index of the key line
    last: int  # 0-based index of its last continuation line


@dataclass
class Section:
    name: str | None  # None: key lines before any header (pytest refuses those)
    header: int | None
    entries: list[Entry] = field(default_factory=list)

    def get(self, key: str) -> Entry | None:
        return next((e for e in self.entries if e.key == key), None)

    def values(self) -> dict[str, str]:
        return {e.key: e.value for e in self.entries}


@dataclass
class IniDocument:
    lines: list[str]
    sections: list[Section]

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    @property
    def headerless(self) -> Section | None:
        return self.section(None)  # type: ignore[arg-type]

    @property
    def newline(self) -> str:
        return "\r\n" if any(line.endswith("\r\n") for line in self.lines) else "\n"

    def text(self) -> str:
        return "".join(self.lines)


def _is_comment(line: str) -> bool:
    return line.lstrip()[:1] in COMMENT_CHARS and line.strip() != ""


def parse(text: str, *, strict: bool = True) -> IniDocument:
    """Parse ``text``. ``strict`` refuses what pytest refuses, except key lines before the first
    header, which are kept in a ``Section(None)`` so the missing header can be diagnosed."""
    text = text.removeprefix("\N{BYTE ORDER MARK}")
    if not strict:
        return _spans(text, strict=False)
    try:
        parsed = iniconfig.IniConfig("<ini>", data=text)
    except iniconfig.ParseError as exc:
        if exc.msg != "no section header defined":
            raise IniParseError(exc.lineno + 1, exc.msg) from None
        return _spans(text, strict=True)  # keys before any header: ours to diagnose
    doc = _spans(text, strict=True)
    for section in doc.sections:
        values = parsed.sections.get(section.name or "", {})
        for entry in section.entries:
            if parsed.lineof(section.name or "", entry.key) != entry.first + 1 \
                    or entry.key not in values:
                raise IniParseError(entry.first + 1, f"cannot place {entry.key!r}")
            entry.value = values[entry.key]  # iniconfig's value, as pytest will read it
    return doc


def _spans(text: str, *, strict: bool) -> IniDocument:
    """Sections and the first / last line of each key (the part iniconfig does not give)."""
    lines = text.splitlines(keepends=True)
    sections: list[Section] = []
    current: Section | None = None
    last_entry: Entry | None = None
    for index, raw in enumerate(lines):
        line = raw.rstrip()
        if not line or _is_comment(line):
            continue
        if line[0] == "[":
            stripped = line
            for char in COMMENT_CHARS:
                stripped = stripped.split(char)[0].rstrip()
            if stripped.endswith("]"):
                name = stripped[1:-1]
                if not name:
                    raise IniParseError(index + 1, "empty section name")
                if strict and any(s.name == name for s in sections):
                    raise IniParseError(index + 1, f"duplicate section {name!r}")
                current = Section(name, index)
                sections.append(current)
                last_entry = None
                continue
            # iniconfig reads an unterminated "[..." line as a continuation of the previous
            # value, which pytest then chokes on ("path cannot contain []"): refuse it here
            if strict or last_entry is None:
                raise IniParseError(index + 1, f"unterminated section header: {line!r}")
            last_entry.value += "\n" + line.strip()
            last_entry.last = index
            continue
        if line[0].isspace():
            if last_entry is None:
                raise IniParseError(index + 1, "unexpected value continuation")
            value = line.strip()
            last_entry.value = f"{last_entry.value}\n{value}" if last_entry.value else value
            last_entry.last = index
            continue
        name, sep, value = line.partition("=")
        if not sep or ":" in name:
            name, sep, value = line.partition(":")
            if not sep:
                raise IniParseError(index + 1, f"unexpected line: {line!r}")
        if current is None:
            current = Section(None, None)
            sections.append(current)
        key = name.strip()
        if strict and current.get(key) is not None:
            raise IniParseError(index + 1, f"duplicate name {key!r}")
        last_entry = Entry(key, value.strip(), index, index)
        current.entries.append(last_entry)
    return IniDocument(lines, sections)


# ---- minimal edits ------------------------------------------------------------------------
def _key_line(doc: IniDocument, entry: Entry | None, key: str, value: str) -> str:
    """``key = value`` keeping the existing line's spelling of the separator when there is one."""
    if entry is not None:
        original = doc.lines[entry.first].rstrip("\r\n")
        head, sep, rest = original.partition("=")
        if not sep or ":" in head:
            head, sep, rest = original.partition(":")
        spacing = " " if rest.startswith(" ") else ""
        return f"{head}{sep}{spacing}{value}{doc.newline}"
    return f"{key} = {value}{doc.newline}"


def _section_insert_at(doc: IniDocument, section: Section) -> int:
    """Where a new key goes: after the section's last entry (or its header), so trailing blank
    lines and comments that introduce the next section stay where they are."""
    if section.entries:
        return max(e.last for e in section.entries) + 1
    return (section.header or 0) + 1


def set_value(text: str, section: str, key: str, value: str) -> str:
    """Set ``key`` in ``[section]``: replace its lines, add it to the section, or add both."""
    doc = parse(text, strict=False)
    sec = doc.section(section)
    lines = list(doc.lines)
    if sec is not None:
        entry = sec.get(key)
        if entry is not None:
            lines[entry.first:entry.last + 1] = [_key_line(doc, entry, key, value)]
        else:
            at = _section_insert_at(doc, sec)
            if at > 0 and not lines[at - 1].endswith(("\n", "\r")):
                lines[at - 1] += doc.newline
            lines.insert(at, _key_line(doc, None, key, value))
        return "".join(lines)
    nl = doc.newline
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += nl
    if lines and lines[-1].strip():
        lines.append(nl)
    lines += [f"[{section}]{nl}", f"{key} = {value}{nl}"]
    return "".join(lines)


def remove_key(text: str, section: str | None, key: str) -> str:
    doc = parse(text, strict=False)
    sec = doc.section(section)  # type: ignore[arg-type]
    entry = sec.get(key) if sec is not None else None
    if entry is None:
        return text
    lines = list(doc.lines)
    del lines[entry.first:entry.last + 1]
    return "".join(lines)


def rename_key(text: str, section: str | None, old: str, new: str) -> str:
    """Rename ``old`` to ``new`` on its own line; value, spacing and continuations untouched."""
    doc = parse(text, strict=False)
    sec = doc.section(section)  # type: ignore[arg-type]
    entry = sec.get(old) if sec is not None else None
    if entry is None:
        return text
    lines = list(doc.lines)
    line = lines[entry.first]
    at = line.index(old)
    lines[entry.first] = line[:at] + new + line[at + len(old):]
    return "".join(lines)


def insert_header(text: str, section: str) -> str:
    """Put ``[section]`` before the first key line that has no header (comments above stay)."""
    doc = parse(text, strict=False)
    orphan = doc.headerless
    if orphan is None or not orphan.entries:
        return text
    lines = list(doc.lines)
    lines.insert(orphan.entries[0].first, f"[{section}]{doc.newline}")
    return "".join(lines)
