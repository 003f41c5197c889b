"""week1.up / down / status through the real CLI, against the real dockerd and Compose v2."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from datetime import datetime, timezone

import pytest

from mt_testkit import assert_no_secrets

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _json(res):
    assert res.stdout.strip(), res.stderr
    return json.loads(res.stdout)


def _step(doc, name):
    return next(s for s in doc["steps"] if s["name"] == name)


def _project_ids(client, project):
    return sorted(c.id for c in client.containers.list(
        all=True, filters={"label": f"com.docker.compose.project={project}"}))


def _logs(target):
    logs = target / ".maestro" / "logs"
    return {p.name: p.read_bytes() for p in logs.iterdir()} if logs.is_dir() else {}


def test_up_is_healthy_idempotent_and_down_cleans_up(cli, make_stack, docker_engine,
                                                     stack_password):
    target, project = make_stack()

    first = cli("week1.up", "--target", str(target), "--timeout", "60", "--json")
    assert first.returncode == 0, first.stdout + first.stderr
    doc = _json(first)
    up = _step(doc, "compose-up")
    assert up["status"] == "changed"
    assert all(c["met"] for c in up["criteria"])
    assert up["data"] == {"services_total": 2, "services_running": 2, "services_healthy": 2}
    ids = _project_ids(docker_engine, project)
    assert len(ids) == 2

    # The client's healthcheck logs in with the secret; a wrong one is refused by web.
    client = docker_engine.containers.get(f"{project}-client-1")
    wrong = client.exec_run(["wget", "-q", "-O", "-", "http://admin:wrong@web:8080/"])
    assert wrong.exit_code != 0
    right = client.exec_run(["sh", "-c", 'wget -q -O - "http://admin:$API_PASSWORD@web:8080/"'])
    assert right.exit_code == 0 and right.output.strip() == b"ok"

    second = cli("week1.up", "--target", str(target), "--json")
    assert second.returncode == 0, second.stdout + second.stderr
    doc2 = _json(second)
    assert [s["status"] for s in doc2["steps"]] == ["ok", "ok"]
    assert _step(doc2, "compose-up")["changes"] == []
    assert _project_ids(docker_engine, project) == ids  # nothing recreated

    # fix-secrets records when it changed the secrets; the volume is older than that now.
    state = target / ".maestro" / "state.json"
    recorded = json.loads(state.read_text()) if state.exists() else {}
    recorded["secrets_changed_at"] = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    state.write_text(json.dumps(recorded))
    warned = cli("week1.up", "--target", str(target))
    assert warned.returncode == 0, warned.stdout + warned.stderr
    assert f"volume {project}_webdata (used by web) was created before the secrets changed" \
        in warned.stderr
    assert "down --volumes" in warned.stderr

    status = cli("week1.status", "--target", str(target))
    assert status.returncode == 0, status.stdout + status.stderr
    assert "SERVICE" in status.stdout and "healthy" in status.stdout
    assert "web" in status.stdout and "client" in status.stdout

    down = cli("week1.down", "--target", str(target), "--volumes")
    assert down.returncode == 0, down.stdout + down.stderr
    assert _project_ids(docker_engine, project) == []
    label = {"label": f"com.docker.compose.project={project}"}
    assert docker_engine.networks.list(filters=label) == []
    again = cli("week1.down", "--target", str(target))
    assert again.returncode == 0 and "ok" in again.stdout.split()[0]

    stopped = cli("week1.status", "--target", str(target))
    assert stopped.returncode == 1 and "0/2 running" in stopped.stdout

    blobs = {"up1": first.stdout + first.stderr, "up2": second.stdout + second.stderr,
             "status": status.stdout, "down": down.stdout + down.stderr, **_logs(target)}
    assert_no_secrets(blobs, {stack_password})


def test_check_mode_starts_nothing(cli, make_stack, docker_engine):
    target, project = make_stack()
    res = cli("week1.up", "--target", str(target), "--check")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "changed" in res.stdout and "would" in res.stdout
    assert _project_ids(docker_engine, project) == []
    assert not (target / ".maestro").exists()
    unknown = cli("week1.up", "--target", str(target), "--service", "nope")
    assert unknown.returncode == 2 and "unknown service(s) nope" in unknown.stderr

    (target / ".env").write_text("")
    unset = cli("week1.up", "--target", str(target))
    assert unset.returncode == 1
    assert "unset: WEB_PASSWORD (add them to .env or run week1.fix-secrets)" in unset.stdout
    assert "skipped  compose-up: not attempted: preflight failed" in unset.stdout
    assert _project_ids(docker_engine, project) == []


def test_service_selection_starts_only_it_and_its_dependencies(cli, make_stack, docker_engine):
    target, project = make_stack()
    res = cli("week1.up", "--target", str(target), "--service", "web", "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    assert _step(_json(res), "compose-up")["data"]["services_total"] == 1
    names = [c.name for c in docker_engine.containers.list(
        filters={"label": f"com.docker.compose.project={project}"})]
    assert names == [f"{project}-web-1"]


UNHEALTHY = """\
services:
  sick:
    image: {image}
    init: true
    command: ["sh", "-c",
              "echo sick-service-started; echo database-unreachable >&2; exec sleep 86400"]
    ports: ["127.0.0.1:{port}:8080"]
    healthcheck:
      test: ["CMD-SHELL", "echo probe-said-no; exit 1"]
      interval: 1s
      timeout: 1s
      retries: 2
