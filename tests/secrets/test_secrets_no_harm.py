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


# ---- item 1: prove before writing ---------------------------------------------------------
def _prove(compose, target: Path, candidate: dict, mapping=None, env_text: str = ""):
    from maestro_tasks.secrets import envfile, prove

    env = envfile.parse_env(".env", env_text.encode())
    return prove.prove(compose, target, ["docker-compose.yml"], ".env", (env.text, env.values),
                       candidate, mapping or {}, list((mapping or {}).keys()), lambda rel: False)


def test_proof_rejects_a_candidate_that_splits_shell_words(tmp_path, compose):
    old = ('services:\n  db:\n    image: mysql\n    healthcheck:\n      test: ["CMD-SHELL", '
           '"mysqladmin ping --password=\\"$$(cat /run/secrets/p)\\" --silent"]\n')
    (tmp_path / "docker-compose.yml").write_text(old)
    bad = old.replace('\\"$$(cat', '${DB_PASSWORD} /run').replace(')\\"', ')\\"')
    value = "A" * 32
    proof = _prove(compose, tmp_path, {"docker-compose.yml": bad.encode(),
                                       ".env": f"DB_PASSWORD={value}\n".encode()},
                   {value: '"$(cat'})
    assert not proof.ok
    assert any("healthcheck.test" in p for p in proof.problems)
    assert (tmp_path / "docker-compose.yml").read_text() == old  # judged on a copy


def test_proof_sees_new_keys_reaching_a_service_env_file(tmp_path, compose):
    old = ("services:\n  app:\n    image: busybox\n    env_file: .env\n    environment:\n"
           "      DB_PASSWORD: weakpw99\n")
    (tmp_path / "docker-compose.yml").write_text(old)
    (tmp_path / ".env").write_text("MODE=dev\n")
    value = "B" * 32
    new = old.replace("weakpw99", "${DB_PASSWORD:?x}")
    ok = _prove(compose, tmp_path, {"docker-compose.yml": new.encode(),
                                    ".env": f"MODE=dev\nDB_PASSWORD={value}\n".encode()},
                {value: "weakpw99"}, "MODE=dev\n")
    assert ok.ok, ok.problems  # the key the service already had: same place, new value
    bad = _prove(compose, tmp_path, {"docker-compose.yml": new.encode(),
                                     ".env": f"MODE=dev\nDB_PASSWORD={value}\nOTHER_TOKEN={value}\n"
                                     .encode()}, {value: "weakpw99"}, "MODE=dev\n")
    assert bad.problems == ["service app would receive new variable(s) OTHER_TOKEN through its "
                            "env_file"]


@pytest.mark.parametrize("text,words", [
    ("services:\n  a:\n    image: x\n    volumes: [data:/d]\n    environment:\n"
     "      A_PASSWORD: weakpw99\n", "undefined volume"),
    ("services:\n  a:\n    image: x\n    secrets: [s]\n    environment:\n"
     "      A_PASSWORD: weakpw99\n", "undefined secret"),
])
def test_upstream_invalid_compose_is_exit_2_and_nothing_written(text, words, make_target, run_fix):
    from maestro_tasks.engine import InputError

    target = make_target({"docker-compose.yml": text})
    before = user_files(target)
    with pytest.raises(InputError) as exc:
        run_fix(target)
    assert exc.value.exit_code == 2 and words in str(exc.value)
    assert str(exc.value).startswith("docker-compose.yml")
    assert user_files(target) == before and not (target / ".maestro").exists()


def test_failing_proof_writes_nothing_and_exit_code_is_stable(make_target, run_fix, monkeypatch):
    from maestro_tasks.secrets import prove

    target = make_target({"docker-compose.yml": "services:\n  a:\n    image: x\n    environment:\n"
                          "      A_PASSWORD: weakpw99\n"})
    before = user_files(target)
    real = prove.compare.differences
    monkeypatch.setattr(prove.compare, "differences",
                        lambda *a: ["services.a.fake_difference"] + real(*a))
    for _ in range(2):
        result, out, err, _ = run_fix(target)
        assert not result.ok
        step = result.steps[0]
        assert step.name == "prove" and step.status == "failed"
        assert "services.a.fake_difference" in step.summary
        # Every writing step is skipped; the read-only inventory of tracked files still reports.
        assert [(s.name, s.status) for s in result.steps[1:5]] == [
            (name, "skipped") for name in ("gitignore", "env", "compose", "env-example")]
        assert result.steps[5].name == "tracked-credentials" and not result.steps[5].changes
        assert user_files(target) == before


