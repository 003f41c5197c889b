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

from . import hints, known, layout
from .config import ConfigSource, Discovery, Edit
from .interpreter import Interpreter
from .probe import CollectError, Overrides, ProbeResult
from .targetenv import TargetEnv

IMPORT_MODES = ("prepend", "append", "importlib")
# set to false by the lenient probe (pytest >= 9); never reported as the project's unknown keys
LENIENT_KEYS = ("strict_config", "strict")
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
    install: hints.Hint | None = None  # for missing-dependency / missing-plugin findings

    def to_json(self) -> dict[str, str]:
        out = {"kind": self.kind, "message": self.message, "hint": self.hint}
        if self.install is not None:
            out["install"] = self.install.command
        return out


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
    discovery: Discovery | None = None  # the config the edits go into (after ``delete``)
    delete: list[str] = field(default_factory=list)  # empty shadowing config files to delete

    @property
    def expected(self) -> ProbeResult:
        return self.after or self.before


def known_plugin_key(key: str) -> str | None:
    return known.plugin_for_key(key)


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


@dataclass
class Facts:
    """What hints need to know about the target's environment."""

    target: Path
    interp: Interpreter
    env: TargetEnv | None = None

    def install(self, dist: str) -> hints.Hint:
        return hints.for_distribution(dist, self.target, self.interp, self.env)


def _facts_for(target: Path, interp_command: str, interp_source: str,
               interp: Interpreter | None, env: TargetEnv | None) -> Facts:
    if interp is None:
        interp = Interpreter(shlex.split(interp_command), interp_source)
    return Facts(target, interp, env)


def plugin_finding(facts: Facts | None, dist: str, evidence: str, where: str = "") -> Finding:
    install = facts.install(dist) if facts is not None else None
    python = facts.interp.command if facts is not None else "the target interpreter"
    return Finding("missing-plugin", f"pytest plugin {dist} is not installed in {python}: "
                   f"{evidence}" + (f" ({where})" if where else ""),
                   install.text if install else f"install {dist}", install)


def base_edits(target: Path, discovery: Discovery, before: ProbeResult,
               findings: list[Finding], lenient: ProbeResult | None = None,
               facts: Facts | None = None) -> list[Edit]:
    """The structural fixes every repair includes: they do not need a search.

    ``lenient``: a probe run with strictness switched off (``-W default`` for config warnings,
    ``strict_config`` off), which names the unknown keys even where ``filterwarnings = error``
    or ``--strict-config`` makes pytest stop at the first one.
    """
    eff = discovery.effective
    if eff is None or not discovery.inside_target:
        return []
    edits: list[Edit] = []
    values = eff.values
    if eff.headerless:
        edits.append(Edit("header"))
    unknown = set(before.unknown_keys) | set(lenient.unknown_keys if lenient else ())
    unknown -= set(LENIENT_KEYS)
    known_keys = set(before.known_keys or ()) | set((lenient.known_keys or ()) if lenient
                                                     else ())
    for key, value in values.items():
        if key in FLAG_KEYS:
            flag = FLAG_KEYS[key]
            mode = str(value).strip()
            # pytest ignores the key: deleting it keeps the behaviour; moving it into addopts
            # would switch the import mode on (a change the search makes only if it must)
            findings.append(Finding("dead-key",
                                    f"{key} = {mode} is not a config key (pytest ignores it); "
                                    f"the setting is the command-line flag {flag}",
                                    f"deleted (it had no effect); to use it, add {flag}={mode} "
                                    "to addopts"))
            edits.append(Edit("remove", key))
            continue
        canonical = key.replace("-", "_")
        plugin_key = known_plugin_key(canonical)
        if canonical != key and canonical not in values and (
                (key in unknown and canonical in known_keys)
                or (plugin_key and (key in unknown or not known_keys))):
            findings.append(Finding("misspelled-key", f"{key} is unknown to pytest; the key is "
                                    f"{canonical}", f"renamed to {canonical} on the same line"))
            edits.append(Edit("rename", key, (canonical,)))
    renamed = {e.key: e.value[0] for e in edits if e.op == "rename"}
    check = {k for k in unknown - set(FLAG_KEYS) if k not in renamed}
    if known_keys:
        check |= {new for new in renamed.values() if new not in known_keys}
    reported_plugins: set[str] = set()
    for key in sorted(check):
        plugin = known_plugin_key(key)
        if plugin:
            if plugin not in reported_plugins:
                reported_plugins.add(plugin)
                findings.append(plugin_finding(facts, plugin, f"config key {key} is unknown",
                                               eff.name))
        else:
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

    # The file on disk cannot stand in: pytest cannot read it (no header), it is not the one
    # pytest would read (an empty file hiding it is deleted), or a key it holds must vanish
    # (a renamed or dead key still fails strict modes while it is in the file).
    drops = any(e.op in ("rename", "remove") and e.key in values for e in edits)
    if eff is not None and (eff.headerless or discovery.via_overrides or drops):
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


