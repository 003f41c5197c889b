"""fix-secrets' content-keyed proofs (.maestro/proofs.json): reused for identical inputs only.

Compose is counted by a real wrapper script named ``docker`` first on PATH, which logs its
arguments and execs the real docker CLI: every compose process the task starts shows up.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mt_testkit import compose_cmd, run_cli


def git_init(path: Path) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid",
           "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"]
    subprocess.run(git + ["init", "-q"], cwd=path, check=True)
    subprocess.run(git + ["add", "-A"], cwd=path, check=True)
    subprocess.run(git + ["commit", "-q", "-m", "start"], cwd=path, check=True)

REUSED = "proven for inputs"
COMPOSE = """services:
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: app
      POSTGRES_PASSWORD: Vq7-kept-Strong-pw-2931-Xy8zLm4Q9wR2
"""
ENV = "POSTGRES_PASSWORD=Vq7-kept-Strong-pw-2931-Xy8zLm4Q9wR2\n"


@pytest.fixture
def counting_path(tmp_path: Path):
    """(PATH with a counting ``docker`` first, the log file)."""
    real = shutil.which("docker")
    if real is None or compose_cmd() != ["docker", "compose"]:
        pytest.skip("needs the docker CLI with its Compose v2 plugin")
    folder = tmp_path / "bin"
    folder.mkdir()
    log = tmp_path / "docker-calls.log"
    wrapper = folder / "docker"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    return f"{folder}{os.pathsep}{os.environ.get('PATH', '')}", log


def _target(tmp_path: Path, env: str | None = None) -> Path:
    target = tmp_path / "proj"
    target.mkdir()
    (target / "compose.yaml").write_text(COMPOSE)
    (target / ".gitignore").write_text("/.env\n.maestro/\n")
    git_init(target)
    if env is not None:
        (target / ".env").write_text(env)
        (target / ".env").chmod(0o600)
    return target


def _run(target: Path, path_log, *extra: str):
    path, log = path_log
    log.write_text("")
    res = run_cli("week1.fix-secrets", "--target", str(target), "--json", *extra,
                  env={"PATH": path})
    calls = [ln for ln in log.read_text().splitlines() if ln.strip()]
    doc = json.loads(res.stdout) if res.stdout.strip().startswith("{") else {}
    evidence = {c["name"]: c["evidence"] for s in doc.get("steps", [])
                for c in s.get("criteria", [])}
    return res, calls, evidence


def _ours(calls: list[str]) -> list[str]:
    """fix-secrets' own compose configs (the baseline probe of the first run is not ours)."""
    return [c for c in calls if "-p maestro-verify" in c]


RESOLVE = "resolved config unchanged except at secret positions"
RESOLVES = "docker compose config resolves with the env file"
PROVEN = "plan proven on a scratch copy before writing"


