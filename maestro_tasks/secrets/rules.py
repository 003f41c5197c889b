"""How strong each secret must be, and how it is generated (its rule).

Which keys hold secrets and which hold identities is the shared rule set in
``maestro_tasks/credentials.py`` (re-exported here, where the secrets code has always asked).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from ..credentials import (  # noqa: F401
    is_access_key_id, is_identity_key, is_secret_key, url_passwords, words)

# ---- strength rules -----------------------------------------------------------------------
KINDS = ("password", "token", "hex", "base64", "base64url", "fernet")
MIN_LENGTH = {"password": 32, "token": 64, "hex": 32, "base64": 32, "base64url": 32, "fernet": 32}
# Placeholder words that are weak whatever their length.
WEAK_WORDS = ("changeme", "change-me", "change_me", "password", "secret", "admin", "example",
              "default", "minioadmin", "postgres", "letmein", "qwerty", "123456")


@dataclass(frozen=True)
class Rule:
    """How a secret is generated and judged. ``length``: characters (password, token, hex) or
    random bytes before encoding (base64, base64url); unused for fernet."""

    kind: str
    length: int

    def __str__(self) -> str:
        return self.kind if self.kind == "fernet" else f"{self.kind}:{self.length}"


def parse_rule(text: str) -> Rule:
    """``password[:N]`` / ``token[:N]`` / ``hex[:N]`` / ``base64[:N]`` / ``base64url[:N]`` /
    ``fernet``; ValueError with the reason otherwise."""
    kind, _, length = text.strip().partition(":")
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise ValueError(f"unknown rule {kind!r}; expected one of {', '.join(KINDS)}")
    if kind == "fernet":
        if length:
            raise ValueError("fernet takes no length")
        return Rule("fernet", 32)
    n = MIN_LENGTH[kind] if not length else _int(length)
    if n < MIN_LENGTH[kind]:
        raise ValueError(f"{kind} needs a length of at least {MIN_LENGTH[kind]}")
    if kind == "hex" and n % 2:
        raise ValueError("hex length must be even")
    return Rule(kind, n)


def _int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"length {text.strip()!r} is not a number") from None


_HEX = re.compile(r"[0-9a-fA-F]+")
_B64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_B64URL = re.compile(r"[A-Za-z0-9_\-]+={0,2}")
_PASSWORDISH = ("PASSWORD", "PASSWD", "PASS", "PWD", "AUTH", "PASSPHRASE", "PASSCODE")


def _b64_len(literal: str, urlsafe: bool) -> int | None:
    if len(literal) % 4 or len(literal) < 16:
        return None
    try:
        raw = (base64.urlsafe_b64decode if urlsafe else base64.b64decode)(literal)
    except (binascii.Error, ValueError):
        return None
    return len(raw)


def _looks_encoded(literal: str) -> bool:
    """Base64 text, not a dashed phrase: padded, or mixing upper, lower and digits."""
    if literal.endswith("="):
        return True
    return (any(c in literal for c in "+/_-") and any(c.isupper() for c in literal)
            and any(c.islower() for c in literal) and any(c.isdigit() for c in literal))


def rule_for(name: str, literal: str | None = None) -> Rule:
    """The rule a secret gets from its name and, where known, the shape of its current value."""
    ws = words(name)
    joined = "_".join(ws)
    if "FERNET" in ws:
        return Rule("fernet", 32)
    passwordish = any(p in joined for p in _PASSWORDISH[:2]) or ws[-1] in _PASSWORDISH
    if literal:
        if _HEX.fullmatch(literal) and (len(literal) >= 32 or not passwordish):
            n = max(len(literal) + len(literal) % 2, 32)
            return Rule("hex", n)
        if not passwordish and _looks_encoded(literal):
            if _B64.fullmatch(literal) and (n := _b64_len(literal, False)):
                return Rule("base64", max(n, 32))
            if _B64URL.fullmatch(literal) and (n := _b64_len(literal, True)):
                return Rule("base64url", max(n, 32))
    if "SECRET" in ws and ("ACCESS" in ws or "MINIO" in ws):
        # S3-style secret keys: MinIO caps them at 40 characters, AWS uses 40.
        return Rule("password", 40)
    if passwordish:
        return Rule("password", 32)
    return Rule("token", 64)


_INTERNAL = ("PASSWORD", "PASSWD", "PASS", "PWD", "AUTH", "SECRET", "JWT", "SALT", "SIGNING",
             "SESSION", "ENCRYPTION", "FERNET", "MASTER", "HMAC", "CRYPT", "COOKIE")


def is_external(name: str) -> bool:
    """A credential issued elsewhere (HF_TOKEN, OPENAI_API_KEY, *_CREDENTIALS): when only
    referenced, it must be supplied, never invented. Passwords and signing keys shared between
    the stack's own services are internal and can be generated."""
    ws = words(name)
    return is_secret_key(name) and not any(w in _INTERNAL or any(w.endswith(i) for i in _INTERNAL[:3])
                                           for w in ws)