_NO_MODULE_TEXT = re.compile(r"No module named '([^']+)'")
_NO_METADATA = re.compile(r"PackageNotFoundError: (?:No package metadata was found for )?"
                          r"['\"]?([A-Za-z0-9][A-Za-z0-9._-]*)")
_SITE_FRAME = re.compile(r"(?:site|dist)-packages[/\\]([A-Za-z_][A-Za-z0-9_]*)")


def _missing_module(error: CollectError) -> str | None:
    """The module that is missing, when the error is (or wraps) "No module named …"."""
    if error.type == "ModuleNotFoundError" and error.module:
        return error.module
    match = _NO_MODULE_TEXT.search(error.text)
    return match.group(1) if match else None


def distribution_for(module: str, target: Path, env: TargetEnv | None) -> str:
    """Table of well-known differences > the target environment's metadata > the names the
    project declares > the import name itself."""
    dist = known.distribution_for_module(module)
    if dist:
        return dist
    top = module.split(".")[0]
    if env is not None:
        found = env.distribution_of(top)
        if found:
            return found
    declared = hints.declarations(target)
    for guess in (top, f"python-{top}", f"py{top}", f"{top}-python"):
        if layout.normalize(guess) in declared:
            return guess.replace("_", "-")
    return top.replace("_", "-")


def _needed_by(error: CollectError, missing: str, env: TargetEnv | None) -> str:
    """The installed distribution whose code imported the missing module (transitive)."""
    for match in _SITE_FRAME.finditer(error.text):
        pkg = match.group(1)
        if pkg == missing.split(".")[0] or pkg in ("_pytest", "pluggy", "pytest"):
            continue
        dist = env.distribution_of(pkg) if env is not None else None
        return dist or pkg
    return ""


def environment_error(target: Path, error: CollectError) -> bool:
    """The error is the environment's (a module, a plugin or metadata missing), not a path or
    config problem: no config change can repair it."""
    missing = _missing_module(error)
    if missing and not layout.find_module_roots(target, missing.split(".")[0]):
        return True
    return bool(known.missing_plugin(error.text) or _NO_METADATA.search(error.text))


def classify(target: Path, result: ProbeResult, interp_command: str, source: str,
             pytest_version: str | None = None, *, facts: Facts | None = None) -> list[Finding]:
    """One finding per distinct cause among the collection errors."""
    facts = facts or _facts_for(target, interp_command, source, None, None)
    env = facts.env
    findings: list[Finding] = []
    seen: set[str] = set()

    def once(key: str) -> bool:
        if key in seen:
            return False
        seen.add(key)
        return True

    for error in result.errors:
        plugin = known.missing_plugin(error.text)
        if plugin:
            dist, evidence = plugin
            if once(f"plugin:{dist}"):
                findings.append(plugin_finding(facts, dist, evidence, error.nodeid))
            continue
        metadata = _NO_METADATA.search(error.text)
        if metadata:
            name = metadata.group(1)
            if layout.normalize(name) in layout.project_names(target):
                if once("project"):
                    findings.append(Finding(
                        "project-not-installed",
                        f"the project under test ({name}) is not installed in "
                        f"{facts.interp.command}: its own metadata is missing ({error.nodeid})",
                        hints.for_project(target, facts.interp, env)))
            elif once(f"dep:{name}"):
                install = facts.install(name)
                findings.append(Finding("missing-dependency", f"distribution {name!r} is not "
                                        f"installed in {facts.interp.command} (needed by "
                                        f"{error.nodeid})", install.text, install))
            continue
        missing = _missing_module(error)
        top = (missing or error.module or "").split(".")[0] or None
        if top and (missing or error.type in ("ModuleNotFoundError", "ImportError")):
            roots = layout.find_module_roots(target, top)
            if roots:
                if once(f"own:{top}"):
                    names = layout.project_names(target)
                    uninstalled = env is not None and env.distributions and names and not any(
                        env.installed(n) for n in names)
                    findings.append(Finding("own-package-not-importable",
                                            f"the project's own package {top!r} (in "
                                            f"{', '.join(roots)}) is not importable during "
                                            f"collection ({error.nodeid})",
                                            "a path problem: set pythonpath in the pytest config"
                                            + ("; the project is not installed either: "
                                               + hints.for_project(target, facts.interp, env)
                                               if uninstalled else "")))
            elif missing:
                if once(f"dep:{missing}"):
                    dist = distribution_for(missing, target, env)
                    install = facts.install(dist)
                    via = _needed_by(error, missing, env)
                    needed = (f"needed by {via}, imported from {error.nodeid}" if via
                              else f"needed by {error.nodeid}")
                    findings.append(Finding("missing-dependency",
                                            f"module {missing!r} (distribution {dist}) is not "
                                            f"installed in {facts.interp.command} ({needed})",
                                            install.text, install))
            elif once(f"import:{error.nodeid}"):
                dist = env.distribution_of(top) if env is not None else None
                version = env.version(dist) if env is not None and dist else None
                findings.append(Finding(
                    "import-error", f"{error.nodeid}: {error.last_line()}",
                    f"installed {dist} {version} does not provide it: check the version the "
                    "project needs" if dist and version else
                    "fix the import in the code; this is not a config problem"))
        elif error.type == "UsageError" or error.nodeid == "<config>":
            findings.append(Finding("config-error", f"pytest refuses the config: "
                                    f"{error.last_line()}", "see the collect-only output"))
        elif (module_path := _missing_submodule(target, error.text)) is not None:
            if once(f"submodule:{module_path}"):
                findings.append(Finding("submodule-missing",
                                        f"{error.nodeid}: {error.last_line()}",
                                        f"{module_path} is a git submodule that is not checked "
                                        "out; run: git submodule update --init"))
        else:
            findings.append(Finding("collection-error", f"{error.nodeid}: {error.last_line()}",
                                    "fix the test module; this is not a config problem"))
    return findings


