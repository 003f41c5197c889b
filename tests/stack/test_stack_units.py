"""The stack domain's pure parts, in-process: interpolation, ports, images, volumes, endpoints."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maestro_tasks.compose import cli as compose_mod
from maestro_tasks.compose import files as compose_files
from maestro_tasks.compose.interp import Reference, references, required_variables
from maestro_tasks.stack import engine, preflight
from maestro_tasks.stack.metrics import baseline_metrics


# ---- interpolation ------------------------------------------------------------------------
def test_reference_forms():
    text = "a=${A} b=$B c=${C:-x} d=${D-y} e=${E:?need e} f=${F?no} g=${G:+alt} $$H ${I:-${J}}"
    refs = references(text)
    assert [(r.name, r.op, r.nested) for r in refs] == [
        ("A", "", False), ("B", "", False), ("C", ":-", False), ("D", "-", False),
        ("E", ":?", False), ("F", "?", False), ("G", ":+", False),
        ("I", ":-", False), ("J", "", True)]
    assert required_variables({"services": {"s": {"environment": [text]}}}) == ["A", "B", "E", "F"]


def test_escaped_dollars_and_lone_dollars_are_not_references():
    assert references("$$VAR $$ $ 5$ ${") == []
    assert references("price: 5$, ${OK}") == [Reference("OK", "")]


_names = st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}", fullmatch=True)
_literal = st.text(alphabet=st.characters(blacklist_characters="${}", codec="utf-8"), max_size=6)
_piece = st.one_of(
    _literal.map(lambda t: (t, None)),
    st.just(("$$", None)),
    st.tuples(_names, st.sampled_from(["", ":-", "-", ":?", "?", ":+", "+"]), _literal)
    .map(lambda p: ("${" + p[0] + (p[1] + p[2] if p[1] else "") + "}", Reference(p[0], p[1]))),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_piece, max_size=8))
def test_references_finds_exactly_what_was_written(pieces):
    text = "".join(t for t, _ in pieces)
    expected = [ref for _, ref in pieces if ref is not None]
    assert references(text) == expected


# ---- variables ----------------------------------------------------------------------------
def test_unset_and_empty_variables_come_from_env_file_and_environment():
    raw = {"services": {"a": {"environment": {"P": "${P}", "Q": "${Q:?x}", "R": "${R}",
                                              "S": "${S:-d}"}}}}
    unset, empty = preflight.unset_variables(raw, {"P": "set", "R": ""}, {"Q": "from-env"})
    assert unset == [] and empty == ["R"]
    unset, _ = preflight.unset_variables(raw, {}, {})
    assert unset == ["P", "Q", "R"]


def test_secret_values_cover_named_keys_and_url_passwords_not_users():
    model = {"services": {"api": {"environment": {
        "DB_PASSWORD": "pw-one-123", "DB_USER": "maestro",
        "URL": "postgresql://maestro:pw-two-456@db:5432/x"},
        "command": ["--x", "redis://:pw-three@redis:6379/0"]}}}
    found = preflight.secret_values(model, {"JWT_SECRET_KEY": "jwt-value", "APP_USER": "bob"})
    assert found == {"pw-one-123", "pw-two-456", "pw-three", "jwt-value"}


# ---- ports --------------------------------------------------------------------------------
def _model(**services):
    return {"services": services}


def test_published_ports_expand_ranges_and_skip_unpublished():
    model = _model(a={"ports": [
        {"target": 80, "published": "8080", "protocol": "tcp"},
        {"target": 90, "published": "9000-9002", "protocol": "udp", "host_ip": "127.0.0.1"},
        {"target": 70, "protocol": "tcp"}]})
    ports = preflight.published_ports(model)
    assert [(p.host_ip, p.port, p.protocol) for p in ports] == [
        ("", 8080, "tcp"), ("127.0.0.1", 9000, "udp"), ("127.0.0.1", 9001, "udp"),
        ("127.0.0.1", 9002, "udp")]


def test_port_clashes_between_services_and_with_ui_ports():
    model = _model(
        grafana={"ports": [{"target": 3000, "published": "3001", "protocol": "tcp"}]},
        a={"ports": [{"target": 1, "published": "7000", "protocol": "tcp"}]},
        b={"ports": [{"target": 1, "published": "7000", "protocol": "tcp",
                      "host_ip": "127.0.0.1"}]},
        c={"ports": [{"target": 1, "published": "7100", "protocol": "tcp",
                      "host_ip": "127.0.0.1"}]},
        d={"ports": [{"target": 1, "published": "7100", "protocol": "tcp",
                      "host_ip": "127.0.0.2"}]},
        e={"ports": [{"target": 1, "published": "7000", "protocol": "udp"}]},
        f={"ports": [{"target": 1, "published": "8888", "protocol": "tcp"}]})
    from maestro_tasks.ui.discovery import UiPort

    ui = [UiPort("ui/web", 8888, "vite dev", "vite.config.ts server.port"),
          UiPort("ui/admin", 5173, "next dev", "package.json scripts.dev -p")]
    problems = preflight.port_clashes(preflight.published_ports(model), ui)
    assert problems == [
        "host port 7000/tcp is published by both a and b",
        "host port 8888 is published by service f and is the port of ui/web's vite dev server "
        "(vite.config.ts server.port): publish the service on another host port in the compose "
        "file, or move ui/web's vite dev server to another port",
    ]
    # grafana's 3001 is no UI's port here: nothing hardcoded from the bundled example.
    assert not any("3001" in p for p in problems)


def test_port_in_use_sees_a_listening_socket_and_own_ports_are_exempt():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        use = preflight.PortUse("web", "127.0.0.1", port, "tcp")
        assert preflight.port_in_use(use)
        assert preflight.ports_taken([use], set(), {}) == [
            f"host port {port}/tcp for web is already in use"]
        assert preflight.ports_taken([use], {(port, "tcp")}, {}) == []
    assert not preflight.port_in_use(use)


# ---- images -------------------------------------------------------------------------------
def test_base_images_skip_scratch_stages_and_args():
    text = ("ARG V=3.11\nFROM python:${V} AS deps\nFROM --platform=linux/amd64 node:20 AS ui\n"
            "FROM deps AS final\nFROM scratch\nfrom alpine:3.19\n")
    assert preflight.base_images(text) == ["node:20", "alpine:3.19"]


def test_image_needs(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM python:3.11-slim\nFROM scratch\n")
    model = _model(
        db={"image": "postgres:16"},
        cache={"image": "local:1"},
        api={"build": {"context": str(tmp_path / "app")}},
        lost={"build": {"context": str(tmp_path / "missing")}},
    )
    needs = preflight.image_needs(model, ["db", "cache", "api", "lost"],
                                  lambda ref: ref == "local:1", build=False)
    assert needs.to_pull == [("db", "postgres:16"), ("build of api", "python:3.11-slim")]
    assert needs.to_build == ["api"]
    assert needs.unbuildable == [f"lost: build context {tmp_path / 'missing'} does not exist"]


def test_network_errors_are_told_from_wrong_names():
    assert preflight.is_network_error('Get "https://x/v2/": dial tcp: lookup x: no such host')
    assert not preflight.is_network_error("pull access denied for nope, repository does not "
                                          "exist or may require 'docker login'")


# ---- volumes ------------------------------------------------------------------------------
def test_stale_volumes_are_those_created_before_the_secret_change():
    model = {"services": {"postgres": {"volumes": [
        {"type": "volume", "source": "pgdata", "target": "/var/lib/postgresql/data"}]},
        "minio": {"volumes": [{"type": "volume", "source": "s3", "target": "/data"}]}},
        "volumes": {"pgdata": {"name": "proj_pgdata"}, "s3": {"name": "proj_s3"}}}
    users = preflight.volume_users(model)
    assert users == {"proj_pgdata": ["postgres"], "proj_s3": ["minio"]}
    volumes = [("proj_pgdata", "2026-01-01T10:00:00Z"),
               ("proj_s3", "2026-01-03T10:00:00.123456789Z")]
    assert preflight.stale_volumes(volumes, users, "2026-01-02T00:00:00Z") == [
        ("proj_pgdata", ["postgres"])]
    assert preflight.stale_volumes(volumes, users, None) == []


# ---- compose CLI --------------------------------------------------------------------------
def _fake(tmp_path: Path, name: str, output: str) -> Path:
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\necho '{output}'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_compose_v1_is_refused_by_name(tmp_path):
    v1 = _fake(tmp_path, "docker-compose", "docker-compose version 1.29.2, build 5becea4c")
    with pytest.raises(compose_mod.ComposeUnavailable) as err:
        compose_mod.find_compose(command=[str(v1)])
    assert "docker-compose 1.29.2 (Compose v1, end of life)" in str(err.value)
    assert "compose" in err.value.hint


def test_compose_v2_is_found_and_files_discovered(tmp_path, compose):
    cli = compose_mod.find_compose()
    assert cli.version >= compose_mod.MIN_VERSION
    assert compose_files.discover_files(tmp_path) == []
    (tmp_path / "docker-compose.yml").write_text("services: {}\n")
    (tmp_path / "docker-compose.override.yml").write_text("services: {}\n")
    assert compose_files.discover_files(tmp_path) == ["docker-compose.yml",
                                                    "docker-compose.override.yml"]
    (tmp_path / "compose.yaml").write_text("services: {}\n")
    assert compose_files.discover_files(tmp_path) == ["compose.yaml"]
    assert compose_files.discover_files(tmp_path, ["x.yml"]) == ["x.yml"]


# ---- engine endpoint ----------------------------------------------------------------------
def test_endpoint_order_and_unknown_context(tmp_path):
    assert engine.resolve_endpoint({"DOCKER_HOST": "tcp://h:1", "DOCKER_CONTEXT": "x"}).source \
        == "DOCKER_HOST"
    config = tmp_path / "dockercfg"
    config.mkdir()
    (config / "config.json").write_text(json.dumps({"currentContext": "gone"}))
    with pytest.raises(engine.EngineUnavailable) as err:
        engine.resolve_endpoint({"DOCKER_CONFIG": str(config), "HOME": str(tmp_path)})
    assert err.value.kind == "context" and "'gone' does not exist" in str(err.value)
    default = engine.resolve_endpoint({"DOCKER_CONFIG": str(tmp_path / "none")})
    assert default.host == engine.DEFAULT_HOST and not default.explicit


def test_missing_socket_is_skippable_only_when_nothing_was_chosen(tmp_path):
    gone = f"unix://{tmp_path / 'none.sock'}"
    with pytest.raises(engine.EngineUnavailable) as implicit:
        engine._probe_unix(engine.Endpoint(gone, "default socket", explicit=False))
    assert implicit.value.kind == "missing" and implicit.value.skippable
    with pytest.raises(engine.EngineUnavailable) as explicit:
        engine._probe_unix(engine.Endpoint(gone, "DOCKER_HOST", explicit=True))
    assert not explicit.value.skippable


def test_socket_without_a_daemon_is_down(tmp_path):
    path = tmp_path / "stale.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.close()  # the file stays, nobody listens: a dead daemon's socket
    with pytest.raises(engine.EngineUnavailable) as err:
        engine.connect({"DOCKER_HOST": f"unix://{path}"})
    assert err.value.kind == "down" and "not answering" in str(err.value)


def test_baseline_metrics_without_compose_files_are_unknown(tmp_path):
    assert baseline_metrics(tmp_path) == {"services_total": None, "services_healthy": None}


def test_baseline_metrics_without_engine_count_services(tmp_path, compose, monkeypatch):
    (tmp_path / "compose.yaml").write_text("services:\n  a: {image: x}\n  b: {image: y}\n")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'nothing.sock'}")
    assert baseline_metrics(tmp_path) == {"services_total": 2, "services_healthy": None}


def test_unobtainable_images_name_who_needs_them_and_probe_each_registry_once():
    asked = []

    def probe(image):
        asked.append(image)
        if image.startswith("reg.example:5000/"):
            return None
        if image == "ghcr.io/org/missing:1":
            return "manifest unknown"
        return 'Get "https://x/v2/": dial tcp: lookup x: no such host'

    found = preflight.unobtainable(
        [("db", "postgres:16"), ("cache", "redis:7"), ("build of api", "postgres:16"),
         ("ok", "reg.example:5000/team/app:2"), ("gone", "ghcr.io/org/missing:1")], probe)
    assert [image for image, _, _ in found] == ["ghcr.io/org/missing:1", "postgres:16",
                                               "redis:7"]
    line = preflight.describe_unobtainable(found)
    assert line == (
        "ghcr.io/org/missing:1 (for gone): not present locally and the registry refuses it "
        "(manifest unknown); postgres:16 (for db, build of api), redis:7 (for cache): not "
        "present locally and no registry reachable (Get \"https://x/v2/\": dial tcp: lookup x: "
        "no such host)")
    # docker.io answered once for postgres and redis: it was unreachable.
    assert asked.count("redis:7") == 0 and len(asked) == 3


def test_registry_of_image_references():
    assert preflight.registry_of("postgres:16") == "docker.io"
    assert preflight.registry_of("grafana/grafana:10") == "docker.io"
    assert preflight.registry_of("ghcr.io/a/b") == "ghcr.io"
    assert preflight.registry_of("localhost/x") == "localhost"
