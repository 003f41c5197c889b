"""The engines range matcher against npm's documented semantics, by examples and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from maestro_tasks.ui.semver import parse_range, parse_version, satisfies

EXAMPLES = [
    ("20.11.1", ">=18", True),
    ("16.20.0", ">=18", False),
    ("18.0.0", ">=18.0.0 <21", True),
    ("21.0.0", ">=18.0.0 <21", False),
    ("20.1.0", "^20", True),
    ("20.1.0", "^18 || ^20", True),
    ("19.9.9", "^18 || ^20", False),
    ("1.2.9", "~1.2.3", True),
    ("1.3.0", "~1.2.3", False),
    ("0.2.9", "^0.2.3", True),
    ("0.3.0", "^0.2.3", False),
    ("0.0.3", "^0.0.3", True),
    ("0.0.4", "^0.0.3", False),
    ("1.5.0", "1.x", True),
    ("2.0.0", "1.x", False),
    ("3.1.4", "*", True),
    ("3.1.4", "", True),
    ("1.2.0", "1.2.0 - 2.3", True),
    ("2.3.9", "1.2.0 - 2.3", True),
    ("2.4.0", "1.2.0 - 2.3", False),
    ("1.3.0", ">1.2", True),
    ("1.2.9", ">1.2", False),
    ("1.2.9", "<=1.2", True),
    ("1.3.0", "<=1.2", False),
    ("10.2.4", ">= 10", True),
    ("22.0.0-rc.1", ">=22", False),
    ("20.0.0", "v20.0.0", True),
    ("20.0.0", "=20.0.0", True),
]


@pytest.mark.parametrize("version, wanted, expected", EXAMPLES)
def test_npm_examples(version, wanted, expected):
    assert satisfies(version, wanted) is expected


@pytest.mark.parametrize("bad", [">=", "abc", "1.2.3.4", "^^1", ">=1 <"])
def test_invalid_ranges_raise_value_error(bad):
    with pytest.raises(ValueError):
        parse_range(bad)


def test_parse_version_reads_node_output():
    assert str(parse_version("v20.11.1")) == "20.11.1"
    with pytest.raises(ValueError):
        parse_version("v20.x")


nums = st.integers(min_value=0, max_value=30)
triples = st.tuples(nums, nums, nums)


def _v(t):
    return ".".join(map(str, t))


@given(triples, triples)
def test_comparators_follow_tuple_order(v, bound):
    assert satisfies(_v(v), f">={_v(bound)}") is (v >= bound)
    assert satisfies(_v(v), f">{_v(bound)}") is (v > bound)
    assert satisfies(_v(v), f"<{_v(bound)}") is (v < bound)
    assert satisfies(_v(v), f"<={_v(bound)}") is (v <= bound)
    assert satisfies(_v(v), _v(bound)) is (v == bound)


@given(triples, triples)
def test_caret_keeps_the_left_most_non_zero_part(v, base):
    if base[0] > 0:
        upper = (base[0] + 1, 0, 0)
    elif base[1] > 0:
        upper = (0, base[1] + 1, 0)
    else:
        upper = (0, 0, base[2] + 1)
    assert satisfies(_v(v), f"^{_v(base)}") is (base <= v < upper)


@given(triples, triples)
def test_tilde_allows_patch_updates(v, base):
    assert satisfies(_v(v), f"~{_v(base)}") is (base <= v < (base[0], base[1] + 1, 0))


@given(triples, triples, triples)
def test_union_is_either_and_space_is_both(v, a, b):
    either = satisfies(_v(v), f">={_v(a)}") or satisfies(_v(v), f"<{_v(b)}")
    both = satisfies(_v(v), f">={_v(a)}") and satisfies(_v(v), f"<{_v(b)}")
    assert satisfies(_v(v), f">={_v(a)} || <{_v(b)}") is either
    assert satisfies(_v(v), f">={_v(a)} <{_v(b)}") is both


@given(triples, nums, nums)
def test_x_ranges_cover_their_prefix(v, major, minor):
    assert satisfies(_v(v), f"{major}.x") is (v[0] == major)
    assert satisfies(_v(v), f"{major}.{minor}.x") is (v[:2] == (major, minor))


@given(st.text(max_size=30))
def test_arbitrary_text_parses_or_raises_value_error(text):
    try:
        parse_range(text)
    except ValueError:
        pass
