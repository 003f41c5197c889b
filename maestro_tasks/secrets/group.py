"""Grouping and naming: each distinct secret literal becomes ONE variable.

Equal literals share a variable, so every connection that worked still works (the api's
DATABASE_URL password and POSTGRES_PASSWORD; the redis URL password and ``--requirepass``).

Names users recognise, in this order:
1. a ``${VAR:-weak}`` keeps its VAR. It names the literal's group only when it is the same
   credential as the literal's *owner* (see 3): it stands inside a URL or a flag, or its name
   shares a word with the owner's key or service (DB_PASSWORD and the database's
   POSTGRES_PASSWORD). Otherwise (``_AIRFLOW_WWW_USER_PASSWORD:-airflow`` beside the
   database's ``POSTGRES_PASSWORD: airflow``) it is a variable of its own (equal old values
   still get equal new values: what worked before works after);
2. the project's own name for the credential: a secret-named variable of .env, .env.example
   or a ``${VAR}`` reference whose value is the literal, or whose name is the owner key's
   (GRAFANA_ADMIN_PASSWORD for grafana's GF_SECURITY_ADMIN_PASSWORD: every word of it is a
   word of the key or the service);
3. the owner: the key of the service that defines the credential (the database's
   POSTGRES_PASSWORD, redis's ``--requirepass``), never a consumer (a URL, a client flag, an
   application variable);
4. otherwise: a name declared in .env.template (earliest first), a whole-value key over a URL
   or flag, a PASSWORD-like name, the first in file order.
A name already used for something else gets the service name in front (DB_POSTGRES_PASSWORD),
then a number. A group that joins different keys only because their values are equal is
listed (``shared_notes``) so a reviewer sees it.
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


# Keys that *define* a credential in the service that owns it (the server side).
_SERVER_PREFIXES = {"POSTGRES", "POSTGRESQL", "MYSQL", "MARIADB", "MONGO", "MONGODB", "MINIO",
                    "RABBITMQ", "REDIS", "GF", "GRAFANA", "KEYCLOAK", "KC", "ELASTIC",
                    "INFLUXDB", "CLICKHOUSE", "NEO4J", "COUCHDB", "PGADMIN", "ARANGO",
                    "MSSQL", "SA", "NEXTCLOUD", "WORDPRESS", "GITEA", "LDAP", "OPENSEARCH",
                    "KAFKA", "ZOO", "VAULT", "MEILI", "TYPESENSE", "QDRANT", "WEAVIATE"}
_DATABASES = {"POSTGRES", "POSTGRESQL", "MYSQL", "MARIADB", "MONGO", "MONGODB", "MSSQL",
              "CLICKHOUSE", "COUCHDB", "ARANGO", "NEO4J", "INFLUXDB"}
_ALIASES = {"GF": {"GRAFANA"}, "GRAFANA": {"GF"}, "PG": {"POSTGRES"}, "KC": {"KEYCLOAK"},
            "POSTGRES": {"PG", "POSTGRESQL"}, "POSTGRESQL": {"PG", "POSTGRES"},
            "MONGO": {"MONGODB"}, "MONGODB": {"MONGO"}}
_GENERIC = {"PASSWORD", "PASSWD", "PASS", "PWD", "SECRET", "KEY", "TOKEN", "ROOT", "ADMIN",
            "USER", "DEFAULT", "INITDB", "INIT", "APP", "X"}


def _owner_rank(o: Occurrence) -> int | None:
    """0: the key of the service that defines it (POSTGRES_PASSWORD in ``postgres``), 1: a
    server key elsewhere, None: a consumer (URL, client flag, an application variable)."""
    if o.how == "flag" and o.key == "--requirepass":
        return 0
    if o.how != "key":
        return None
    ws = rules.words(o.key)
    service = set(rules.words(o.service or ""))
    first = ws[0] if ws else ""
    if first in service or _ALIASES.get(first, set()) & service:
        return 0
    return 1 if first in _SERVER_PREFIXES else None


def _context_words(o: Occurrence) -> set[str]:
    """Words that name what ``o`` belongs to: its key's and its service's, with aliases."""
    out = set(rules.words(o.key)) | set(rules.words(o.service or ""))
    for w in list(out):
        out |= _ALIASES.get(w, set())
        if w in _DATABASES:
            out |= {"DB", "DATABASE"}
    return out


def _same_credential(var: str, var_occs: list[Occurrence], owners: list[Occurrence]) -> bool:
    """Whether ``${var:-x}`` is the owners' credential rather than another one with an equal
    weak value."""
    if not owners or any(var == o.key for o in owners):
        return True
    if any(not o.whole and o.key != var for o in var_occs):
        return True  # inside a URL or a flag: it connects to the owner
    mine = set(rules.words(var)) - _GENERIC
    return bool(mine & set().union(*(_context_words(o) for o in owners)))


def _project_match(name: str, o: Occurrence) -> bool:
    """The project's variable ``name`` names the credential of ``o`` (by its words)."""
    if name == o.key or name == o.hint:
        return True
    ws, key = rules.words(name), rules.words(o.hint or o.key)
    if not ws or not key or ws[-1] != key[-1]:
        return False
    context = _context_words(o)
    rest = [w for w in ws[:-1] if w not in ("X",)]
    return bool(rest) and all(w in context for w in rest) and bool(set(rest) - _GENERIC)


