"""Where pytest reads its configuration from, exactly as pytest decides it, and minimal edits.

pytest walks from the rootdir candidate (here: the target) up through its parents; in each folder
it takes the first of these files that holds pytest configuration:

    pytest.toml, .pytest.toml   (pytest >= 9: ``[pytest]`` table; wins even when empty)
    pytest.ini, .pytest.ini     (wins even when empty or without a ``[pytest]`` section)
    pyproject.toml              (``[tool.pytest.ini_options]``; pytest >= 9 also ``[tool.pytest]``)
    tox.ini                     (only with a ``[pytest]`` section)
    setup.cfg                   (only with a ``[tool:pytest]`` section)

Every lower-ranked file in the same folder that also holds pytest settings is *shadowed*: pytest
ignores it. Edits keep comments and formatting: INI files are edited line by line inside the
right section; TOML files through tomlkit.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine import InputError
from ..engine.target import toml_error_line
from . import inifile

PYTEST_TOML_NAMES = ("pytest.toml", ".pytest.toml")
NATIVE_TOML_SINCE = (9, 0)


@dataclass
class ConfigSource:
    """One file pytest would read, and what it holds for pytest."""

    path: Path
    kind: str  # "pytest.ini" | "tox.ini" | "setup.cfg" | "pyproject" | "pytest.toml"
    section: str | None  # ini section, or dotted TOML table
    values: dict[str, Any] = field(default_factory=dict)
    headerless: bool = False  # pytest.ini whose keys sit above any [pytest] header

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def is_ini(self) -> bool:
        return self.kind in ("pytest.ini", "tox.ini", "setup.cfg")

    def label(self) -> str:
        where = f" [{self.section}]" if self.section else ""
        return f"{self.name}{where}"


@dataclass
class Discovery:
    target: Path
    effective: ConfigSource | None
    shadowed: list[ConfigSource]
    native_toml: bool
    # the effective file is not on disk as pytest would see it (an empty file hiding it is to
    # be deleted): probes pass its values with ``-o`` instead of letting pytest read it
    via_overrides: bool = False

    @property
    def inside_target(self) -> bool:
        return self.effective is not None and self.effective.path.parent == self.target

    def values(self) -> dict[str, Any]:
        return dict(self.effective.values) if self.effective else {}


def supports_native_toml(pytest_version: tuple[int, ...] | None) -> bool:
    return pytest_version is not None and tuple(pytest_version[:2]) >= NATIVE_TOML_SINCE


def _rel(target: Path, path: Path) -> str:
    try:
        return str(path.relative_to(target))
    except ValueError:
        return str(path)


def _read_text(target: Path, path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(_rel(target, path), "is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(_rel(target, path), f"cannot be read: {exc.strerror}") from None


# values pytest splits like a shell (ini types "args" and "paths")
SHELL_SPLIT_KEYS = ("addopts", "testpaths", "pythonpath")


def _check_shell_words(target: Path, path: Path, values: dict[str, Any],
                       lines: dict[str, int] | None = None) -> None:
    """An unbalanced quote makes pytest (and us) fail to split the value: refuse the file."""
    import shlex

    for key in SHELL_SPLIT_KEYS:
        value = values.get(key)
        if not isinstance(value, str):
            continue
        try:
            shlex.split(value)
        except ValueError:
            raise InputError(_rel(target, path), f"unbalanced quote in {key}",
                             (lines or {}).get(key)) from None


def _ini_source(target: Path, path: Path, kind: str, section: str, entries: list,
                headerless: bool = False) -> ConfigSource:
    values = {e.key: e.value for e in entries}
    _check_shell_words(target, path, values, {e.key: e.first + 1 for e in entries})
    return ConfigSource(path, kind, section, values, headerless=headerless)


def _load_ini(target: Path, path: Path, kind: str) -> ConfigSource | None:
    text = _read_text(target, path)
    try:
        doc = inifile.parse(text)
    except inifile.IniParseError as exc:
        raise InputError(_rel(target, path), f"invalid INI: {exc.message}", exc.line) from None
    orphan = doc.headerless
    if orphan is not None and orphan.entries and kind != "pytest.ini":
        first = orphan.entries[0].first + 1
        raise InputError(_rel(target, path), "invalid INI: no section header defined", first)
    section_name = "tool:pytest" if kind == "setup.cfg" else "pytest"
    section = doc.section(section_name)
    if kind == "pytest.ini":
        if section is None and orphan is not None and orphan.entries:
            # pytest refuses this file; its intent is plain, so it is repaired, not rejected
            return _ini_source(target, path, kind, "pytest", orphan.entries, headerless=True)
        return _ini_source(target, path, kind, "pytest", section.entries if section else [])
    if section is None:
        if kind == "setup.cfg" and doc.section("pytest") is not None:
            raise InputError(_rel(target, path), "[pytest] sections in setup.cfg are no longer "
                             "read by pytest; rename it to [tool:pytest]",
                             (doc.section("pytest").header or 0) + 1)
        return None
    return _ini_source(target, path, kind, section_name, section.entries)


def _load_toml_doc(target: Path, path: Path) -> dict[str, Any]:
    text = _read_text(target, path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = toml_error_line(exc)
        if line is None and "end of document" in str(exc):
            line = text.count("\n") + (0 if text.endswith("\n") else 1)
        message = str(exc).split(" (at ")[0]
        raise InputError(_rel(target, path), f"invalid TOML: {message}", line) from None


def _load_pyproject(target: Path, path: Path, native: bool) -> ConfigSource | None:
    doc = _load_toml_doc(target, path)
    tool = doc.get("tool", {})
    pytest_tables = tool.get("pytest", {}) if isinstance(tool, dict) else {}
    if not isinstance(pytest_tables, dict):
        return None
    ini_options = pytest_tables.get("ini_options")
    native_values = {k: v for k, v in pytest_tables.items() if k != "ini_options"}
    if native and native_values:
        if ini_options is not None:
            raise InputError(_rel(target, path), "both [tool.pytest] and "
                             "[tool.pytest.ini_options] are set; pytest refuses that")
        _check_shell_words(target, path, native_values)
        return ConfigSource(path, "pyproject", "tool.pytest", native_values)
    if isinstance(ini_options, dict):
        _check_shell_words(target, path, ini_options)
        return ConfigSource(path, "pyproject", "tool.pytest.ini_options", dict(ini_options))
    return None


def _load_pytest_toml(target: Path, path: Path) -> ConfigSource:
    doc = _load_toml_doc(target, path)
    table = doc.get("pytest", {})
    values = dict(table) if isinstance(table, dict) else {}
    _check_shell_words(target, path, values)
    return ConfigSource(path, "pytest.toml", "pytest", values)


def _loaders(native: bool):
    names: list[tuple[str, Any]] = []
    if native:
        names += [(n, lambda t, p: _load_pytest_toml(t, p)) for n in PYTEST_TOML_NAMES]
    names += [
        ("pytest.ini", lambda t, p: _load_ini(t, p, "pytest.ini")),
        (".pytest.ini", lambda t, p: _load_ini(t, p, "pytest.ini")),
        ("pyproject.toml", lambda t, p: _load_pyproject(t, p, native)),
        ("tox.ini", lambda t, p: _load_ini(t, p, "tox.ini")),
        ("setup.cfg", lambda t, p: _load_ini(t, p, "setup.cfg")),
    ]
    return names


def discover(target: Path, pytest_version: tuple[int, ...] | None = None) -> Discovery:
    """The effective config file for a pytest run started in ``target``, and the shadowed ones.

    Unparseable files raise InputError (file and line). Files in parent folders are considered,
    as pytest does, but only one in the target itself is ever edited.
    """
    target = target.resolve()
    native = supports_native_toml(pytest_version)
    loaders = _loaders(native)
    for base in (target, *target.parents):
        for index, (name, loader) in enumerate(loaders):
            path = base / name
            if not path.is_file():
                continue
            source = loader(target, path)
            if source is None:
                continue
            shadowed = []
            for other_name, other_loader in loaders[index + 1:]:
                other = base / other_name
                if other.is_file():
                    found = other_loader(target, other)
                    if found is not None:
                        shadowed.append(found)
            return Discovery(target, source, shadowed, native)
    return Discovery(target, None, [], native)


# ---- edits ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Edit:
    """One config change. ``op``: "set" (key = value words), "remove" (key), "rename" (key to
    ``value[0]``, in place), "addopt" (append a flag to addopts), "header" (insert the missing
    ``[pytest]`` header)."""

    op: str
    key: str = ""
    value: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.op == "set":
            return f"{self.key} = {' '.join(self.value)}"
        if self.op == "remove":
            return f"remove {self.key}"
        if self.op == "addopt":
            return f"addopts += {' '.join(self.value)}"
        if self.op == "rename":
            return f"rename {self.key} to {self.value[0]}"
        return "add the missing [pytest] header"


def new_config_home(target: Path) -> tuple[str, str]:
    """(file, kind) that receives settings when the target has no pytest config of its own."""
    if (target / "pyproject.toml").is_file():
        return "pyproject.toml", "pyproject"
    return "pytest.ini", "pytest.ini"


def apply_edits(text: str, kind: str, section: str | None, edits: list[Edit]) -> str:
    """``text`` of a config file of ``kind`` with ``edits`` applied, formatting kept."""
    if kind in ("pytest.ini", "tox.ini", "setup.cfg"):
        return _apply_ini(text, section or "pytest", edits)
    return _apply_toml(text, kind, section, edits)


def _apply_ini(text: str, section: str, edits: list[Edit]) -> str:
    for edit in edits:
        if edit.op == "header":
            text = inifile.insert_header(text, section)
    if not text.strip():
        text = f"[{section}]\n"
    for edit in edits:
        if edit.op == "set":
            text = inifile.set_value(text, section, edit.key, " ".join(edit.value))
        elif edit.op == "remove":
            text = inifile.remove_key(text, section, edit.key)
        elif edit.op == "rename":
            text = inifile.rename_key(text, section, edit.key, edit.value[0])
        elif edit.op == "addopt":
            text = _ini_add_opts(text, section, list(edit.value))
    return text


def _ini_add_opts(text: str, section: str, flags: list[str]) -> str:
    doc = inifile.parse(text, strict=False)
    sec = doc.section(section)
    entry = sec.get("addopts") if sec else None
    if entry is None:
        return inifile.set_value(text, section, "addopts", " ".join(flags))
    lines = list(doc.lines)
    last = lines[entry.last]
    ending = last[len(last.rstrip("\r\n")):] or doc.newline
    body = last.rstrip("\r\n").rstrip()
    joiner = " " if entry.value else ""
    lines[entry.last] = f"{body}{joiner}{' '.join(flags)}{ending}"
    return "".join(lines)


def _toml_rename_in_place(text: str, path: tuple[str, ...], old: str, new: str) -> str | None:
    """``old = …`` renamed to ``new`` on its own line inside the table ``path``; None when the
    key is not written that way (dotted keys, inline tables): the caller falls back."""
    import re

    header = re.compile(r"^\s*\[\s*" + r"\s*\.\s*".join(
        rf"(?:{re.escape(p)}|\"{re.escape(p)}\"|'{re.escape(p)}')" for p in path) + r"\s*\]")
    key = re.compile(rf"^(\s*)([\"']?){re.escape(old)}\2(\s*=)")
    lines = text.splitlines(keepends=True)
    inside = False
    for index, line in enumerate(lines):
        if re.match(r"^\s*\[", line):
            inside = bool(header.match(line)) and not line.lstrip().startswith("[[")
            continue
        match = key.match(line) if inside else None
        if match:
            quote = match.group(2)
            lines[index] = (f"{match.group(1)}{quote}{new}{quote}{match.group(3)}"
                            + line[match.end():])
            out = "".join(lines)
            try:
                before, after = tomllib.loads(text), tomllib.loads(out)
            except tomllib.TOMLDecodeError:
                return None
            old_table, new_table = before, after
            for part in path:
                old_table, new_table = old_table.get(part, {}), new_table.get(part, {})
            if new_table.get(new) != old_table.get(old) or old in new_table:
                return None
            return out
    return None


def _apply_toml(text: str, kind: str, section: str | None, edits: list[Edit]) -> str:
    import tomlkit

    for edit in [e for e in edits if e.op == "rename"]:
        path = (("pytest",) if kind == "pytest.toml" else ("tool", "pytest") if
                section == "tool.pytest" else ("tool", "pytest", "ini_options"))
        renamed = _toml_rename_in_place(text, path, edit.key, edit.value[0])
        if renamed is not None:
            text = renamed
            edits = [e for e in edits if e is not edit]
    if not edits:
        return text

    doc = tomlkit.parse(text)
    if kind == "pytest.toml":
        path = ("pytest",)
    elif section == "tool.pytest":
        path = ("tool", "pytest")
    else:
        path = ("tool", "pytest", "ini_options")
    table: Any = doc
    for depth, part in enumerate(path):
        if part not in table:
            super_table = depth < len(path) - 1
            table.add(part, tomlkit.table(is_super_table=super_table))
        table = table[part]
    string_lists = section == "tool.pytest.ini_options"
    for edit in edits:
        if edit.op == "set":
            old = table.get(edit.key)
            if isinstance(old, str) or (string_lists and edit.key == "addopts"):
                table[edit.key] = " ".join(edit.value)
            else:
                table[edit.key] = list(edit.value)
        elif edit.op == "remove":
            if edit.key in table:
                del table[edit.key]
        elif edit.op == "rename":
            if edit.key in table:
                value = table[edit.key]
                del table[edit.key]
                table[edit.value[0]] = value
        elif edit.op == "addopt":
            old = table.get("addopts")
            if old is None:
                table["addopts"] = " ".join(edit.value) if string_lists else list(edit.value)
            elif isinstance(old, str):
                table["addopts"] = f"{old} {' '.join(edit.value)}".strip()
            else:
                old.extend(edit.value)
    return tomlkit.dumps(doc)