def test_required_variable_left_unset_does_not_block_the_proof(make_target, run_fix):
    text = ("services:\n  a:\n    image: x\n    environment:\n      DOMAIN: ${DOMAIN:?set DOMAIN}\n"
            "      A_PASSWORD: weakpw99\n")
    target = make_target({"docker-compose.yml": text})
    result, *_ = run_fix(target)
    assert next(s for s in result.steps if s.name == "prove").status == "ok"
    assert "weakpw99" not in (target / "docker-compose.yml").read_text()


# ---- item 4: empty stays empty ------------------------------------------------------------
EMPTIES = """services:
  a:
    image: busybox
    environment:
      AWS_SESSION_TOKEN: ${AWS_SESSION_TOKEN:-}
      FERNET_KEY: ''
      BEATS_PASSWORD: ${BEATS_PASSWORD-}
      URL: postgres://u:${PG_PASSWORD:-}@db/x
      KEPT_PASSWORD: ${KEPT_PASSWORD}
      NEW_PASSWORD: ${NEW_PASSWORD}
"""


def test_empty_values_stay_empty_and_are_listed(make_target, run_fix, compose):
    target = make_target({"docker-compose.yml": EMPTIES}, untracked={".env": "KEPT_PASSWORD=\n"})
    result, out, err, _ = run_fix(target)
    assert (target / "docker-compose.yml").read_text() == EMPTIES
    env = (target / ".env").read_text()
    assert env.startswith("KEPT_PASSWORD=\n")
    from maestro_tasks.secrets import envfile

    values = envfile.parse_env(".env", env.encode()).values
    assert set(values) == {"KEPT_PASSWORD", "NEW_PASSWORD"} and values["KEPT_PASSWORD"] == ""
    assert len(values["NEW_PASSWORD"]) >= 32  # unset ${X} without a default: that is the fix
    compose_step = next(s for s in result.steps if s.name == "compose")
    warning = next(d for d in compose_step.details if "left empty on purpose" in d)
    for name in ("AWS_SESSION_TOKEN", "FERNET_KEY", "BEATS_PASSWORD", "URL", "KEPT_PASSWORD"):
        assert name in warning
    assert len(compose_step.data["empty_kept"]) == 5
    model = resolved(compose, target, str(target / ".env"))
    envs = model["services"]["a"]["environment"]
    assert envs["AWS_SESSION_TOKEN"] == envs["FERNET_KEY"] == envs["BEATS_PASSWORD"] == ""
    assert envs["URL"] == "postgres://u:@db/x" and envs["KEPT_PASSWORD"] == ""
    assert result.ok, [(s.name, s.summary) for s in result.steps]


# ---- item 10: settings and flags ----------------------------------------------------------
def test_diff_previews_and_writes_nothing(make_target, run_fix):
    text = "services:\n  a:\n    image: x\n    environment:\n      A_PASSWORD: weakpw99\n"
    target = make_target({"docker-compose.yml": text})
    before = user_files(target)
    result, out, err, _ = run_fix(target, diff=True)
    assert result.ok and user_files(target) == before and not (target / ".maestro").exists()
    assert "+      A_PASSWORD: ${A_PASSWORD:?" in out and "weakpw99" not in out + err
    assert [s.status for s in result.steps].count("changed") >= 3


