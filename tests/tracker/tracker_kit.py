"""Helpers of the week1.issues tests (unique module name; conftest puts this folder on the path)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from fake_github import FakeGitHub
from mt_testkit import BIN, REPO

EXAMPLE_ISSUES = REPO / "examples" / "maestro_ml" / "CRITICAL_ISSUES.md"
# Distinctive, so a leak anywhere is found by a plain substring search.
TOKEN = "ghp_FAKE7yTq2ZxL9wPbN4kRc8vMd3sJh6Ue1Ao5"
OWNERS = ('[tool.maestro-tasks]\nowners = {"Backend Engineer" = "alice", '
          '"DevOps Engineer" = "bob", "Frontend Engineer" = "carol"}\n')


def gh_env(fake: FakeGitHub | None, token: str | None = TOKEN) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN")}
    if token is not None:
        env["GH_TOKEN"] = token
    if fake is not None:
        env["GITHUB_API_URL"] = fake.url
    return env



def run_issues(target: Path, *args: str, fake: FakeGitHub | None = None, token: str | None = TOKEN,
               task: str = "week1.issues", env: dict[str, str] | None = None
               ) -> subprocess.CompletedProcess[str]:
    """``maestro-tasks <task> --target T ARGS`` as a real subprocess, pointed at the fake."""
    full = {**gh_env(fake, token), **(env or {}), "NO_COLOR": "1"}
    return subprocess.run([str(BIN / "maestro-tasks"), task, "--target", str(target), *args],
                          env=full, capture_output=True, text=True, timeout=300)
