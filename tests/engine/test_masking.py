"""The one masking helper."""

from __future__ import annotations

import string

from hypothesis import given, strategies as st

from maestro_tasks.engine.masking import Masker, mask_value

ALNUM = string.ascii_letters + string.digits


def test_mask_shape():
    assert mask_value("Xq" + "a" * 30) == "Xq…(32)"
    assert mask_value("abc") == "…(3)"


def test_short_weak_values_are_masked_as_whole_tokens_only():
    m = Masker(["admin"])
    assert m("GF_SECURITY_ADMIN_PASSWORD=admin") == "GF_SECURITY_ADMIN_PASSWORD=ad…(5)"
    assert m("ui/admin-dashboard") == "ui/admin-dashboard"
    assert m("postgresql://u:admin@db") == "postgresql://u:ad…(5)@db"
    assert m("${GF_PASSWORD:-admin}") == "${GF_PASSWORD:-ad…(5)}"
    assert m("--password admin --x") == "--password ad…(5) --x"
    assert m("admin-") == "ad…(5)-"


def test_overlapping_secrets_mask_the_longest():
    m = Masker(["abcdefghijklmnop", "abcdefghijklmnopqrstuvwx"])
    assert m("v=abcdefghijklmnopqrstuvwx") == "v=ab…(24)"


@given(secret=st.text(alphabet=ALNUM, min_size=12, max_size=64),
       before=st.text(max_size=40), after=st.text(max_size=40))
def test_long_secrets_never_survive_masking(secret, before, after):
    m = Masker([secret])
    assert secret not in m(before + secret + after)


@given(secret=st.text(alphabet=ALNUM + "!@#%^&*", min_size=3, max_size=11),
       sep=st.sampled_from([" ", "=", ":", "@", "/", "'", '"', "\n", ","]))
def test_short_secrets_masked_between_separators(secret, sep):
    m = Masker([secret])
    assert secret not in m(f"key{sep}{secret}{sep}tail").split(sep)


def test_deep_masks_json_structures():
    m = Masker(["Zr8Qp2LmX9vT4kWn"])
    doc = {"a": ["x Zr8Qp2LmX9vT4kWn", {"b": "Zr8Qp2LmX9vT4kWn"}], "n": 3}
    assert "Zr8Qp2LmX9vT4kWn" not in str(m.deep(doc))


def test_fragments_of_long_secrets_are_masked():
    secret = "qico7CkhtebBxR4J0yjVQmUQFPxTa9Lk"
    m = Masker([secret])
    shortened = f"assert '{secret[:12]}...{secret[-12:]}' == 'x'"
    out = m(shortened)
    assert secret[:12] not in out and secret[-12:] not in out
    assert m("nothing secret here at all") == "nothing secret here at all"
