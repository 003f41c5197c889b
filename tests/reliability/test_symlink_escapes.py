"""Symlinks that leave the target are refused before anything is written (exit 2, named);
a symlink that stays inside the target is written through, never replaced by a plain file."""

from __future__ import annotations

import os
import shutil

import pytest

from mt_testkit import tree_digest
from reliability_kit import SECRET_TASK, assert_clean_error, run_in


@pytest.fixture
def outside(tmp_path):
    """A folder beside the target holding files the run must never touch."""
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


def _escape(target, outside, rel, content):
    real = outside / os.path.basename(rel)
    if content is None:
        shutil.move(str(target / rel), real)
    else:
        real.write_bytes(content)
        (target / rel).unlink(missing_ok=True)
    (target / rel).symlink_to(real)
    return real


@pytest.mark.parametrize("rel, content", [
    ("docker-compose.yml", None),
    (".env", b"POSTGRES_PASSWORD=short\n"),
    (".gitignore", None),
    (".env.example", b"# kept outside\n"),
    (".maestro", "dir"),
])
def test_link_leaving_the_target_is_refused(fresh_target, outside, rel, content):
    target = fresh_target("t")
    if content == "dir":
        (outside / "state").mkdir()
        (target / rel).symlink_to(outside / "state")
    else:
        _escape(target, outside, rel, content)
    before_out, before_in = tree_digest(outside), tree_digest(target)
    res = run_in(target, SECRET_TASK)
    text = assert_clean_error(res, codes=(2,))
    assert f"{rel}" in text and "outside the target" in text, text
    assert tree_digest(outside) == before_out, "something was written outside the target"
    assert tree_digest(target) == before_in


def test_parent_folder_link_leaving_the_target_is_refused(fresh_target, outside):
    target = fresh_target("t")
    (outside / "compose.yml").write_bytes((target / "docker-compose.yml").read_bytes())
    (target / "deploy").symlink_to(outside)
    before = tree_digest(outside)
    res = run_in(target, SECRET_TASK, "--compose-file", "deploy/compose.yml")
    text = assert_clean_error(res, codes=(2,))
    assert "deploy/compose.yml" in text and "outside the target" in text
    assert tree_digest(outside) == before


def test_link_inside_the_target_is_written_through(fresh_target):
    """docker-compose.yml -> deploy/compose.yml (both inside): the real file is fixed, the link
    stays a link; replacing the link by a plain file would leave the secrets in the real one."""
    target = fresh_target("t")
    (target / "deploy").mkdir()
    shutil.move(str(target / "docker-compose.yml"), target / "deploy" / "compose.yml")
    (target / "docker-compose.yml").symlink_to(os.path.join("deploy", "compose.yml"))
    res = run_in(target, SECRET_TASK)
    assert res.returncode == 0, res.stdout + res.stderr
    assert (target / "docker-compose.yml").is_symlink()
    assert b"${POSTGRES_PASSWORD" in (target / "deploy" / "compose.yml").read_bytes()
    again = run_in(target, SECRET_TASK, "--check")
    assert again.returncode == 0, again.stdout + again.stderr
