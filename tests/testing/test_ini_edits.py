"""The INI model mirrors pytest's parser; edits touch only the lines they must."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maestro_tasks.testing import inifile
from maestro_tasks.testing.config import Edit, apply_edits

TOX = """\
[tox]
envlist = py311

# settings for pytest
[pytest]
testpaths = tests
addopts = -ra
    --strict-markers
markers =
    slow: takes long

; trailing comment before the next section
[flake8]
max-line-length = 100
"""


def changed_lines(old: str, new: str) -> list[str]:
    return [line for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="",
                                                  n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_parse_sections_entries_and_continuations():
    doc = inifile.parse(TOX)
    section = doc.section("pytest")
    assert section.values() == {"testpaths": "tests", "addopts": "-ra\n--strict-markers",
                                "markers": "slow: takes long"}
    assert doc.section("flake8").get("max-line-length").value == "100"


@pytest.mark.parametrize("text, line, message", [
    ("[pytest]\nnot a key line\n", 2, "unexpected line"),
    ("[pytest]\na = 1\na = 2\n", 3, "duplicate name"),
    ("  indented = 1\n", 1, "unexpected value continuation"),
    ("[]\n", 1, "empty section name"),
    ("[pytest]\n[pytest]\n", 2, "duplicate section"),
])
def test_parse_errors_name_the_line(text, line, message):
    with pytest.raises(inifile.IniParseError) as err:
        inifile.parse(text)
    assert err.value.line == line and message in err.value.message


def test_headerless_keys_are_kept_for_diagnosis():
    doc = inifile.parse("# old script\npythonpath = .\ntestpaths = tests\n")
    assert doc.headerless.values() == {"pythonpath": ".", "testpaths": "tests"}
    fixed = inifile.insert_header(doc.text(), "pytest")
    assert fixed == "# old script\n[pytest]\npythonpath = .\ntestpaths = tests\n"


def test_set_new_key_goes_inside_its_section_not_at_file_end():
    new = inifile.set_value(TOX, "pytest", "pythonpath", "src")
    assert changed_lines(TOX, new) == ["+pythonpath = src"]
    assert inifile.parse(new).section("pytest").get("pythonpath").value == "src"
    assert "max-line-length = 100" in new.split("[flake8]")[1]


def test_set_existing_key_replaces_continuation_lines_and_keeps_separator_style():
    text = "[pytest]\naddopts=-ra\n    -q\nx = 1\n"
    new = inifile.set_value(text, "pytest", "addopts", "-v")
    assert new == "[pytest]\naddopts=-v\nx = 1\n"


def test_set_adds_missing_section_at_end():
    new = inifile.set_value("[tox]\nenvlist = py311", "pytest", "pythonpath", "src")
    assert new == "[tox]\nenvlist = py311\n\n[pytest]\npythonpath = src\n"


def test_crlf_files_stay_crlf():
    text = "[pytest]\r\ntestpaths = tests\r\n"
    new = inifile.set_value(text, "pytest", "pythonpath", "src")
    assert new == "[pytest]\r\ntestpaths = tests\r\npythonpath = src\r\n"


def test_remove_and_rename_touch_one_entry():
    assert changed_lines(TOX, inifile.remove_key(TOX, "pytest", "addopts")) == [
        "-addopts = -ra", "-    --strict-markers"]
    renamed = inifile.rename_key("[pytest]\npython-files = check_*.py\n", "pytest",
                                 "python-files", "python_files")
    assert renamed == "[pytest]\npython_files = check_*.py\n"


def test_addopt_appends_to_the_last_continuation_line():
    new = apply_edits(TOX, "tox.ini", "pytest", [Edit("addopt", "addopts",
                                                      ("--import-mode=importlib",))])
    assert changed_lines(TOX, new) == ["-    --strict-markers",
                                       "+    --strict-markers --import-mode=importlib"]


def test_setup_cfg_edit_stays_in_tool_pytest():
    text = "[metadata]\nname = x\n\n[tool:pytest]\nimport-mode = importlib\n"
    new = apply_edits(text, "setup.cfg", "tool:pytest",
                      [Edit("remove", "import-mode"),
                       Edit("addopt", "addopts", ("--import-mode=importlib",))])
    assert new == "[metadata]\nname = x\n\n[tool:pytest]\naddopts = --import-mode=importlib\n"


def test_pyproject_edit_keeps_comments_and_creates_the_table():
    text = '# top comment\n[project]\nname = "x"  # inline\n'
    new = apply_edits(text, "pyproject", "tool.pytest.ini_options",
                      [Edit("set", "pythonpath", ("src",)),
                       Edit("addopt", "addopts", ("--import-mode=importlib",))])
    assert new.startswith(text)
    assert "[tool.pytest.ini_options]" in new
    import tomllib

    table = tomllib.loads(new)["tool"]["pytest"]["ini_options"]
    assert table == {"pythonpath": ["src"], "addopts": "--import-mode=importlib"}


def test_native_toml_addopts_list_is_extended():
    text = '[tool.pytest]\naddopts = ["-ra"]  # keep\n'
    new = apply_edits(text, "pyproject", "tool.pytest",
                      [Edit("addopt", "addopts", ("--import-mode=importlib",))])
    import tomllib

    assert tomllib.loads(new)["tool"]["pytest"]["addopts"] == ["-ra", "--import-mode=importlib"]
    assert "# keep" in new


_names = st.from_regex(r"[a-z][a-z_]{0,10}", fullmatch=True)
_values = st.from_regex(r"[A-Za-z0-9_./ -]{0,20}", fullmatch=True).map(str.strip)
_comments = st.lists(st.from_regex(r"[#;][ -~]{0,20}", fullmatch=True), max_size=2)


@st.composite
def ini_documents(draw):
    lines = []
    sections = draw(st.lists(_names, min_size=1, max_size=3, unique=True))
    for name in sections:
        lines += draw(_comments)
        lines.append(f"[{name}]")
        for key in draw(st.lists(_names, max_size=4, unique=True)):
            lines.append(f"{key} = {draw(_values)}")
        if draw(st.booleans()):
            lines.append("")
    return "\n".join(lines) + "\n", sections


@settings(max_examples=150, deadline=None)
@given(ini_documents(), _names, _values)
def test_set_value_changes_only_that_key(doc_and_sections, key, value):
    text, sections = doc_and_sections
    section = sections[-1] if len(sections) == 1 else sections[len(sections) // 2]
    before = inifile.parse(text)
    after_text = inifile.set_value(text, section, key, value)
    after = inifile.parse(after_text)
    assert after.section(section).values()[key] == value
    for sec in before.sections:
        expected = sec.values()
        if sec.name == section:
            expected[key] = value
        assert after.section(sec.name).values() == expected
    # every original comment line survives
    for line in text.splitlines():
        if line.startswith(("#", ";")):
            assert line in after_text.splitlines()
    assert len(changed_lines(text, after_text)) <= 2
