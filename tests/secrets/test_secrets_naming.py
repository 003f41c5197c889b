"""Names users recognise: the project's own names, else the owner's key, never a consumer's."""

from __future__ import annotations

from dotenv import dotenv_values

from maestro_tasks.secrets import core, group


def analyse(compose: str, env: str | None = None, example: str | None = None) -> core.Analysis:
    files = {"docker-compose.yml": compose.encode(), ".env": env and env.encode(),
             ".env.example": example and example.encode()}
    return core.analyse(["docker-compose.yml"], ".env", files.get, (".env.template", None))


def names(an: core.Analysis) -> dict[str, list[str]]:
    return {g.name: [o.var or o.key for o in g.occurrences] for g in an.groups}


AIRFLOW = """x-airflow-common: &airflow-common
  image: busybox
  environment:
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: postgresql+psycopg2://airflow:airflow@postgres/airflow
    _AIRFLOW_WWW_USER_PASSWORD: ${_AIRFLOW_WWW_USER_PASSWORD:-airflow}
services:
  postgres:
    image: postgres
    environment:
      POSTGRES_USER: airflow
      POSTGRES_PASSWORD: airflow
  airflow-webserver:
    <<: *airflow-common
"""


def test_database_password_is_named_after_the_database_not_the_ui_admin_variable():
    an = analyse(AIRFLOW)
    assert names(an) == {
        "POSTGRES_PASSWORD": ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "POSTGRES_PASSWORD"],
        "_AIRFLOW_WWW_USER_PASSWORD": ["_AIRFLOW_WWW_USER_PASSWORD"],
    }
    # The UI admin variable keeps its name where the user wrote it, with a value of its own.
    text = an.new_compose["docker-compose.yml"].decode()
    assert "_AIRFLOW_WWW_USER_PASSWORD: ${_AIRFLOW_WWW_USER_PASSWORD:?" in text
    assert "airflow:${POSTGRES_PASSWORD}@postgres" in text
    values = an.values()
    assert values["POSTGRES_PASSWORD"] == values["_AIRFLOW_WWW_USER_PASSWORD"]  # as before


def test_a_default_of_the_same_credential_names_it():
    compose = ("services:\n  db:\n    image: postgres\n    environment:\n"
               "      POSTGRES_PASSWORD: pw5678ab\n  api:\n    image: a\n    environment:\n"
               "      DB_PASSWORD: ${DB_PASSWORD:-pw5678ab}\n"
               "      URL: postgresql://u:${PG_PASS:-pw5678ab}@db/x\n")
    an = analyse(compose)
    assert names(an) == {"DB_PASSWORD": ["POSTGRES_PASSWORD", "DB_PASSWORD"],
                         "PG_PASS": ["PG_PASS"]}
    assert an.values()["PG_PASS"] == an.values()["DB_PASSWORD"]  # one connection, one value


def test_the_projects_example_and_env_names_are_reused():
    compose = ("services:\n  grafana:\n    image: grafana/grafana\n    environment:\n"
               "      GF_SECURITY_ADMIN_PASSWORD: admin\n"
               "  db:\n    image: postgres\n    environment:\n      POSTGRES_PASSWORD: s3cretpw\n"
               "  api:\n    image: a\n    environment:\n      API_TOKEN: tok-12345\n")
    example = "# Grafana\nGRAFANA_ADMIN_PASSWORD=\nLOG_LEVEL=info\n"
    env = "APP_API_TOKEN=tok-12345\n"
    an = analyse(compose, env=env, example=example)
    assert list(names(an)) == ["GRAFANA_ADMIN_PASSWORD", "POSTGRES_PASSWORD", "APP_API_TOKEN"]
    api = next(g for g in an.groups if g.name == "APP_API_TOKEN")
    assert api.source == "env" and api.value == "tok-12345"  # the project's value, kept


def test_a_reference_elsewhere_is_the_same_credential():
    compose = ("services:\n  db:\n    image: postgres\n    environment:\n"
               "      POSTGRES_PASSWORD: pw5678ab\n  api:\n    image: a\n    environment:\n"
               "      PGPASSWORD: ${POSTGRES_PASSWORD}\n")
    an = analyse(compose)
    assert [g.name for g in an.groups] == ["POSTGRES_PASSWORD"]


def test_owner_beats_consumer_and_shared_values_are_listed():
    compose = ("services:\n  api:\n    image: a\n    environment:\n"
               "      AWS_SECRET_ACCESS_KEY: minio-pw-1\n      APP_ADMIN_PASSWORD: minio-pw-1\n"
               "  minio:\n    image: minio/minio\n    environment:\n"
               "      MINIO_ROOT_PASSWORD: minio-pw-1\n")
    an = analyse(compose)
    assert [g.name for g in an.groups] == ["MINIO_ROOT_PASSWORD"]
    notes = group.shared_notes(an.groups)
    assert notes == ["MINIO_ROOT_PASSWORD: one value, 3 uses: AWS_SECRET_ACCESS_KEY, "
                     "APP_ADMIN_PASSWORD, MINIO_ROOT_PASSWORD (split them with separate "
                     "variables if they are different credentials)"]


def test_names_through_the_task_real_compose(make_target, run_fix, compose):
    target = make_target({"docker-compose.yml": AIRFLOW,
                          ".env.example": "# Grafana admin\nGRAFANA_ADMIN_PASSWORD=\n"})
    result, out, *_ = run_fix(target)
    assert result.ok, out
    crit = {c.name: c for s in result.steps for c in s.criteria}
    assert crit["resolved config unchanged except at secret positions"].met is True
    env = dotenv_values(target / ".env")
    assert set(env) == {"POSTGRES_PASSWORD", "_AIRFLOW_WWW_USER_PASSWORD"}
    shared = AIRFLOW.replace("POSTGRES_PASSWORD: airflow", "POSTGRES_PASSWORD: airflow\n"
                             "      DB_ADMIN_PASSWORD: airflow")
    target = make_target({"docker-compose.yml": shared})
    result, out, *_ = run_fix(target, as_json=True)
    data = next(s for s in result.steps if s.name == "compose").data
    assert data["shared_values"][0].startswith("POSTGRES_PASSWORD: one value, 2 uses: ")
    assert "one value, 2 uses" in out
