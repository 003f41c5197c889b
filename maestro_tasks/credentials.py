"""The vocabulary of credentials, shared by every domain: which keys name a secret or an
identity, and the passwords inside URLs. Pure and standard-library only, so that ``secrets/``
(detection), ``stack/`` (masking compose output) and the task wiring (the masker's seed) use
one rule set without importing each other.

Key rule set (documented in the README's fix-secrets section; tested in tests/secrets):
a key is *secret-named* when, split on ``_ . -`` and upper-cased,
- it contains PASSWORD, PASSWD or SECRET anywhere (PGPASSWORD, CLIENT_SECRET, MINIO_SECRET_KEY), or
- it has a word PASS, PWD, TOKEN(S), APIKEY, SALT, CREDENTIAL(S) or AUTH as its last word
  (REDIS_AUTH), or the word pairs API_KEY, PRIVATE_KEY, ENCRYPTION_KEY, FERNET_KEY, SIGNING_KEY,
  MASTER_KEY, SESSION_KEY, HMAC_KEY, JWT_KEY, or a word TOKEN followed by anything (TOKEN_SECRET);
and it is not excluded: its last word names a file, place, switch or identity (FILE, PATH, DIR,
URL, URI, HOST, PORT, USER, USERNAME, NAME, ID, ENABLED, TYPE, ...), a word says it is a setting
about the secret (ALLOW, RANDOM, HASH, MIN, MAX, EXPIRE*, TTL, LIFETIME, ...; so
``*_EXPIRE_*``, ``*_MINUTES`` / ``*_DAYS`` / ``*_TTL`` / ``*_LENGTH`` / ``*_ALGORITHM`` are
settings), or it is exactly PWD. Values are judged too (``secrets/rules.py``
``is_secret_value``): numbers, booleans, URLs without a password and file paths are not secrets.
*Identity* keys (user names, access-key IDs, database names) are never secrets, and a literal
they hold is never replaced in a free-standing position: MINIO_ROOT_USER keeps ``minioadmin``.
"""

from __future__ import annotations

import re

_SPLIT = re.compile(r"[_.\-]+")
_ANYWHERE = ("PASSWORD", "PASSWD", "SECRET")
_LAST_WORDS = {"PASS", "PWD", "TOKEN", "TOKENS", "APIKEY", "SALT", "CREDENTIAL", "CREDENTIALS",
               "AUTH", "PASSPHRASE", "PASSCODE"}
_PAIRS = {("API", "KEY"), ("PRIVATE", "KEY"), ("ENCRYPTION", "KEY"), ("FERNET", "KEY"),
          ("SIGNING", "KEY"), ("MASTER", "KEY"), ("SESSION", "KEY"), ("HMAC", "KEY"),
          ("JWT", "KEY"), ("SECRET", "KEY"), ("AUTH", "KEY"), ("CRYPT", "KEY")}
_NOT_SECRET_LAST = {"FILE", "FILES", "PATH", "DIR", "DIRECTORY", "URL", "URI", "DSN", "HOST",
                    "HOSTNAME", "PORT", "USER", "USERS", "USERNAME", "LOGIN", "NAME", "ID",
                    "ENABLED", "ENABLE", "DISABLED", "DISABLE", "REQUIRED", "TYPE", "METHOD",
                    "MODE", "LENGTH", "EXPIRE", "EXPIRES", "EXPIRY", "TTL", "TIMEOUT",
                    "ALGORITHM", "ALG", "BACKEND", "PROVIDER", "HEADER", "VERSION", "POLICY",
                    "ROTATION", "LIFETIME", "AGE", "PARALLELISM", "ENDPOINT", "REGION", "ROLE",
                    "SCOPE", "SCOPES", "AUDIENCE", "ISSUER", "PREFIX", "COUNT", "SIZE", "LIMIT",
                    # durations: ACCESS_TOKEN_EXPIRE_MINUTES=60 is a setting, not a token
                    "SECONDS", "SECS", "SEC", "MS", "MINUTES", "MINS", "MIN", "HOURS", "DAYS",
                    "WEEKS", "INTERVAL", "DELAY", "DURATION", "ALGORITHMS", "ALGO"}
# Settings about a secret rather than the secret (MYSQL_RANDOM_ROOT_PASSWORD, *_PASSWORD_HASH).
_NOT_SECRET_ANY = {"ALLOW", "RANDOM", "HASH", "HASHED", "MIN", "MAX", "RESET",
                   "POLICY", "STRENGTH", "COMPLEXITY", "EXPIRE", "EXPIRES", "EXPIRY",
                   "EXPIRATION", "LIFETIME", "TTL"}
_IDENTITY_LAST = {"USER", "USERNAME", "LOGIN", "ID", "DB", "DATABASE", "NAME", "HOST",
                  "HOSTNAME", "BUCKET", "ROLE", "SCHEMA", "REGION", "EMAIL", "ACCOUNT", "OWNER"}


def words(key: str) -> list[str]:
    return [w for w in _SPLIT.split(str(key).upper()) if w]


def is_secret_key(key: str) -> bool:
    """Whether a key's value is a secret (see the module docstring for the rule set)."""
    ws = words(key)
    if not ws or str(key).upper() in ("PWD", "OLDPWD"):
        return False
    if ws[-1] in _NOT_SECRET_LAST or is_access_key_id(ws) or _NOT_SECRET_ANY & set(ws):
        return False
    joined = "_".join(ws)
    if any(part in joined for part in _ANYWHERE):
        return True
    if ws[-1] in _LAST_WORDS or "TOKEN" in ws[:-1]:
        return True
    return any(pair in _PAIRS for pair in zip(ws, ws[1:]))


def is_access_key_id(ws: list[str]) -> bool:
    """ACCESS_KEY (MinIO) and ACCESS_KEY_ID / KEY_ID (AWS) name an identity, not a secret."""
    if "SECRET" in ws:
        return False
    return ws[-2:] == ["ACCESS", "KEY"] or ws[-2:] == ["KEY", "ID"] or ws[-1:] == ["ACCESSKEY"]


def is_identity_key(key: str) -> bool:
    """User names, access-key IDs, database / bucket names: values that are never secrets."""
    ws = words(key)
    if not ws or is_secret_key(key):
        return False
    return ws[-1] in _IDENTITY_LAST or is_access_key_id(ws)


URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<user>[^\s:/@?#]*):"
                 r"(?P<pw>[^\s/?#@]*)@(?P<host>[^\s:/?#]*)")


def url_passwords(text: str) -> set[str]:
    """The non-empty passwords of every ``scheme://user:password@host`` in ``text``."""
    return {m.group("pw") for m in URL.finditer(text) if m.group("pw")}
