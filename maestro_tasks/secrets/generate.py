"""New secret values: CSPRNG only (``secrets``, ``cryptography``), shaped by a Rule."""

from __future__ import annotations

import base64
import secrets
import string

from .rules import Rule

ALPHANUMERIC = string.ascii_letters + string.digits


def generate(rule: Rule, like: str | None = None) -> str:
    """A fresh value for ``rule``; ``like`` (the old literal) only picks the hex letter case."""
    if rule.kind == "fernet":
        from cryptography.fernet import Fernet

        return Fernet.generate_key().decode()
    if rule.kind == "hex":
        value = secrets.token_hex(rule.length // 2)
        return value.upper() if like and like.upper() == like and any(c.isalpha() for c in like) else value
    if rule.kind == "base64":
        return base64.b64encode(secrets.token_bytes(rule.length)).decode()
    if rule.kind == "base64url":
        return base64.urlsafe_b64encode(secrets.token_bytes(rule.length)).decode()
    return "".join(secrets.choice(ALPHANUMERIC) for _ in range(rule.length))
