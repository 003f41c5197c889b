import pytest

from maestro_ml.api.auth import TokenError, create_access_token, decode_access_token

KEY = "test-signing-key-used-only-in-unit-tests"


def test_token_round_trip():
    token = create_access_token("alice", KEY, expires_in=60, now=1_000, role="admin")
    claims = decode_access_token(token, KEY, now=1_030)
    assert claims["sub"] == "alice"
    assert claims["role"] == "admin"


def test_token_signed_with_another_key_is_rejected():
    token = create_access_token("alice", KEY, now=1_000)
    with pytest.raises(TokenError, match="signature"):
        decode_access_token(token, "another-key", now=1_000)


def test_expired_token_is_rejected():
    token = create_access_token("alice", KEY, expires_in=60, now=1_000)
    with pytest.raises(TokenError, match="expired"):
        decode_access_token(token, KEY, now=1_060)