def test_first_run_compose_calls_are_counted(tmp_path, counting_path):
    """First run: one structure check and the two configs of the scratch proof; the
    verification after the write reuses what the scratch copy of the same bytes showed. Then
    a no-op starts no compose process at all."""
    target = _target(tmp_path)
    res, calls, ev = _run(target, counting_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert len(_ours(calls)) == 3, calls  # structure + the two configs of the scratch proof
    assert REUSED in ev[RESOLVE] and "scratch copy" in ev[RESOLVES]
    assert sum(1 for c in calls if c.startswith("compose version")) <= 2, calls
    # second run: the compose files are now the rewritten ones (new inputs): checked again
    res, calls, ev = _run(target, counting_path)
    assert res.returncode == 0
    res, calls, ev = _run(target, counting_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert calls == [], calls
    assert REUSED in ev[RESOLVE] and "unchanged since" in ev[RESOLVE]
    assert REUSED in ev[RESOLVES]


def _stable(tmp_path, counting_path) -> Path:
    target = _target(tmp_path)
    for _ in range(3):
        res, calls, _ = _run(target, counting_path)
        assert res.returncode == 0, res.stdout + res.stderr
    assert calls == []
    return target


def test_one_byte_in_compose_file_runs_compose_again(tmp_path, counting_path):
    target = _stable(tmp_path, counting_path)
    with open(target / "compose.yaml", "a") as fh:
        fh.write("#\n")
    res, calls, ev = _run(target, counting_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert len(_ours(calls)) == 3, calls  # structure + the two resolve configs
    assert REUSED not in ev[RESOLVE]
    res, calls, ev = _run(target, counting_path)
    assert calls == [] and REUSED in ev[RESOLVE]


def test_one_byte_in_env_file_runs_compose_again(tmp_path, counting_path):
    target = _stable(tmp_path, counting_path)
    with open(target / ".env", "a") as fh:
        fh.write("A=1\n")
    res, calls, ev = _run(target, counting_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert len(_ours(calls)) == 2, calls  # the resolve configs; the structure reads no .env
    assert REUSED not in ev[RESOLVE]


def test_service_env_file_is_an_input(tmp_path, counting_path):
    target = _target(tmp_path)
    (target / "compose.yaml").write_text(COMPOSE + "    env_file: app.env\n")
    (target / "app.env").write_text("LOG=1\n")
    for _ in range(3):
        res, calls, _ = _run(target, counting_path)
        assert res.returncode == 0, res.stdout + res.stderr
    assert calls == []
    (target / "app.env").write_text("LOG=2\n")
    res, calls, ev = _run(target, counting_path)
    assert res.returncode == 0
    assert len(_ours(calls)) >= 2 and REUSED not in ev[RESOLVE]


def test_no_cache_proves_again(tmp_path, counting_path):
    target = _stable(tmp_path, counting_path)
    res, calls, ev = _run(target, counting_path, "--no-cache")
    assert res.returncode == 0, res.stdout + res.stderr
    assert len(_ours(calls)) == 3, calls
    assert any(c.startswith("compose version") for c in calls)  # discovery again too
    assert REUSED not in ev[RESOLVE] and REUSED not in ev[RESOLVES]


def test_check_mode_reuses_but_records_nothing(tmp_path, counting_path):
    target = _stable(tmp_path, counting_path)
    before = (target / ".maestro" / "proofs.json").read_bytes()
    res, calls, ev = _run(target, counting_path, "--check")
    assert res.returncode == 0 and calls == [] and REUSED in ev[RESOLVE]
    with open(target / "compose.yaml", "a") as fh:
        fh.write("#\n")
    res, calls, ev = _run(target, counting_path, "--check")
    assert len(_ours(calls)) == 3
    assert (target / ".maestro" / "proofs.json").read_bytes() == before


def _revert(target: Path) -> None:
    subprocess.run(["git", "checkout", "-q", "--", "."], cwd=target, check=True)
    (target / ".env.example").unlink(missing_ok=True)


def test_prove_is_reused_for_the_same_candidate_only(tmp_path, counting_path):
    """Every value comes from .env, so the candidate is the same bytes each time the original
    is restored: the scratch-copy proof is reused; one changed byte proves again."""
    target = _target(tmp_path, env=ENV)
    res, calls, ev = _run(target, counting_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert REUSED not in ev[PROVEN] and "compose config equal" in ev[PROVEN]
    assert len([c for c in calls if "maestro-secretsproof" in c]) == 2
    _revert(target)
    res, calls, ev = _run(target, counting_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert REUSED in ev[PROVEN] and "compose config equal" in ev[PROVEN]
    assert not [c for c in calls if "maestro-secretsproof" in c], calls
    assert (target / "compose.yaml").read_text() != COMPOSE  # still written
    _revert(target)
    (target / "compose.yaml").write_text(COMPOSE.replace("app\n", "app2\n"))
    res, calls, ev = _run(target, counting_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert REUSED not in ev[PROVEN]
    assert len([c for c in calls if "maestro-secretsproof" in c]) == 2
    _revert(target)
    res, calls, ev = _run(target, counting_path, "--no-cache")
    assert REUSED not in ev[PROVEN]
    assert len([c for c in calls if "maestro-secretsproof" in c]) == 2


def test_proofs_hold_no_secret_value(tmp_path, counting_path):
    target = _target(tmp_path, env=ENV)
    _run(target, counting_path)
    text = (target / ".maestro" / "proofs.json").read_text()
    assert "Vq7-kept-Strong-pw-2931-Xy8zLm4Q9wR2" not in text


def _collection_times(target: Path) -> dict[str, str]:
    doc = json.loads((target / ".maestro" / "proofs.json").read_text())
    return {k.rsplit(":", 1)[-1]: v["proven_at"] for k, v in doc.items()
            if k.startswith("fix-secrets:test-collection:")}


def test_test_collection_is_reused_for_the_same_tree_only(tmp_path, counting_path):
    """The target has Python tests: the prove step collects them on the scratch copy before
    and after the candidate. Fresh generated values make a new candidate each time, but the
    collection of the unchanged original tree is reused; one byte in a test file, or
    --no-cache, collects it again."""
    import time

    target = tmp_path / "proj"
    (target / "tests").mkdir(parents=True)
    (target / "compose.yaml").write_text(COMPOSE)
    (target / ".gitignore").write_text("/.env\n.maestro/\n__pycache__/\n")
    (target / "tests" / "test_one.py").write_text("def test_one():\n    assert True\n")
    git_init(target)

    def again(*extra: str) -> dict[str, str]:
        subprocess.run(["git", "checkout", "-q", "--", "."], cwd=target, check=True)
        for name in (".env", ".env.example"):
            (target / name).unlink(missing_ok=True)
        time.sleep(1.1)  # proven_at has a resolution of one second
        res, _, ev = _run(target, counting_path, *extra)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "test collection no worse" in ev[PROVEN]
        return _collection_times(target)

    first = again()
    assert set(first) == {"before", "after"}
    second = again()
    assert second["before"] == first["before"]  # reused: same original tree
    assert second["after"] != first["after"]  # new generated values: a new candidate
    (target / "tests" / "test_one.py").write_text("def test_one():\n    assert 1\n")
    subprocess.run(["git", "commit", "-qam", "edit", "--author", "t <t@example.invalid>"],
                   cwd=target, check=True, env={**os.environ, "GIT_COMMITTER_NAME": "t",
                                                "GIT_COMMITTER_EMAIL": "t@example.invalid"})
    third = again()
    assert third["before"] != second["before"]
    fourth = again("--no-cache")
    assert fourth["before"] != third["before"]
