"""The serve check as a content-keyed proof: reused for identical inputs, run again when one
byte of the output changes or with --no-cache, never recorded when it fails. Real CLI, real npm,
a real server (the sample's preview script counts its starts), Chromium where installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from maestro_tasks.engine.proofs import Proofs
from maestro_tasks.engine.state import StateDir
from maestro_tasks.ui.discovery import discover
from maestro_tasks.ui.fingerprint import compute
from maestro_tasks.ui.serve import find_browser
from maestro_tasks.ui.serveproof import proof_key, serve_digest
from maestro_tasks.ui.toolchain import Toolchain, tool_identity
from mt_testkit import tree_digest

TASK = "week1.build-uis"
KEY = "ui.serve:ui/vite-app"


def _serve(doc: dict) -> dict:
    return next(s for s in doc["steps"] if s["name"] == "serve")


def _proof(doc: dict) -> str:
    (app,) = _serve(doc)["data"]["apps"]
    return app["proof"]


def _evidence(doc: dict) -> dict[str, str]:
    return {c["name"]: c["evidence"] for c in _serve(doc)["criteria"]}


def _proofs(target: Path) -> dict:
    path = target / ".maestro/proofs.json"
    return json.loads(path.read_text()) if path.exists() else {}


class Starts:
    """How many times the sample's preview server started (its SAMPLE_SERVE_STARTS hook)."""

    def __init__(self, folder: Path):
        self.file = folder / "serve-starts.log"

    def env(self, **extra: str) -> dict[str, str]:
        return {"SAMPLE_SERVE_STARTS": str(self.file), **extra}

    def take(self) -> int:
        if not self.file.exists():
            return 0
        count = len(self.file.read_text().splitlines())
        self.file.unlink()
        return count


@pytest.fixture
def built(make_target, cli, parse_json, npm, tmp_path):
    """A target with the Vite sample built and its serve check recorded by a first run."""
    target = make_target("vite-app")
    starts = Starts(tmp_path)
    first = cli(TASK, "--target", str(target), "--json", env=starts.env())
    assert first.returncode == 0, first.stdout + first.stderr
    assert _proof(parse_json(first)) == "recorded"
    assert starts.take() == 1
    assert KEY in _proofs(target)
    return target, starts


def test_unchanged_build_reuses_the_serve_proof_and_starts_no_server(built, cli, parse_json):
    target, starts = built
    before = tree_digest(target)

    again = cli(TASK, "--target", str(target), "--json", env=starts.env())

    assert again.returncode == 0, again.stdout + again.stderr
    doc = parse_json(again)
    assert _proof(doc) == "reused"
    assert starts.take() == 0  # no server was started
    recorded = _proofs(target)[KEY]
    evidence = _evidence(doc)
    assert f"proven for inputs {recorded['digest'][:12]}…" in evidence["served with 200"]
    assert f"unchanged since {recorded['proven_at']}" in evidence["served with 200"]
    assert evidence["served with 200"].startswith("ui/vite-app: GET http://127.0.0.1:")
    if find_browser():
        assert "unchanged since" in evidence["rendered"]
    assert {c["met"] for c in _serve(doc)["criteria"]} <= {True, None}
    assert tree_digest(target) == before  # a reused proof writes nothing


def test_one_changed_output_byte_runs_the_serve_check_again(built, cli, parse_json):
    target, starts = built
    old = _proofs(target)[KEY]["digest"]
    # One byte of the build output (not a build input: no rebuild), the page still valid.
    output = target / "ui/vite-app/site/build-env.json"
    data = output.read_bytes()
    assert b'"CI":"1"' in data
    output.write_bytes(data.replace(b'"CI":"1"', b'"CI":"2"'))

    again = cli(TASK, "--target", str(target), "--json", env=starts.env())

    assert again.returncode == 0, again.stdout + again.stderr
    doc = parse_json(again)
    assert [a["result"] for a in next(s for s in doc["steps"]
                                      if s["name"] == "build")["data"]["apps"]] == ["cached"]
    assert _proof(doc) == "recorded"
    assert starts.take() == 1
    assert "proven for inputs" not in _evidence(doc)["served with 200"]
    assert _proofs(target)[KEY]["digest"] != old


def test_no_cache_runs_the_serve_check_again_and_records_it(built, cli, parse_json):
    target, starts = built
    old = _proofs(target)[KEY]

    again = cli(TASK, "--target", str(target), "--json", "--no-cache", env=starts.env())

    assert again.returncode == 0, again.stdout + again.stderr
    assert _proof(parse_json(again)) == "recorded"
    assert starts.take() == 1
    new = _proofs(target)[KEY]
    assert new["digest"] == old["digest"]  # same inputs, proven again


def test_a_failing_serve_is_never_recorded(make_target, cli, parse_json, npm, tmp_path):
    target = make_target("vite-app")
    starts = Starts(tmp_path)

    failing = cli(TASK, "--target", str(target), "--json", env=starts.env(SAMPLE_SERVE_FAIL="1"))

    assert failing.returncode == 1, failing.stdout + failing.stderr
    doc = parse_json(failing)
    assert _proof(doc) == "not recorded"
    assert {c["name"]: c["met"] for c in _serve(doc)["criteria"]}["served with 200"] is False
    assert KEY not in _proofs(target)

    # The failure is checked again every run, not remembered: the next run serves for real.
    starts.take()
    fixed = cli(TASK, "--target", str(target), "--json", env=starts.env())
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert _proof(parse_json(fixed)) == "recorded" and starts.take() == 1


