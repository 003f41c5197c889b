"""Grouping and naming: each distinct secret literal becomes ONE variable.

Equal literals share a variable, so every connection that worked still works (the api's
DATABASE_URL password and POSTGRES_PASSWORD; the redis URL password and ``--requirepass``).
A ``${VAR:-weak}`` keeps its VAR. Otherwise the name comes from the owner key, preferring, in
order: a name declared in .env.template (earliest declared first), a whole-value key over a URL
or flag, a PASSWORD-like name, the first in file order. A name already used for something else
gets the service name in front (DB_POSTGRES_PASSWORD), then a number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import rules
from .detect import Findings, Occurrence

REQUIRED_MSG = "{var} is not set; run invoke week1.fix-secrets"
_HOW_ORDER = {"default": 0, "key": 1, "url": 2, "flag": 3, "known": 4, "ref": 5}


@dataclass
class Group:
    name: str
    literal: str                      # the old value compose resolved ("" when unset)
    occurrences: list[Occurrence] = field(default_factory=list)
    rule: rules.Rule = rules.Rule("password", 32)
    value: str = ""                   # the value in .env (found or generated)
    source: str = ""                  # "env" (kept from .env) | "generated" | "rotated"
    resolved: str = ""                # the old value as `compose config` shows it
    same_as: str | None = None        # ${B:-x} where ${A:-x} came first: B gets A's value

    @property
    def used_by(self) -> list[str]:
        seen: list[str] = []
        for occ in self.occurrences:
            label = occ.where + ("" if occ.how in ("key", "default") else f" ({occ.how})")
            if label not in seen:
                seen.append(label)
        return seen


def replacement(var: str, whole: bool) -> str:
    return "${%s:?%s}" % (var, REQUIRED_MSG.format(var=var)) if whole else "${%s}" % var


def group(findings: Findings, template: dict[str, rules.Rule]) -> list[Group]:
    parent: dict[tuple, tuple] = {}

    def root(x: tuple) -> tuple:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    members: dict[tuple, list[Occurrence]] = {}
    literal_var: dict[str, str] = {}
    same_as: dict[str, str] = {}
    for i, occ in enumerate(findings.occurrences):
        if occ.var:
            node = ("var", occ.var)
            first = literal_var.setdefault(occ.literal, occ.var) if occ.literal else occ.var
            if first == occ.var:
                if occ.literal:
                    parent[root(("lit", occ.literal))] = root(node)
            else:
                same_as.setdefault(occ.var, first)
        elif occ.literal:
            node = ("lit", occ.literal)
        else:
            node = ("empty", i)  # empty values are unset, not linked
        members.setdefault(node, []).append(occ)
        root(node)
    buckets: dict[tuple, list[Occurrence]] = {}
    for node, occs in members.items():
        buckets.setdefault(root(node), []).extend(occs)
    # Positions by identity: list.index compares dataclasses field by field, O(n) per lookup.
    position = {id(o): i for i, o in enumerate(findings.occurrences)}
    ordered = sorted(buckets.values(), key=lambda occs: min(position[id(o)] for o in occs))
    template_order = list(template)
    taken = {v for v in findings.refs if not any(o.var == v for o in findings.occurrences)}
    groups: list[Group] = []
    for occs in ordered:
        occs.sort(key=lambda o: position[id(o)])
        explicit = next((o.var for o in occs if o.var), None)
        if explicit:
            name = explicit
        else:
            def rank(item: tuple[int, Occurrence]) -> tuple:
                i, o = item
                cand = o.hint or o.key
                in_t = cand in template
                return (not in_t, template_order.index(cand) if in_t else 0,
                        _HOW_ORDER[o.how], "PASSWORD" not in cand, i)
            best = min(((i, o) for i, o in enumerate(occs) if o.hint), key=rank, default=None)
            name = best[1].hint if best else "SECRET"
            service = (best[1].service if best else None) or occs[0].service
            if name in taken:
                base = "_".join(rules.words(service)) + "_" + name if service else name
                name = base
                n = 2
                while name in taken:
                    name, n = f"{base}_{n}", n + 1
        taken.add(name)
        literal = next((o.literal for o in occs if o.literal), "")
        resolved = next((o.resolved for o in occs if o.literal), "")
        groups.append(Group(name=name, literal=literal, occurrences=occs, resolved=resolved,
                            same_as=same_as.get(explicit) if explicit else None))
    for g in groups:
        g.rule = template.get(g.name) or rules.merge_rules(
            [rules.rule_for(g.name, g.literal)]
            + [rules.rule_for(o.key, g.literal) for o in g.occurrences
               if o.how == "key" and rules.is_secret_key(o.key)])
        if g.rule.kind == "base64" and any(o.how == "url" for o in g.occurrences):
            g.rule = rules.Rule("base64url", g.rule.length)  # "+" and "/" break a URL
    return groups


def protected_names(an) -> set[str]:
    """The names this run prints that a short weak secret may stand inside (``password:32``,
    ``services.db.environment.POSTGRES_PASSWORD``, file names): the masker never rewrites a
    part of them (``Masker.protect``)."""
    out = {str(g.rule) for g in an.groups} | {str(r) for r in an.secret_vars.values()}
    out |= {str(r) for r in an.template.values()}
    out |= {g.name for g in an.groups} | set(an.secret_vars) | set(an.compose_files)
    for g in an.groups:
        out.update(g.used_by)
        out.update(o.key for o in g.occurrences)
    out.update(an.findings.refs)
    return out
