"""Our INI reading agrees with iniconfig (pytest's parser) on every text it accepts, refuses
what it refuses on the same line, and the line spans of our edits are iniconfig's lines."""

from __future__ import annotations

import iniconfig
import pytest
from hypothesis import given, settings, strategies as st

from maestro_tasks.testing import inifile

LINES = st.sampled_from([
    "[pytest]", "[tool:pytest]", "[]", "[pytest", "addopts = -q", "addopts: -q",
    "pythonpath = .", "  src", "\tmore", "# comment", "; comment", "", "   ",
    "testpaths =", "a = b = c", "key: x = y", "markers =", "  slow: slow tests", "oops",
    "x=1", "[other] ; note",
])


def _text(lines: list[str], crlf: bool) -> str:
    nl = "\r\n" if crlf else "\n"
    return "".join(line + nl for line in lines)


@settings(max_examples=400, deadline=None)
@given(st.lists(LINES, max_size=10), st.booleans())
def test_agrees_with_iniconfig(lines, crlf):
    text = _text(lines, crlf)
    try:
        ref = iniconfig.IniConfig("x.ini", data=text)
    except iniconfig.ParseError as exc:
        ref_error, headerless = exc.lineno + 1, exc.msg == "no section header defined"
    else:
        ref_error, headerless = None, False
    unterminated = any(line.startswith("[") and not line.split(";")[0].split("#")[0]
                       .rstrip().endswith("]") for line in lines)
    try:
        doc = inifile.parse(text)
    except inifile.IniParseError as exc:
        if ref_error is not None:
            # keys before any header are ours to read on (iniconfig stops at the first)
            assert exc.line == ref_error or unterminated or headerless
        else:
            assert unterminated, f"refused what iniconfig accepts: {exc}"
        return
    if ref_error is not None:
        # the one thing we accept and iniconfig does not: keys before the first header
        assert doc.headerless is not None and doc.headerless.entries
        return
    assert {s.name: s.values() for s in doc.sections} == {
        name: dict(values) for name, values in ref.sections.items()}
    for section in doc.sections:
        for entry in section.entries:
            assert ref.lineof(section.name, entry.key) == entry.first + 1


@pytest.mark.parametrize("text, line", [
    ("[pytest]\naddopts = -q\naddopts = -x\n", 3),
    ("[pytest]\n[pytest]\n", 2),
    ("  indented\n[pytest]\n", 1),
    ("[pytest]\nno separator here\n", 2),
])
def test_refusals_name_iniconfigs_line(text, line):
    with pytest.raises(inifile.IniParseError) as err:
        inifile.parse(text)
    assert err.value.line == line
    with pytest.raises(iniconfig.ParseError) as ref:
        iniconfig.IniConfig("x.ini", data=text)
    assert ref.value.lineno + 1 == line
