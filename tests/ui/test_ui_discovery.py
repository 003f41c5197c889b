"""App discovery: which folders are apps, their framework, package manager and output folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from maestro_tasks.engine import InputError, UsageError
from maestro_tasks.ui.discovery import (
    NEXT, OTHER, VITE, detect_package_manager, discover, load_app, next_outputs, select,
    vite_output,
)
from maestro_tasks.ui.toolchain import install_command


def _pkg(folder: Path, **fields) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    fields.setdefault("scripts", {"build": "node build.js"})
    (folder / "package.json").write_text(json.dumps(fields))
    return folder


def test_sample_apps_are_found_with_framework_manager_and_output(make_target):
    target = make_target("vite-app", "next-app", extra={"web/plain": "plain-app"},
                         pyproject='[tool.maestro-tasks]\n'
                                   'ui_apps = [{path = "web/plain", output = "public"}]\n')
    _pkg(target / "ui" / "shared-lib", scripts={"test": "node t.js"})  # no build script

    found = discover(target, {"ui_apps": [{"path": "web/plain", "output": "public"}]})

    summary = {a.rel: (a.framework, a.package_manager, a.lockfile, a.outputs[0])
               for a in found.apps}
    assert summary == {
        "ui/next-app": (NEXT, "npm", "package-lock.json", ".next"),
        "ui/vite-app": (VITE, "npm", "package-lock.json", "site"),
        "web/plain": (OTHER, "npm", None, "public"),
    }
    assert found.ignored == ["ui/shared-lib: no build script, not an app"]
    assert [a.install_label for a in found.apps] == ["npm ci", "npm ci", "npm install"]
    by_rel = {a.rel: a for a in found.apps}
    assert by_rel["ui/vite-app"].root_id == "root"
    assert by_rel["ui/next-app"].root_id == "__next"


@pytest.mark.parametrize("lockfile, manager, args", [
    ("package-lock.json", "npm", ["ci"]),
    ("npm-shrinkwrap.json", "npm", ["ci"]),
    ("yarn.lock", "yarn", ["install", "--frozen-lockfile"]),
    ("pnpm-lock.yaml", "pnpm", ["install", "--frozen-lockfile"]),
    (None, "npm", ["install"]),
])
def test_lockfile_decides_the_manager_and_the_install(tmp_path, lockfile, manager, args):
    app = _pkg(tmp_path / "ui" / "app", devDependencies={"vite": "^5.0.0"})
    if lockfile:
        (app / lockfile).write_text("")
    loaded = load_app(tmp_path, "ui/app")
    assert (loaded.package_manager, loaded.lockfile) == (manager, lockfile)
    assert install_command(loaded, app) == args


def test_yarn_berry_installs_immutable(tmp_path):
    app = _pkg(tmp_path / "app")
    (app / "yarn.lock").write_text("")
    (app / ".yarnrc.yml").write_text("nodeLinker: node-modules\n")
    assert install_command(load_app(tmp_path, "app"), app) == ["install", "--immutable"]


def test_package_manager_field_is_used_without_a_lockfile(tmp_path):
    app = _pkg(tmp_path / "app", packageManager="pnpm@9.1.0")
    assert detect_package_manager(app, json.loads((app / "package.json").read_text())) == \
        ("pnpm", None)


def test_framework_from_dependencies_config_or_build_script(tmp_path):
    assert load_app(tmp_path, _rel(_pkg(tmp_path / "a", dependencies={"next": "14"}),
                                   tmp_path)).framework == NEXT
    assert load_app(tmp_path, _rel(_pkg(tmp_path / "b", scripts={"build": "tsc -b && vite build"}),
                                   tmp_path)).framework == VITE
    plain = _pkg(tmp_path / "c", dependencies={"react": "18"})
    assert load_app(tmp_path, "c").framework == OTHER
    (plain / "next.config.mjs").write_text("export default {}\n")
    assert load_app(tmp_path, "c").framework == NEXT


def _rel(folder: Path, root: Path) -> str:
    return folder.relative_to(root).as_posix()


def test_vite_out_dir_comes_from_the_config(tmp_path):
    (tmp_path / "vite.config.ts").write_text(
        "import { defineConfig } from 'vite'\n"
        "// build: { outDir: 'commented-out' }\n"
        "export default defineConfig({ root: 'app', build: { outDir: \"../public/ui\" } })\n")
    assert vite_output(tmp_path) == "public/ui"
    (tmp_path / "vite.config.ts").write_text("export default { plugins: [] }\n")
    assert vite_output(tmp_path) == "dist"


@given(st.from_regex(r"[a-z][a-z0-9_-]{0,12}(/[a-z][a-z0-9_-]{0,12}){0,2}", fullmatch=True),
       st.sampled_from(["'", '"', "`"]))
def test_any_literal_out_dir_is_read_back(tmp_path_factory, out_dir, quote):
    folder = tmp_path_factory.mktemp("vite")
    (folder / "vite.config.js").write_text(
        f"export default {{\n  build: {{\n    outDir: {quote}{out_dir}{quote},\n  }},\n}}\n")
    assert vite_output(folder) == out_dir


def test_next_outputs_follow_export_and_dist_dir(tmp_path):
    assert next_outputs(tmp_path) == (".next", "out")
    (tmp_path / "next.config.js").write_text("module.exports = { output: 'export' }\n")
    assert next_outputs(tmp_path) == ("out", ".next")
    (tmp_path / "next.config.js").write_text("module.exports = { distDir: 'build' }\n")
    assert next_outputs(tmp_path) == ("build", "out")


def test_invalid_package_json_names_file_and_line(tmp_path):
    app = tmp_path / "ui" / "web"
    app.mkdir(parents=True)
    (app / "package.json").write_text('{\n  "name": "web",\n  "scripts": {,}\n}\n')
    with pytest.raises(InputError) as err:
        discover(tmp_path, {})
    assert err.value.path == "ui/web/package.json" and err.value.line == 3


def test_scripts_must_be_strings(tmp_path):
    _pkg(tmp_path / "ui" / "web", scripts={"build": ["vite", "build"]})
    with pytest.raises(InputError, match='"scripts" must be an object of strings'):
        discover(tmp_path, {})


@pytest.mark.parametrize("setting, message", [
    ("web", "must be a list"),
    ([{"output": "dist"}], "needs a folder path"),
    (["../elsewhere"], "must be a folder inside the target"),
    (["/abs/path"], "must be a folder inside the target"),
    (["web/missing"], "has no package.json"),
    ([{"path": "web", "outptu": "x"}], "only string keys"),
])
def test_bad_ui_apps_settings_are_input_errors(tmp_path, setting, message):
    with pytest.raises(InputError, match=message):
        discover(tmp_path, {"ui_apps": setting})


def test_configured_app_without_build_script_is_an_error(tmp_path):
    _pkg(tmp_path / "web", scripts={"start": "node s.js"})
    with pytest.raises(InputError, match='no "build" script'):
        discover(tmp_path, {"ui_apps": ["web"]})


def test_select_by_name_or_path_and_unknown_names(make_target):
    apps = discover(make_target("vite-app", "next-app"), {}).apps
    assert [a.rel for a in select(apps, ["vite-app"])] == ["ui/vite-app"]
    assert [a.rel for a in select(apps, ["ui/next-app/", "vite-app"])] == \
        ["ui/next-app", "ui/vite-app"]
    assert select(apps, []) == apps
    with pytest.raises(UsageError, match="no such UI app.*known: next-app, vite-app"):
        select(apps, ["admin"])


def test_no_ui_folder_means_no_apps(tmp_path):
    assert discover(tmp_path, {}).apps == []


def test_an_app_folder_linking_outside_the_target_is_refused(tmp_path):
    outside = _pkg(tmp_path / "elsewhere")
    target = tmp_path / "target"
    (target / "ui").mkdir(parents=True)
    (target / "ui" / "web").symlink_to(outside)
    with pytest.raises(InputError, match="outside the target"):
        discover(target, {})


@pytest.mark.parametrize("root_files, manager, lockfile", [
    ({"package.json": '{"workspaces": ["frontend"]}', "bun.lock": ""}, "bun", "../bun.lock"),
    ({"package.json": '{"workspaces": ["frontend"]}', "package-lock.json": "{}"}, "npm",
     "../package-lock.json"),
    ({"pnpm-workspace.yaml": "packages: [frontend]\n", "pnpm-lock.yaml": ""}, "pnpm",
     "../pnpm-lock.yaml"),
    # a lockfile above the app that is no workspace root does not govern it
    ({"package.json": '{"name": "tools"}', "yarn.lock": ""}, "npm", None),
])
def test_a_workspace_roots_lockfile_governs_its_member(tmp_path, root_files, manager, lockfile):
    for name, text in root_files.items():
        (tmp_path / name).write_text(text)
    _pkg(tmp_path / "frontend", devDependencies={"vite": "^6.0.0"})
    app = load_app(tmp_path, "frontend")
    assert (app.package_manager, app.lockfile) == (manager, lockfile)
    assert install_command(app, tmp_path / "frontend") == (
        ["install"] if lockfile is None else
        ["ci"] if manager == "npm" else ["install", "--frozen-lockfile"])


def test_bun_missing_is_a_tool_error_with_the_install_hint(tmp_path):
    from maestro_tasks.ui.toolchain import Toolchain, ToolError

    with pytest.raises(ToolError, match=r"bun is needed.*npm install -g bun"):
        Toolchain(path=str(tmp_path)).manager_command("bun")


def test_an_output_outside_the_target_is_refused(tmp_path):
    app = _pkg(tmp_path / "frontend", devDependencies={"vite": "^6.0.0"})
    (app / "vite.config.js").write_text('export default { build: { outDir: "../../elsewhere" } }')
    with pytest.raises(InputError, match="leaves the target"):
        load_app(tmp_path, "frontend")
    (app / "vite.config.js").write_text('export default { build: { outDir: "../static" } }')
    assert load_app(tmp_path, "frontend").outputs == ("../static",)


def test_a_workspace_member_resolves_from_the_hoisted_node_modules(tmp_path):
    from maestro_tasks.ui.serve import server_env

    (tmp_path / "package.json").write_text('{"workspaces": ["apps/*"]}')
    app_dir = _pkg(tmp_path / "apps" / "web", devDependencies={"vite": "^6.0.0"})
    app = load_app(tmp_path, "apps/web")
    assert app.workspace == "../.."
    assert app.module_dirs(app_dir)[1].resolve() == (tmp_path / "node_modules").resolve()
    path = server_env(app, app_dir, 4000)["PATH"].split(":")
    assert path[:2] == [str(app_dir / "node_modules/.bin"),
                        str(app_dir / "../../node_modules/.bin")]
    assert load_app(tmp_path, "apps/web").workspace is not None
    (tmp_path / "package.json").write_text('{"name": "not-a-workspace"}')
    assert load_app(tmp_path, "apps/web").workspace is None
