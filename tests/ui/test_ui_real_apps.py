"""The bundled example's real apps (Vite React TypeScript, Next.js) through week1.build-uis, with
real `npm ci` from the registry. One built copy serves every assertion: builds are slow."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from mt_testkit import IN_CI

pytestmark = [pytest.mark.npm, pytest.mark.slow]

TASK = "week1.build-uis"
APPS = ["ui/admin-dashboard", "ui/model-registry"]


@dataclass
class Runs:
    target: Path
    first: dict
    first_calls: list
    second: dict
    second_calls: list
    git_status_after_builds: str
    touched: dict
    touched_calls: list


def _run(cli, parse_json, target: Path, probe) -> dict:
    result = cli(TASK, "--target", str(target), "--json", env=probe.env(), timeout=1500)
    doc = parse_json(result)
    doc["returncode"] = result.returncode
    doc["stderr"] = result.stderr
    return doc


@pytest.fixture(scope="module")
def runs(npm, npm_probe, tmp_path_factory, parse_json) -> Runs:
    # What the example_copy fixture does, once for the whole module.
    from maestro_tasks.demo import prepare_demo
    from mt_testkit import run_cli

    target = prepare_demo(tmp_path_factory.mktemp("real-apps") / "maestro-demo")
    # As in repositories that ignore node_modules but not Next.js's output: the admin
    # dashboard loses its own .gitignore and the root one its .next/ and out/ lines.
    (target / "ui/admin-dashboard/.gitignore").unlink()
    root = target / ".gitignore"
    root.write_text("".join(line for line in root.read_text().splitlines(keepends=True)
                            if line.strip() not in (".next/", "out/")))
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-qam",
                    "ignore less"], cwd=target, check=True)
    first = _run(run_cli, parse_json, target, npm_probe)
    first_calls = npm_probe.calls()
    second = _run(run_cli, parse_json, target, npm_probe)
    second_calls = npm_probe.calls()
    status = subprocess.run(["git", "status", "--porcelain"], cwd=target, text=True,
                            capture_output=True, check=True).stdout
    app_tsx = target / "ui/model-registry/src/App.tsx"
    app_tsx.write_text(app_tsx.read_text() + "\n// touched by the test\n")
    touched = _run(run_cli, parse_json, target, npm_probe)
    return Runs(target, first, first_calls, second, second_calls, status, touched,
                npm_probe.calls())


def _step(doc: dict, name: str) -> dict:
    return next(s for s in doc["steps"] if s["name"] == name)


def _changes(doc: dict) -> list[str]:
    return [c["summary"] for c in _step(doc, "build")["changes"]]


def test_both_apps_build_from_a_clean_tree_and_are_proven_accessible(runs):
    doc = runs.first
    assert doc["returncode"] == 0, doc
    frameworks = {a["app"]: (a["framework"], a["lockfile"])
                  for a in _step(doc, "discover")["data"]["apps"]}
    assert frameworks == {"ui/admin-dashboard": ("Next.js", "package-lock.json"),
                          "ui/model-registry": ("Vite", "package-lock.json")}
    assert _changes(doc) == [f"npm ci + build {app} (no build recorded)" for app in APPS]
    assert sorted(runs.first_calls) == [("admin-dashboard", "ci"), ("admin-dashboard", "run build"),
                                        ("model-registry", "ci"), ("model-registry", "run build")]
    criteria = {c["name"]: c for c in _step(doc, "build")["criteria"] + _step(doc, "serve")["criteria"]}
    assert all(criteria[n]["met"] for n in ("every app built", "output present", "served with 200"))
    assert "ui/model-registry: dist/index.html" in criteria["output present"]["evidence"]
    assert "ui/admin-dashboard: .next/BUILD_ID" in criteria["output present"]["evidence"]
    served = {a["app"]: a for a in _step(doc, "serve")["data"]["apps"]}
    assert served["ui/model-registry"]["how"].startswith("preview script: vite preview --port ")
    assert served["ui/admin-dashboard"]["how"].startswith("start script: next start -p ")
    if shutil.which("chromium") or IN_CI:  # .ci/run installs chromium
        assert criteria["rendered"]["met"] is True, criteria["rendered"]
        assert "#root holds" in criteria["rendered"]["evidence"]
    else:
        assert criteria["rendered"]["met"] is None


def test_builds_leave_the_git_tree_clean(runs):
    # Real npm ci and real builds wrote node_modules, .next and dist: git shows only the
    # .gitignore edit the git-ignore step reported, nothing untracked.
    assert runs.git_status_after_builds == " M .gitignore\n"
    step = _step(runs.first, "git-ignore")
    assert step["status"] == "changed"
    env_dts = (runs.target / "ui/admin-dashboard/next-env.d.ts").exists()  # TS apps only
    lines = ["/ui/admin-dashboard/.next/", "/ui/admin-dashboard/out/",
             *(["/ui/admin-dashboard/next-env.d.ts"] if env_dts else [])]
    assert [c["summary"] for c in step["changes"]] == ["add to .gitignore: " + ", ".join(lines)]
    assert step["criteria"][0]["met"] is True
    assert (runs.target / ".gitignore").read_text().endswith("\n".join(lines) + "\n")


def test_second_run_is_a_cache_hit_that_starts_no_npm(runs):
    doc = runs.second
    assert doc["returncode"] == 0, doc
    assert [s["status"] for s in doc["steps"]] == ["ok", "ok", "ok", "ok"]
    assert [a["result"] for a in _step(doc, "build")["data"]["apps"]] == ["cached", "cached"]
    assert runs.second_calls == []
    # The serve and render proofs of the unchanged builds are reused: no server started.
    assert [a["proof"] for a in _step(doc, "serve")["data"]["apps"]] == ["reused", "reused"]
    assert "unchanged since" in _step(doc, "serve")["criteria"][0]["evidence"]


def test_touching_one_source_rebuilds_only_that_app(runs):
    doc = runs.touched
    assert doc["returncode"] == 0, doc
    assert _changes(doc) == ["build ui/model-registry (inputs changed: src/App.tsx)"]
    assert runs.touched_calls == [("model-registry", "run build")]
    results = {a["app"]: a["result"] for a in _step(doc, "build")["data"]["apps"]}
    assert results == {"ui/admin-dashboard": "cached", "ui/model-registry": "built"}
    # The rebuilt output is served again; the untouched app's proof still holds.
    proofs = {a["app"]: a["proof"] for a in _step(doc, "serve")["data"]["apps"]}
    assert proofs == {"ui/admin-dashboard": "reused", "ui/model-registry": "recorded"}


def test_no_server_is_left_running(runs, procs):
    assert not procs.mentioning(runs.target)
    ports = {int(a["url"].rsplit(":", 1)[1].strip("/"))
             for doc in (runs.first, runs.second, runs.touched)
             for a in _step(doc, "serve")["data"]["apps"] if a["proof"] != "reused"}
    assert len(ports) == 3 and not ports & procs.listening()  # 2 first, 1 after the touch
