"""Issue 12 (no harm on real repositories): `$$` belongs to the container, the plan is proven on
a scratch copy before anything is written, empties stay empty, tracked env files and other
readers of the env file stop the run before writing. Real compose, real git."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from maestro_tasks.compose.oracle import clean_env
from maestro_tasks.secrets import core


def analyse(text: str, env: str | None = None) -> core.Analysis:
    files = {"docker-compose.yml": text.encode(), ".env": env.encode() if env is not None else None}
    return core.analyse(["docker-compose.yml"], ".env", files.get, (".env.template", None))


def resolved(compose: list[str], folder: Path, env_file: str = "/dev/null") -> dict:
    res = subprocess.run([*compose, "--project-directory", str(folder), "-p", "t", "--env-file",
                          env_file, "config", "--format", "json"], cwd=folder,
                         capture_output=True, text=True, env=clean_env(), timeout=60)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def user_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and ".git" not in p.parts}


# ---- item 2: `$$` is the container's ------------------------------------------------------
DOLLARS = """services:
  db:
    image: mysql
    environment:
      MYSQL_ROOT_PASSWORD_FILE: /run/secrets/db-password
      DB_PASSWORD: /run/secrets/db-password
    healthcheck:
      test: ["CMD-SHELL", "mysqladmin ping -h 127.0.0.1 --password=\\"$$(cat /run/secrets/db-password)\\" --silent"]
    command: sh -c 'redis-server --requirepass $${REDIS_PW} && mysql -p$$(cat /x/y) && x --password $$PW'
  w:
    image: busybox
    entrypoint: ["sh", "-c", "exec app --password \\"$$(cat /run/secrets/a b)\\" --token=$$1 -p$$?"]
    command: ["--password", "$$(printf '%s' \\"$$(cat /run/secrets/x)\\")"]
"""


def test_container_dollar_forms_are_never_literals_nor_split():
    an = analyse(DOLLARS)
    assert an.findings.occurrences == []
    assert an.new_compose["docker-compose.yml"] == DOLLARS.encode()


def test_container_dollar_next_to_a_real_literal_keeps_its_words(make_target, run_fix, compose):
    text = ("services:\n  db:\n    image: mysql\n    environment:\n      MYSQL_ROOT_PASSWORD: weakroot1\n"
            "    healthcheck:\n      test: [\"CMD-SHELL\", \"mysqladmin ping --password=\\\"$$(cat /run/secrets/p)\\\" "
            "&& mysql -uroot -pweakroot1 -e 'select 1'\"]\n")
    target = make_target({"docker-compose.yml": text})
    result, *_ = run_fix(target)
    new = (target / "docker-compose.yml").read_text()
    assert "weakroot1" not in new and '--password=\\"$$(cat /run/secrets/p)\\"' in new
    old_model = resolved(compose, _tmp_copy(target, text))
    new_model = resolved(compose, target, str(target / ".env"))
    old_test, new_test = (m["services"]["db"]["healthcheck"]["test"] for m in (old_model, new_model))
    assert old_test[1].split()[:3] == new_test[1].split()[:3]
    assert len(old_test[1].split()) == len(new_test[1].split())


def _tmp_copy(target: Path, text: str) -> Path:
    folder = target.parent / (target.name + "-orig")
    folder.mkdir()
    (folder / "docker-compose.yml").write_text(text)
    return folder