def group(findings: Findings, template: dict[str, rules.Rule],
          project: dict[str, str | None] | None = None) -> list[Group]:
    """Groups of occurrences, one per credential, named (see the module docstring).

    ``project``: the target's own variables (.env, .env.example) → their value (None / "" when
    none); references in the compose files count as project names too."""
    project = dict(project or {})
    parent: dict[tuple, tuple] = {}

    def root(x: tuple) -> tuple:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    owners: dict[str, list[Occurrence]] = {}
    by_var: dict[str, list[Occurrence]] = {}
    for occ in findings.occurrences:
        if occ.var:
            by_var.setdefault(occ.var, []).append(occ)
        elif occ.literal and _owner_rank(occ) is not None:
            owners.setdefault(occ.literal, []).append(occ)
    members: dict[tuple, list[Occurrence]] = {}
    literal_var: dict[str, str] = {}
    same_as: dict[str, str] = {}
    split: dict[str, str] = {}  # VAR → the literal whose owner it is not named after
    for i, occ in enumerate(findings.occurrences):
        if occ.var:
            node = ("var", occ.var)
            joins = bool(occ.literal) and _same_credential(
                occ.var, by_var[occ.var], owners.get(occ.literal, []))
            first = literal_var.setdefault(occ.literal, occ.var) if joins else occ.var
            if not joins and occ.literal:
                split.setdefault(occ.var, occ.literal)
            if first == occ.var:
                if joins:
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
    explicit_vars = {o.var for o in findings.occurrences if o.var}
    # The project's own names: .env / .env.example variables and compose references.
    for var in findings.refs:
        project.setdefault(var, None)
    candidates = {n: v for n, v in project.items()
                  if rules.is_secret_key(n) and n not in explicit_vars}
    taken = {v for v in findings.refs if v not in explicit_vars}
    groups: list[Group] = []
    named: set[str] = set()
    for occs in ordered:
        occs.sort(key=lambda o: position[id(o)])
        explicit = next((o.var for o in occs if o.var), None)
        literal = next((o.literal for o in occs if o.literal), "")
        if explicit:
            name = explicit
        else:
            name = _project_name(occs, literal, candidates, named)
            if name is None:
                name = _owner_or_best(occs, template, template_order)
                service = _best_service(occs, name)
                if name in taken or name in named:
                    base = "_".join(rules.words(service)) + "_" + name if service else name
                    name = base
                    n = 2
                    while name in taken or name in named:
                        name, n = f"{base}_{n}", n + 1
        named.add(name)
        candidates.pop(name, None)
        resolved = next((o.resolved for o in occs if o.literal), "")
        groups.append(Group(name=name, literal=literal, occurrences=occs, resolved=resolved,
                            same_as=same_as.get(explicit) if explicit else None))
    # Variables split off their literal's group still get its value (what worked before works
    # after: equal old values stay equal); the first of them in file order gives it.
    by_literal = {g.literal: g for g in groups if g.literal and not any(o.var for o in g.occurrences)}
    families: dict[str, list[Group]] = {}
    for g in groups:
        literal = g.literal if by_literal.get(g.literal) is g else split.get(g.name)
        if literal in by_literal:
            families.setdefault(literal, []).append(g)
    for family in families.values():
        for g in family[1:]:
            if g.same_as is None:
                g.same_as = family[0].name
    for g in groups:
        g.rule = template.get(g.name) or rules.merge_rules(
            [rules.rule_for(g.name, g.literal)]
            + [rules.rule_for(o.key, g.literal) for o in g.occurrences
               if o.how == "key" and rules.is_secret_key(o.key)])
        if g.rule.kind == "base64" and any(o.how == "url" for o in g.occurrences):
            g.rule = rules.Rule("base64url", g.rule.length)  # "+" and "/" break a URL
    return groups


