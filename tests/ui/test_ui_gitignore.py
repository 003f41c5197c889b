"""build-uis keeps git clean: each app's node_modules and build output ignored (real git)."""

from __future__ import annotations

import json
import subprocess

import pytest

from maestro_tasks.ui.discovery import discover
from maestro_tasks.ui.ignore import HEADER, app_folders, not_ignored, plan_ignores

TASK = "week1.build-uis"


def _git(target, *args):
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", *args],
                          cwd=target, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def repo(make_target):
    def make(*apps, **kw):
        target = make_target(*apps, **kw)
        _git(target, "init", "-q")
        _git(target, "add", "-A")
        _git(target, "commit", "-q", "-m", "start")
        return target
    return make


def _step(doc, name):
    return next(s for s in doc["steps"] if s["name"] == name)


def test_folders_per_framework(make_target):
    target = make_target("vite-app", "next-app")
    apps = {a.rel: a for a in discover(target, {}).apps}
    assert app_folders(target, apps["ui/vite-app"]) == ["node_modules", "site"]
    assert app_folders(target, apps["ui/next-app"]) == ["node_modules", ".next", "out"]


def test_plan_appends_anchored_lines_to_the_root_gitignore_and_is_idempotent(repo):
    target = repo("vite-app")
    (target / ".gitignore").write_text("# mine\n*.log\n!dist\n")
    _git(target, "add", "-A")
    _git(target, "commit", "-q", "-m", "ignore")
    app = discover(target, {}).apps[0]
    planned = plan_ignores(target, app, None, (target / ".gitignore").read_bytes())
    assert planned.file == ".gitignore"
    assert planned.lines == ["/ui/vite-app/node_modules/", "/ui/vite-app/site/"]
    assert planned.content.decode() == (f"# mine\n*.log\n!dist\n{HEADER}\n"
                                        "/ui/vite-app/node_modules/\n/ui/vite-app/site/\n")
    (target / ".gitignore").write_bytes(planned.content)
    assert not_ignored(target, ["ui/vite-app/node_modules/", "ui/vite-app/site/"]) == []
    assert plan_ignores(target, app, None, planned.content) is None  # idempotent


def test_app_gitignore_is_preferred_and_only_missing_lines_are_added(repo):
    target = repo("vite-app")
    (target / "ui/vite-app/.gitignore").write_bytes(b"node_modules\r\n")
    app = discover(target, {}).apps[0]
    planned = plan_ignores(target, app, b"node_modules\r\n", None)
    assert planned.file == "ui/vite-app/.gitignore"
    assert planned.lines == ["/site/"]
    assert planned.content == f"node_modules\r\n{HEADER}\r\n/site/\r\n".encode()


def test_check_names_the_lines_writes_nothing_then_apply_and_rerun(repo, cli, parse_json, npm):
    target = repo("vite-app", "next-app")
    check = cli(TASK, "--target", str(target), "--check", "--no-serve-check", "--json")
    assert check.returncode == 1
    step = _step(parse_json(check), "git-ignore")
    assert step["status"] == "changed"
    assert [c["summary"] for c in step["changes"]] == [
        "add to ui/next-app/.gitignore: /node_modules/, /.next/, /out/",
        "add to ui/vite-app/.gitignore: /node_modules/, /site/"]
    assert not (target / "ui/vite-app/.gitignore").exists() and not (target / ".maestro").exists()

    first = cli(TASK, "--target", str(target), "--no-serve-check", "--json")
    assert first.returncode == 0, first.stdout + first.stderr
    step = _step(parse_json(first), "git-ignore")
    assert step["status"] == "changed"
    assert step["criteria"][0]["met"] is True
    assert "0 untracked file(s) under them" in step["criteria"][0]["evidence"]
    # Only the two .gitignore files the step reported are new: no build file shows up.
    status = _git(target, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert sorted(status) == ["?? ui/next-app/.gitignore", "?? ui/vite-app/.gitignore"]

    again = cli(TASK, "--target", str(target), "--no-serve-check", "--json")
    assert _step(parse_json(again), "git-ignore")["status"] == "ok"


def test_target_outside_git_is_left_alone(make_target, cli, parse_json):
    target = make_target("vite-app")
    res = cli(TASK, "--target", str(target), "--check", "--no-serve-check", "--json")
    step = _step(parse_json(res), "git-ignore")
    assert step["status"] == "ok" and step["summary"].startswith("not a git work tree")


# ---- property: whatever the .gitignore held, the appended lines win and a rerun adds nothing --
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_LINES = st.sampled_from([
    "", "# comment", "node_modules", "!node_modules", "!/ui/vite-app/site/", "site/", "!site",
    "*.log", "/ui/", "!/ui/", "ui/vite-app/", "!ui/vite-app/node_modules/", "**/site", "\\#x",
    "dist/", "!*", "trailing   ",
])


@pytest.fixture(scope="module")
def one_repo(tmp_path_factory):
    import shutil as _shutil
    from pathlib import Path

    apps = Path(__file__).resolve().parent / "apps"
    target = tmp_path_factory.mktemp("prop") / "t"
    _shutil.copytree(apps / "vite-app", target / "ui" / "vite-app")
    _git(target, "init", "-q")
    return target


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_LINES, max_size=8), st.sampled_from(["\n", "\r\n"]), st.booleans(),
       st.booleans())