def test_cli_env_file_default_is_the_setting(make_target):
    from mt_testkit import run_cli

    text = "services:\n  a:\n    image: x\n    environment:\n      A_PASSWORD: weakpw99\n"
    target = make_target({"docker-compose.yml": text,
                          "pyproject.toml": '[tool.maestro-tasks]\nenv_file = "s.env"\n'})
    res = run_cli("week1.fix-secrets", "--target", str(target))
    assert res.returncode == 0, res.stdout + res.stderr
    assert (target / "s.env").is_file() and not (target / ".env").exists()
    assert "/s.env" in (target / ".gitignore").read_text()
    # An explicit flag wins over the setting.
    target2 = make_target({"docker-compose.yml": text,
                           "pyproject.toml": '[tool.maestro-tasks]\nenv_file = "s.env"\n'})
    res = run_cli("week1.fix-secrets", "--target", str(target2), "--env-file", "flag.env")
    assert res.returncode == 0, res.stdout + res.stderr
    assert (target2 / "flag.env").is_file() and not (target2 / "s.env").exists()


# ---- item 5: who else reads the env file --------------------------------------------------
APP = "services:\n  db:\n    image: postgres\n    environment:\n      POSTGRES_PASSWORD: weakpw99\n"
SETTINGS_PY = '''from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env")
    debug: bool = False
'''


@pytest.mark.parametrize("rel,source,kind", [
    ("app/settings.py", SETTINGS_PY, "pydantic-settings"),
    ("app/main.py", "from dotenv import load_dotenv\n\nload_dotenv()\n", "python-dotenv"),
    ("app/conf.py", "import os\nfrom decouple import config\n", "python-decouple"),
    ("proj/settings.py", "import environ\nenv = environ.Env()\nenviron.Env.read_env('.env')\n",
     "django-environ"),
    ("app/old.py", "class Settings:\n    class Config:\n        env_file = '.env'\n",
     "pydantic-settings"),
])
def test_application_reading_env_file_stops_before_writing(rel, source, kind, make_target, run_fix):
    target = make_target({"docker-compose.yml": APP, rel: source})
    before = user_files(target)
    for _ in range(2):  # same verdict twice
        result, *_ = run_fix(target)
        step = result.steps[0]
        assert step.status == "failed" and not result.ok
        assert f"{rel}:" in step.summary and kind in step.summary
        assert "POSTGRES_PASSWORD" in step.summary and "COMPOSE_ENV_FILES" in step.hint
        assert "--env-file .env --env-file" in step.hint
        assert user_files(target) == before


def test_readers_elsewhere_named_files_do_not_count(make_target, run_fix):
    target = make_target({"docker-compose.yml": APP,
                          "app/settings.py": SETTINGS_PY.replace('".env"', '".env.app"')})
    result, *_ = run_fix(target)
    assert result.ok, [(s.name, s.summary) for s in result.steps]


def test_service_env_file_gaining_keys_is_refused(make_target, run_fix):
    text = ("services:\n  app:\n    image: busybox\n    env_file: .env\n    environment:\n"
            "      MODE: dev\n  db:\n    image: postgres\n    environment:\n"
            "      POSTGRES_PASSWORD: weakpw99\n")
    target = make_target({"docker-compose.yml": text}, untracked={".env": "MODE2=1\n"})
    before = user_files(target)
    result, *_ = run_fix(target)
    step = result.steps[0]
    assert step.status == "failed"
    assert "service app would receive new variable(s) POSTGRES_PASSWORD" in step.summary
    assert user_files(target) == before


def test_test_suite_collecting_worse_stops_before_writing(make_target, run_fix):
    conftest = ("from pathlib import Path\n\n"
                "_env = Path(__file__).parent / '.env'\n"
                "if _env.exists():\n"
                "    keys = {l.split('=')[0] for l in _env.read_text().splitlines() if '=' in l}\n"
                "    assert keys <= {'MODE'}, f'unknown keys {sorted(keys)}'\n")
    target = make_target({"docker-compose.yml": APP, "conftest.py": conftest,
                          "tests/test_a.py": "def test_a():\n    pass\n"})
    before = user_files(target)
    result, *_ = run_fix(target)
    step = result.steps[0]
    assert step.status == "failed", step.summary
    assert "test suite would collect worse" in step.summary and "POSTGRES_PASSWORD" in step.summary
    assert user_files(target) == before
    # The same suite that does not mind: written, and the proof says collection was checked.
    ok = make_target({"docker-compose.yml": APP, "tests/test_a.py": "def test_a():\n    pass\n"})
    result, *_ = run_fix(ok)
    assert result.ok
    crit = next(c for s in result.steps for c in s.criteria if c.name.startswith("plan proven"))
    assert "test collection no worse" in crit.evidence


