""".env.example is merged, never rewritten; precise secret-name and secret-value rules."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from maestro_tasks.secrets import example, rules

from .conftest import git_init  # noqa: F401 - the fixtures below come from conftest

RANDOM_KEY = "9f2c7a1e4b8d3f6a0c5e2b7d9a4f1c8e"  # machine-made: a real secret


@pytest.mark.parametrize("key", [
    "ACCESS_TOKEN_EXPIRE_MINUTES", "REFRESH_TOKEN_EXPIRE_DAYS", "TOKEN_EXPIRE_SECONDS",
    "SESSION_TTL", "PASSWORD_MIN_LENGTH", "JWT_ALGORITHM", "TOKEN_EXPIRE_HOURS",
    "AUTH_TOKEN_EXPIRES_IN", "API_KEY_EXPIRATION_DAYS", "SECRET_KEY_FILE",
])
def test_settings_about_a_secret_are_not_secrets(key):
    assert not rules.is_secret_key(key)


@pytest.mark.parametrize("key", ["ACCESS_TOKEN", "JWT_SECRET", "API_KEY", "POSTGRES_PASSWORD"])
def test_secrets_stay_secrets(key):
    assert rules.is_secret_key(key)


@pytest.mark.parametrize("key,value,real", [
    ("SECRET_KEY", RANDOM_KEY, True),
    ("SECRET_KEY", "change-me-in-production", False),      # a placeholder
    ("API_KEY", "<your-api-key>", False),
    ("POSTGRES_PASSWORD", "60", False),                     # a number
    ("AUTH_TOKEN", "true", False),                          # a boolean
    ("AUTH_TOKEN", "https://auth.example.org/token", False),  # a URL without a password
    ("PRIVATE_KEY", "/run/secrets/private.pem", False),     # a file path
    ("DB_PASSWORD", "${DB_PASSWORD}", False),               # a reference
    ("DB_PASSWORD", "mysecretpassword", False),             # words a person typed, not in use
    ("DB_PASSWORD", "mysecretpassword", True),              # ... but in use (live) it is real
    ("LOG_LEVEL", RANDOM_KEY, False),                       # not secret-named, not in use
])
def test_secret_values(key, value, real):
    live = {"mysecretpassword"} if real and value == "mysecretpassword" else set()
    assert rules.is_secret_value(key, value, live) is real


OLD = """# Copy to .env and adjust.
# --- auth ---
SECRET_KEY=9f2c7a1e4b8d3f6a0c5e2b7d9a4f1c8e   # openssl rand -hex 16
ACCESS_TOKEN_EXPIRE_MINUTES=60
ALGORITHM=HS256

