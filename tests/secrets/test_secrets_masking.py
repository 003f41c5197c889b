"""fix-secrets output: weak old values masked as whole tokens, names never garbled."""

from __future__ import annotations

import json
import re

AIRFLOW = """x-airflow-common: &airflow-common
  image: busybox
  environment: &airflow-common-env
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: postgresql+psycopg2://airflow:airflow@postgres/airflow
    AIRFLOW__CORE__FERNET_KEY: ''
    _AIRFLOW_WWW_USER_PASSWORD: ${_AIRFLOW_WWW_USER_PASSWORD:-airflow}
services:
  postgres:
    image: postgres
    environment:
      POSTGRES_USER: airflow
      POSTGRES_PASSWORD: password
      POSTGRES_DB: airflow
  airflow-webserver:
    <<: *airflow-common
    command: webserver
"""


def test_names_are_never_garbled_and_weak_values_never_shown(make_target, run_fix, compose):
    target = make_target({"docker-compose.yml": AIRFLOW})
    result, out, err, _ = run_fix(target)
    text = out + err
    for name in ("POSTGRES_PASSWORD", "_AIRFLOW_WWW_USER_PASSWORD", "password:32",
                 "x-airflow-common.environment", "docker-compose.yml"):
        assert name in text, name
    assert not re.search(r"[A-Za-z_]…\(\d+\)[A-Za-z_]", text), text  # no mask inside a name
    assert not re.search(r"(?<![\w.\-/])(password|airflow)(?![\w\-/]|\.\w)", text.replace(
        "password:32", "")), text
    _, jout, _, _ = run_fix(target, as_json=True)
    doc = json.loads(jout)
    dumped = json.dumps(doc)
    assert "…(10)" not in dumped and "pa…(8):32" not in dumped
