"""Key rules, strength rules and generation."""

from __future__ import annotations

import base64
import string

import pytest
from hypothesis import given, settings, strategies as st

from maestro_tasks.secrets import rules
from maestro_tasks.secrets.generate import generate


@pytest.mark.parametrize("key", [
    "POSTGRES_PASSWORD", "PGPASSWORD", "MYSQL_ROOT_PASSWORD", "DB_PASSWD", "REDIS_PASS",
    "CLIENT_SECRET", "AWS_SECRET_ACCESS_KEY", "MINIO_SECRET_KEY", "HF_TOKEN", "GITHUB_TOKEN",
    "OPENAI_API_KEY", "APIKEY", "SSH_PRIVATE_KEY", "PASSWORD_SALT", "SALT", "ENCRYPTION_KEY",
    "AIRFLOW__CORE__FERNET_KEY", "REDIS_AUTH", "GOOGLE_CREDENTIALS", "JWT_SECRET",
    "AIRFLOW__WEBSERVER__SECRET_KEY", "x-db-password",
])
def test_secret_named_keys(key):
    assert rules.is_secret_key(key)


@pytest.mark.parametrize("key", [
    "POSTGRES_USER", "MINIO_ROOT_USER", "AWS_ACCESS_KEY_ID", "MINIO_ACCESS_KEY", "PASSWORD_FILE",
    "POSTGRES_PASSWORD_FILE", "TOKENIZERS_PARALLELISM", "PWD", "AUTH_ENABLED", "JWT_ALGORITHM",
    "SECRET_KEY_PATH", "DATABASE_URL", "LOG_LEVEL", "TOKEN_URL", "PASSWORD_MIN_LENGTH",
])
def test_not_secret_keys(key):
    assert not rules.is_secret_key(key)


def test_identity_keys():
    for key in ("MINIO_ROOT_USER", "AWS_ACCESS_KEY_ID", "POSTGRES_DB", "MINIO_ACCESS_KEY"):
        assert rules.is_identity_key(key)
    assert not rules.is_identity_key("POSTGRES_PASSWORD")


def test_rule_from_name_and_shape():
    assert rules.rule_for("POSTGRES_PASSWORD", "maestro123") == rules.Rule("password", 32)
    assert rules.rule_for("JWT_SECRET_KEY", "super-secret-jwt-key") == rules.Rule("token", 64)
    assert rules.rule_for("ENCRYPTION_KEY", "0" * 64) == rules.Rule("hex", 64)
    assert rules.rule_for("SIGNING_KEY", "ab" * 10) == rules.Rule("hex", 32)
    assert rules.rule_for("AIRFLOW__CORE__FERNET_KEY", "") == rules.Rule("fernet", 32)
    assert rules.rule_for("SIGNING_KEY", base64.b64encode(b"x" * 40).decode()) == rules.Rule("base64", 40)
    assert rules.rule_for("AWS_SECRET_ACCESS_KEY") == rules.Rule("password", 40)
    # A numeric password is not "hex".
    assert rules.rule_for("DB_PASSWORD", "123456") == rules.Rule("password", 32)


def test_parse_rule():
    assert rules.parse_rule("password") == rules.Rule("password", 32)
    assert rules.parse_rule("hex:128") == rules.Rule("hex", 128)
    assert str(rules.parse_rule("fernet")) == "fernet"
    for bad in ("password:8", "hex:33", "nope", "token:x", "fernet:3"):
        with pytest.raises(ValueError):
            rules.parse_rule(bad)


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(rules.KINDS), extra=st.integers(0, 40))
def test_generated_values_meet_their_rule(kind, extra):
    length = rules.MIN_LENGTH[kind] + (extra * 2 if kind != "fernet" else 0)
    rule = rules.Rule(kind, length)
    value = generate(rule)
    assert rules.weakness(value, rule) is None
    if kind in ("password", "token"):
        assert len(value) == length and set(value) <= set(string.ascii_letters + string.digits)
    if kind == "hex":
        assert len(value) == length and int(value, 16) >= 0
    if kind in ("base64", "base64url"):
        decode = base64.b64decode if kind == "base64" else base64.urlsafe_b64decode
        assert len(decode(value)) == length


def test_fernet_is_valid_and_hex_keeps_case():
    from cryptography.fernet import Fernet

    Fernet(generate(rules.Rule("fernet", 32)).encode())  # raises when invalid
    assert generate(rules.Rule("hex", 32), like="ABCDEF" * 6).isupper()


def test_values_are_not_repeated():
    values = {generate(rules.Rule("password", 32)) for _ in range(50)}
    assert len(values) == 50


@pytest.mark.parametrize("value,rule,why", [
    ("short", rules.Rule("password", 32), "characters"),
    ("changeme" * 5, rules.Rule("password", 32), "default word"),
    ("a" * 40, rules.Rule("password", 32), "variety"),
    ("0" * 64, rules.Rule("hex", 64), "variety"),
    ("zz" * 32, rules.Rule("hex", 64), "not hex"),
    ("nope", rules.Rule("fernet", 32), "Fernet"),
])
def test_weakness(value, rule, why):
    assert why in rules.weakness(value, rule)
