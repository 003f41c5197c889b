""".env.example: merged, never rewritten.

Every line the user wrote stays, in order, with its comments and non-secret values
(``ACCESS_TOKEN_EXPIRE_MINUTES=60`` stays 60). Only a *real* secret value is emptied in place
(``rules.is_secret_value``: a value in use in .env or hardcoded in compose, or a machine-made
value under a secret-named key; inside a URL only its password). Variables the compose files
use that the file lacks are added in one marked block. ``merge`` is a fixpoint: merging its
own output changes nothing, so the re-plan after apply is empty and two runs agree.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from . import rules

BLOCK_START = "# >>> maestro-tasks week1.fix-secrets: variables the compose files use >>>"
BLOCK_END = "# <<< maestro-tasks week1.fix-secrets <<<"
HEADER = (
    "# .env.example: every variable the compose files need. `invoke week1.fix-secrets` writes\n"
    "# the real values (strong, random) to .env; secret values are never stored here.\n")
_SAFE_VALUE = re.compile(r"[A-Za-z0-9+/=_\-.:,@%]*")


@dataclass
class Line:
    """One python-dotenv binding: its exact text and, for ``KEY=value``, the key and value."""

    text: str
    key: str | None
    value: str | None
    line: int


def lines(text: str) -> list[Line]:
    """The bindings of ``text``; their texts concatenate back to ``text`` exactly. A line
    python-dotenv cannot parse is kept as text (the merge never drops what it cannot read)."""
    from dotenv.parser import parse_stream

    out = []
    for b in parse_stream(io.StringIO(text)):
        ok = b.key is not None and not b.error
        lead = b.original.string[:len(b.original.string) - len(b.original.string.lstrip())]
        out.append(Line(b.original.string, b.key if ok else None, b.value if ok else None,
                        b.original.line + lead.count("\n")))
    return out


def _format(name: str, value: str) -> str:
    if _SAFE_VALUE.fullmatch(value):
        return f"{name}={value}"
    return f"{name}='" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def scrubbed(key: str | None, value: str | None, live: set[str]) -> str | None:
    """The value with its real secret removed, or None when it holds none."""
    if not value:
        return None
    if rules.is_secret_value(key, value, live):
        return ""
    spans = rules.url_password_spans(value, live)
    if not spans:
        return None
    for a, b in reversed(spans):
        value = value[:a] + value[b:]
    return value


_ASSIGN = re.compile(r"(?P<head>\s*(?:export[ \t]+)?(?P<key>[^=\s]+)[ \t]*=[ \t]*)")


def _replace_value(text: str, new: str) -> str:
    """``text`` (one binding) with its value replaced by ``new``; quoting and an inline
    comment kept. A binding whose value spans lines becomes one ``KEY=new`` line."""
    m = _ASSIGN.match(text)
    if not m:
        return text
    head, rest = text[:m.end()], text[m.end():]
    body, ending = rest, ""
    stripped = body.rstrip("\r\n")
    ending, body = body[len(stripped):], stripped
    if body[:1] in ("'", '"'):
        q = body[0]
        i = 1
        while i < len(body) and body[i] != q:
            i += 2 if body[i] == "\\" and q == '"' else 1
        if i >= len(body) or "\n" in body[:i]:
            return head + _format("", new)[1:] + (ending or "\n")
        tail = body[i + 1:]
        inner = new.replace("\\", "\\\\").replace(q, "\\" + q) if q == '"' else new.replace("'", "")
        return head + q + inner + q + tail + ending
    cut = re.search(r"[ \t]+#", body)
    tail = body[cut.start():] if cut else ""
    return head + _format("", new)[1:] + tail + ending


def merge(old: str | None, needed: list[str], secret: dict[str, str], plain: dict[str, str],
          live: set[str]) -> str:
    """The merged .env.example.

    ``old``: the file's text (None: absent). ``needed``: the variables the compose files use,
    in order. ``secret``: VAR → a comment saying what the secret is (its value stays empty).
    ``plain``: VAR → a known non-secret value (from .env or a compose default). ``live``: the
    secret values in use, never to be written here.
    """
    text = old or ""
    nl = "\r\n" if "\r\n" in text else "\n"
    parsed = lines(text)
    out = []
    for ln in parsed:
        new = scrubbed(ln.key, ln.value, live) if ln.key else None
        out.append(ln.text if new is None else _replace_value(ln.text, new))
    present = {ln.key for ln in parsed if ln.key}
    missing = [v for v in dict.fromkeys(needed) if v not in present]
    body = "".join(out)
    if not missing:
        return body if old is not None else ""
    added = []
    for var in missing:
        if var in secret:
            added.append(f"# {var}: {secret[var]}")
            added.append(f"{var}=")
        else:
            value = plain.get(var) or ""
            clean = scrubbed(var, value, live)
            if clean is not None:
                added.append(f"# {var}: holds a credential; its real value is in .env")
                value = clean
            added.append(_format(var, value))
    if old is None or not body.strip():
        head = body + ("" if not body or body.endswith("\n") else nl)
        return head + HEADER.replace("\n", nl) + nl.join([BLOCK_START, *added, BLOCK_END]) + nl
    if BLOCK_START in body and BLOCK_END in body:
        head, _, tail = body.rpartition(BLOCK_END)
        if head and not head.endswith("\n"):
            head += nl
        return head + nl.join(added) + nl + BLOCK_END + tail
    if not body.endswith("\n"):
        body += nl
    return body + nl.join([BLOCK_START, *added, BLOCK_END]) + nl


def leaked(text: str | None, live: set[str]) -> list[tuple[str, int]]:
    """(VAR, line) of every binding in ``text`` that still holds a real secret value."""
    if not text:
        return []
    return [(ln.key, ln.line) for ln in lines(text)
            if ln.key and scrubbed(ln.key, ln.value, live) is not None]


def live_values(an) -> set[str]:
    """The secret values of this run that must never stand in .env.example: the secret
    variables' values (kept, generated, rotated) and the literals compose hardcoded (except
    those that are also identities, such as a user name equal to its password)."""
    values = {v for k, v in an.values().items() if v and k in an.secret_vars}
    values |= {o.literal for o in an.findings.occurrences
               if len(o.literal) >= 4 and o.literal not in an.findings.identities}
    return values


def content(old: bytes | None, an, found, template, rel: str = ".env.example") -> bytes | None:
    """The .env.example (``rel``) for analysis ``an``; ``found``: detect.find on the new compose
    files."""
    from .envfile import parse_env

    parse_env(rel, old)  # a line python-dotenv cannot read: exit 2, file and line
    text = old.decode("utf-8") if old is not None else None
    values = an.values()
    secret, plain = {}, {}
    for var in found.refs:
        if var in an.secret_vars or var in found.secret_refs:
            rule = template.get(var) or rules.rule_for(var, values.get(var))
            used = list(dict.fromkeys(found.refs.get(var, [])))
            where = f"; used by {', '.join(used[:4])}" if used else ""
            secret[var] = f"secret ({rule}){where}; its value is in .env"
        elif values.get(var) is not None:
            plain[var] = values[var]
    for var, default in found.ref_defaults.items():
        plain.setdefault(var, default)
    merged = merge(text, list(found.refs), secret, plain, live_values(an))
    return old if old is None and not merged else merged.encode("utf-8")


def example_path(env_rel: str) -> str:
    """The example file of an env file: ``.env.example`` in its folder (``deploy/.env`` →
    ``deploy/.env.example``), where a project keeps the file users copy."""
    from pathlib import PurePosixPath

    folder = PurePosixPath(env_rel).parent
    return ".env.example" if str(folder) in ("", ".") else str(folder / ".env.example")


def project_variables(env, read) -> dict[str, str | None]:
    """The target's own variable names and values: the env file's example, then the env file
    (its values win). Names users recognise are taken from here (``group.group``)."""
    from .envfile import parse_env

    name = example_path(env.rel)
    out: dict[str, str | None] = dict(parse_env(name, read(name)).values)
    out.update(env.values)
    return out
