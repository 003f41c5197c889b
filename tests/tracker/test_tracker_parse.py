"""tracker.parse: the example round-trips, malformed entries name their line, and
render → parse is the identity (property)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from tracker_kit import EXAMPLE_ISSUES
from maestro_tasks.engine import InputError
from maestro_tasks.tracker.mapping import labels_of, owners_table, role_of
from maestro_tasks.tracker.parse import FIELDS, Entry, parse, render


def example():
    return parse(EXAMPLE_ISSUES.read_text(), "CRITICAL_ISSUES.md")


def test_the_example_parses_into_its_eight_entries():
    entries = example()
    assert [e.number for e in entries] == list(range(1, 9))
    assert [e.group.split()[1] for e in entries] == ["CRITICAL"] * 4 + ["HIGH"] * 2 + ["MEDIUM"] * 2
    first = entries[0]
    assert first.field("priority") == "CRITICAL" and first.field("estimated") == "4 hours"
    assert [k for k, _ in first.sections] == ["Problem", "Root Cause", "Solution",
                                              "Acceptance Criteria"]
    assert "pythonpath = src" in first.section("solution")  # code blocks kept verbatim
    assert len(first.acceptance) == 3 and first.related == (5, 8)
    assert {role_of(e) for e in entries} == {"Backend Engineer", "DevOps Engineer",
                                              "Frontend Engineer", "Platform Team"}
    assert labels_of(entries[1]) == ("priority:critical", "severity:critical", "area:devops")
    # The line each entry starts on, for error messages.
    lines = EXAMPLE_ISSUES.read_text().splitlines()
    assert all(lines[e.line - 1].startswith(f"### Issue #{e.number}:") for e in entries)


def test_the_example_round_trips_through_render():
    entries = example()
    assert parse(render(entries)) == entries
    assert render(parse(render(entries))) == render(entries)


def test_bold_keys_headings_and_rules_inside_code_blocks_are_text():
    text = ("### Issue #1: A\n**Priority**: HIGH\n\n**Problem**:\n```md\n### Issue #2: not one\n"
            "**Priority**: LOW\n---\n```\n\n**Acceptance Criteria**:\n- [x] done\n")
    (entry,) = parse(text)
    assert "### Issue #2: not one" in entry.section("problem")
    assert entry.field("priority") == "HIGH" and entry.acceptance == [(True, "done")]


def test_a_title_ending_in_a_hash_keeps_it():
    text = "### Issue #1: Port the C# client ##\n" + GOOD_TAIL
    assert parse(text)[0].title == "Port the C# client"


GOOD_TAIL = "**Priority**: HIGH\n**Problem**:\ntext\n**Acceptance Criteria**:\n- [ ] ok\n"


@pytest.mark.parametrize("text, line, words", [
    ("# T\n\n### Issue 3 Missing colon\n" + GOOD_TAIL, 3, "expected `### Issue #N: Title`"),
    ("### Issue #x: bad number\n" + GOOD_TAIL, 1, "malformed issue heading"),
    ("### Issue #1: A\n**Problem**:\nx\n**Acceptance Criteria**:\n- [ ] ok\n", 1, "**Priority**"),
    ("### Issue #1: A\n" + GOOD_TAIL + "\n### Issue #1: B\n" + GOOD_TAIL, 8, "appears twice"),
    ("### Issue #1: A\n**Priority**: HIGH\n**Priority**: LOW\n" + GOOD_TAIL[19:], 3,
     "given twice"),
    ("### Issue #1: A\n" + GOOD_TAIL + "```python\nx = 1\n", 7, "never closed"),
    ("# Nothing here\n\nJust prose.\n", None, "no issue entries"),
    ("### Isue #1: typo in the heading\n" + GOOD_TAIL, 2, "outside an issue entry"),
    ("### Issue three: no number\n" + GOOD_TAIL, 1, "malformed issue heading"),
])
def test_a_malformed_entry_names_its_line(text, line, words):
    with pytest.raises(InputError) as info:
        parse(text, "CRITICAL_ISSUES.md")
    assert info.value.line == line
    assert words in str(info.value)
    assert str(info.value).startswith(f"CRITICAL_ISSUES.md:{line}:" if line else
                                      "CRITICAL_ISSUES.md:")


# The shape of a real roadmap file (written here, not copied): a status block, P0/P1/P2
# priorities with a word after them, several roles per entry, lower-priority entries with
# neither Problem nor checklist, prose-only entries, and summary sections after the entries.
ROADMAP_SHAPE = """# Critical Issues & Action Items

**Status**: ACTIONABLE  
**Total Issues**: 3 Critical, 1 High, 1 Medium  

---

## 🔴 CRITICAL ISSUES

### Issue #1: Test Execution Blocked
**Priority**: P0 - BLOCKING  
**Severity**: CRITICAL  
**Status**: 🔴 Open  
**Estimated**: 4 hours  
**Assigned**: Backend Engineer

**Problem**:
```bash
$ pytest
ModuleNotFoundError
```

**Acceptance Criteria**:
- [ ] tests collect

**Related Issues**: #2, #3

---

### Issue #2: Placeholder implementations
**Priority**: P0 - FUNCTIONALITY  
**Severity**: HIGH  
**Assigned**: 2 Backend Engineers

**Problem**: functions that only `pass`

**Solution Strategy**:
1. **Categorize by severity**
2. Convert the rest to TODOs

