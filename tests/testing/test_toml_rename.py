"""Renaming a key in a TOML config happens on its own line: nothing else moves (property test)."""

from __future__ import annotations

import difflib
import json
import tomllib

from hypothesis import given, settings, strategies as st

from maestro_tasks.testing.config import Edit, apply_edits

keys = st.from_regex(r"[a-z]{1,6}(-[a-z]{1,6}){1,2}", fullmatch=True)
values = st.one_of(st.booleans(), st.integers(-5, 99), st.text("abc*_. ", max_size=8),
                   st.lists(st.text("abc*_", max_size=5), max_size=3))
others = st.dictionaries(st.from_regex(r"[a-z]{1,8}", fullmatch=True), values, max_size=4)


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


@settings(max_examples=60, deadline=None)
@given(key=keys, value=values, before=others, after=others, quoted=st.booleans(),
       comment=st.booleans())
def test_rename_changes_only_the_key_line(key, value, before, after, quoted, comment):
    after = {k: v for k, v in after.items() if k not in before}
    lines = ['[project]', 'name = "x"', '', '[tool.pytest.ini_options]']
    lines += [f"{k} = {toml_value(v)}" for k, v in before.items()]
    written = f'"{key}"' if quoted else key
    lines.append(f"{written} = {toml_value(value)}" + ("  # keep" if comment else ""))
    lines += [f"{k} = {toml_value(v)}" for k, v in after.items()]
    lines += ["", "[tool.other]", f"{written} = 1"]  # same key in another table: untouched
    text = "\n".join(lines) + "\n"
    new_key = key.replace("-", "_")
    out = apply_edits(text, "pyproject", "tool.pytest.ini_options",
                      [Edit("rename", key, (new_key,))])
    changed = [ln for ln in difflib.unified_diff(text.splitlines(), out.splitlines(),
                                                  lineterm="", n=0)
               if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    assert len(changed) == 2 and changed[0].startswith("-") and changed[1].startswith("+")
    assert len(out.splitlines()) == len(text.splitlines())
    old_doc, new_doc = tomllib.loads(text), tomllib.loads(out)
    table = new_doc["tool"]["pytest"]["ini_options"]
    assert table[new_key] == value and key not in table
    assert new_doc["tool"]["other"] == old_doc["tool"]["other"]
