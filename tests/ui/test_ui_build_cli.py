"""week1.build-uis end to end on the dependency-free sample apps: real CLI, real npm, real
servers (and Chromium where installed)."""

from __future__ import annotations

import json
from pathlib import Path

from maestro_tasks.ui.metrics import baseline_metrics
from mt_testkit import tree_digest

TASK = "week1.build-uis"


def _step(doc: dict, name: str) -> dict:
    return next(s for s in doc["steps"] if s["name"] == name)


def _changes(doc: dict) -> list[str]:
    return [c["summary"] for c in _step(doc, "build")["changes"]]


def _criteria(doc: dict, step: str) -> dict[str, bool | None]:
    return {c["name"]: c["met"] for c in _step(doc, step)["criteria"]}


def test_build_then_cache_hit_then_only_the_touched_app_rebuilds(
        make_target, npm_probe, procs, cli, parse_json, npm):
    target = make_target("vite-app", "next-app")
    assert baseline_metrics(target) == {"uis_total": 2, "uis_built": 0}

    first = cli(TASK, "--target", str(target), "--json", env=npm_probe.env())

    assert first.returncode == 0, first.stdout + first.stderr
    doc = parse_json(first)
    assert [s["status"] for s in doc["steps"]] == ["ok", "changed", "ok", "ok"]
    assert _changes(doc) == ["npm ci + build ui/next-app (no build recorded)",
                             "npm ci + build ui/vite-app (no build recorded)"]
    assert _criteria(doc, "build") == {"every app built": True, "output present": True}
    served = _criteria(doc, "serve")
    assert served["served with 200"] is True and served["rendered"] in (True, None)
    assert sorted(npm_probe.calls()) == [("next-app", "ci"), ("next-app", "run build"),
                                         ("vite-app", "ci"), ("vite-app", "run build")]
    env_seen = json.loads((target / "ui/vite-app/site/build-env.json").read_text())
    assert env_seen == {"CI": "1", "NEXT_TELEMETRY_DISABLED": "1"}
    log = (target / ".maestro/logs/ui-vite-app.log").read_text()
    assert "$ npm ci" in log and "$ npm run build" in log and "built site/index.html" in log
    # Nothing the serve check started is still running or listening.
    assert not procs.mentioning(target)
    ports = {int(a["url"].rsplit(":", 1)[1].strip("/")) for a in _step(doc, "serve")["data"]["apps"]}
    assert not ports & procs.listening()
    assert baseline_metrics(target) == {"uis_total": 2, "uis_built": 2}

    second = cli(TASK, "--target", str(target), "--json", env=npm_probe.env())

    assert second.returncode == 0, second.stdout + second.stderr
    doc = parse_json(second)
    assert [s["status"] for s in doc["steps"]] == ["ok", "ok", "ok", "ok"]
    assert [a["result"] for a in _step(doc, "build")["data"]["apps"]] == ["cached", "cached"]
    assert npm_probe.calls() == []  # a cache hit starts no npm process (serve check included)

    main_js = target / "ui/vite-app/src/main.js"
    main_js.write_text(main_js.read_text() + "// touched\n")
    third = cli(TASK, "--target", str(target), "--json", "--no-serve-check",
                env=npm_probe.env())

    assert third.returncode == 0, third.stdout + third.stderr
    doc = parse_json(third)
    assert _changes(doc) == ["build ui/vite-app (inputs changed: src/main.js)"]
    assert npm_probe.calls() == [("vite-app", "run build")]
    assert _criteria(doc, "serve") == {"served with 200": None, "rendered": None}

    forced = cli(TASK, "--target", str(target), "--json", "--no-serve-check", "--force",
                 "--app", "next-app", env=npm_probe.env())

    assert forced.returncode == 0, forced.stdout + forced.stderr  # re-plan after --force is empty
    assert _changes(parse_json(forced)) == ["npm ci + build ui/next-app (--force)"]
    assert sorted(npm_probe.calls()) == [("next-app", "ci"), ("next-app", "run build")]


def test_check_mode_reports_pending_builds_and_writes_nothing(make_target, cli, parse_json, npm):
    target = make_target("vite-app", "next-app")
    before = tree_digest(target)

    result = cli(TASK, "--target", str(target), "--check", "--json", "--no-serve-check")

    assert result.returncode == 1
    doc = parse_json(result)
    assert doc["mode"] == "check" and not doc["ok"]
    assert _step(doc, "build")["status"] == "changed"
    assert _changes(doc) == ["npm ci + build ui/next-app (no build recorded)",
                             "npm ci + build ui/vite-app (no build recorded)"]
    assert tree_digest(target) == before