---

### Issue #3: No performance validation
**Priority**: P1 - QUALITY  
**Assigned**: QA Engineer + Backend Engineer

---

## 🟡 HIGH PRIORITY ISSUES

### Issue #4: Integration tests missing
**Priority**: P1  
**Estimated**: 24 hours  
**Current**: unit tests only

**Problem**: no end-to-end tests

---

## 🟢 MEDIUM PRIORITY ISSUES

### Issue #5: Documentation out of date
**Priority**: P2  
**Estimated**: 12 hours

Update the docs to match the code.

---

## 📊 Summary

### By Phase
- **Phase 1**: Issues #1, #2

### Day 1
- [ ] Issue #1 - 4 hours
"""


def test_the_roadmap_shape_parses_every_entry_with_sensible_labels_and_roles():
    from maestro_tasks.tracker.mapping import desired, roles_of

    entries = parse(ROADMAP_SHAPE)
    assert [e.number for e in entries] == [1, 2, 3, 4, 5]
    assert [labels_of(e) for e in entries] == [
        ("priority:p0", "severity:critical", "area:backend"),
        ("priority:p0", "severity:high", "area:backend"),
        ("priority:p1", "area:qa"),
        ("priority:p1",),
        ("priority:p2",),
    ]
    assert roles_of(entries[1]) == ["Backend Engineer"]
    assert roles_of(entries[2]) == ["QA Engineer", "Backend Engineer"]
    assert entries[3].section("current") == "unit tests only"
    assert entries[4].section("description") == "Update the docs to match the code."
    assert entries[0].related == (2, 3) and entries[4].acceptance == []
    spec = desired(entries[2], source="CRITICAL_ISSUES.md", owners={"backend engineer": "alice"},
                   numbers={}, titles={})
    assert spec.assignees == ("alice",) and spec.unassigned == ("QA Engineer",)
    assert parse(render(entries)) == entries


def test_the_owners_setting_must_map_roles_to_logins():
    assert owners_table({"owners": {"Backend Engineer": "@alice"}}) == {"backend engineer": "alice"}
    for bad in (["alice"], {"Backend": 3}, {"Backend": "not a login!"}):
        with pytest.raises(InputError):
            owners_table({"owners": bad})


# ---- property: render → parse is the identity ----------------------------------------------
_letter = st.characters(whitelist_categories=("L", "N"), max_codepoint=0x2FFF)
# A word starts with a letter (so no line starts with syntax) and may hold Markdown punctuation.
_word = st.builds(lambda a, b: a + b, _letter,
                  st.text(st.one_of(_letter, st.sampled_from("#*:`_-()[]/.,'\"<>!")), max_size=7))
_phrase = st.lists(_word, min_size=1, max_size=5).map(" ".join)
# Prose lines that are not syntax: no leading '#', '**', '---', fence or checklist marker.
_prose = st.lists(st.one_of(_phrase, st.just(""), _phrase.map(lambda p: f"- {p}"),
                            _phrase.map(lambda p: f"`{p}` and *{p}*")), min_size=1, max_size=4)
# Code blocks may hold anything that looks like syntax: it must stay text.
_code = st.lists(st.one_of(_phrase, st.sampled_from([
    "### Issue #99: inside a fence", "**Priority**: LOW", "---", "## Group", "- [ ] not an item",
    "    indented", ""])), max_size=4)


@st.composite
def _section_text(draw):
    lines = draw(_prose)
    if draw(st.booleans()):
        lines += [f"```{draw(st.sampled_from(['', 'bash', 'ini']))}", *draw(_code), "```"]
        lines += draw(st.lists(_phrase, max_size=2))
    text = "\n".join(lines).strip("\n")
    return text or "x"


@st.composite
def _entry(draw, number, group):
    names = draw(st.lists(st.sampled_from([f.title() for f in FIELDS if f not in ("priority", "related issues")]),
                          unique_by=str.lower, max_size=4))
    fields = [("Priority", draw(_phrase))] + [(n, draw(_phrase)) for n in names]
    if draw(st.booleans()):
        fields.append(("Related Issues", ", ".join(f"#{n}" for n in draw(
            st.lists(st.integers(1, 40), min_size=1, max_size=3)))))
    extra = draw(st.lists(st.sampled_from(["Root Cause", "Impact", "Files", "Notes"]),
                          unique=True, max_size=2))
    items = draw(st.lists(st.tuples(st.booleans(), _phrase), min_size=1, max_size=4))
    checklist = "\n".join(f"- [{'x' if done else ' '}] {text}" for done, text in items)
    sections = [("Problem", draw(_section_text()))] + [(n, draw(_section_text())) for n in extra]
    sections.append(("Acceptance Criteria", checklist))
    return Entry(number, draw(_phrase), group, tuple(fields), tuple(sections))


@st.composite
def _documents(draw):
    numbers = draw(st.lists(st.integers(1, 500), min_size=1, max_size=6, unique=True))
    groups = draw(st.lists(_phrase, min_size=1, max_size=3))
    return [draw(_entry(n, groups[min(i * len(groups) // len(numbers), len(groups) - 1)]))
            for i, n in enumerate(numbers)]


@settings(max_examples=100, deadline=None)
@given(_documents())
def test_render_then_parse_is_the_identity(entries):
    assert parse(render(entries)) == entries
