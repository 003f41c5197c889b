"""Find hardcoded secrets in parsed compose files: where each stands and what it is.

Positions found (each an ``Occurrence``: a span of one scalar's value):
- ``key``: the whole value of a secret-named key (environment mapping or ``KEY=value`` list
  item, build args, ``x-`` fields), including numbers and empty strings (null = pass-through,
  left alone);
- ``url``: the password of ``scheme://user:pass@host`` anywhere in a string;
- ``flag``: ``--requirepass X``, ``--password X`` / ``--password=X`` (any secret-named long
  flag), ``-pX`` in a mysql / mariadb command, ``-a X`` in a redis-cli command;
- ``default``: ``${VAR:-weak}`` / ``${VAR-weak}`` for a secret-named VAR or in a secret position;
- ``known``: a literal found above, standing elsewhere as a whole command token or a whole
  environment value, unless that literal is also an identity (user name, access-key ID,
  database name, URL user), so MINIO_ROOT_USER keeps ``minioadmin``.
``${VAR}`` without a default is a reference, never a finding; a secret position holding one is
recorded in ``secret_refs`` so that the variable is made sure to exist in .env.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from ..credentials import URL as _URL, url_passwords  # noqa: F401
from . import rules
from .yamlsrc import SourceDoc, walk

_INTERP = re.compile(
    r"\$\$|\$\{(?P<var>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>[^{}]*)\}"
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)")


_CMD_KEYS = {"command", "entrypoint", "test"}
_ENV_KEYS = {"environment", "args"}
_LIST_KV_KEYS = {"environment", "args", "labels"}
_PASSWORD_FLAGS = {"requirepass", "masterauth", "pass", "passwd", "password"}
_USER_FLAGS = {"user", "username", "login"}
_PATHLIKE = re.compile(r"(~|\.{1,2})?/[\w.\-/]+")
_TRUTHY = {"true", "false", "yes", "no", "on", "off"}


@dataclass
class Occurrence:
    file: str
    node: Any
    start: int
    end: int
    literal: str           # the value compose would resolve ($$ → $)
    how: str               # key | url | flag | default | known
    key: str               # owner key or flag, e.g. POSTGRES_PASSWORD, DATABASE_URL, --requirepass
    where: str             # services.api.environment.DATABASE_URL
    service: str | None
    line: int
    whole: bool            # the whole value of its key (→ the required ${VAR:?…} form)
    var: str | None = None  # for ``default``: the variable already named there
    hint: str = ""         # a candidate variable name
    resolved: str = ""     # what `compose config` shows for it (YAML ints are normalised)


@dataclass
class Findings:
    occurrences: list[Occurrence] = field(default_factory=list)
    identities: set[str] = field(default_factory=set)
    refs: dict[str, list[str]] = field(default_factory=dict)   # VAR → places using it
    secret_refs: dict[str, list[str]] = field(default_factory=dict)
    ref_defaults: dict[str, str] = field(default_factory=dict)  # non-secret VAR → its default
    # Secret positions left empty on purpose ('' or ${X:-} / ${X-}): kept empty, listed.
    empties: list[tuple[str, str]] = field(default_factory=list)  # (where, file:line)
    passthrough: dict[str, list[str]] = field(default_factory=dict)  # secret VAR → places
    secret_files: list[tuple[str, str, str]] = field(default_factory=list)  # (name, file, compose file)


def _scan_interp(value: str) -> list[re.Match[str]]:
    return list(_INTERP.finditer(value))


def _is_default(m: re.Match[str]) -> bool:
    return bool(m.group("var")) and m.group("op") in ("-", ":-")


def _yaml_int(text: str) -> str:
    """The decimal text compose resolves a YAML integer to (0x1F → 31, 007 → 7)."""
    t = text.replace("_", "").lower()
    sign = "-" if t.startswith("-") else ""
    t = t.lstrip("+-")
    try:
        if t.startswith(("0x", "0o", "0b")):
            return sign + str(int(t, 0))
        return sign + str(int(t, 10))
    except ValueError:
        return text


def _unescape(text: str) -> str:
    return text.replace("$$", "$")


def _has_ref(text: str) -> bool:
    """A compose reference, or a ``$$VAR`` / ``$${VAR}`` / ``$$(…)`` left for the container's
    shell: not a literal."""
    return any(m.group(0) != "$$" for m in _INTERP.finditer(text)) or bool(
        _CONTAINER_VAR.search(text))


# ``$$`` hands a ``$`` to the container: ``$$VAR``, ``$${VAR}``, ``$$(cmd)``, ``$$1``, ``$$?``…
_CONTAINER_VAR = re.compile(r"\$\$[{(A-Za-z_0-9@*#?!]")
_PATH_VALUE = re.compile(r"(~|\.{1,2})?/[\w.\-/]*[A-Za-z][\w.\-/]*")


def is_path_value(text: str) -> bool:
    """``/run/secrets/db-password``: a file that holds the secret, not the secret."""
    return bool(_PATH_VALUE.fullmatch(text)) and text.count("/") >= 2


def container_spans(value: str) -> list[tuple[int, int]]:
    """Spans the container owns: ``$$VAR``, ``$${…}``, ``$$(…)`` with everything inside (nested
    brackets and quotes counted), found left to right as compose reads ``$$``."""
    spans, i, n = [], 0, len(value)
    while i < n:
        if value.startswith("$$", i):
            j = i + 2
            if j < n and value[j] in "({":
                close = {"(": ")", "{": "}"}
                stack, k, quote = [close[value[j]]], j + 1, ""
                while k < n and stack:
                    c = value[k]
                    if quote:
                        if c == quote:
                            quote = ""
                        elif c == "\\" and quote == '"':
                            k += 1
                    elif c in "'\"":
                        quote = c
                    elif c in "({":
                        stack.append(close[c])
                    elif c == stack[-1]:
                        stack.pop()
                    k += 1
                spans.append((i, k))
                i = k
                continue
            m = re.match(r"[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?!]", value[j:])
            if m:
                spans.append((i, j + m.end()))
                i = j + m.end()
                continue
            i = j
        else:
            i += 1
    return spans
_DEFAULT_OPEN = re.compile(r"\$\{(?P<var>[A-Za-z_][A-Za-z0-9_]*):?-")


def _closing_brace(text: str, start: int) -> int:
    """Index of the ``}`` closing the ``${`` at ``start`` (nesting counted), or -1."""
    depth, i = 0, start + 1
    while i < len(text):
        if text.startswith("$$", i):
            i += 2
            continue
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _outer_refs(value: str) -> list[tuple[int, int]]:
    """Spans of the outermost ``${...}`` in ``value``, nested references included."""
    spans, i = [], 0
    while i < len(value):
        if value.startswith("$$", i):  # an escaped dollar, left to right as compose reads it
            i += 2
        elif value.startswith("${", i):
            end = _closing_brace(value, i)
            if end < 0:
                break
            spans.append((i, end + 1))
            i = end + 1
        else:
            i += 1
    return spans


_MAX_CHAIN = 10  # bounds the work on a hostile ``${A:-${A:-...`` scalar


def _nested_default(text: str) -> tuple[str, str] | None:
    """``${VAR:-${OTHER:-literal}}`` (any depth): (VAR, the literal it falls back to).

    None unless ``text`` is exactly such a chain of at least two; a plain ``${VAR:-literal}``
    is the regex's case."""
    outer = None
    for depth in range(1, _MAX_CHAIN + 1):
        m = _DEFAULT_OPEN.match(text)
        if not m or _closing_brace(text, 0) != len(text) - 1:
            return None
        outer = outer or m.group("var")
        text = text[m.end():-1]
        if not _has_ref(text):
            return (outer, _unescape(text)) if depth > 1 else None
    return None


def _norm_name(key: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]+", "_", str(key)).strip("_").upper()
    if name.startswith("X_"):
        name = name[2:]
    return name or "SECRET"


def _where(path: tuple) -> str:
    return ".".join(str(p) for p in path)


def _scheme_name(scheme: str, host: str) -> str:
    s = scheme.lower()
    for part, name in (("postgres", "POSTGRES"), ("mysql", "MYSQL"), ("mariadb", "MYSQL"),
                       ("redis", "REDIS"), ("amqp", "RABBITMQ"), ("mongodb", "MONGO")):
        if part in s:
            return f"{name}_PASSWORD"
    return f"{_norm_name(host or s)}_PASSWORD"


class _Scanner:
    def __init__(self, doc: SourceDoc, findings: Findings):
        self.doc = doc
        self.f = findings
        self.taken: set[tuple[int, int, int]] = set()
        self.streams: dict[tuple, list[tuple[Any, int, int, tuple]]] = {}
        self.env_values: list[tuple[tuple, Any, str, int]] = []

    # -- recording ---------------------------------------------------------------------------
    def add(self, node: Any, start: int, end: int, literal: str, how: str, key: str,
            path: tuple, whole: bool, var: str | None = None, hint: str = "") -> None:
        if any(k[0] == id(node) and k[1] < max(end, start + 1) and start < max(k[2], k[1] + 1)
               for k in self.taken):
            return
        self.taken.add((id(node), start, end))
        service = path[1] if len(path) > 1 and path[0] == "services" else None
        self.f.occurrences.append(Occurrence(
            file=self.doc.rel, node=node, start=start, end=end, literal=literal, how=how,
            key=key, where=_where(path), service=service, line=self._line(node, start),
            whole=whole, var=var, hint=hint or (var or ""),
            resolved=_yaml_int(literal) if whole and how == "key" and node.tag.endswith(":int")
            else literal))

    def _line(self, node: Any, start: int) -> int:
        # Lines within a multi-line scalar: count breaks in the value before the span.
        return node.start_mark.line + 1 + node.value.count("\n", 0, start) if node.style in (
            "|", ">") and start else node.start_mark.line + 1

    def empty(self, path: tuple, node: Any) -> None:
        entry = (_where(path), f"{self.doc.rel}:{node.start_mark.line + 1}")
        if entry not in self.f.empties:
            self.f.empties.append(entry)

    def ref(self, var: str, path: tuple, secret: bool) -> None:
        self.f.refs.setdefault(var, []).append(_where(path))
        if secret:
            self.f.secret_refs.setdefault(var, []).append(_where(path))

    # -- one scalar -------------------------------------------------------------------------
    def scalar(self, path: tuple, node: Any) -> None:
        if node.tag.endswith(":null") and len(path) >= 2 and path[-2] == "environment" and \
                isinstance(path[-1], str) and rules.is_secret_key(path[-1]):
            self.f.passthrough.setdefault(path[-1], []).append(_where(path))  # ``SECRET:``
            return
        if len(path) == 3 and path[0] == "secrets" and path[2] == "file" and \
                "$" not in node.value:
            self.f.secret_files.append((str(path[1]), node.value, self.doc.rel))
            return
        if node.tag.endswith(":null") or node.tag.endswith(":bool"):
            return
        value: str = node.value
        strs = [p for p in path if isinstance(p, str)]
        container = strs[-1] if strs else ""
        is_item = bool(path) and isinstance(path[-1], int)
        cmd = bool(set(strs) & _CMD_KEYS)
        key, offset, body = None, 0, value
        if is_item and container in _LIST_KV_KEYS:
            k, eq, v = value.partition("=")
            if not eq:
                # "- KEY" passes the variable through (from the env file or the shell)
                if container == "environment" and rules.is_secret_key(k.strip()):
                    self.f.passthrough.setdefault(k.strip(), []).append(_where(path))
                return
            key, offset, body = k.strip(), len(k) + 1, v
            path = path[:-1] + (key,)  # report environment.KEY, not environment.3
        elif not is_item and path:
            key = container
        env_value = key is not None and (container in _ENV_KEYS or
                                         (is_item and container in _LIST_KV_KEYS))
        # Record every reference, and whether it stands in a secret position.
        secret_position = bool(key) and rules.is_secret_key(key) and not cmd
        for m in _scan_interp(value):
            var = m.group("var") or m.group("bare")
            if var:
                whole_ref = m.start() == offset and m.end() == len(value)
                # Only a reference that must resolve (no default, or ``:?``) needs a value;
                # ``${X:-}`` / ``${X:+y}`` say "may stay unset" and stay so.
                needs = m.group("op") in (None, ":?", "?")
                self.ref(var, path, needs and (secret_position and whole_ref
                                               or rules.is_secret_key(var)))
                if _is_default(m) and not rules.is_secret_key(var) and not secret_position:
                    self.f.ref_defaults.setdefault(var, m.group("arg"))
        if key is not None and rules.is_identity_key(key) and not _has_ref(body):
            self.f.identities.add(_unescape(body))
        if secret_position and self._whole(path, node, key, offset, body):
            return
        self._defaults(path, node, value, offset if secret_position else None)
        self._urls(path, node, value, key)
        self._tokens(path, node, value, cmd, key if env_value else None, offset)

    def _whole(self, path: tuple, node: Any, key: str, offset: int, body: str) -> bool:
        """A secret-named key's whole value: a literal or ``${VAR:-weak}``."""
        ms = _scan_interp(body)
        if len(ms) == 1 and ms[0].start() == 0 and ms[0].end() == len(body) and _is_default(ms[0]):
            m = ms[0]
            if m.group("arg") == "":
                self.empty(path, node)
            elif not _has_ref(m.group("arg")):
                self.add(node, offset, offset + len(body), _unescape(m.group("arg")), "default",
                         key, path, True, var=m.group("var"))
            return True
        nested = _nested_default(body)
        if nested is not None:  # ${VAR:-${OTHER:-weak}} resolves to "weak" as surely
            self.add(node, offset, offset + len(body), nested[1], "default", key, path, True,
                     var=nested[0])
            return True
        if _has_ref(body):
            return False  # built from references: not a hardcoded literal
        literal = _unescape(body)
        if literal == "":
            self.empty(path, node)
            return True
        if literal.lower() in _TRUTHY or is_path_value(literal) or (
                "CREDENTIAL" in "_".join(rules.words(key)) and _PATHLIKE.fullmatch(literal)):
            return True
        self.add(node, offset, offset + len(body), literal, "key", key, path, True,
                 hint=_norm_name(key))
        return True

    def _defaults(self, path: tuple, node: Any, value: str, whole_at: int | None) -> None:
        for a, b in _outer_refs(value):
            nested = _nested_default(value[a:b])
            if nested is not None and rules.is_secret_key(nested[0]):
                whole = whole_at is not None and a == whole_at and b == len(value)
                self.add(node, a, b, nested[1], "default", nested[0], path, whole, var=nested[0])
        for m in _scan_interp(value):
            if _is_default(m) and rules.is_secret_key(m.group("var")) and m.group("arg") == "":
                self.empty(path, node)
            elif _is_default(m) and rules.is_secret_key(m.group("var")) and not _has_ref(m.group("arg")):
                whole = whole_at is not None and m.start() == whole_at and m.end() == len(value)
                self.add(node, m.start(), m.end(), _unescape(m.group("arg")), "default",
                         m.group("var"), path, whole, var=m.group("var"))

    def _shadow(self, value: str) -> str:
        """``value`` with interpolation syntax blanked (same length), defaults' text kept; a
        ``$$(…)`` the container owns is blanked whole, spaces included, so it stays one word
        and nothing inside it is ever read as a literal."""
        chars = list(value)
        for m in _scan_interp(value):
            keep = range(m.start("arg"), m.end("arg")) if _is_default(m) else range(0)
            for i in range(m.start(), m.end()):
                if i not in keep:
                    chars[i] = "\0"
        for a, b in container_spans(value):
            for i in range(a, b):
                chars[i] = "\0"
        return "".join(chars)

    def _span_value(self, path: tuple, node: Any, value: str, a: int, b: int, how: str,
                    key: str, hint: str) -> None:
        """A secret position value[a:b]: a literal, a ``${VAR:-weak}``, or a reference."""
        text = value[a:b]
        ms = _scan_interp(text)
        if len(ms) == 1 and ms[0].start() == 0 and ms[0].end() == len(text):
            m = ms[0]
            if _is_default(m) and m.group("arg") == "":
                self.empty(path, node)
            elif _is_default(m) and not _has_ref(m.group("arg")):
                self.add(node, a, b, _unescape(m.group("arg")), "default", key, path, False,
                         var=m.group("var"))
            elif m.group("var") or m.group("bare"):
                self.ref(m.group("var") or m.group("bare"), path, True)
            return
        if _has_ref(text) or not text or is_path_value(text.strip("'\"")):
            return
        self.add(node, a, b, _unescape(text), how, key, path, False, hint=hint)

    def _urls(self, path: tuple, node: Any, value: str, key: str | None) -> None:
        shadow = self._shadow(value)
        for m in _URL.finditer(shadow):
            user = value[m.start("user"):m.end("user")]
            if user and not _has_ref(user):
                self.f.identities.add(unquote(_unescape(user)))
            a, b = m.span("pw")
            # A default spanning the password was blanked in the shadow except its text.
            full = self._enclosing_default(value, a, b)
            if full:
                a, b = full
            self._span_value(path, node, value, a, b, "url", key or "url",
                             _scheme_name(m.group("scheme"), m.group("host").strip("\0")))

    @staticmethod
    def _enclosing_default(value: str, a: int, b: int) -> tuple[int, int] | None:
        for m in _scan_interp(value):
            if _is_default(m) and m.start("arg") <= a and b <= m.end("arg") and \
                    value[a:b] == m.group("arg"):
                return m.start(), m.end()
        return None

    def _tokens(self, path: tuple, node: Any, value: str, cmd: bool, env_key: str | None,
                offset: int = 0) -> None:
        shadow = self._shadow(value)
        stream_key = path[:-1] if path and isinstance(path[-1], int) and cmd else path
        stream = self.streams.setdefault(stream_key, [])
        for m in re.finditer(r"\S+", shadow):
            a, b = m.span()
            if b - a >= 2 and value[a] in "'\"" and value[b - 1] == value[a]:
                a, b = a + 1, b - 1
            # A shell quote opened or closed by a neighbouring word (`sh -c 'app -p pw'`)
            # belongs to the shell, not to the word; so does a trailing `;`.
            while b > a and (value[b - 1] == ";" or (value[b - 1] in "'\"" and
                                                     value[a:b].count(value[b - 1]) % 2)):
                b -= 1
            while b > a and value[a] in "'\"" and value[a:b].count(value[a]) % 2:
                a += 1
            stream.append((node, a, b, path))
        if env_key is not None and not cmd:
            self.env_values.append((path, node, env_key, offset))



def _flags(scanner: _Scanner) -> None:
    """Password flags across each command's token stream (list items or words of a string)."""
    for stream in scanner.streams.values():
        texts = [n.value[a:b] for n, a, b, _ in stream]
        joined = " ".join(texts).lower()
        mysql = bool(re.search(r"\b(mysql\w*|mariadb\w*)\b", joined))
        redis_cli = "redis-cli" in joined
        for i, (node, a, b, path) in enumerate(stream):
            tok = texts[i]
            service = path[1] if len(path) > 1 and path[0] == "services" else None
            nxt = stream[i + 1] if i + 1 < len(stream) else None
            if tok.startswith("--"):
                name, eq, _ = tok[2:].partition("=")
                low = name.lower()
                secret = low in _PASSWORD_FLAGS or rules.is_secret_key(low.replace("-", "_"))
                hint = _norm_name(f"{service or 'app'}_{'password' if low in _PASSWORD_FLAGS else low}")
                if secret and eq:
                    scanner._span_value(path, node, node.value, a + 3 + len(name), b, "flag",
                                        "--" + name, hint)
                elif secret and nxt and not texts[i + 1].startswith("-"):
                    scanner._span_value(nxt[3], nxt[0], nxt[0].value, nxt[1], nxt[2], "flag",
                                        "--" + name, hint)
                elif low in _USER_FLAGS and eq:
                    _user_value(scanner, (node, a + 3 + len(name), b, path), service)
                elif low in _USER_FLAGS and nxt:
                    _user_value(scanner, nxt, service)
            elif mysql and tok.startswith("-p") and len(tok) > 2:
                scanner._span_value(path, node, node.value, a + 2, b, "flag", "-p",
                                    _norm_name(f"{service or 'mysql'}_password"))
            elif mysql and tok.startswith("-u") and len(tok) > 2:
                scanner.f.identities.add(tok[2:])
            elif tok == "-u" and nxt:
                _user_value(scanner, nxt, service)
            elif redis_cli and tok == "-a" and nxt:
                scanner._span_value(nxt[3], nxt[0], nxt[0].value, nxt[1], nxt[2], "flag", "-a",
                                    "REDIS_PASSWORD")


def _user_value(scanner: _Scanner, token: tuple, service: str | None) -> None:
    """``-u user`` names an identity; curl-style ``-u user:password`` also holds a password."""
    node, a, b, path = token
    user, colon, _ = node.value[a:b].partition(":")
    scanner.f.identities.add(_unescape(user))
    if colon:
        scanner._span_value(path, node, node.value, a + len(user) + 1, b, "flag", "-u",
                            _norm_name(f"{service or 'app'}_password"))


def _known(scanner: _Scanner, known: set[str]) -> None:
    """A literal known as a secret, standing as a whole token or whole environment value."""
    usable = {k for k in known if len(k) >= 4 and k not in scanner.f.identities}
    if not usable:
        return
    for key, stream in scanner.streams.items():
        if not (set(p for p in key if isinstance(p, str)) & _CMD_KEYS):
            continue
        for node, a, b, path in stream:
            text = node.value[a:b]
            if "$" not in text and text in usable:
                scanner.add(node, a, b, text, "known", str(path[-1]), path, False)
    for path, node, key, offset in scanner.env_values:
        value = node.value
        body = value[offset:]
        if rules.is_identity_key(key) or "$" in body:
            continue
        if body in usable:
            scanner.add(node, offset, len(value), body, "known", key, path, True)


def find(docs: list[SourceDoc]) -> Findings:
    """Every hardcoded secret in ``docs`` (in file order), plus references and identities."""
    findings = Findings()
    scanners = []
    for doc in docs:
        if doc.root is None:
            continue
        scanner = _Scanner(doc, findings)
        for path, node, in_flow in walk(doc.root):
            doc.flow.setdefault(id(node), in_flow)
            scanner.scalar(path, node)
        _flags(scanner)
        scanners.append(scanner)
    known = {o.literal for o in findings.occurrences if o.literal}
    for scanner in scanners:
        _known(scanner, known)
    order = {doc.rel: i for i, doc in enumerate(docs)}
    findings.occurrences.sort(key=lambda o: (order[o.file], o.node.start_mark.index + o.start))
    return findings