def test_a_broken_app_fails_with_its_log_tail_while_the_other_builds(make_target, cli, npm,
                                                                       procs):
    target = make_target("vite-app", "broken-app")

    result = cli(TASK, "--target", str(target))

    assert result.returncode == 1
    out = result.stdout
    assert ("failed   build: 1 of 2 app build(s) failed: ui/broken-app (npm run build exited 1); "
            "1 built") in out
    assert "ui/broken-app: npm run build exited 1; last lines of .maestro/logs/ui-broken-app.log:" \
        in out
    assert "SyntaxError" in out
    assert "SyntaxError" in (target / ".maestro/logs/ui-broken-app.log").read_text()
    assert (target / "ui/vite-app/site/index.html").is_file()
    assert baseline_metrics(target) == {"uis_total": 2, "uis_built": 1}
    cache = json.loads((target / ".maestro/ui-cache.json").read_text())["apps"]
    assert list(cache) == ["ui/vite-app"]
    assert "ui/broken-app: not built (no output to serve)" in out
    assert "ui/vite-app: GET http://127.0.0.1:" in out
    assert not procs.mentioning(target)


def test_a_failed_build_is_described_in_json(make_target, cli, parse_json, npm):
    target = make_target("broken-app")

    result = cli(TASK, "--target", str(target), "--json", "--no-serve-check")

    assert result.returncode == 1
    build = _step(parse_json(result), "build")
    assert build["status"] == "failed"
    assert build["data"]["apps"][0]["result"] == "failed"
    assert build["data"]["apps"][0]["log"] == ".maestro/logs/ui-broken-app.log"
    assert build["hint"].startswith("fix the app")


def test_configured_app_without_lockfile_warns_is_served_statically_and_then_cached(
        make_target, cli, parse_json, npm):
    target = make_target(extra={"web/plain": "plain-app"}, pyproject=(
        '[project]\nname = "t"\n\n[tool.maestro-tasks]\n'
        'ui_apps = [{path = "web/plain", output = "public"}]\n'))

    first = cli(TASK, "--target", str(target), "--json")

    assert first.returncode == 0, first.stdout + first.stderr
    doc = parse_json(first)
    assert _step(doc, "discover")["data"]["apps"] == [
        {"app": "web/plain", "framework": "other", "package_manager": "npm", "lockfile": None,
         "output": "public"}]
    assert _step(doc, "discover")["data"]["warnings"] == [
        "web/plain has no lockfile: `npm install` is not reproducible; commit the lockfile it "
        "writes"]
    assert _changes(doc) == ["npm install + build web/plain (no build recorded)"]
    assert _step(doc, "serve")["data"]["apps"][0]["how"] == "static server on public/"

    again = cli(TASK, "--target", str(target), "--json", "--no-serve-check")
    assert again.returncode == 0 and _changes(parse_json(again)) == []


def test_jobs_decides_whether_builds_overlap(make_target, cli, npm, tmp_path):
    target = make_target("vite-app", "next-app")
    times = tmp_path / "build-times.txt"

    def intervals() -> list[tuple[int, int]]:
        rows = [line.split() for line in times.read_text().splitlines()]
        times.unlink()
        return sorted((int(start), int(end)) for _, start, end in rows)

    env = {"SAMPLE_BUILD_TIMES": str(times)}
    parallel = cli(TASK, "--target", str(target), "--jobs", "2", "--no-serve-check", env=env)
    assert parallel.returncode == 0, parallel.stdout + parallel.stderr
    (a_start, a_end), (b_start, b_end) = intervals()
    assert b_start < a_end

    serial = cli(TASK, "--target", str(target), "--jobs", "1", "--force", "--no-serve-check",
                 env=env)
    assert serial.returncode == 0, serial.stdout + serial.stderr
    (a_start, a_end), (b_start, b_end) = intervals()
    assert b_start >= a_end


def test_bad_flags_and_bad_input_exit_2_writing_nothing(make_target, cli):
    target = make_target("vite-app")

    unknown = cli(TASK, "--target", str(target), "--app", "admin")
    assert unknown.returncode == 2
    assert "--app admin: no such UI app (known: vite-app)" in unknown.stderr

    negative = cli(TASK, "--target", str(target), "--jobs", "-1")
    assert negative.returncode == 2 and "--jobs -1" in negative.stderr

    (target / "ui/vite-app/package.json").write_text('{\n  "scripts": {"build": }\n}\n')
    before = tree_digest(target)
    invalid = cli(TASK, "--target", str(target))
    assert invalid.returncode == 2
    assert "ui/vite-app/package.json:2: invalid JSON" in invalid.stderr
    assert "Traceback" not in invalid.stderr
    assert tree_digest(target) == before
    assert baseline_metrics(target) == {"uis_total": None, "uis_built": None}


def test_a_target_without_apps_is_skipped(tmp_path: Path, cli):
    result = cli(TASK, "--target", str(tmp_path))
    assert result.returncode == 0
    assert "skipped  discover: no UI apps" in result.stdout
