"""Fixtures for week1.issues: the fake GitHub, a small target with a git remote, the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from fake_github import FakeGitHub
from mt_testkit import BIN, REPO

EXAMPLE_ISSUES = REPO / "examples" / "maestro_ml" / "CRITICAL_ISSUES.md"
# Distinctive, so a leak anywhere is found by a plain substring search.
TOKEN = "ghp_FAKE7yTq2ZxL9wPbN4kRc8vMd3sJh6Ue1Ao5"
OWNERS = ('[tool.maestro-tasks]\nowners = {"Backend Engineer" = "alice", '
          '"DevOps Engineer" = "bob", "Frontend Engineer" = "carol"}\n')


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


def gh_env(fake: FakeGitHub | None, token: str | None = TOKEN) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN")}
    if token is not None:
        env["GH_TOKEN"] = token
    if fake is not None:
        env["GITHUB_API_URL"] = fake.url
    return env


@pytest.fixture
def issues_cli():
    """Run ``maestro-tasks week1.issues`` (or another task) against the fake, as a subprocess."""
    def run(target: Path, *args: str, fake: FakeGitHub | None = None, token: str | None = TOKEN,
            task: str = "week1.issues", env: dict[str, str] | None = None):
        full = {**gh_env(fake, token), **(env or {})}
        res = subprocess.run([str(BIN / "maestro-tasks"), task,
                              "--target", str(target), *args],
                             env={**full, "NO_COLOR": "1"}, capture_output=True, text=True,
                             timeout=300)
        return res

    return run