_NO_FILE = re.compile(r"(?:FileNotFoundError|No such file or directory)[^'\n]*'([^']+)'")


def _missing_submodule(target: Path, text: str) -> str | None:
    """The git submodule (from .gitmodules) a missing file lies in, when it is not checked out."""
    try:
        gitmodules = (target / ".gitmodules").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    paths = re.findall(r"^\s*path\s*=\s*(.+?)\s*$", gitmodules, re.MULTILINE)
    root = target.resolve()
    for match in _NO_FILE.finditer(text):
        missing = Path(match.group(1))
        missing = missing if missing.is_absolute() else root / missing
        for rel in paths:
            folder = root / rel
            if missing.is_relative_to(folder) and not any(folder.iterdir() if folder.is_dir()
                                                          else ()):
                return rel
    return None


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


def lenient_overrides(discovery: Discovery, pytest_version: tuple[int, ...] | None
                      ) -> Overrides:
    """A probe that lists every unknown key even under strict modes: config warnings shown,
    not raised (``-W default::…`` outranks ``filterwarnings = error``), ``--strict-config`` and
    ``--strict`` dropped from addopts, ``strict_config``/``strict`` off (pytest >= 9)."""
    eff = discovery.effective
    values = eff.values if eff is not None and discovery.inside_target else {}
    words = as_words(values.get("addopts"))
    kept = [w for w in words if w not in ("--strict-config", "--strict")]
    ini: list[tuple[str, str]] = []
    if kept != words:
        ini.append(("addopts", _render(kept)))
    if pytest_version and tuple(pytest_version[:2]) >= (9, 0):
        ini += [(key, "false") for key in LENIENT_KEYS]
    return Overrides(ini=tuple(ini), cli=("-W", "default::pytest.PytestConfigWarning"))


def search(target: Path, discovery: Discovery, before: ProbeResult, findings: list[Finding],
           probe: Prober, *, lenient: ProbeResult | None = None, facts: Facts | None = None
           ) -> tuple[list[Edit], ProbeResult | None, list[Candidate]]:
    """Evaluate candidate repairs; return (edits, their collect-only result, all tried)."""
    structural = base_edits(target, discovery, before, findings, lenient, facts)
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
    if structural or discovery.via_overrides:
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
    # a missing module, plugin or distribution is the environment's: no path can repair it
    # and an unknown key under a strict mode is the config's: no path or import mode helps
    needs_search = bool(own_errors) or any(
        not environment_error(target, e) and "Unknown config option" not in e.text
        for e in other_errors)
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
    changed = bool(chosen) or discovery.via_overrides
    return chosen, (best.result if changed else None), tried


_COMMENT_OR_HEADER = re.compile(r"^\s*(?:[#;].*|\[pytest\]|\[tool:pytest\])?\s*$")


