"""The demo folder: only a previous demo is replaced, and the demo says so."""

from __future__ import annotations

import pytest

from maestro_tasks.demo import MARKER, prepare
from maestro_tasks.engine import UsageError


def test_second_prepare_reports_it_replaced_the_previous_demo(tmp_path):
    first, replaced = prepare(tmp_path / "d")
    assert not replaced and (first / MARKER).is_file()
    (first / "leftover.txt").write_text("from the first demo")
    second, replaced = prepare(tmp_path / "d")
    assert replaced and second == first and not (second / "leftover.txt").exists()


def test_a_folder_that_is_not_a_demo_is_never_replaced(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "keep.txt").write_text("x")
    with pytest.raises(UsageError, match="not a previous demo"):
        prepare(tmp_path / "mine")
    assert (tmp_path / "mine" / "keep.txt").read_text() == "x"