def test_check_mode_runs_the_serve_check_and_records_nothing(make_target, cli, parse_json, npm,
                                                             tmp_path):
    target = make_target("vite-app")
    app_dir = target / "ui/vite-app"
    subprocess.run(["node", "build.mjs"], cwd=app_dir, check=True, capture_output=True)
    starts = Starts(tmp_path)

    checked = cli(TASK, "--target", str(target), "--json", "--check", env=starts.env())

    doc = parse_json(checked)
    assert _proof(doc) == "not recorded"
    assert starts.take() == 1
    assert not (target / ".maestro").exists()


# ---- the digest itself: exactly the inputs of the check ---------------------------------------

@pytest.fixture
def vite_built(make_target, tmp_path):
    from mt_testkit import require

    require(shutil.which("node") is not None, "node")
    target = make_target("vite-app")
    app_dir = target / "ui/vite-app"
    subprocess.run(["node", "build.mjs"], cwd=app_dir, check=True, capture_output=True)
    return target


def _digest(target: Path, browser: str | None = None, tools: Toolchain | None = None) -> str:
    (app,) = discover(target, {}).apps
    tools = tools or Toolchain()
    fp = compute(target / app.rel, app, tools.node_label())
    return serve_digest(target, app, fp, tools, browser)


def test_serve_digest_covers_output_server_packages_environment_and_browser(vite_built,
                                                                            monkeypatch):
    target = vite_built
    app_dir = target / "ui/vite-app"
    monkeypatch.delenv("NODE_OPTIONS", raising=False)
    base = _digest(target)
    assert _digest(target) == base  # deterministic: the free port is no input

    seen = {base}

    def changed(label: str) -> None:
        now = _digest(target)
        assert now not in seen, f"{label} did not change the digest"
        seen.add(now)

    (app_dir / "site/new.css").write_text("a{}")
    changed("a new output file")
    (app_dir / "site/new.css").write_text("b{}")
    changed("one output byte")
    (app_dir / "site/new.css").chmod(0o755)
    changed("an output file's exec bit")
    package = json.loads((app_dir / "package.json").read_text())
    package["scripts"]["preview"] = "node serve.mjs --port 4174"
    (app_dir / "package.json").write_text(json.dumps(package))
    changed("the server command (preview script)")
    (app_dir / "node_modules").mkdir()
    (app_dir / "node_modules/.package-lock.json").write_text("{}")
    changed("the installed packages' manifest")
    monkeypatch.setenv("NODE_OPTIONS", "--max-old-space-size=64")
    changed("NODE_OPTIONS")
    assert _digest(target, browser=shutil.which("true")) not in seen  # a browser (and version)


def test_proof_key_is_per_app(vite_built):
    (app,) = discover(vite_built, {}).apps
    assert proof_key(app) == KEY


# ---- tool versions, remembered by the identity of the installed program ----------------------

def _copy_program(src: str, dest: Path) -> Path:
    shutil.copy2(src, dest)
    dest.chmod(0o755)
    return dest


def test_tool_identity_follows_the_program_and_refuses_shims_and_scripts(tmp_path):
    real_true = os.path.realpath(shutil.which("true") or "/bin/true")
    tool = _copy_program(real_true, tmp_path / "mytool")
    first = tool_identity(str(tool), "mytool")
    assert first is not None and tool_identity(str(tool), "mytool") == first
    time.sleep(0.05)  # past the kernel's coarse timestamp tick
    tool.write_bytes(tool.read_bytes())  # same bytes rewritten: ctime moves, identity changes
    assert tool_identity(str(tool), "mytool") != first
    # A shim (node -> volta-shim) follows the project, not its own bytes: always asked.
    shim = _copy_program(real_true, tmp_path / "volta-shim")
    (tmp_path / "node").symlink_to(shim)
    assert tool_identity(str(tmp_path / "node"), "node") is None
    script = tmp_path / "other"
    script.write_text("#!/bin/sh\nexec true\n")
    assert tool_identity(str(script), "other") is None
    assert tool_identity(str(tmp_path / "missing"), "missing") is None


def test_node_version_is_memoised_and_asked_again_with_no_cache(tmp_path):
    from mt_testkit import require

    node = shutil.which("node")
    require(node is not None, "node")
    assert node is not None
    real = Toolchain().version("node")
    state = StateDir(tmp_path)
    tools = Toolchain(memo=Proofs(state))
    assert tools.version("node") == real
    recorded = json.loads((tmp_path / ".maestro/proofs.json").read_text())
    key = f"tool-version:{node}"
    if tool_identity(node, "node") is None:
        assert key not in recorded  # a shim or script: asked every run, never remembered
        return
    assert recorded[key]["data"] == {"version": real}
    # A later run reads it back without starting node: the (edited) record is what it returns.
    recorded[key]["data"]["version"] = "v0.0.0-remembered"
    (tmp_path / ".maestro/proofs.json").write_text(json.dumps(recorded))
    assert Toolchain(memo=Proofs(state)).version("node") == "v0.0.0-remembered"
    # --no-cache (a disabled store) asks the program itself.
    assert Toolchain(memo=Proofs(state, enabled=False)).version("node") == real


def test_a_page_that_no_longer_renders_is_not_reused_nor_recorded(built, cli, parse_json):
    from mt_testkit import require

    require(find_browser() is not None, "chromium")
    target, starts = built
    old = _proofs(target)[KEY]
    script = target / "ui/vite-app/site/assets/main.js"
    script.write_bytes(b"}" + script.read_bytes())  # a syntax error: #root stays empty

    broken = cli(TASK, "--target", str(target), "--json", env=starts.env())

    assert broken.returncode == 1, broken.stdout + broken.stderr
    doc = parse_json(broken)
    assert _proof(doc) == "not recorded" and starts.take() == 1
    assert {c["name"]: c["met"] for c in _serve(doc)["criteria"]}["rendered"] is False
    assert _proofs(target)[KEY] == old  # the old proof stays, for its own (other) inputs
