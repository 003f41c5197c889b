"""Diagnose with pytest itself, then repair by search: smallest config change, fewest errors.

1. Static findings from the config model: missing ``[pytest]`` header, misplaced keys
   (``import-mode`` belongs in ``addopts``), testpaths that match nothing, a rootdir-level
   ``__init__.py``, conftest files that patch ``sys.path``, shadowed config files.
2. A collect-only run of the config as it is; each collection error is classified: the project's
   own package not importable (a path problem), a third-party module missing (an environment
   problem: named, with the install command, never path-patched), anything else.
3. Candidates (pythonpath ``.``/``src``/the package roots the errors point at; import modes) are
   evaluated with ``-o`` overrides in collect-only runs; the smallest change with the fewest
   collection errors wins, and only if it beats the config as it is.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import layout
from .config import ConfigSource, Discovery, Edit
from .probe import CollectError, Overrides, ProbeResult

IMPORT_MODES = ("prepend", "append", "importlib")
# Keys people write in the config that pytest only knows as a command-line flag.
FLAG_KEYS = {"import-mode": "--import-mode", "import_mode": "--import-mode",
             "importmode": "--import-mode"}
_SYS_PATH_PATCH = re.compile(r"\bsys\.path\.(insert|append|extend)\b|\bsys\.path\s*\+?=|"
                             r"\bos\.chdir\(")

Prober = Callable[[Overrides], ProbeResult]


@dataclass
class Finding:
    kind: str
    message: str
    hint: str = ""

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "message": self.message, "hint": self.hint}


@dataclass
class Candidate:
    edits: list[Edit]
    overrides: Overrides
    label: str
    size: int
    result: ProbeResult | None = None


@dataclass
class Diagnosis:
    findings: list[Finding]
    edits: list[Edit]  # the chosen repair (empty: leave the config alone)
    before: ProbeResult
    after: ProbeResult | None  # the chosen candidate's collect-only result
    tried: list[Candidate] = field(default_factory=list)

    @property
    def expected(self) -> ProbeResult:
        return self.after or self.before


def as_words(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return shlex.split(str(value))


def _render(value: list[str]) -> str:
    return " ".join(shlex.quote(v) for v in value)


def static_findings(target: Path, discovery: Discovery) -> list[Finding]:
    findings: list[Finding] = []
    eff = discovery.effective
    if eff is None:
        findings.append(Finding("no-config", "no pytest config file: pytest runs on defaults"))
    else:
        findings.append(Finding("effective-config", f"pytest reads {eff.label()}"))
        if not discovery.inside_target:
            findings.append(Finding("config-outside-target",
                                    f"the effective config is {eff.path}, outside the target",
                                    "repairs go into a new config file in the target"))
    for other in discovery.shadowed:
        keys = ", ".join(sorted(other.values)) or "no settings"
        findings.append(Finding("shadowed-config",
                                f"{other.label()} is ignored because {eff.name} exists "
                                f"({keys})" if eff else f"{other.label()} is ignored",
                                f"move what you need into {eff.name}, then delete the ignored "
                                "section" if eff else ""))
    if eff is not None and eff.headerless:
        findings.append(Finding("missing-header",
                                f"{eff.name} has settings but no [pytest] header: pytest "
                                "cannot read it", "the header is added above the settings"))
    if (target / "__init__.py").is_file():
        findings.append(Finding("rootdir-init",
                                "__init__.py at the repository root makes the whole repository "
                                f"a package ({target.name}); pytest then imports tests as "
                                f"{target.name}.tests.… from the parent folder",
                                "delete the root __init__.py unless the repo really is a package"))
    for conftest in [target / "conftest.py", *sorted(target.glob("*/conftest.py"))]:
        try:
            text = conftest.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if _SYS_PATH_PATCH.search(text):
            rel = conftest.relative_to(target)
            findings.append(Finding("conftest-side-effect",
                                    f"{rel} changes sys.path or the working directory when "
                                    "imported: imports then work only under pytest",
                                    "set pythonpath in the pytest config instead"))
    return findings


def base_edits(target: Path, discovery: Discovery, before: ProbeResult,
               findings: list[Finding]) -> list[Edit]:
    """The structural fixes every repair includes: they do not need a search."""
    eff = discovery.effective
    if eff is None or not discovery.inside_target:
        return []
    edits: list[Edit] = []
    values = eff.values
    if eff.headerless:
        edits.append(Edit("header"))
    unknown = set(before.unknown_keys)
    known = set(before.known_keys or ())
    for key, value in values.items():
        if key in FLAG_KEYS:
            flag = FLAG_KEYS[key]
            mode = str(value).strip()
            findings.append(Finding("misplaced-key",
                                    f"{key} = {mode} is not a config key (pytest ignores it); "
                                    f"it is the command-line flag {flag}",
                                    f"moved into addopts as {flag}={mode}"))
            edits.append(Edit("remove", key))
            if mode in IMPORT_MODES and f"{flag}={mode}" not in as_words(values.get("addopts")):
                edits.append(Edit("addopt", "addopts", (f"{flag}={mode}",)))
            continue
        canonical = key.replace("-", "_")
        if key in unknown and canonical != key and canonical in known and canonical not in values:
            findings.append(Finding("misplaced-key", f"{key} is unknown to pytest; the key is "
                                    f"{canonical}", f"renamed to {canonical}"))
            edits.append(Edit("rename", key, (canonical,)))
    for key in sorted(unknown - set(FLAG_KEYS)):
        if not any(e.key == key for e in edits):
            findings.append(Finding("unknown-key", f"{key} is not a pytest setting here (typo, or "
                                    "a plugin that is not installed)",
                                    f"fix or remove {key} in {eff.name}"))
    testpaths = as_words(values.get("testpaths"))
    if testpaths:
        matches = {p: _testpath_matches(target, p) for p in testpaths}
        kept = [p for p in testpaths if matches[p]]
        root = target.resolve()
        for p in kept:
            if not any(m.resolve().is_relative_to(root) for m in matches[p]):
                findings.append(Finding("testpaths-outside-target",
                                        f"testpaths {p} points outside the target: pytest "
                                        "collects tests that are not the project's",
                                        f"replace {p} with a folder inside the target"))
        if len(kept) != len(testpaths):
            missing = [p for p in testpaths if p not in kept]
            if not kept:
                kept = [d for d in ("tests", "test") if (target / d).is_dir()]
            findings.append(Finding("testpaths-nowhere",
                                    f"testpaths {', '.join(missing)} match nothing",
                                    f"testpaths set to {' '.join(kept)}" if kept
                                    else "testpaths removed"))
            edits.append(Edit("set", "testpaths", tuple(kept)) if kept
                         else Edit("remove", "testpaths"))
    return edits


def _testpath_matches(target: Path, pattern: str) -> list[Path]:
    """What pytest's glob of a testpaths entry finds (it globs from the rootdir, so an
    absolute entry is taken as is)."""
    if Path(pattern).is_absolute():
        import glob

        return [Path(p) for p in glob.glob(pattern, recursive=True)]
    try:
        return list(target.glob(pattern))
    except (ValueError, NotImplementedError):
        return []


def virtual_values(values: dict[str, Any], edits: list[Edit]) -> dict[str, list[str] | str]:
    """The config values after ``edits`` (without writing anything)."""
    out: dict[str, Any] = dict(values)
    for edit in edits:
        if edit.op == "set":
            out[edit.key] = list(edit.value)
        elif edit.op == "remove":
            out.pop(edit.key, None)
        elif edit.op == "rename" and edit.key in out:
            out[edit.value[0]] = out.pop(edit.key)
        elif edit.op == "addopt":
            out["addopts"] = as_words(out.get("addopts")) + list(edit.value)
    return out


def overrides_for(target: Path, discovery: Discovery, edits: list[Edit]) -> Overrides:
    """``-o`` overrides (and flags) that make pytest see the config as ``edits`` would leave it."""
    eff = discovery.effective
    values = eff.values if eff is not None and discovery.inside_target else {}
    new = virtual_values(values, edits)

    def ini_value(key: str, value: Any) -> str:
        words = as_words(value) if key in ("pythonpath", "testpaths", "addopts") else None
        if key == "pythonpath":
            # absolute: -o paths resolve against the config file's folder, which may be os.devnull's
            words = [str((target / w).resolve()) for w in words or []]
        if words is not None:
            return _render(words)
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        return str(value)

    if eff is not None and eff.headerless:
        ini = tuple((k, ini_value(k, v)) for k, v in new.items() if k not in FLAG_KEYS)
        return Overrides(ini=ini, replace_config=True)
    ini: list[tuple[str, str]] = []
    cli: list[str] = []
    for key in sorted(set(values) | set(new)):
        if key in FLAG_KEYS:
            continue
        if key == "addopts":
            old_words = as_words(values.get("addopts"))
            new_words = as_words(new.get("addopts"))
            if new_words[:len(old_words)] == old_words:
                cli += new_words[len(old_words):]  # appended flags act the same on the CLI
                continue
        if key not in new:
            ini.append((key, ""))  # removed: pytest falls back to the default
        elif key == "pythonpath" or key not in values or values[key] != new[key]:
            ini.append((key, ini_value(key, new[key])))
    return Overrides(ini=tuple(ini), cli=tuple(cli))


def classify(target: Path, result: ProbeResult, interp_command: str, source: str,
             pytest_version: str | None = None) -> list[Finding]:
    """One finding per distinct cause among the collection errors."""
    findings: list[Finding] = []
    declared = layout.declared_dependencies(target)
    seen: set[str] = set()
    for error in result.errors:
        top = error.top_module
        if top and error.type in ("ModuleNotFoundError", "ImportError"):
            roots = layout.find_module_roots(target, top)
            key = f"{'own' if roots else 'dep'}:{top}"
            if key in seen:
                continue
            seen.add(key)
            if roots:
                findings.append(Finding("own-package-not-importable",
                                        f"the project's own package {top!r} (in "
                                        f"{', '.join(roots)}) is not importable during "
                                        f"collection ({error.nodeid})",
                                        "a path problem: set pythonpath in the pytest config"))
            elif error.type == "ModuleNotFoundError":
                dist = layout.dist_for_import(top)
                where = declared.get(layout.normalize(dist))
                findings.append(Finding("missing-dependency",
                                        f"third-party module {top!r} is not installed in "
                                        f"{interp_command} (needed by {error.nodeid})",
                                        install_hint(dist, where, interp_command, source)))
            else:
                findings.append(Finding("import-error", f"{error.nodeid}: {error.last_line()}",
                                        "fix the import in the code; this is not a config "
                                        "problem"))
        elif error.type == "UsageError" or error.nodeid == "<config>":
            findings.append(Finding("config-error", f"pytest refuses the config: "
                                    f"{error.last_line()}", "see the collect-only output"))
        else:
            findings.append(Finding("collection-error", f"{error.nodeid}: {error.last_line()}",
                                    "fix the test module; this is not a config problem"))
    return findings


def install_hint(dist: str, declared_in: str | None, interp_command: str, source: str) -> str:
    if source == "poetry":
        return (f"{dist} is declared but not installed; run: poetry install" if declared_in
                else f"run: poetry add {dist}")
    pip = f"{interp_command} -m pip install"
    if declared_in and declared_in.startswith("requirements"):
        return f"{dist} is declared in {declared_in} but not installed; run: {pip} -r {declared_in}"
    if declared_in:
        return f"{dist} is declared in {declared_in} but not installed; run: {pip} -e ."
    return f"{dist} is not declared anywhere; run: {pip} {dist} (and declare it)"


def path_candidates(target: Path, discovery: Discovery,
                    errors: list[CollectError]) -> list[list[str]]:
    """pythonpath values worth trying, smallest first: each root an error points at, ``.``,
    ``src``, then all error roots together."""
    eff = discovery.effective
    current = as_words(eff.values.get("pythonpath")) if eff and discovery.inside_target else []
    # entries that point nowhere are dropped, the rest kept
    current = [p for p in current if (target / p).exists()]
    error_roots: list[str] = []
    for error in errors:
        if error.top_module:
            for root in layout.find_module_roots(target, error.top_module):
                if root not in error_roots:
                    error_roots.append(root)
    singles = list(error_roots)
    for extra in (".", "src"):
        if extra not in singles and (target / extra).is_dir():
            singles.append(extra)
    options = [current + [root] for root in singles if root not in current]
    if len(error_roots) > 1:
        options.append(current + [r for r in error_roots if r not in current])
    return options


def search(target: Path, discovery: Discovery, before: ProbeResult, findings: list[Finding],
           probe: Prober) -> tuple[list[Edit], ProbeResult | None, list[Candidate]]:
    """Evaluate candidate repairs; return (edits, their collect-only result, all tried)."""
    structural = base_edits(target, discovery, before, findings)
    eff = discovery.effective
    values = eff.values if eff is not None and discovery.inside_target else {}
    current_mode = next((w.split("=", 1)[1] for w in
                         as_words(virtual_values(values, structural).get("addopts"))
                         if w.startswith("--import-mode=")), None)

    def make(extra: list[Edit], label: str, size: int) -> Candidate:
        edits = structural + extra
        return Candidate(edits, overrides_for(target, discovery, edits), label, size)

    tried: list[Candidate] = []
    base = make([], "structural fixes only" if structural else "config as it is", 0)
    if structural:
        base.result = probe(base.overrides)
    else:
        base.result = before
    tried.append(base)
    best = base
    # judged on the config after the structural fixes: a renamed python_files can reveal errors
    seen = base.result
    own_errors = [e for e in seen.errors if e.top_module
                  and layout.find_module_roots(target, e.top_module)]
    other_errors = [e for e in seen.errors if e not in own_errors]
    needs_search = seen.config_failed or bool(own_errors) or (
        bool(other_errors) and not all(e.type == "ModuleNotFoundError" for e in other_errors))
    if needs_search and seen.score() != (0, 0):
        paths = path_candidates(target, discovery, [*before.errors, *seen.errors])
        modes = [m for m in ("importlib", "prepend") if m != (current_mode or "prepend")]
        levels: list[list[Candidate]] = [[], []]
        for value in paths:
            levels[0].append(make([Edit("set", "pythonpath", tuple(value))],
                                  f"pythonpath = {' '.join(value)}", 1))
        for mode in modes:
            levels[0].append(make([Edit("addopt", "addopts", (f"--import-mode={mode}",))],
                                  f"--import-mode={mode}", 1))
        for value in paths:
            for mode in modes:
                levels[1].append(make([Edit("set", "pythonpath", tuple(value)),
                                       Edit("addopt", "addopts", (f"--import-mode={mode}",))],
                                      f"pythonpath = {' '.join(value)}, --import-mode={mode}",
                                      2))
        # smallest level first, most likely candidate first: the first at zero errors wins
        for cand in (c for level in levels for c in level):
            cand.result = probe(cand.overrides)
            tried.append(cand)
            if cand.result.score() < best.result.score():
                best = cand
            if best.result.score() == (0, 0):
                break
    chosen = best.edits
    return chosen, (best.result if chosen else None), tried


def diagnose(target: Path, discovery: Discovery, before: ProbeResult, probe: Prober, *,
             interp_command: str, interp_source: str) -> Diagnosis:
    findings = static_findings(target, discovery)
    headerless = discovery.effective is not None and discovery.effective.headerless
    findings += [f for f in classify(target, before, interp_command, interp_source)
                 if not (headerless and f.kind == "config-error")]  # explained by the header
    edits, after, tried = search(target, discovery, before, findings, probe)
    # errors that only show once the structural fixes apply, and what is left after the repair
    known = {(f.kind, f.message) for f in findings}
    for later in (tried[0].result, after):
        if later is None or later is before:
            continue
        for finding in classify(target, later, interp_command, interp_source):
            if (finding.kind, finding.message) not in known:
                known.add((finding.kind, finding.message))
                findings.append(finding)
    return Diagnosis(findings, edits, before, after, tried)


def edit_target(target: Path, discovery: Discovery) -> tuple[str, str, str | None]:
    """(relative file, kind, section) that receives the edits."""
    eff: ConfigSource | None = discovery.effective
    if eff is not None and discovery.inside_target:
        return eff.name, eff.kind, eff.section
    from .config import new_config_home

    name, kind = new_config_home(target)
    return name, kind, "tool.pytest.ini_options" if kind == "pyproject" else "pytest"
