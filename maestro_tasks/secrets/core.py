"""The whole fix-secrets analysis of one target, computed once before anything is written.

``analyse`` reads and validates every input (compose files, .env, .env.template), finds the
hardcoded secrets, groups and names them, picks values (kept from .env, or generated), and
computes the new content of each file. The steps only compare that content with the disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..engine import InputError, UsageError
from . import detect, envfile, example, rules, yamlsrc
from .generate import generate
from .group import Group, group, replacement

TEMPLATE = ".env.template"


@dataclass
class Analysis:
    compose_files: list[str]
    originals: dict[str, bytes]
    docs: list[yamlsrc.SourceDoc]
    findings: detect.Findings
    groups: list[Group]
    env: envfile.EnvFile
    template: dict[str, rules.Rule]
    new_compose: dict[str, bytes] = field(default_factory=dict)
    new_env: str = ""
    added: dict[str, str] = field(default_factory=dict)
    rotated: dict[str, str] = field(default_factory=dict)
    weak: dict[str, str] = field(default_factory=dict)      # VAR → why (kept, not rotated)
    secret_vars: dict[str, rules.Rule] = field(default_factory=dict)
    missing_external: list[str] = field(default_factory=list)  # referenced, must be supplied
    kept: dict[str, list[str]] = field(default_factory=dict)  # VAR → file:line where it also stands
    empties: list[str] = field(default_factory=list)  # secret positions left empty on purpose
    empty_vars: set[str] = field(default_factory=set)
    proof: object = None  # prove.Proof once judged (None: nothing to write / not judged)

    def values(self) -> dict[str, str]:
        out = {k: v for k, v in self.env.values.items() if v is not None}
        out.update(self.added)
        out.update(self.rotated)
        return out


def load_docs(files: list[str], read: Callable[[str], bytes | None]) -> tuple[dict, list]:
    originals, docs = {}, []
    for rel in files:
        data = read(rel)
        if data is None:
            raise InputError(rel, "compose file not found")
        originals[rel] = data
        docs.append(yamlsrc.parse(rel, data))
    return originals, docs


def parse_rotate(option: object) -> set[str] | str | None:
    if option in (None, False, ""):
        return None
    if option is True:
        return "weak"
    text = str(option).strip()
    if text.lower() == "all":
        return "all"
    return {v.strip() for v in text.split(",") if v.strip()}


def analyse(files: list[str], env_rel: str, read: Callable[[str], bytes | None],
            template_data: tuple[str, bytes | None], rotate: object = None,
            register: Callable[..., None] = lambda *v: None,
            elsewhere: Callable[[list], Callable[[str], list[str]]] | None = None) -> Analysis:
    originals, docs = load_docs(files, read)
    env = envfile.parse_env(env_rel, read(env_rel))
    register(*(v for v in env.values.values() if v))
    template = envfile.parse_template(*template_data)
    findings = detect.find(docs)
    register(*(o.literal for o in findings.occurrences if o.literal))
    register(*(_glued_token(o) for o in findings.occurrences if o.literal))
    groups = group(findings, template, project=example.project_variables(env, read))
    # Secret references with no value in .env (``${POSTGRES_PASSWORD}`` alone): fill them too.
    names = {g.name for g in groups}
    missing_external = []
    empty_in_env = []
    for var in findings.secret_refs:
        if var not in names and var in env.values and not env.values[var]:
            empty_in_env.append(var)  # left empty in the env file on purpose: stays empty
            names.add(var)
        elif var not in names and not env.values.get(var) and rules.is_external(var):
            missing_external.append(var)
        elif var not in names and not env.values.get(var):
            groups.append(Group(name=var, literal="", rule=template.get(var) or rules.rule_for(var)))
            names.add(var)
    an = Analysis(files, originals, docs, findings, groups, env, template,
                  missing_external=missing_external)
    an.empties = [f"{where} ({line})" for where, line in findings.empties] + [
        f"{var} ({env_rel}:{env.lines.get(var, '?')})" for var in empty_in_env]
    an.empty_vars = set(empty_in_env)
    secret_vars = {g.name: g.rule for g in groups}
    for var in findings.secret_refs:
        if var not in an.empty_vars:
            secret_vars.setdefault(var, template.get(var) or rules.rule_for(var, env.values.get(var)))
    # Pass-through entries (``- POSTGRES_PASSWORD``, ``SECRET:``) take their value from the env
    # file: judged like the rest, and rotatable there; from the shell, they are not ours.
    for var in findings.passthrough:
        if env.values.get(var) and var not in secret_vars and not rules.is_external(var):
            secret_vars[var] = template.get(var) or rules.rule_for(var, env.values.get(var))
    an.secret_vars = secret_vars
    wanted = parse_rotate(rotate)
    find_elsewhere = elsewhere(docs) if elsewhere is not None else (lambda literal: [])
    if isinstance(wanted, set):
        unknown = sorted(wanted - set(secret_vars))
        if unknown:
            raise UsageError(f"--rotate: {', '.join(unknown)} is not a secret variable of the "
                             f"compose files (known: {', '.join(sorted(secret_vars)) or 'none'})")
    by_name = {g.name: g for g in groups}
    for g in groups:
        current = env.values.get(g.name)
        asked = wanted == "all" or (isinstance(wanted, set) and g.name in wanted)
        places = find_elsewhere(g.literal) if g.literal and not current and not asked else []
        if current:
            g.value, g.source = current, "env"
        elif places:
            # Also stands where a container or image reads it: rotating it here alone would
            # break that connection. Kept as it is, moved to the env file, reported.
            g.value, g.source = g.resolved or g.literal, "kept"
            an.added[g.name] = g.value
            an.kept[g.name] = places
        else:
            twin = by_name.get(g.same_as or "")
            # Equal old values stay equal: ${B:-x} takes the value of ${A:-x}.
            g.value = twin.value if twin is not None and twin.value else generate(g.rule, like=g.literal)
            g.source = "generated"
            an.added[g.name] = g.value
    for var, rule in secret_vars.items():
        current = env.values.get(var)
        if not current or var in an.added:
            continue
        why = rules.weakness(current, rule)
        if wanted == "all" or (wanted == "weak" and why) or (isinstance(wanted, set) and var in wanted):
            an.rotated[var] = generate(rule, like=current)
        elif why:
            an.weak[var] = why
    for g in groups:
        if g.name in an.rotated:
            g.value, g.source = an.rotated[g.name], "rotated"
    register(*an.added.values(), *an.rotated.values())
    an.new_env = envfile.render_env(env, an.added, an.rotated)
    for doc in docs:
        edits = [yamlsrc.Edit(o.node, o.start, o.end, replacement(g.name, o.whole))
                 for g in by_name.values() for o in g.occurrences if o.file == doc.rel]
        if not edits:
            an.new_compose[doc.rel] = originals[doc.rel]
            continue
        text = yamlsrc.apply_edits(doc, edits, doc.flow)
        _check_rewrite(doc, text, edits)
        an.new_compose[doc.rel] = doc.encode(text)
    return an


_TOKEN_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def _glued_token(occ: detect.Occurrence) -> str:
    """The word around a short secret glued to other characters (``-pweak``, ``:-weak}``).

    The masker only masks short values standing as whole tokens; registering the word they
    are glued into keeps them out of diffs and messages too.
    """
    value = occ.node.value
    a, b = occ.start, occ.end
    if occ.how == "default":
        return value[a:b]  # ${VAR:-weak}
    glued = (a > 0 and value[a - 1] in _TOKEN_CHARS) or (b < len(value) and value[b] in _TOKEN_CHARS)
    if not glued:
        return ""
    while a > 0 and not value[a - 1].isspace() and value[a - 1] not in "\"'[,":
        a -= 1
    while b < len(value) and not value[b].isspace() and value[b] not in "\"'],":
        b += 1
    return value[a:b]


class RewriteError(Exception):
    """The rewrite did not parse back to the intended values: a bug; nothing is written."""


def _check_rewrite(doc: yamlsrc.SourceDoc, text: str, edits: list[yamlsrc.Edit]) -> None:
    try:
        # yamlsrc.parse memoises on the bytes: the .env.example merge and the verification
        # read this same rewritten file without parsing it again.
        new_root = yamlsrc.parse(doc.rel, doc.encode(text)).root
    except Exception as exc:  # noqa: BLE001 - any parse failure is the same bug
        raise RewriteError(f"{doc.rel}: rewritten file does not parse: {exc}") from None
    per_node: dict[int, list[yamlsrc.Edit]] = {}
    for e in edits:
        per_node.setdefault(id(e.node), []).append(e)
    old = list(yamlsrc.walk(doc.root))
    new = list(yamlsrc.walk(new_root))
    if [p for p, _, _ in old] != [p for p, _, _ in new]:
        raise RewriteError(f"{doc.rel}: rewrite changed the document structure")
    for (path, a, _), (_, b, _) in zip(old, new):
        want = yamlsrc.new_value(a.value, per_node[id(a)]) if id(a) in per_node else a.value
        if b.value != want:
            raise RewriteError(f"{doc.rel}: rewrite changed {'.'.join(map(str, path))}")
    old_lines = doc.text.splitlines()
    new_lines = text.splitlines()
    if len(old_lines) == len(new_lines):
        touched = {e.node.start_mark.line for e in edits} | {e.node.end_mark.line for e in edits}
        spans = set()
        for e in edits:
            spans.update(range(e.node.start_mark.line, e.node.end_mark.line + 1))
        changed = {i for i, (x, y) in enumerate(zip(old_lines, new_lines)) if x != y}
        if changed - spans - touched:
            raise RewriteError(f"{doc.rel}: rewrite touched lines without a secret")