# ---- item 11: weak values wherever they come from -----------------------------------------
def _crit(result, name):
    return next(c for s in result.steps for c in s.criteria if c.name == name)


@pytest.mark.parametrize("entry", ["      - POSTGRES_PASSWORD\n", "      POSTGRES_PASSWORD:\n"])
def test_weak_pass_through_value_is_unmet_never_changed(entry, make_target, run_fix):
    env_block = "    environment:\n" + entry
    if entry.startswith("      POSTGRES"):
        env_block = "    environment:\n      POSTGRES_DB: app\n" + entry
    text = "services:\n  db:\n    image: postgres\n" + env_block
    target = make_target({"docker-compose.yml": text}, untracked={".env": "POSTGRES_PASSWORD=postgres\n"})
    for _ in range(2):
        result, out, err, _ = run_fix(target)
        crit = _crit(result, "every secret meets its strength rule")
        assert crit.met is False and "POSTGRES_PASSWORD" in crit.evidence
        assert "--rotate POSTGRES_PASSWORD" in crit.evidence and "volume" in crit.evidence
        assert (target / ".env").read_text() == "POSTGRES_PASSWORD=postgres\n"
        assert (target / "docker-compose.yml").read_text() == text
    result, *_ = run_fix(target, rotate="POSTGRES_PASSWORD")
    assert _crit(result, "every secret meets its strength rule").met is True


def test_weak_compose_secret_file_is_unmet(make_target, run_fix):
    text = ("services:\n  db:\n    image: postgres\n    secrets: [db_password, tls_cert]\n"
            "    environment:\n      POSTGRES_PASSWORD_FILE: /run/secrets/db_password\n"
            "secrets:\n  db_password:\n    file: ./secrets/db_password.txt\n"
            "  tls_cert:\n    file: ./secrets/cert.pem\n")
    target = make_target({"docker-compose.yml": text, "secrets/db_password.txt": "hunter2\n",
                          "secrets/cert.pem": "-----BEGIN CERT-----\n"})
    result, out, err, _ = run_fix(target)
    crit = _crit(result, "compose secrets: files meet their strength rule")
    assert crit.met is False and "db_password (secrets/db_password.txt)" in crit.evidence
    assert "tls_cert" not in crit.evidence and "hunter2" not in out + err
    assert (target / "secrets/db_password.txt").read_text() == "hunter2\n"
    assert not result.ok


# ---- item 6: blast radius before rotation -------------------------------------------------
BLAST = ("services:\n  db:\n    image: postgres\n    environment:\n"
         "      POSTGRES_PASSWORD: weakdbpw1\n"
         "  proxy:\n    image: pgbouncer\n    volumes:\n      - ./pgbouncer:/etc/pgbouncer:ro\n")


@pytest.mark.parametrize("where,tracked", [("pgbouncer/userlist.txt", True),
                                           ("pgbouncer/userlist.txt", False),
                                           ("scripts/init.sql", True)])
def test_literal_found_elsewhere_is_kept_and_reported(where, tracked, make_target, run_fix):
    other = {where: '"app" "weakdbpw1"\n'}
    target = make_target({"docker-compose.yml": BLAST, "pgbouncer/pgbouncer.ini": "[databases]\n",
                          **(other if tracked else {})}, untracked=None if tracked else other)
    codes = []
    for _ in range(2):
        result, *_ = run_fix(target)
        codes.append(result.ok)
        from maestro_tasks.secrets import envfile

        env = envfile.parse_env(".env", (target / ".env").read_bytes()).values
        assert env["POSTGRES_PASSWORD"] == "weakdbpw1"  # kept: the connection still works
        assert "weakdbpw1" not in (target / "docker-compose.yml").read_text()
        crit = _crit(result, "every secret meets its strength rule")
        assert crit.met is False and f"{where}:1" in crit.evidence
        assert "--rotate POSTGRES_PASSWORD" in crit.evidence
    assert codes == [False, False]  # never exit 0 with a broken connection; same verdict twice


