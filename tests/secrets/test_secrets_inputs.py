"""Inputs and policies, in-process: bad input, .env, .gitignore, template, rotation, metrics."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from maestro_tasks.engine import InputError, UsageError

COMPOSE = ("services:\n  db:\n    image: postgres\n    environment:\n"
           "      POSTGRES_USER: app\n      POSTGRES_PASSWORD: weakpw99\n")


def _criteria(result) -> dict[str, object]:
    return {c.name: c for s in result.steps for c in s.criteria}


def _user_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and ".maestro" not in p.parts and ".git" not in p.parts}


@pytest.mark.parametrize("files,where", [
    ({"docker-compose.yml": "services:\n  a:\n    image: x\n    image: y\n"}, "docker-compose.yml:4"),
    ({"docker-compose.yml": "[1, 2]\n"}, "docker-compose.yml:1"),
    ({"docker-compose.yml": COMPOSE, ".env": "# ok\nA=1\nB=\"unterminated\n"}, ".env:3"),
    ({"docker-compose.yml": COMPOSE, ".env.template": "X_PASSWORD=password:8\n"}, ".env.template:1"),
    ({"docker-compose.yml": b"services: {}\n\xff\n"}, "docker-compose.yml:2"),
])
def test_bad_input_is_exit_2_with_file_and_line(files, where, make_target, run_fix):
    target = make_target(files)
    before = _user_files(target)
    with pytest.raises(InputError) as exc:
        run_fix(target)
    assert str(exc.value).startswith(where) and exc.value.exit_code == 2
    assert _user_files(target) == before


def test_unreadable_compose_file_and_env_symlink_outside(make_target, run_fix, tmp_path):
    target = make_target({"docker-compose.yml": COMPOSE})
    with pytest.raises(InputError, match="missing.yml"):
        run_fix(target, compose_file=["missing.yml"])
    (target / "dir.yml").mkdir()
    with pytest.raises(InputError, match="directory"):
        run_fix(target, compose_file=["dir.yml"])
    outside = tmp_path / "elsewhere.env"
    outside.write_text("POSTGRES_PASSWORD=x\n")
    (target / ".env").symlink_to(outside)
    with pytest.raises(InputError, match="outside the target"):
        run_fix(target)
    assert outside.read_text() == "POSTGRES_PASSWORD=x\n"


def test_env_lines_kept_block_added_once(make_target, run_fix):
    env = "# my settings\r\nPOSTGRES_DB=app\r\n\r\nexport DEBUG=1\r\n"
    target = make_target({"docker-compose.yml": COMPOSE}, untracked={".env": env})
    os.chmod(target / ".env", 0o644)
    result, *_ = run_fix(target)
    assert result.ok
    text = (target / ".env").read_bytes().decode()
    assert text.startswith(env) and text.count("\r\n") == text.count("\n")
    assert text.count("POSTGRES_PASSWORD=") == 1 and "# >>> maestro-tasks" in text
    assert (target / ".env").stat().st_mode & 0o777 == 0o600
    # A new secret later goes into the same block.
    (target / "docker-compose.yml").write_text(
        (target / "docker-compose.yml").read_text() + "      API_TOKEN: tok12345\n")
    result, *_ = run_fix(target)
    text2 = (target / ".env").read_text()
    assert text2.count("# >>> maestro-tasks") == 1
    assert text2.index("API_TOKEN=") < text2.index("# <<< maestro-tasks")


def test_weak_existing_value_is_unmet_until_rotated(make_target, run_fix):
    compose = COMPOSE.replace("weakpw99", "${POSTGRES_PASSWORD}")
    target = make_target({"docker-compose.yml": compose},
                         untracked={".env": "POSTGRES_PASSWORD=postgres\n"})
    result, out, err, _ = run_fix(target)
    crit = _criteria(result)["every secret meets its strength rule"]
    assert crit.met is False and "--rotate POSTGRES_PASSWORD" in crit.evidence
    assert (target / ".env").read_text() == "POSTGRES_PASSWORD=postgres\n"  # never re-minted
    result, out, err, _ = run_fix(target, rotate=True)  # bare --rotate: the weak ones
    assert result.ok and "postgres" not in (target / ".env").read_text()
    assert any("volume" in line for s in result.steps for line in s.details)
    with pytest.raises(UsageError):
        run_fix(target, rotate="NOT_A_VAR")


def test_tracked_secret_files_fail_with_git_rm_hint(make_target, run_fix):
    compose = COMPOSE + "    env_file: docker.env\n"
    target = make_target({"docker-compose.yml": compose, ".env": "OTHER=1\n",
                          "docker.env": "API_SECRET=abcdef123456\n"})
    before = _user_files(target)
    result, *_ = run_fix(target)
    # Issue 12: a tracked .env that would receive secrets stops the run before any write.
    prove = next(s for s in result.steps if s.name == "prove")
    assert prove.status == "failed" and ".env is tracked by git" in prove.summary
    assert "git rm --cached .env" in prove.hint and "`/.env` to .gitignore" in prove.hint
    assert "--env-file" in prove.hint
    assert _user_files(target) == before
    # .env untracked: the other tracked secret file is still named.
    subprocess.run(["git", "rm", "-q", "--cached", ".env"], cwd=target, check=True)
    result, *_ = run_fix(target)
    crit = _criteria(result)["no secret file tracked by git"]
    assert crit.met is False
    assert "git rm --cached docker.env" in crit.evidence


def test_gitignore_negation_and_crlf(make_target, run_fix):
    target = make_target({"docker-compose.yml": COMPOSE, ".gitignore": b"*.log\r\n!.env\r\n# caf\xe9\r\n"})
    result, *_ = run_fix(target)
    assert result.ok
    text = (target / ".gitignore").read_bytes()
    assert text.startswith(b"*.log\r\n!.env\r\n# caf\xe9\r\n") and b"\n" not in text.replace(b"\r\n", b"")
    assert subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=target).returncode == 0
    again, *_ = run_fix(target)
    assert all(s.status == "ok" for s in again.steps)


def test_outside_git_the_gitignore_rules_are_read(make_target, run_fix):
    target = make_target({"docker-compose.yml": COMPOSE}, git=False)
    result, *_ = run_fix(target)
    assert result.ok
    assert _criteria(result)[".env ignored by git"].evidence.startswith(".gitignore rules")


def test_without_compose_cli_that_criterion_is_skipped(make_target, run_fix, monkeypatch):
    from maestro_tasks.compose import oracle

    monkeypatch.setattr(oracle, "find_command", lambda command=None: None)
    target = make_target({"docker-compose.yml": COMPOSE})
    result, *_ = run_fix(target)
    crit = _criteria(result)
    assert crit["docker compose config resolves with the env file"].met is None
    assert crit["no hardcoded secret in the compose files"].met is True
    assert result.ok


def test_no_compose_file_is_skipped(make_target, run_fix):
    target = make_target({"README.md": "nothing here\n"})
    result, *_ = run_fix(target)
    assert all(s.status == "skipped" for s in result.steps)
    assert not (target / ".env").exists()


def test_target_template_names_and_rules(make_target, run_fix):
    compose = ("services:\n  api:\n    image: a\n    environment:\n      DB_PASS: samepw123\n"
               "      URL: postgresql://u:samepw123@db/x\n      SIGNING_SECRET: abc\n")
    template = "# mine\nDATABASE_PASSWORD=password:48\nSIGNING_SECRET=hex:40\n"
    target = make_target({"docker-compose.yml": compose, ".env.template": template})
    result, *_ = run_fix(target, compose_file=["docker-compose.yml"])
    from dotenv import dotenv_values

    env = dotenv_values(target / ".env")
    assert set(env) == {"DB_PASS", "SIGNING_SECRET"}
    assert len(env["SIGNING_SECRET"]) == 40 and int(env["SIGNING_SECRET"], 16) >= 0


def test_example_file_lists_variables_without_secret_values(make_target, run_fix):
    compose = ("services:\n  api:\n    image: a\n    environment:\n      DB_PASSWORD: pw123456\n"
               "      LOG_LEVEL: ${LOG_LEVEL:-info}\n")
    target = make_target({"docker-compose.yml": compose})
    run_fix(target)
    example = (target / ".env.example").read_text()
    assert "DB_PASSWORD=\n" in example and "LOG_LEVEL=info\n" in example
    assert "pw123456" not in example


def test_metrics_and_finder(make_target):
    from maestro_tasks.secrets.metrics import baseline_metrics, find_hardcoded

    target = make_target({"docker-compose.yml": COMPOSE + "    command: x --password weakpw99\n"})
    assert baseline_metrics(target) == {"hardcoded_secrets": 2, "tracked_credentials": 0}
    found = find_hardcoded(target / "docker-compose.yml")
    assert [(line, key) for _, line, key in found] == [(6, "POSTGRES_PASSWORD"), (7, "--password")]
    assert baseline_metrics(make_target({"x.txt": ""})) == {"hardcoded_secrets": 0,
                                                              "tracked_credentials": 0}
    bad = make_target({"docker-compose.yml": "a: [\n"})
    assert baseline_metrics(bad)["hardcoded_secrets"] is None


def test_external_credentials_are_never_invented(make_target, run_fix):
    compose = COMPOSE + "      HF_TOKEN: ${HF_TOKEN}\n      DB_PASSWORD: ${DB_PASSWORD}\n"
    target = make_target({"docker-compose.yml": compose})
    result, *_ = run_fix(target)
    from dotenv import dotenv_values

    env = dotenv_values(target / ".env")
    assert "DB_PASSWORD" in env and "HF_TOKEN" not in env
    crit = _criteria(result)["every secret meets its strength rule"]
    assert crit.met is False and "HF_TOKEN missing (an external credential" in crit.evidence