def test_appended_lines_always_win_and_are_idempotent(one_repo, lines, nl, final_nl, in_app):
    target = one_repo
    base = nl.join(lines) + (nl if final_nl and lines else "")
    own, root = target / "ui/vite-app/.gitignore", target / ".gitignore"
    for path in (own, root):
        path.unlink(missing_ok=True)
    (own if in_app else root).write_bytes(base.encode())
    app = discover(target, {}).apps[0]
    planned = plan_ignores(target, app, own.read_bytes() if own.exists() else None,
                           root.read_bytes() if root.exists() else None)
    if planned is None:
        assert not_ignored(target, ["ui/vite-app/node_modules/", "ui/vite-app/site/"]) == []
        return
    assert planned.content.startswith(base.encode())  # append-only: the user's lines stay
    (target / planned.file).write_bytes(planned.content)
    assert not_ignored(target, ["ui/vite-app/node_modules/", "ui/vite-app/site/"]) == []
    again = plan_ignores(target, app, own.read_bytes() if own.exists() else None,
                         root.read_bytes() if root.exists() else None)
    assert again is None


def _outdir_app(target, out_dir):
    app = target / "frontend"
    app.mkdir(parents=True)
    (app / "package.json").write_text('{"scripts": {"build": "vite build"}, '
                                      '"devDependencies": {"vite": "^6.0.0"}}')
    (app / "vite.config.ts").write_text(
        f'export default defineConfig({{ build: {{ outDir: "{out_dir}" }} }})\n')
    (app / ".gitignore").write_text("node_modules\n")


def test_an_output_outside_the_app_is_ignored_from_the_root(tmp_path):
    """Vite's outDir "../backend/app/frontend" (a real full-stack template): a line in the app's
    own .gitignore could never match it, so the root .gitignore gets it."""
    target = tmp_path / "repo"
    _outdir_app(target, "../backend/app/frontend")
    _git(target, "init", "-q")
    (app,) = discover(target, {"ui_apps": ["frontend"]}).apps
    assert app.outputs == ("../backend/app/frontend",)
    planned = plan_ignores(target, app, (target / "frontend/.gitignore").read_bytes(), None)
    assert planned.file == ".gitignore" and planned.lines == ["/backend/app/frontend/"]
    (target / ".gitignore").write_bytes(planned.content)
    assert not_ignored(target, ["backend/app/frontend/index.html"]) == []
    assert plan_ignores(target, app, (target / "frontend/.gitignore").read_bytes(),
                        planned.content) is None


def test_an_output_outside_the_app_that_git_already_ignores_needs_no_edit(tmp_path):
    target = tmp_path / "repo"
    _outdir_app(target, "../backend/app/frontend")
    (target / ".gitignore").write_text("node_modules/\nbackend/app/frontend/\n")
    _git(target, "init", "-q")
    (app,) = discover(target, {"ui_apps": ["frontend"]}).apps
    assert plan_ignores(target, app, (target / "frontend/.gitignore").read_bytes(),
                        (target / ".gitignore").read_bytes()) is None


def test_verify_counts_each_apps_tracked_and_untracked_files_with_one_git_run_each(repo, cli):
    target = repo("vite-app", "next-app")
    # A committed build output in one app; untracked, not ignored files in the other.
    (target / "ui/vite-app/site").mkdir()
    (target / "ui/vite-app/site/index.html").write_text("<html></html>")
    _git(target, "add", "-A")
    _git(target, "commit", "-q", "-m", "output committed")
    (target / "ui/next-app/node_modules/x").mkdir(parents=True)
    (target / "ui/next-app/node_modules/x/a.js").write_text("1")
    (target / "ui/next-app/out").mkdir()
    (target / "ui/next-app/out/b.html").write_text("2")

    res = cli(TASK, "--target", str(target), "--check", "--no-serve-check", "--json")

    step = _step(json.loads(res.stdout), "git-ignore")
    (criterion,) = step["criteria"]
    assert criterion["met"] is False
    by_app = dict(part.split(": ", 1) for part in criterion["evidence"].split("; ui/"))
    assert by_app["ui/next-app"] == ("not ignored: ui/next-app/node_modules, ui/next-app/.next, "
                                     "ui/next-app/out; 2 untracked file(s) under them")
    # The committed site/ is not reported as "not ignored" (git tracks it: warned instead).
    assert by_app["vite-app"] == ("not ignored: ui/vite-app/node_modules; "
                                  "0 untracked file(s) under them")
    human = cli(TASK, "--target", str(target), "--check", "--no-serve-check")
    assert "ui/vite-app/site is tracked by git" in human.stderr
    assert "ui/next-app/out is tracked by git" not in human.stderr
