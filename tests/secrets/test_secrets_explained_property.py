"""compare.explained (string matching over reachable positions) agrees with its definition
written as one regular expression per string (the former implementation)."""

from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from maestro_tasks.secrets.compare import explained


def by_regex(old: str, new: str, mapping: dict[str, str]) -> bool:
    values = sorted((v for v in mapping if v and v in new), key=len, reverse=True)
    if not values:
        return False
    parts = re.split("(" + "|".join(map(re.escape, values)) + ")", new)
    pattern = "".join(
        f"(?:{re.escape(p)}|{re.escape(mapping[p])})" if p in mapping else re.escape(p)
        for p in parts)
    return re.fullmatch(pattern, old, flags=re.S) is not None


alphabet = st.sampled_from("ab:/@x\n")
word = st.text(alphabet, min_size=0, max_size=4)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(alphabet, min_size=1, max_size=3), word, max_size=3),
       st.lists(st.one_of(word, st.just("KEY")), max_size=6), st.data())
def test_same_verdict_as_the_regex(mapping, pieces, data):
    keys = sorted(mapping)
    new = "".join(data.draw(st.sampled_from(keys)) if p == "KEY" and keys else p for p in pieces)
    # old: new with some values read back as their literal, or a random string
    if data.draw(st.booleans()):
        old = new
        for k in keys:
            if data.draw(st.booleans()):
                old = old.replace(k, mapping[k])
    else:
        old = data.draw(st.text(alphabet, max_size=10))
    assert explained(old, new, mapping) == by_regex(old, new, mapping)


def test_examples():
    m = {"NEWSECRET": "old"}
    assert explained("postgres://u:old@db", "postgres://u:NEWSECRET@db", m)
    assert not explained("postgres://u:old@db2", "postgres://u:NEWSECRET@db", m)
    assert not explained("x", "y", m)