export DATABASE_URL="postgresql://app:hunter2hunter2@db:5432/app"
REDIS_URL=redis://redis:6379/0
POSTGRES_PASSWORD=changeme
DEBUG=true
"""


def test_merge_keeps_every_line_and_empties_only_real_secrets():
    merged = example.merge(OLD, ["POSTGRES_PASSWORD", "NEW_SECRET_TOKEN", "LOG_LEVEL"],
                           {"NEW_SECRET_TOKEN": "secret (token:64)"}, {"LOG_LEVEL": "info"},
                           live=set())
    old_lines, new_lines = OLD.splitlines(), merged.splitlines()
    assert new_lines[:len(old_lines)] != old_lines  # the secret lines changed...
    changed = [(a, b) for a, b in zip(old_lines, new_lines) if a != b]
    assert changed == [
        ("SECRET_KEY=9f2c7a1e4b8d3f6a0c5e2b7d9a4f1c8e   # openssl rand -hex 16",
         "SECRET_KEY=   # openssl rand -hex 16"),
        ('export DATABASE_URL="postgresql://app:hunter2hunter2@db:5432/app"',
         'export DATABASE_URL="postgresql://app:@db:5432/app"'),
    ]  # ... and nothing else: comments, order, EXPIRE_MINUTES=60, changeme, true all kept
    tail = new_lines[len(old_lines):]
    assert tail == [example.BLOCK_START, "# NEW_SECRET_TOKEN: secret (token:64)",
                    "NEW_SECRET_TOKEN=", "LOG_LEVEL=info", example.BLOCK_END]
    assert example.merge(merged, ["POSTGRES_PASSWORD", "NEW_SECRET_TOKEN", "LOG_LEVEL"],
                         {"NEW_SECRET_TOKEN": "x"}, {}, set()) == merged
    # A new variable next time goes into the same block, not a second one.
    again = example.merge(merged, ["OTHER"], {}, {"OTHER": "1"}, set())
    assert again.count(example.BLOCK_START) == 1
    assert again.splitlines()[-2:] == ["OTHER=1", example.BLOCK_END]


def test_merge_of_an_absent_file_and_crlf():
    new = example.merge(None, ["A_PASSWORD", "PORT"], {"A_PASSWORD": "secret"}, {"PORT": "80"}, set())
    assert new.startswith("# .env.example") and "A_PASSWORD=\n" in new and "PORT=80\n" in new
    assert example.merge(None, [], {}, {}, set()) == ""
    crlf = "# mine\r\nX=1\r\n"
    out = example.merge(crlf, ["X", "Y"], {}, {"Y": "2"}, set())
    assert out.startswith(crlf) and out.endswith("Y=2\r\n" + example.BLOCK_END + "\r\n")


def test_leaked_names_the_line():
    assert example.leaked(OLD, set()) == [("SECRET_KEY", 3), ("DATABASE_URL", 7)]
    assert example.leaked(OLD, {"changeme"}) == [("SECRET_KEY", 3), ("DATABASE_URL", 7),
                                                 ("POSTGRES_PASSWORD", 9)]


# ---- properties ------------------------------------------------------------------------------
_NAME = st.from_regex(r"[A-Z][A-Z0-9]{0,6}(_[A-Z0-9]{1,8}){0,3}", fullmatch=True)
_VALUE = st.one_of(
    st.from_regex(r"[A-Za-z0-9_.:/@-]{0,24}", fullmatch=True),
    st.sampled_from(["60", "true", "changeme", RANDOM_KEY, "https://h.example/x",
                     "postgresql://u:pw1234@db/x", "mysecretpassword", "HS256", ""]),
)
_COMMENT = st.from_regex(r"# [A-Za-z0-9 .,:=_-]{0,30}", fullmatch=True)


@st.composite
def env_texts(draw):
    out = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["kv", "kv", "comment", "blank", "export", "quoted"]))
        if kind == "comment":
            out.append(draw(_COMMENT))
        elif kind == "blank":
            out.append("")
        else:
            name, value = draw(_NAME), draw(_VALUE)
            line = {"kv": f"{name}={value}", "export": f"export {name}={value}",
                    "quoted": f'{name}="{value}"'}[kind]
            if draw(st.booleans()) and kind != "quoted":
                line += "  # note"
            out.append(line)
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    return nl.join(out) + (nl if out and draw(st.booleans()) else "")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(old=env_texts(), needed=st.lists(_NAME, max_size=4),
       live=st.sets(st.sampled_from(["mysecretpassword", "changeme", "pw1234", RANDOM_KEY])))
def test_merge_keeps_non_secret_lines_and_is_a_fixpoint(old, needed, live):
    secret = {v: "secret" for v in needed if rules.is_secret_key(v)}
    plain = {v: "x" for v in needed if v not in secret}
    merged = example.merge(old, needed, secret, plain, live)
    # Every original binding that holds no real secret stays byte for byte, in order.
    kept = [ln.text for ln in example.lines(old)
            if not (ln.key and example.scrubbed(ln.key, ln.value, live) is not None)]
    pos = 0
    for text in kept:
        found = merged.find(text, pos)
        assert found >= 0, (text, merged)
        pos = found + len(text)
    assert example.leaked(merged, live) == []
    assert example.merge(merged, needed, secret, plain, live) == merged
    assert {ln.key for ln in example.lines(merged) if ln.key} >= set(needed)


# ---- through the task: real compose, real git ------------------------------------------------
COMPOSE = """services:
  api:
    image: busybox
    environment:
      SECRET_KEY: 9f2c7a1e4b8d3f6a0c5e2b7d9a4f1c8e
      ACCESS_TOKEN_EXPIRE_MINUTES: ${ACCESS_TOKEN_EXPIRE_MINUTES:-60}
      DATABASE_URL: postgresql://app:weakpass12@db:5432/app
  db:
    image: postgres
    environment:
      POSTGRES_USER: app
      POSTGRES_PASSWORD: weakpass12
"""
USER_EXAMPLE = """# Copy me: cp .env.example .env
# Token lifetime in minutes
ACCESS_TOKEN_EXPIRE_MINUTES=60
JWT_ALGORITHM=HS256

# The database password (ask the team)
POSTGRES_PASSWORD=weakpass12
"""


def test_task_merges_the_users_example_first_apply_idempotent_same_verdict(
        make_target, run_fix, compose):
    target = make_target({"docker-compose.yml": COMPOSE, ".env.example": USER_EXAMPLE})
    result, out, err, _ = run_fix(target)
    steps = {s.name: s for s in result.steps}
    assert steps["env-example"].status == "changed", out
    assert "not idempotent" not in out
    text = (target / ".env.example").read_text()
    lines = text.splitlines()
    assert lines[:6] == USER_EXAMPLE.splitlines()[:6]           # comments, order, values kept
    assert lines[6] == "POSTGRES_PASSWORD="                     # the live weak value emptied
    assert "ACCESS_TOKEN_EXPIRE_MINUTES=60" in lines and "weakpass12" not in text
    assert text.count(example.BLOCK_START) == 1 and "SECRET_KEY=" in lines
    assert result.ok, out
    again, out2, *_ = run_fix(target)
    assert again.ok == result.ok and all(s.status == "ok" for s in again.steps), out2
    assert (target / ".env.example").read_text() == text


def test_task_leaves_a_clean_example_byte_identical(make_target, run_fix, compose):
    clean = "# all set\nACCESS_TOKEN_EXPIRE_MINUTES=60\n"
    compose_text = ("services:\n  api:\n    image: busybox\n    environment:\n"
                    "      ACCESS_TOKEN_EXPIRE_MINUTES: ${ACCESS_TOKEN_EXPIRE_MINUTES:-60}\n")
    target = make_target({"docker-compose.yml": compose_text, ".env.example": clean})
    result, out, *_ = run_fix(target)
    assert (target / ".env.example").read_text() == clean
    assert {s.name: s.status for s in result.steps}["env-example"] == "ok", out
