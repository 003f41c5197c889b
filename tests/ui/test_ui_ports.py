"""The ports a UI app's own servers use, read from its Vite config and package.json scripts."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from maestro_tasks.ui.discovery import app_ports, discover, script_servers, vite_config_ports


def _app(tmp_path, rel, scripts, deps, files=None):
    folder = tmp_path / rel
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps(
        {"scripts": {"build": "x", **scripts}, "devDependencies": deps}))
    for name, text in (files or {}).items():
        (folder / name).write_text(text)
    return folder


def test_vite_config_server_and_preview_ports_nested_objects_and_comments():
    text = """
    export default defineConfig({
      // server: { port: 1111 },
      server: {
        proxy: { '/api': { target: 'http://localhost:8000', port: 9999 } },
        /* port: 2222 */
        port: 3000,
      },
      preview: { port: Number(process.env.PREVIEW_PORT) || 4000, strictPort: true },
    })"""
    assert vite_config_ports(text) == {"server": 3000, "preview": 4000}


def test_vite_config_without_ports_and_with_a_non_literal_port():
    assert vite_config_ports("export default { plugins: [] }") == {}
    assert vite_config_ports("export default { server: { port: env.PORT } }") == {}


@given(st.integers(1, 65535), st.integers(1, 65535), st.sampled_from(["", " ", "\n  "]),
       st.sampled_from(["'", '"']))
def test_vite_config_ports_round_trip(server, preview, space, quote):
    text = (f"export default defineConfig({{{space}plugins: [react()],{space}server: {{{space}"
            f"proxy: {{ {quote}/api{quote}: {quote}http://localhost:1{quote} }},{space}"
            f"port:{space}{server},{space}}},{space}preview: {{ port: {preview} }} }})")
    assert vite_config_ports(text) == {"server": server, "preview": preview}


@given(st.integers(1, 65535), st.sampled_from(["-p ", "--port ", "--port="]))
def test_script_port_flags(port, flag):
    found = script_servers({"dev": f"next dev {flag}{port}", "start": f"next start {flag}{port}"})
    assert [(s, srv, p) for s, srv, p, _ in found] == [
        ("dev", "next dev", port), ("start", "next start", port)]


def test_script_servers_inline_port_chained_commands_and_non_servers():
    found = script_servers({"dev": "PORT=4100 next dev", "build": "tsc && vite build",
                            "both": "npm run build && vite preview --port 4300",
                            "lint": "next lint", "plain": "vite --host"})
    assert [(s, srv, p) for s, srv, p, _ in found] == [
        ("both", "vite preview", 4300), ("dev", "next dev", 4100), ("plain", "vite dev", None)]


def test_app_ports_per_framework_with_config_flags_and_defaults(tmp_path):
    _app(tmp_path, "ui/vite-app", {"dev": "vite", "preview": "vite preview"}, {"vite": "5"},
         {"vite.config.ts": "export default { server: { port: 3000 } }"})
    _app(tmp_path, "ui/next-app", {"dev": "next dev", "start": "next start -p 3005"},
         {"next": "14"})
    _app(tmp_path, "ui/bare-vite", {}, {"vite": "5"})
    apps = {a.rel: a for a in discover(tmp_path, {}).apps}
    show = {rel: [(p.port, p.server, p.source) for p in app.ports] for rel, app in apps.items()}
    assert show == {
        "ui/bare-vite": [(4173, "vite preview", "vite default"), (5173, "vite dev", "vite default")],
        "ui/next-app": [(3000, "next dev", "next default"),
                        (3005, "next start", "package.json scripts.start -p")],
        "ui/vite-app": [(3000, "vite dev", "vite.config.ts server.port"),
                        (4173, "vite preview", "vite default")],
    }


def test_bundled_example_ports_come_from_its_own_configs():
    from maestro_tasks.resources import EXAMPLE

    apps = discover(EXAMPLE, {}).apps
    assert sorted({p.port for a in apps for p in a.ports}) == [3001, 4173, 5173]
    sources = {p.source for a in apps for p in a.ports}
    assert "vite.config.ts server.port" in sources and "package.json scripts.dev -p" in sources


def test_app_ports_of_an_app_with_no_framework_are_none(tmp_path):
    folder = _app(tmp_path, "ui/plain", {"start": "node server.js"}, {})
    assert app_ports(folder, "ui/plain", "other", {"start": "node server.js"}) == ()