@pytest.mark.parametrize("where,content", [
    (".env.prod.example", "POSTGRES_PASSWORD=weakdbpw1\n"),   # a template users copy from
    ("docs/setup.md", "password: weakdbpw1\n"),                # documentation
    ("tests/test_x.py", 'role = "admin"  # weakdbpw2\n'),      # another word
])
def test_templates_docs_and_other_words_do_not_stop_rotation(where, content, make_target, run_fix):
    target = make_target({"docker-compose.yml": BLAST, "pgbouncer/pgbouncer.ini": "[databases]\n",
                          where: content})
    result, *_ = run_fix(target)
    # Rotation goes ahead. A template that commits the live value is still a credential in a
    # tracked file, which the read-only inventory names (the only unmet criterion then).
    unmet = [s.name for s in result.steps if s.status == "failed"]
    assert unmet in ([], ["tracked-credentials"]), [(s.name, s.summary) for s in result.steps]
    if unmet:
        assert where == ".env.prod.example"
        assert f"{where}:1" in str(result.steps[-1].data["tracked_credentials"][0]["path"]) + ":" \
            + str(result.steps[-1].data["tracked_credentials"][0]["line"])
    from maestro_tasks.secrets import envfile

    env = envfile.parse_env(".env", (target / ".env").read_bytes()).values
    assert len(env["POSTGRES_PASSWORD"]) >= 32


def test_plain_word_counts_only_as_a_credential():
    from maestro_tasks.secrets import blast

    assert blast._distinctive("weakdbpw1") and not blast._distinctive("postgres")
    text = 'role="admin"\npassword: admin\nurl = "pg://u:admin@db"\n'
    hits = [m for m in (text.find('"admin"') + 1, text.find(": admin") + 2, text.find(":admin@") + 1)]
    assert [blast._credential_context(text, a, a + 5) for a in hits] == [False, True, True]


def test_kept_value_never_goes_into_a_tracked_env_file(make_target, run_fix):
    target = make_target({"docker-compose.yml": BLAST, "pgbouncer/userlist.txt": '"app" "weakdbpw1"\n',
                          ".env": "MODE=1\n"})
    before = user_files(target)
    result, *_ = run_fix(target)
    assert result.steps[0].status == "failed" and ".env is tracked by git" in result.steps[0].summary
    assert user_files(target) == before


def test_stack_and_fix_secrets_read_the_same_env_file(tmp_path):
    from maestro_tasks.compose.cli import ComposeCLI, Project
    from maestro_tasks.engine import Context
    from maestro_tasks.secrets.steps import env_rel

    ctx = Context(target=tmp_path, settings={"env_file": "deploy/app.env"})
    ctx.options = {"env_file": None}
    assert env_rel(ctx) == "deploy/app.env"
    ctx.options = {"env_file": "flag.env"}
    assert env_rel(ctx) == "flag.env"  # the explicit flag wins
    # week1.up / down / status build their Project from the same setting:
    project = Project(ComposeCLI(["docker", "compose"], (2, 40, 0)), tmp_path, ["compose.yaml"],
                      env_file="deploy/app.env")
    argv = project.argv("config")
    assert argv[argv.index("--env-file") + 1] == "deploy/app.env"


def test_compose_file_in_a_subfolder_resolves_from_its_own_folder(make_target, run_fix):
    # As `docker compose -f dev/compose.yml` does: relative paths start at dev/.
    files = {"dev/compose.yml": "services:\n  db:\n    extends:\n      file: ../common/db.yml\n"
                                "      service: db\n    environment:\n      DB_PASSWORD: weakpw99\n",
             "common/db.yml": "services:\n  db:\n    image: postgres\n"}
    target = make_target(files)
    result, *_ = run_fix(target, compose_file=["dev/compose.yml"])
    assert result.steps[0].status == "ok", result.steps[0].summary
    assert "weakpw99" not in (target / "dev/compose.yml").read_text()
