"""The serve check on the sample apps: real servers, real HTTP, real Chromium, nothing left."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from maestro_tasks.ui.discovery import discover, load_app
from maestro_tasks.ui.serve import rendered_content, serve_check


def _build_directly(target: Path, rel: str) -> None:
    """Run the sample's build script with node (no npm needed for these checks)."""
    app_dir = target / rel
    script = json.loads((app_dir / "package.json").read_text())["scripts"]["build"]
    subprocess.run(script, shell=True, cwd=app_dir, check=True, capture_output=True)


@pytest.fixture
def node():
    from mt_testkit import require

    require(shutil.which("node") is not None, "node")


def test_rendered_content_of_root_or_body():
    dom = ('<html><body><div id="root"><h1>Hi</h1></div><script>x()</script></body></html>')
    assert rendered_content(dom, "root")[0]
    assert rendered_content('<body><div id="root"></div><p>outside</p></body>', "root") == \
        (False, "#root is empty after rendering")
    assert rendered_content('<body><div id="app"></div></body>', "root") == \
        (False, "#root not found in the rendered DOM")
    assert rendered_content('<body><div id="root"><img src="a.png"></div></body>', "root")[0]
    # App-router pages have no #__next: visible body text counts, scripts do not.
    assert rendered_content("<body><main>Dashboard</main><script>1</script></body>", None)[0]
    assert not rendered_content("<body><script>self.__next_f=[]</script> </body>", None)[0]


def test_vite_preview_script_serves_and_is_stopped(make_target, node, procs):
    target = make_target("vite-app")
    _build_directly(target, "ui/vite-app")
    app = discover(target, {}).apps[0]
    before = set(procs.descendants())

    result = serve_check(target, app, browser=None)

    assert result.served, result.error
    assert (result.status, result.content_type.split(";")[0]) == (200, "text/html")
    # The script's own --port 4173 was replaced by the free port.
    assert result.how.startswith("preview script: node serve.mjs --port ")
    assert "4173" not in result.how and "--host 127.0.0.1" in result.how
    assert result.stopped and result.leftovers == 0
    assert set(procs.descendants()) <= before
    assert not procs.mentioning(target)
    assert int(result.url.rsplit(":", 1)[1].strip("/")) not in procs.listening()


def test_next_start_group_is_killed_even_when_a_child_ignores_sigterm(make_target, node, procs):
    target = make_target("next-app")
    _build_directly(target, "ui/next-app")
    app = discover(target, {}).apps[0]

    result = serve_check(target, app, browser=None)

    assert result.served, result.error
    assert result.how.startswith("start script: node start.mjs -p ")
    assert result.stopped
    assert not procs.mentioning(target)
    assert not procs.descendants()


def test_static_server_for_a_vite_build_without_preview_script(make_target, node, procs):
    target = make_target("vite-app")
    pkg_path = target / "ui" / "vite-app" / "package.json"
    pkg = json.loads(pkg_path.read_text())
    del pkg["scripts"]["preview"]
    pkg_path.write_text(json.dumps(pkg))
    _build_directly(target, "ui/vite-app")

    result = serve_check(target, discover(target, {}).apps[0], browser=None)

    assert result.served and result.how == "static server on site/"
    assert not procs.mentioning(target)


def test_not_built_and_failing_servers_are_reported(make_target, node):
    target = make_target("vite-app")
    app = discover(target, {}).apps[0]
    assert serve_check(target, app).error == "not built (no output to serve)"

    _build_directly(target, "ui/vite-app")
    (target / "ui" / "vite-app" / "serve.mjs").write_text("process.exit(3)\n")
    result = serve_check(target, app, timeout=20)
    assert not result.served
    assert result.error.startswith("server exited with 3 before answering")


def test_a_server_answering_500_is_not_served(make_target, node):
    target = make_target("vite-app")
    _build_directly(target, "ui/vite-app")
    (target / "ui" / "vite-app" / "serve.mjs").write_text(
        "const a = process.argv; const port = Number(a[a.indexOf('--port') + 1])\n"
        "require('node:http').createServer((q, r) => { r.writeHead(500); r.end('boom') })"
        ".listen(port, '127.0.0.1')\n")
    (target / "ui" / "vite-app" / "package.json").write_text(json.dumps(
        {"scripts": {"build": "node build.mjs", "preview": "node serve.cjs"}}))
    (target / "ui" / "vite-app" / "serve.mjs").rename(target / "ui" / "vite-app" / "serve.cjs")
    result = serve_check(target, load_app(target, "ui/vite-app"), timeout=20)
    assert not result.served and "-> 500 (want 200)" in result.error
    assert result.stopped


def test_chromium_sees_the_rendered_root_and_an_empty_one(make_target, node, chromium, procs):
    target = make_target("vite-app")
    _build_directly(target, "ui/vite-app")
    app = discover(target, {}).apps[0]

    good = serve_check(target, app, browser=chromium)
    assert good.rendered is True, good.render_evidence
    assert "#root holds 2 element(s)" in good.render_evidence

    (target / "ui" / "vite-app" / "site" / "assets" / "main.js").write_text("// renders nothing\n")
    empty = serve_check(target, app, browser=chromium)
    assert empty.served and empty.rendered is False
    assert empty.render_evidence == "chromium: #root is empty after rendering"
    assert not procs.descendants()
    assert not procs.mentioning(target)


@pytest.mark.parametrize("framework_file, script_name, script, expected", [
    ("vite.config.js", "preview", "vite preview --host --port 4173 --open",
     "vite preview --port {port} --strictPort --host 127.0.0.1"),
    ("vite.config.js", "preview", "vite preview --host=0.0.0.0 --strictPort",
     "vite preview --port {port} --strictPort --host 127.0.0.1"),
    ("next.config.js", "start", "next start -p 3001 -H 0.0.0.0",
     "next start -p {port} -H 127.0.0.1"),
    ("next.config.js", "start", "next start --port=3001 --hostname localhost",
     "next start -p {port} -H 127.0.0.1"),
])
def test_the_apps_own_port_and_host_flags_are_replaced(tmp_path, framework_file, script_name,
                                                       script, expected):
    from maestro_tasks.ui.serve import server_command

    app_dir = tmp_path / "ui" / "web"
    app_dir.mkdir(parents=True)
    (app_dir / framework_file).write_text("export default {}\n")
    (app_dir / "package.json").write_text(json.dumps(
        {"scripts": {"build": "x", script_name: script}}))
    argv, how, cwd = server_command(tmp_path, load_app(tmp_path, "ui/web"), 45678)
    assert argv == ["/bin/sh", "-c", expected.format(port=45678)]
    assert how == f"{script_name} script: {expected.format(port=45678)}" and cwd == app_dir
