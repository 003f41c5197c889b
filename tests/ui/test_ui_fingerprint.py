"""Fingerprints and the up-to-date decision: what counts as an input, why a build is due."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maestro_tasks.ui.build import build_app
from maestro_tasks.ui.discovery import discover, load_app
from maestro_tasks.ui.fingerprint import (
    CACHE_FILE, compute, dump_cache, input_files, load_cache,
)
from maestro_tasks.ui.status import assess
from maestro_tasks.ui.toolchain import Toolchain, ToolError, check_engines

NODE = "node v20.0.0"


def _write(path: Path, text: str = "x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_inputs_skip_installs_outputs_caches_and_other_modes_env(make_target):
    target = make_target("vite-app")
    app_dir = target / "ui" / "vite-app"
    for rel in ("node_modules/react/index.js", "site/index.html", ".vite/deps.json",
                "nested/node_modules/x.js", ".env.development", ".env.test.local", "npm-debug.log"):
        _write(app_dir / rel)
    for rel in (".env", ".env.production", ".env.production.local", "public/favicon.svg"):
        _write(app_dir / rel)
    app = load_app(target, "ui/vite-app")

    files = input_files(app_dir, app)

    assert files == sorted([
        ".env", ".env.production", ".env.production.local", "build.mjs", "index.html",
        "package-lock.json", "package.json", "public/favicon.svg", "serve.mjs", "src/main.js",
        "vite.config.js",
    ])


def test_next_inputs_skip_both_build_folders(make_target):
    target = make_target("next-app")
    app_dir = target / "ui" / "next-app"
    _write(app_dir / ".next" / "BUILD_ID")
    _write(app_dir / "out" / "index.html")
    files = input_files(app_dir, load_app(target, "ui/next-app"))
    assert not [f for f in files if f.startswith((".next/", "out/"))]
    assert "pages/index.html" in files


def _record(target: Path, rel: str, toolchain: str = NODE) -> dict:
    app = load_app(target, rel)
    return compute(target / rel, app, toolchain).to_json()


def _built(target: Path, rel: str) -> None:
    _write(target / rel / "site" / "index.html", "<!doctype html>")


def test_reasons_for_a_build(make_target):
    target = make_target("vite-app")
    rel = "ui/vite-app"
    app_dir = target / rel
    app = load_app(target, rel)

    fresh = assess(target, app, None, NODE)
    assert (fresh.up_to_date, fresh.install, fresh.reason) == (False, True, "no build recorded")
    assert fresh.action == "npm ci + build ui/vite-app (no build recorded)"

    entry = _record(target, rel)
    missing = assess(target, app, entry, NODE)
    assert missing.reason == "output missing: no site/index.html" and not missing.install

    _built(target, rel)
    assert assess(target, app, entry, NODE).up_to_date

    (app_dir / "src" / "main.js").write_text("// changed\n")
    source = assess(target, app, entry, NODE)
    assert source.action == "build ui/vite-app (inputs changed: src/main.js)"

    entry = _record(target, rel)
    lock = json.loads((app_dir / "package-lock.json").read_text())
    lock["version"] = "1.0.1"
    (app_dir / "package-lock.json").write_text(json.dumps(lock))
    deps = assess(target, app, entry, NODE)
    assert deps.install and deps.reason == "dependencies changed: package-lock.json"

    entry = _record(target, rel)
    toolchain = assess(target, app, entry, "node v22.1.0")
    assert toolchain.install and toolchain.reason == "toolchain changed: now node v22.1.0"

    forced = assess(target, app, entry, NODE, force=True)
    assert forced.install and forced.reason == "--force"


def test_many_changed_files_are_summarised(make_target):
    target = make_target("vite-app")
    entry = _record(target, "ui/vite-app")
    _built(target, "ui/vite-app")
    for i in range(5):
        _write(target / "ui" / "vite-app" / "src" / f"new{i}.js")
    status = assess(target, load_app(target, "ui/vite-app"), entry, NODE)
    assert status.reason == "inputs changed: src/new0.js, src/new1.js, src/new2.js +2 more"


def test_missing_node_modules_reinstalls_an_app_with_dependencies(tmp_path):
    app_dir = tmp_path / "ui" / "web"
    _write(app_dir / "package.json", json.dumps(
        {"scripts": {"build": "vite build"}, "devDependencies": {"vite": "^5"}}))
    _write(app_dir / "dist" / "index.html")
    app = load_app(tmp_path, "ui/web")
    entry = compute(app_dir, app, NODE).to_json()
    status = assess(tmp_path, app, entry, NODE)
    assert status.install and status.reason == "node_modules missing"
    (app_dir / "node_modules").mkdir()
    assert assess(tmp_path, app, entry, NODE).up_to_date


def test_cache_round_trip_and_unreadable_cache_is_empty(tmp_path):
    (tmp_path / CACHE_FILE).write_bytes(dump_cache({"ui/a": {"fingerprint": "f"}}))
    assert load_cache(tmp_path) == {"ui/a": {"fingerprint": "f"}}
    (tmp_path / CACHE_FILE).write_text("{not json")
    assert load_cache(tmp_path) == {}
    (tmp_path / CACHE_FILE).write_text(json.dumps({"version": 999, "apps": {"x": {}}}))
    assert load_cache(tmp_path) == {}


def test_engines_mismatch_names_tool_version_and_range(make_target, npm):
    target = make_target("vite-app")
    pkg_path = target / "ui" / "vite-app" / "package.json"
    pkg = json.loads(pkg_path.read_text())
    pkg["engines"] = {"node": ">=99"}
    pkg_path.write_text(json.dumps(pkg))
    app = discover(target, {}).apps[0]
    with pytest.raises(ToolError, match=r"node v\d+\.\d+\.\d+ does not satisfy engines.node "
                                        r"'>=99' in ui/vite-app/package.json"):
        check_engines(app, Toolchain())


def test_missing_npm_is_a_clear_build_failure(make_target, npm, tmp_path):
    import shutil

    only_node = tmp_path / "only-node"
    only_node.mkdir()
    (only_node / "node").symlink_to(shutil.which("node"))
    target = make_target("vite-app")
    app = discover(target, {}).apps[0]

    outcome = build_app(target, app, install=True, tools=Toolchain(path=str(only_node)))

    assert not outcome.ok
    assert outcome.error == "npm is needed but was not found on PATH; install Node.js (it ships npm)"
    assert not (target / "ui" / "vite-app" / "site").exists()


def test_missing_yarn_without_corepack_says_how_to_get_it(tmp_path):
    with pytest.raises(ToolError, match="yarn is needed.*corepack enable"):
        Toolchain(path=str(tmp_path)).manager_command("yarn")


def test_a_workspace_roots_lockfile_is_an_install_input(tmp_path):
    from maestro_tasks.ui.discovery import load_app
    from maestro_tasks.ui.fingerprint import compute

    (tmp_path / "package.json").write_text('{"workspaces": ["web"]}')
    (tmp_path / "bun.lock").write_text("lock 1\n")
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "package.json").write_text('{"scripts": {"build": "vite build"}}')
    app = load_app(tmp_path, "web")
    before = compute(tmp_path / "web", app, "node v20")
    (tmp_path / "bun.lock").write_text("lock 2\n")
    after = compute(tmp_path / "web", app, "node v20")
    assert before.deps != after.deps and "../bun.lock" in after.files