"""


def test_unhealthy_service_fails_with_its_log_tail(cli, make_stack, docker_engine):
    target, project = make_stack(UNHEALTHY, env="")
    started = time.monotonic()
    res = cli("week1.up", "--target", str(target), "--timeout", "8")
    elapsed = time.monotonic() - started
    assert res.returncode == 1, res.stdout + res.stderr
    assert elapsed < 60
    out = res.stdout
    assert "failed   compose-up: sick not healthy within 8s" in out
    assert "sick-service-started" in out and "database-unreachable" in out  # log tail
    assert "probe-said-no" in out  # last healthcheck output
    assert "Traceback" not in out + res.stderr


def test_taken_host_port_fails_preflight_naming_it(cli, make_stack, docker_engine):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        target, project = make_stack(port=port)
        res = cli("week1.up", "--target", str(target), "--json")
    assert res.returncode == 1
    doc = _json(res)
    pre = _step(doc, "preflight")
    assert pre["status"] == "failed"
    assert f"host port {port}/tcp for web is already in use" in pre["summary"]
    assert _step(doc, "compose-up")["status"] == "skipped"
    assert _project_ids(docker_engine, project) == []


def test_dead_docker_host_is_a_clear_failure(cli, make_stack):
    target, _ = make_stack()
    res = cli("week1.up", "--target", str(target),
              env={"DOCKER_HOST": "unix:///nonexistent.sock"})
    assert res.returncode == 1
    assert "no Docker engine at unix:///nonexistent.sock (DOCKER_HOST)" in res.stdout
    assert "Traceback" not in res.stdout + res.stderr


def test_example_stack_names_the_images_it_cannot_get(cli, example_copy, docker_engine,
                                                      compose):
    project = f"mtexample{int(time.time() * 1000) % 10**8}"
    env = {"COMPOSE_PROJECT_NAME": project}
    try:
        res = cli("week1.up", "--target", str(example_copy), "--json", env=env)
        verify = cli("week1.verify", "--target", str(example_copy), "--json", env=env)
    finally:
        subprocess.run([*compose, "-p", project, "down", "-v", "--remove-orphans"],
                       cwd=example_copy, capture_output=True, timeout=120)
    assert "Traceback" not in res.stdout + res.stderr
    doc = _json(res)
    up = _step(doc, "compose-up")
    if up["status"] == "ok" or up["status"] == "changed":
        pytest.skip("this engine can pull the example's images")  # a machine with a registry
    # The stack cannot run: that is a failure (exit 1), not a skip.
    assert res.returncode == 1
    pre = _step(doc, "preflight")
    assert pre["status"] == "failed"
    assert "no registry reachable" in pre["summary"]
    listed = subprocess.run([*compose, "-p", project, "config", "--images"], cwd=example_copy,
                            capture_output=True, text=True, check=True).stdout.split()
    public = [image for image in listed if not image.startswith(project)]
    assert public
    for image in public:
        assert image in pre["summary"]
    # Plus the base images of the services it would build (python:3.11-slim for the api).
    assert set(public) < set(pre["data"]["images_missing"])
    assert up["status"] == "skipped" and "preflight failed" in up["summary"]
    # week1.verify finds what up found, with the same words.
    stack_item = _step(_json(verify), "docker-compose stack running")
    images = next(c for c in stack_item["criteria"] if c["name"] == "images available or buildable")
    assert images["met"] is False
    for image in public:
        assert image in images["evidence"]


def test_missing_build_context_fails_up_naming_it(cli, make_stack, docker_engine):
    target, project = make_stack()
    text = (target / "docker-compose.yml").read_text()
    (target / "docker-compose.yml").write_text(
        text.replace("  client:\n    image: ", "  client:\n    build: ./client-src\n    image: "
                                              "mt-missing-client:never\n    x-was: "))
    res = cli("week1.up", "--target", str(target), "--json")
    assert res.returncode == 1, res.stdout
    pre = _step(_json(res), "preflight")
    assert pre["status"] == "failed"
    assert "client: build context" in pre["summary"] and "client-src does not exist" in \
        pre["summary"]
    assert _project_ids(docker_engine, project) == []


LITERAL_SECRETS = """\
services:
  web:
    image: {image}
    init: true
    environment:
      WEB_PASSWORD: hunter2weak
    command: ["sh", "-c", "mkdir -p /www /etc && echo ok > /www/index.html && echo \\"/:admin:$${{WEB_PASSWORD}}\\" > /etc/httpd.conf && exec httpd -f -p 8080 -h /www -c /etc/httpd.conf"]
    ports: ["127.0.0.1:{port}:8080"]
    healthcheck:
      test: ["CMD-SHELL", "wget -q -O /dev/null --header \\"Authorization: Basic $$(echo -n admin:$${{WEB_PASSWORD}} | base64)\\" http://127.0.0.1:8080/"]
      interval: 1s
      timeout: 2s
      retries: 5
  client:
    image: {image}
    init: true
    environment:
      API_PASSWORD: hunter2weak
    command: ["sleep", "86400"]
    depends_on:
      web: {{condition: service_healthy}}
    healthcheck:
      test: ["CMD-SHELL", "wget -q -O /dev/null --header \\"Authorization: Basic $$(echo -n admin:$${{API_PASSWORD}} | base64)\\" http://web:8080/"]
      interval: 1s
      timeout: 2s
      retries: 5
