"""Which env file compose interpolates from: one rule (compose.files.interpolation_env_file),
checked against the real ``docker compose config``, and followed by fix-secrets and the stack
tasks for a compose file in a subfolder (compose reads ``<subfolder>/.env`` then)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from maestro_tasks.compose.files import interpolation_env_file
from maestro_tasks.compose.oracle import clean_env
from mt_testkit import run_cli

SERVICE = "services:\n  app:\n    image: busybox\n    environment:\n      PICK: ${PICK:-none}\n"
FOLDERS = ["", "deploy", "deploy/prod", "ops"]


def _compose_reads(compose: list[str], root: Path, files: list[str]) -> str:
    args = [*compose]
    for f in files:
        args += ["-f", f]
    res = subprocess.run([*args, "config", "--format", "json"], cwd=root, env=clean_env(),
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)["services"]["app"]["environment"]["PICK"]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.sampled_from(FOLDERS), second=st.none() | st.sampled_from(FOLDERS))
def test_the_rule_is_what_compose_reads(compose, tmp_path_factory, first, second):
    root = tmp_path_factory.mktemp("rule")
    for folder in FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / ".env").write_text(f"PICK=from-{folder or 'root'}\n")
    files = [str(Path(first) / "compose.yaml")]
    (root / files[0]).write_text(SERVICE)
    if second is not None and second != first:
        files.append(str(Path(second) / "compose.override.yaml"))
        (root / files[1]).write_text("services:\n  app:\n    labels: [x]\n")
    expected = interpolation_env_file(files)
    assert _compose_reads(compose, root, files) == (root / expected).read_text().strip()[5:]


def test_a_configured_env_file_wins():
    assert interpolation_env_file(["deploy/compose.yaml"], "config/app.env") == "config/app.env"
    assert interpolation_env_file([]) == ".env"


SECRETIVE = """services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: hunter2hunter2
"""


@pytest.fixture
def subfolder_target(tmp_path):
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "docker-compose.yml").write_text(SECRETIVE)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.maestro-tasks]\ncompose_files = ["deploy/docker-compose.yml"]\n')
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def test_fix_secrets_writes_the_env_file_compose_reads_for_a_subfolder(compose, subfolder_target):
    target = subfolder_target
    res = run_cli("week1.fix-secrets", "--target", str(target), "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    assert not (target / ".env").exists()
    env = (target / "deploy" / ".env").read_text()
    assert "hunter2hunter2" not in (target / "deploy" / "docker-compose.yml").read_text()
    # The user's own command, from the repository root, resolves the moved secret.
    args = [*compose, "-f", "deploy/docker-compose.yml", "config", "--format", "json"]
    out = subprocess.run(args, cwd=target, env=clean_env(), capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    value = json.loads(out.stdout)["services"]["db"]["environment"]["POSTGRES_PASSWORD"]
    assert value and f"={value}" in env
    ignored = subprocess.run(["git", "check-ignore", "-q", "deploy/.env"], cwd=target)
    assert ignored.returncode == 0, "deploy/.env must be git-ignored"
    again = run_cli("week1.fix-secrets", "--target", str(target), "--check")
    assert again.returncode == 0, again.stdout + again.stderr


def test_status_reads_the_subfolder_env_file(compose, subfolder_target):
    target = subfolder_target
    (target / "deploy" / "docker-compose.yml").write_text(
        SECRETIVE.replace("hunter2hunter2", "${DB_PASSWORD}"))
    (target / "deploy" / ".env").write_text("DB_PASSWORD=Zq8vXt3LmW5xPb9KcR2nYd7F\n")
    res = run_cli("week1.up", "--target", str(target), "--check", "--json",
                  env={**os.environ})
    doc = json.loads(res.stdout)
    criteria = {c["name"]: c for s in doc["steps"] for c in s.get("criteria", [])}
    required = criteria.get("required variables set")
    assert required is not None, res.stdout + res.stderr
    assert required["met"] is True, required
    assert "deploy/.env" in required["evidence"]
    assert "Zq8vXt3LmW5xPb9KcR2nYd7F" not in res.stdout + res.stderr


def test_the_example_beside_a_subfolder_env_file_is_merged_not_a_new_root_one(compose,
                                                                            subfolder_target):
    target = subfolder_target
    own = "# Copy me: cp deploy/.env.example deploy/.env\nPOSTGRES_PASSWORD=\nTZ=UTC\n"
    (target / "deploy" / ".env.example").write_text(own)
    res = run_cli("week1.fix-secrets", "--target", str(target))
    assert res.returncode == 0, res.stdout + res.stderr
    assert not (target / ".env.example").exists()
    merged = (target / "deploy" / ".env.example").read_text()
    assert merged.startswith(own)  # the project's lines kept as they were
    env = (target / "deploy" / ".env").read_text()
    assert "POSTGRES_PASSWORD=" in env  # the project's own name was used