def _project_name(occs: list[Occurrence], literal: str, candidates: dict[str, str | None],
                  named: set[str]) -> str | None:
    """The project's own variable for this credential: same value first, then same words
    (owner keys before consumers). A variable holding a different value is not this one."""
    if not literal:
        return None
    free = {n: v for n, v in candidates.items() if n not in named}
    same_value = [n for n, v in free.items() if v == literal]
    if same_value:
        return same_value[0]
    ranked = sorted(occs, key=lambda o: (_owner_rank(o) is None, _owner_rank(o) or 0))
    for o in ranked:
        if o.how not in ("key", "flag", "url"):
            continue
        for n, v in free.items():
            if not v and _project_match(n, o):
                return n
    return None


def _owner_or_best(occs: list[Occurrence], template: dict[str, rules.Rule],
                   template_order: list[str]) -> str:
    owned = [o for o in occs if o.hint and _owner_rank(o) is not None]
    if owned:
        return min(owned, key=lambda o: (_owner_rank(o), template.get(o.hint) is None)).hint

    def rank(item: tuple[int, Occurrence]) -> tuple:
        i, o = item
        cand = o.hint or o.key
        in_t = cand in template
        return (not in_t, template_order.index(cand) if in_t else 0,
                _HOW_ORDER[o.how], "PASSWORD" not in cand, i)
    best = min(((i, o) for i, o in enumerate(occs) if o.hint), key=rank, default=None)
    return best[1].hint if best else "SECRET"


def _best_service(occs: list[Occurrence], name: str) -> str | None:
    return next((o.service for o in occs if o.hint == name and o.service), None) or occs[0].service


def shared_notes(groups: list[Group]) -> list[str]:
    """"one value, 3 uses: …" for every group joining different keys only because their
    values were equal, so a reviewer sees what now shares one variable."""
    notes = []
    for g in groups:
        uses = list(dict.fromkeys(o.var or o.key for o in g.occurrences
                                  if o.how in ("key", "default", "known")))
        if len(uses) >= 2:
            notes.append(f"{g.name}: one value, {len(uses)} uses: {', '.join(uses)} "
                         f"(split them with separate variables if they are different credentials)")
    return notes


def protected_names(an) -> set[str]:
    """The names this run prints that a short weak secret may stand inside (``password:32``,
    ``services.db.environment.POSTGRES_PASSWORD``, file names): the masker never rewrites a
    part of them (``Masker.protect``)."""
    out = {str(g.rule) for g in an.groups} | {str(r) for r in an.secret_vars.values()}
    out |= {str(r) for r in an.template.values()}
    out |= {g.name for g in an.groups} | set(an.secret_vars) | set(an.compose_files)
    for g in an.groups:
        out.update(o.where for o in g.occurrences)
        out.update(o.key for o in g.occurrences)
    out.update(an.findings.refs)
    return out