"""


def test_fix_secrets_then_up_logs_in_with_the_generated_secret(cli, make_stack, docker_engine):
    target, project = make_stack(LITERAL_SECRETS, env="")
    (target / ".env").unlink()
    subprocess.run(["git", "init", "-q"], cwd=target, check=True)

    fixed = cli("week1.fix-secrets", "--target", str(target))
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "hunter2weak" not in (target / "docker-compose.yml").read_text()
    env = dict(line.split("=", 1) for line in (target / ".env").read_text().splitlines()
               if "=" in line and not line.startswith("#"))
    generated = set(env.values())
    assert generated

    res = cli("week1.up", "--target", str(target), "--timeout", "60")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "2/2 with a healthcheck healthy" in res.stdout
    # The client now authenticates with the generated secret; the old literal is refused.
    client = docker_engine.containers.get(f"{project}-client-1")
    old = client.exec_run(["wget", "-q", "-O", "-", "http://admin:hunter2weak@web:8080/"])
    assert old.exit_code != 0

    check = cli("week1.up", "--target", str(target), "--check")
    assert check.returncode == 0, check.stdout + check.stderr

    assert_no_secrets({"fix": fixed.stdout + fixed.stderr, "up": res.stdout + res.stderr,
                       "check": check.stdout + check.stderr, **_logs(target)},
                      generated | {"hunter2weak"})
