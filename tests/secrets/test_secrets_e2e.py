"""week1.fix-secrets through the real CLI on a copy of the bundled example."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from mt_testkit import assert_no_secrets, tree_digest

OWNED = ("docker-compose.yml", ".env", ".env.example", ".gitignore")


def _old_literals(target: Path) -> set[str]:
    from maestro_tasks.secrets import core

    data = (target / "docker-compose.yml").read_bytes()
    an = core.analyse(["docker-compose.yml"], ".env", {"docker-compose.yml": data}.get,
                      (".env.template", None))
    return {o.literal for o in an.findings.occurrences
            if len(o.literal) >= 6 and o.literal not in an.findings.identities}


def _env_values(target: Path) -> set[str]:
    from dotenv import dotenv_values

    return {v for v in dotenv_values(target / ".env").values() if v}


def _logs_and_names(target: Path) -> dict[str, bytes | str]:
    state = target / ".maestro"
    blobs: dict[str, bytes | str] = {
        str(p): p.read_bytes() for p in (state / "logs").rglob("*") if p.is_file()}
    blobs["file names"] = "\n".join(str(p) for p in state.rglob("*"))
    return blobs


@pytest.mark.docker
def test_example_fixed_in_one_run_then_stable(example_copy, cli, compose):
    target = example_copy
    old_secrets = _old_literals(target)
    assert {"maestro123", "redispass", "super-secret-jwt-key"} <= old_secrets

    before = tree_digest(target)
    check = cli("week1.fix-secrets", "--target", str(target), "--check")
    assert check.returncode == 1, check.stdout + check.stderr
    assert tree_digest(target) == before  # --check wrote nothing

    first = cli("week1.fix-secrets", "--target", str(target), "--json")
    assert first.returncode == 0, first.stdout + first.stderr
    doc = json.loads(first.stdout)
    assert doc["ok"] and doc["mode"] == "apply"
    criteria = [c for s in doc["steps"] for c in s["criteria"]]
    assert len(criteria) >= 9 and all(c["met"] is True for c in criteria), criteria
    assert oct((target / ".env").stat().st_mode & 0o777) == "0o600"
    compose_text = (target / "docker-compose.yml").read_text()
    assert "MINIO_ROOT_USER: minioadmin" in compose_text
    assert "DATABASE_URL: postgresql+asyncpg://maestro:${POSTGRES_PASSWORD}@postgres" in compose_text
    assert "--requirepass ${REDIS_PASSWORD}" in compose_text
    git = subprocess.run(["git", "status", "--porcelain"], cwd=target, capture_output=True,
                         text=True).stdout
    assert ".env\n" not in git.replace(".env.example", "")

    owned = {f: (target / f).read_bytes() for f in OWNED}
    second = cli("week1.fix-secrets", "--target", str(target), "--json")
    assert second.returncode == 0, second.stdout + second.stderr
    doc2 = json.loads(second.stdout)
    assert all(s["status"] == "ok" and not s["changes"] for s in doc2["steps"])
    assert {f: (target / f).read_bytes() for f in OWNED} == owned

    fixed_check = cli("week1.fix-secrets", "--target", str(target), "--check", "--diff")
    assert fixed_check.returncode == 0, fixed_check.stdout

    secrets = old_secrets | _env_values(target)
    assert_no_secrets({"check": check.stdout + check.stderr, "first": first.stdout + first.stderr,
                       "second": second.stdout + second.stderr,
                       "fixed check": fixed_check.stdout + fixed_check.stderr,
                       **_logs_and_names(target)}, secrets)


def test_diff_output_is_masked(example_copy, cli):
    target = example_copy
    old_secrets = _old_literals(target)
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    res = cli("week1.fix-secrets", "--target", str(target), "--diff")
    assert "+  REDIS_URL: redis://:${REDIS_PASSWORD}@redis:6379/0" in res.stdout
    # Issue 12: --diff previews (as black --diff): nothing written, exit 0.
    assert res.returncode == 0
    assert {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} == before
    assert_no_secrets({"diff": res.stdout + res.stderr, **_logs_and_names(target)},
                      old_secrets | _env_values(target))


def test_rotate_changes_only_the_named_variable(example_copy, cli):
    target = example_copy
    assert cli("week1.fix-secrets", "--target", str(target)).returncode == 0
    env_before = (target / ".env").read_text().splitlines()
    compose_before = (target / "docker-compose.yml").read_bytes()
    res = cli("week1.fix-secrets", "--target", str(target), "--rotate", "REDIS_PASSWORD")
    env_after = (target / ".env").read_text().splitlines()
    changed = [a for a, b in zip(env_before, env_after) if a != b]
    assert len(env_before) == len(env_after) and len(changed) == 1
    assert changed[0].startswith("REDIS_PASSWORD=")
    assert (target / "docker-compose.yml").read_bytes() == compose_before
    assert "volume" in res.stderr  # initialised data volumes keep the old value
    unknown = cli("week1.fix-secrets", "--target", str(target), "--rotate", "NOPE")
    assert unknown.returncode == 2 and "NOPE" in unknown.stderr


def test_bad_yaml_exits_2_naming_file_and_line(example_copy, cli):
    target = example_copy
    path = target / "docker-compose.yml"
    path.write_text(path.read_text().replace("  redis:\n", "  redis:\n   bad: [\n", 1))
    before = tree_digest(target)
    res = cli("week1.fix-secrets", "--target", str(target))
    assert res.returncode == 2
    assert "docker-compose.yml:" in res.stderr and "Traceback" not in res.stderr
    assert _user_files(tree_digest(target)) == _user_files(before)


def _user_files(digest: dict) -> dict:
    """The target's own files: the engine takes its lock in .maestro/ before any step runs."""
    return {k: v for k, v in digest.items() if not k.startswith(".maestro")}


def test_show_secrets_needs_a_terminal(example_copy, cli):
    target = example_copy
    res = cli("week1.fix-secrets", "--target", str(target), "--show-secrets")
    assert "only on a terminal" in res.stderr
    assert_no_secrets({"out": res.stdout + res.stderr}, _env_values(target))


def test_show_secrets_on_a_terminal_prints_values(example_copy):
    import pty
    import select
    import sys

    target = example_copy
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "NO_COLOR": "1", "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    main, secondary = pty.openpty()
    proc = subprocess.Popen([str(bin_dir / "maestro-tasks"), "week1.fix-secrets", "--target",
                             str(target), "--show-secrets"], stdout=secondary,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env)
    os.close(secondary)
    chunks = []
    while True:
        ready, _, _ = select.select([main], [], [], 120)
        if not ready:
            break
        try:
            data = os.read(main, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(main)
    shown = b"".join(chunks).decode("utf-8", "replace")
    from dotenv import dotenv_values

    value = dotenv_values(target / ".env")["POSTGRES_PASSWORD"]
    assert f"POSTGRES_PASSWORD={value}" in shown