def empty_shadowing(discovery: Discovery) -> ConfigSource | None:
    """The effective config file when it is empty or header-only (comments aside) and hides a
    lower-ranked file in the same folder that holds settings: pytest uses the empty one."""
    eff = discovery.effective
    if (eff is None or not discovery.inside_target or eff.kind not in ("pytest.ini", "pytest.toml")
            or eff.values or eff.headerless or not discovery.shadowed
            or not discovery.shadowed[0].values):
        return None
    try:
        text = eff.path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    if eff.kind == "pytest.toml":
        lines_ok = all(re.match(r"^\s*(?:#.*|\[pytest\])?\s*$", ln) for ln in text.splitlines())
    else:
        lines_ok = all(_COMMENT_OR_HEADER.match(ln) for ln in text.splitlines())
    return eff if lines_ok else None


def parent_config_finding(target: Path, discovery: Discovery, before: ProbeResult
                          ) -> Finding | None:
    """A config file in a parent folder makes pytest's rootdir lie above the target."""
    eff = discovery.effective
    rootdir = Path(before.rootdir) if before.rootdir else (eff.path.parent if eff else None)
    if eff is None or discovery.inside_target or rootdir is None:
        return None
    try:
        above = target.resolve().is_relative_to(rootdir.resolve()) and \
            rootdir.resolve() != target.resolve()
    except OSError:
        above = False
    if not above:
        return None
    testpaths = as_words(eff.values.get("testpaths"))
    hides = ""
    if testpaths and not any((rootdir / p).resolve().is_relative_to(target.resolve())
                             or target.resolve().is_relative_to((rootdir / p).resolve())
                             for p in testpaths):
        hides = f"; its testpaths ({' '.join(testpaths)}) lie outside the target"
    if before.collected == 0:
        hides += "; pytest collects no test of the target"
    return Finding("parent-config",
                   f"{eff.path} in a parent folder is the config pytest uses: the rootdir is "
                   f"{rootdir}, above the target{hides}",
                   "give the target its own pytest config (a pytest.ini with a [pytest] "
                   "header is enough) so pytest stops there, or run pytest from that folder")


def diagnose(target: Path, discovery: Discovery, before: ProbeResult, probe: Prober, *,
             interp_command: str, interp_source: str, interp: Interpreter | None = None,
             env: TargetEnv | None = None) -> Diagnosis:
    facts = _facts_for(target, interp_command, interp_source, interp, env)
    findings = static_findings(target, discovery)
    delete: list[str] = []
    work = discovery
    current = before
    empty = empty_shadowing(discovery)
    if empty is not None:
        hidden = discovery.shadowed[0]
        keys = ", ".join(sorted(hidden.values))
        findings = [f for f in findings if f.kind != "shadowed-config"
                    or not f.message.startswith(hidden.label())]
        findings.append(Finding("empty-shadowing-config",
                                f"{empty.name} holds no settings but pytest reads it, so "
                                f"{hidden.label()} is ignored ({keys})",
                                f"{empty.name} is deleted: pytest then reads {hidden.label()}"))
        delete.append(empty.name)
        from .config import Discovery as _Discovery

        work = _Discovery(target, hidden, discovery.shadowed[1:], discovery.native_toml,
                          via_overrides=True)
        current = probe(overrides_for(target, work, []))
    parent = parent_config_finding(target, discovery, before)
    if parent is not None:
        findings.append(parent)
    headerless = work.effective is not None and work.effective.headerless
    lenient = None
    if current.config_failed and work.inside_target and not headerless:
        lenient = probe(lenient_overrides(work, facts.interp.pytest_tuple))
    first = classify(target, current, interp_command, interp_source, facts=facts)
    explained = lenient is not None and bool(lenient.unknown_keys)
    findings += [f for f in first
                 if not ((headerless or explained) and f.kind == "config-error")]
    edits, after, tried = search(target, work, current, findings, probe, lenient=lenient,
                                 facts=facts)
    # errors that only show once the structural fixes apply, and what is left after the repair
    reported = {(f.kind, f.message) for f in findings}
    plugins = {f.install.dist for f in findings if f.kind == "missing-plugin" and f.install}
    for later in (tried[0].result, after):
        if later is None or later is current:
            continue
        for finding in classify(target, later, interp_command, interp_source, facts=facts):
            if finding.kind == "missing-plugin" and finding.install and \
                    finding.install.dist in plugins:
                continue
            if (finding.kind, finding.message) not in reported:
                reported.add((finding.kind, finding.message))
                findings.append(finding)
    return Diagnosis(findings, edits, before, after, tried, work, delete)


def edit_target(target: Path, discovery: Discovery) -> tuple[str, str, str | None]:
    """(relative file, kind, section) that receives the edits."""
    eff: ConfigSource | None = discovery.effective
    if eff is not None and discovery.inside_target:
        return eff.name, eff.kind, eff.section
    from .config import new_config_home

    name, kind = new_config_home(target)
    return name, kind, "tool.pytest.ini_options" if kind == "pyproject" else "pytest"
