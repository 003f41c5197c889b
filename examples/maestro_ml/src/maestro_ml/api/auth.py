"""HS256 JSON Web Tokens (RFC 7519) for the API, stdlib only."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time


class TokenError(Exception):
    """The token is malformed, forged or expired."""


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(signing_input: bytes, key: str) -> str:
    return _b64encode(hmac.new(key.encode(), signing_input, hashlib.sha256).digest())


def create_access_token(subject: str, key: str, expires_in: int = 1800,
                        now: float | None = None, **claims) -> str:
    if not key:
        raise ValueError("a signing key is required (JWT_SECRET_KEY)")
    issued = int(now if now is not None else time.time())
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": subject, "iat": issued, "exp": issued + expires_in, **claims}
    signing_input = ".".join(
        _b64encode(json.dumps(part, separators=(",", ":"), sort_keys=True).encode())
        for part in (header, payload)
    )
    return f"{signing_input}.{_sign(signing_input.encode(), key)}"


def decode_access_token(token: str, key: str, now: float | None = None) -> dict:
    try:
        header_b64, payload_b64, signature = token.split(".")
    except ValueError:
        raise TokenError("token must have three parts") from None
    expected = _sign(f"{header_b64}.{payload_b64}".encode(), key)
    # Constant-time comparison: a timing side channel would leak the signature byte by byte.
    if not hmac.compare_digest(expected, signature):
        raise TokenError("bad signature")
    try:
        header = json.loads(_b64decode(header_b64))
        payload = json.loads(_b64decode(payload_b64))
    except (ValueError, UnicodeDecodeError):
        raise TokenError("token is not valid JSON") from None
    if header.get("alg") != "HS256":
        raise TokenError(f"unsupported algorithm {header.get('alg')!r}")
    current = now if now is not None else time.time()
    if current >= payload.get("exp", 0):
        raise TokenError("token expired")
    return payload