def merge_rules(rules: list[Rule]) -> Rule:
    """One rule for a literal that feeds several keys: a fixed format wins over free text, and a
    password wins over a long token (servers such as MinIO cap password length)."""
    order = ("fernet", "hex", "base64url", "base64", "password", "token")
    kind = min((r.kind for r in rules), key=order.index)
    return Rule(kind, max(r.length for r in rules if r.kind == kind))


def weakness(value: str, rule: Rule) -> str | None:
    """Why ``value`` does not meet ``rule`` (None when it does). Never includes the value."""
    if rule.kind == "fernet":
        try:
            raw = base64.urlsafe_b64decode(value.encode())
        except (binascii.Error, ValueError):
            return "not a valid Fernet key"
        if len(raw) != 32:
            return "not a valid Fernet key"
        return "has too little variety" if len(set(raw)) < 8 else None
    if rule.kind in ("base64", "base64url"):
        n = _b64_len(value, rule.kind == "base64url") if value else None
        if n is None:
            return f"not {rule.kind}"
        if n < rule.length:
            return f"decodes to {n} bytes, needs {rule.length}"
        return None
    if rule.kind == "hex" and not _HEX.fullmatch(value or ""):
        return "not hex"
    if len(value) < rule.length:
        return f"{len(value)} characters, needs {rule.length}"
    low = value.lower()
    if any(w in low for w in WEAK_WORDS):
        return "contains a well-known default word"
    if len(set(value)) < min(10, len(value) // 3):
        return "has too little variety"
    return None


# ---- values: which ones are secrets ---------------------------------------------------------
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_BOOLEAN = {"true", "false", "yes", "no", "on", "off", "y", "n", "none", "null"}
_URL_ANY = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://\S*")
_PATH = re.compile(r"(~|\.{1,2})?(/[\w.\-@]+)+/?|[\w.\-]+\.(pem|key|crt|json|txt|p12|pfx|jks)")
_PLACEHOLDER_WORDS = ("change", "your", "replace", "example", "placeholder", "xxx", "todo",
                      "fill", "dummy", "<", ">", "...", "here", "insert", "sample", "set-me",
                      "setme", "redacted", "***")
_SEGMENT = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def is_placeholder(value: str) -> bool:
    """A value written to be replaced (``changeme``, ``<your-key>``, ``xxx``), not a secret."""
    low = value.strip().lower()
    return not low or any(w in low for w in _PLACEHOLDER_WORDS) or len(set(low)) == 1


def looks_random(value: str) -> bool:
    """Machine-made (a key, a generated password, a hash), not words a person typed.

    Random text breaks into many short runs of one letter case or digits; words do not."""
    if len(value) < 16 or len(set(value)) < 10:
        return False
    segments = _SEGMENT.findall(value)
    return len(segments) >= 5 and sum(map(len, segments)) / len(segments) <= 3.5


def plain_value(value: str) -> bool:
    """A value that is not a secret whatever its key: a number, a boolean, a URL without a
    password, a file path, a reference (``${X}``)."""
    v = value.strip()
    if _NUMBER.fullmatch(v) or v.lower() in _BOOLEAN or "${" in v or v.startswith("$"):
        return True
    if _URL_ANY.fullmatch(v):
        return not url_passwords(v)
    return bool(_PATH.fullmatch(v))


def is_secret_value(key: str | None, value: str | None, live: set[str] = frozenset()) -> bool:
    """Whether ``value`` (held by ``key``) is a real secret: a value in use (``live``: the
    secrets in .env, the literals compose hardcoded), or, under a secret-named key, a
    machine-made value. Placeholders, numbers, booleans, plain URLs and paths are not."""
    if not value:
        return False
    if value in live and len(value) >= 4:
        return True
    if plain_value(value) or is_placeholder(value):
        return False
    return bool(key) and is_secret_key(key) and looks_random(value)


def url_password_spans(value: str, live: set[str] = frozenset()) -> list[tuple[int, int]]:
    """Spans of the real passwords inside ``scheme://user:password@host`` URLs in ``value``:
    any but a placeholder, a reference, or a repeat of the user name (``postgres:postgres``)."""
    from ..credentials import URL

    spans = []
    for m in URL.finditer(value):
        pw = m.group("pw")
        if pw and (pw in live or ("$" not in pw and not is_placeholder(pw)
                                  and pw != m.group("user"))):
            spans.append(m.span("pw"))
    return spans
