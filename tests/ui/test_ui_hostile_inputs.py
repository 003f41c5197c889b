"""Hostile package.json files and settings passed to the metrics: no traceback, same settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maestro_tasks.engine import InputError
from maestro_tasks.ui.discovery import discover
from maestro_tasks.ui.metrics import baseline_metrics


def _app(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps({"scripts": {"build": "node build.js"}}))


def test_deeply_nested_package_json_is_bad_input_not_a_recursion_error(tmp_path):
    app = tmp_path / "ui" / "web"
    app.mkdir(parents=True)
    (app / "package.json").write_bytes(b"[" * 100000 + b"]" * 100000)
    with pytest.raises(InputError) as err:
        discover(tmp_path, {})
    assert err.value.path == "ui/web/package.json" and "deep" in err.value.message


def test_metrics_use_the_settings_the_task_runs_with(tmp_path):
    _app(tmp_path / "web" / "portal")
    # without settings only pyproject counts, and it lists nothing: no app outside ui/
    assert baseline_metrics(tmp_path)["uis_total"] == 0
    assert baseline_metrics(tmp_path, {"ui_apps": ["web/portal"]})["uis_total"] == 1


def test_metrics_without_settings_read_pyproject(tmp_path):
    _app(tmp_path / "web" / "portal")
    (tmp_path / "pyproject.toml").write_text('[tool.maestro-tasks]\nui_apps = ["web/portal"]\n')
    assert baseline_metrics(tmp_path)["uis_total"] == 1
    assert baseline_metrics(tmp_path, {})["uis_total"] == 0


def test_package_json_linked_outside_the_target_is_refused(tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps({"scripts": {"build": "node build.js"}}))
    target = tmp_path / "t"
    (target / "ui" / "web").mkdir(parents=True)
    (target / "ui" / "web" / "package.json").symlink_to(outside)
    with pytest.raises(InputError) as err:
        discover(target, {})
    assert err.value.path == "ui/web/package.json" and "outside the target" in err.value.message
