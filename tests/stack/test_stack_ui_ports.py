"""week1.up's preflight: a published host port clashes only with the target's own UI ports."""

from __future__ import annotations

import json
import socket

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _step(doc, name):
    return next(s for s in doc["steps"] if s["name"] == name)


def _vite_app(target, port):
    app = target / "ui" / "web"
    app.mkdir(parents=True)
    (app / "package.json").write_text(json.dumps(
        {"scripts": {"dev": "vite", "build": "vite build"}, "devDependencies": {"vite": "5"}}))
    (app / "vite.config.ts").write_text(
        f"export default {{ server: {{ port: {port}, strictPort: true }} }}\n")


def test_service_on_a_ui_apps_own_port_fails_naming_both_sides(cli, make_stack, docker_engine):
    port = free_port()
    target, project = make_stack(port=port)
    _vite_app(target, port)
    res = cli("week1.up", "--target", str(target), "--json")
    assert res.returncode == 1, res.stdout
    pre = _step(json.loads(res.stdout), "preflight")
    assert pre["status"] == "failed"
    assert (f"host port {port} is published by service web and is the port of ui/web's vite "
            f"dev server (vite.config.ts server.port)") in pre["summary"]
    assert "publish the service on another host port" in pre["summary"]


def test_other_ports_of_the_example_no_longer_block(cli, make_stack, docker_engine):
    # 3001 was hardcoded from the bundled example; a target whose UI uses 3000 may publish it.
    port = free_port()
    target, project = make_stack(port=port)
    _vite_app(target, port + 1 if port < 65535 else port - 1)
    res = cli("week1.up", "--target", str(target), "--json")
    assert res.returncode == 0, res.stdout
    pre = _step(json.loads(res.stdout), "preflight")
    ports = pre["data"]["ui_ports"]
    # Only the servers the app's scripts start (here `vite`, no preview script).
    assert [(p["app"], p["server"]) for p in ports] == [("ui/web", "vite dev")]
