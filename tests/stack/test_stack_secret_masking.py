"""The stack masks every credential the secrets rules know, reads .env strictly, and its metrics
use the settings the tasks use."""

from __future__ import annotations

import pytest

from mt_testkit import assert_no_secrets
from maestro_tasks.engine import InputError
from maestro_tasks.stack import preflight
from maestro_tasks.stack.metrics import baseline_metrics

REDIS_PASS = "Rk8vQ2mZ7xLp4TnW9cYb3HdF6gJs1AeU"
DB_PWD = "Dq5wE8rT1yU4iO7pA2sD6fG9hJ3kL0zX"
ADMIN_PWD = "Am4nP7qR0sT3uV6wX9yZ2bC5dE8fG1hJ"  # a literal in the compose file, not in .env


@pytest.mark.parametrize("key", ["REDIS_PASS", "DB_PWD", "GPG_PASSPHRASE", "SIGNING_KEY",
                                 "MASTER_KEY", "DB_PASSWORD"])
def test_secret_values_follow_the_secrets_rules(key):
    assert preflight.secret_values({}, {key: "v-env"}) == {"v-env"}
    model = {"services": {"s": {"environment": {key: "v-model"}}}}
    assert preflight.secret_values(model, {}) == {"v-model"}


def test_secret_values_skip_identities_and_find_url_passwords_in_the_env_file():
    env = {"PWD": "/srv", "DB_USER": "maestro", "CACHE_URL": "redis://:url-pw-77@cache:6379"}
    assert preflight.secret_values({}, env) == {"url-pw-77"}


def test_env_file_values_are_read_as_written_and_a_broken_line_names_its_line():
    values = preflight.read_env_file(".env", b"A=1\nB=${A}-x\n")
    assert values == {"A": "1", "B": "${A}-x"}
    assert preflight.read_env_file(".env", None) == {}
    with pytest.raises(InputError) as err:
        preflight.read_env_file("conf/.env", b"A=1\nB='open\nC=3\n")
    assert err.value.path == "conf/.env" and err.value.line == 2


def test_compose_command_setting_with_an_unbalanced_quote_exits_2(cli, tmp_path):
    (tmp_path / "docker-compose.yml").write_text("services:\n  a:\n    image: x\n")
    (tmp_path / "pyproject.toml").write_text(
        "[tool.maestro-tasks]\ncompose_command = '\"docker compose'\n")
    res = cli("week1.up", "--target", str(tmp_path), "--check")
    out = res.stdout + res.stderr
    assert res.returncode == 2, out
    assert "setting compose_command" in out and "Traceback" not in out


def test_metrics_use_the_compose_files_setting_they_are_given(tmp_path, compose):
    (tmp_path / "stack.yml").write_text("services:\n  a:\n    image: x\n  b:\n    image: y\n")
    assert baseline_metrics(tmp_path)["services_total"] is None  # stack.yml is not a default
    assert baseline_metrics(tmp_path, {"compose_files": ["stack.yml"]})["services_total"] == 2
    (tmp_path / "pyproject.toml").write_text('[tool.maestro-tasks]\ncompose_files = "stack.yml"\n')
    assert baseline_metrics(tmp_path)["services_total"] == 2


LEAKY = """\
services:
  leaky:
    image: {image}
    init: true
    environment:
      REDIS_PASS: ${{REDIS_PASS}}
      DB_PWD: ${{DB_PWD}}
      ADMIN_PWD: %s
    command: ["sh", "-c", "echo redis=$$REDIS_PASS db=$$DB_PWD admin=$$ADMIN_PWD; exit 3"]
""" % ADMIN_PWD


@pytest.mark.docker
@pytest.mark.slow
def test_failed_up_prints_no_credential_from_the_log_tail(cli, make_stack, docker_engine):
    target, _ = make_stack(LEAKY, env=f"REDIS_PASS={REDIS_PASS}\nDB_PWD={DB_PWD}\n")
    res = cli("week1.up", "--target", str(target), "--timeout", "8")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "redis=" in res.stdout  # the log tail is shown, with the values masked
    logs = target / ".maestro" / "logs"
    blobs = {"stdout": res.stdout, "stderr": res.stderr,
             **({p.name: p.read_bytes() for p in logs.iterdir()} if logs.is_dir() else {})}
    assert_no_secrets(blobs, {REDIS_PASS, DB_PWD, ADMIN_PWD})
