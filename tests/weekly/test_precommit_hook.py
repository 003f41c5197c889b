"""The shipped pre-commit hook, run by pre-commit itself on a real git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mt_testkit import BIN, REPO, require, run_cli

COMPOSE = """\
services:
  db:
    image: postgres:15-alpine
    environment:
      POSTGRES_USER: app
      POSTGRES_PASSWORD: hunter2hunter2
"""


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=hook-test", "-c", "user.email=hook@test.invalid",
                    "-c", "commit.gpgsign=false", *args], cwd=cwd, check=True,
                   capture_output=True)


def try_repo(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PATH": f"{BIN}:{os.environ['PATH']}"}
    return subprocess.run(
        [str(BIN / "pre-commit"), "try-repo", str(REPO), "maestro-compose-secrets"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_hook_blocks_a_staged_literal_password_until_fix_secrets(tmp_path):
    require(shutil.which("git") is not None, "git")
    require((BIN / "pre-commit").exists(), "pre-commit")
    repo = tmp_path / "app"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "docker-compose.yml").write_text(COMPOSE)
    git(repo, "add", "docker-compose.yml")

    blocked = try_repo(repo, tmp_path / "pre-commit-home")
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert "docker-compose.yml:6: hardcoded secret in POSTGRES_PASSWORD" in blocked.stdout
    assert "hunter2hunter2" not in blocked.stdout + blocked.stderr

    fixed = run_cli("week1.fix-secrets", "--target", str(repo))
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    git(repo, "add", "docker-compose.yml", ".gitignore")
    passed = try_repo(repo, tmp_path / "pre-commit-home")
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_hook_entry_reports_file_line_and_exit_codes(tmp_path, capsys):
    from maestro_tasks.precommit import main

    bad = tmp_path / "compose.yaml"
    bad.write_text(COMPOSE)
    assert main([str(bad)]) == 1
    clean = tmp_path / "docker-compose.yml"
    clean.write_text(COMPOSE.replace("hunter2hunter2", "${POSTGRES_PASSWORD:?set it}"))
    assert main([str(clean)]) == 0
    broken = tmp_path / "docker-compose.override.yml"
    broken.write_text("services: [\n")
    assert main([str(broken)]) == 2
    # A broken file does not hide the findings in the others.
    assert main([str(broken), str(bad)]) == 2
    assert "compose.yaml:6: hardcoded secret in POSTGRES_PASSWORD" in capsys.readouterr().out
