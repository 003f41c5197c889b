"""Fixtures for week1.issues: the fake GitHub and a small target with a git remote."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_github import FakeGitHub  # noqa: E402
from tracker_kit import EXAMPLE_ISSUES, OWNERS, TOKEN  # noqa: E402


@pytest.fixture
def fake():
    with FakeGitHub(TOKEN) as server:
        yield server


@pytest.fixture
def target(tmp_path: Path) -> Path:
    """A git repository whose origin is acme/maestro-ml (ssh form), with the example's issues."""
    path = tmp_path / "maestro"
    path.mkdir()
    shutil.copy(EXAMPLE_ISSUES, path / "CRITICAL_ISSUES.md")
    (path / "pyproject.toml").write_text(OWNERS)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    subprocess.run(["git", "-C", str(path), "remote", "add", "origin",
                    "git@github.com:acme/maestro-ml.git"], check=True)
    return path


