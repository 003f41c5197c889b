"""The whole repository's credentials: every other git-tracked file holding one, named, masked."""

from __future__ import annotations

import base64
import json

import pytest

from maestro_tasks.secrets import inventory

COMPOSE = ("services:\n  db:\n    image: postgres\n    environment:\n"
           "      POSTGRES_PASSWORD_FILE: /run/secrets/db_pw\n    secrets: [db_pw]\n"
           "secrets:\n  db_pw:\n    file: ./secrets/db_password.txt\n")
PROD = "services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: prodpass77\n"
DOCKER_ENV = ("# settings\nPOSTGRES_PASSWORD=dockerenvpw1\nACCESS_TOKEN_EXPIRE_MINUTES=60\n"
              "API_KEY=changeme\nDATABASE_URL=postgresql://u:urlpw999@db/x\nDEBUG=true\n")
K8S = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  LOG: info\n---\n"
       "apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\ntype: Opaque\ndata:\n"
       f"  password: {base64.b64encode(b'k8spass42').decode()}\n  empty: ''\n"
       "stringData:\n  token: k8s-token-123\n")
RAW = ("prodpass77", "dockerenvpw1", "urlpw999", "k8spass42", "k8s-token-123", "s3cr3t-file-pw")
FILES = {"docker-compose.yml": COMPOSE, "docker-compose.prod.yml": PROD,
         "docker-compose.yml.bak": PROD, "config/docker.env": DOCKER_ENV,
         "k8s/secret.yaml": K8S, "secrets/db_password.txt": "s3cr3t-file-pw\n",
         "k8s/deploy.yaml": "kind: Deployment\nspec: {}\n", "notes.txt": "password=abc12345\n"}
EXPECTED = [
    ("config/docker.env", 2, "POSTGRES_PASSWORD", "env"),
    ("config/docker.env", 4, "API_KEY", "env"),  # "changeme" is the key in use in a live file
    ("config/docker.env", 5, "DATABASE_URL", "env"),
    ("docker-compose.prod.yml", 4, "POSTGRES_PASSWORD", "compose"),
    ("docker-compose.yml.bak", 4, "POSTGRES_PASSWORD", "compose"),
    ("k8s/secret.yaml", 13, "data.password", "kubernetes-secret"),
    ("k8s/secret.yaml", 16, "stringData.token", "kubernetes-secret"),
    ("secrets/db_password.txt", 1, "db_password.txt", "secrets-file"),
]


@pytest.mark.parametrize("rel,kind", [
    ("docker-compose.prod.yml", "compose"), ("compose.yaml.bak", "compose"),
    ("deploy/docker-compose.override.yml~", "compose"), (".env", "env"), ("docker.env", "env"),
    (".env.production", "env"), ("k8s/secret.yaml", "yaml"), ("README.md", None),
    ("src/env.py", None),
])
def test_kind_of(rel, kind):
    assert inventory.kind_of(rel) == kind


def test_task_lists_every_tracked_credential_masked_with_file_and_line(make_target, run_fix, compose):
    target = make_target(FILES)
    result, out, err, _ = run_fix(target)
    step = next(s for s in result.steps if s.name == "tracked-credentials")
    got = [(c["path"], c["line"], c["key"], c["kind"]) for c in step.data["tracked_credentials"]]
    assert sorted(got) == EXPECTED
    crit = step.criteria[0]
    assert crit.name == "no credential in tracked files" and crit.met is False
    assert "git rm --cached" in crit.evidence and not result.ok
    for raw in RAW:
        assert raw not in out + err, raw
    assert "config/docker.env:2  POSTGRES_PASSWORD  do…(12)  (env)" in out
    # JSON: the same list, masked; the verdict is stable on an unchanged tree.
    again, jout, _, _ = run_fix(target, as_json=True)
    assert again.ok is False
    doc = json.loads(jout)
    data = next(s for s in doc["steps"] if s["name"] == "tracked-credentials")["data"]
    assert [c["value"] for c in data["tracked_credentials"]][:1] == ["do…(12)"]
    for raw in RAW:
        assert raw not in jout, raw


def test_clean_repository_meets_the_criterion_and_untracked_files_do_not_count(
        make_target, run_fix, compose):
    target = make_target({"docker-compose.yml": COMPOSE, "secrets/.gitkeep": ""},
                         untracked={"docker.env": DOCKER_ENV})
    result, out, *_ = run_fix(target)
    step = next(s for s in result.steps if s.name == "tracked-credentials")
    assert step.status == "ok" and step.criteria[0].met is True, out
    assert step.criteria[0].evidence.startswith("0 found in ")
    outside = make_target({"docker-compose.yml": COMPOSE}, git=False)
    result, *_ = run_fix(outside)
    step = next(s for s in result.steps if s.name == "tracked-credentials")
    assert step.criteria[0].met is None


def test_the_metric_and_the_report_say_what_they_count(make_target):
    from maestro_tasks.secrets.metrics import baseline_metrics
    from maestro_tasks.weekly.report import TRACKED_LABEL, render

    target = make_target(FILES)
    metrics = baseline_metrics(target)
    assert metrics == {"hardcoded_secrets": 0, "tracked_credentials": len(EXPECTED)}
    text = render("$headline\n$metrics_rows\n$blockers", before=metrics, after=metrics, target_name="t",
                  generated_at="now", version="0")
    assert "literals in the compose files compose loads" in text
    assert f"{len(EXPECTED)} credentials in other git-tracked files" in text
    assert TRACKED_LABEL in text
    assert "credentials in other git-tracked files (other compose files" in text  # a blocker


def test_placeholders_count_in_live_files_only_and_yaml_lines_are_read(tmp_path):
    (tmp_path / "prod.env").write_text("POSTGRES_PASSWORD=changeme\nURL=postgresql://app:app@db/x\n")
    (tmp_path / ".env.sample").write_text("POSTGRES_PASSWORD=changeme\nURL=postgresql://app:app@db/x\n")
    (tmp_path / "config.yml").write_text("db:\n  password: \"hunter22\"\n  # password: nope123\n"
                                         "  token: ${TOKEN}\n  port: 5432\n")
    found, scanned = inventory.scan(tmp_path, ["prod.env", ".env.sample", "config.yml"], set())
    assert scanned == 3
    assert [(c.path, c.line, c.key) for c in found] == [
        ("prod.env", 1, "POSTGRES_PASSWORD"), ("prod.env", 2, "URL"),  # the values in use
        (".env.sample", 2, "URL"),                                     # a URL password
        ("config.yml", 2, "password")]


def test_ci_workflows_references_and_permissions_are_not_credentials():
    """Seen in a real full-stack template: a deploy workflow named *compose*.yml holding
    ``${{ secrets.X }}`` references and ``permissions: id-token: write``."""
    from maestro_tasks.secrets import inventory

    workflow = (b"permissions:\n  id-token: write\njobs:\n  deploy:\n    env:\n"
                b"      SECRET_KEY: ${{ secrets.SECRET_KEY }}\n"
                b"      POSTGRES_PASSWORD: '{{ .Values.db.password }}'\n"
                b"      API_TOKEN: tok-9f8e7d6c5b4a\n")
    rel = ".github/workflows/deploy-docker-compose.yml"
    assert inventory.kind_of(rel) == "yaml"
    found = inventory.scan_yaml_lines(rel, workflow, "yaml")
    assert [(c.line, c.key) for c in found] == [(8, "API_TOKEN")]
