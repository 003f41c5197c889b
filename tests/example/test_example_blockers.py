"""The bundled example really carries week 1's blockers (checked on a fresh committed copy)."""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

TEST_MODULES = 8  # test_*.py files in the example's tests/
WEAK_LITERALS = ("maestro123", "redispass", "minioadmin", "super-secret-jwt-key",
                 "dev-secret-key", "changeme")
SERVICES = {"postgres", "redis", "minio", "mlflow", "api", "worker", "prometheus", "grafana"}
UI_DEV_PORTS = {"5173", "3001"}  # model-registry (vite) and admin-dashboard (next dev -p 3001)


def clean_env() -> dict[str, str]:
    """The caller's environment minus what would change the example's outcome."""
    drop = {"PYTHONPATH", "PYTEST_ADDOPTS", "MAESTRO_TEST_REDIS_URL", "API_SECRET_KEY"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("COMPOSE_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_example_pytest(copy: Path, junit: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={junit}", *args]
    return subprocess.run(cmd, cwd=copy, env=clean_env(), capture_output=True, text=True,
                          timeout=300)


def junit_counts(junit: Path) -> tuple[dict[str, int], list[ET.Element]]:
    root = ET.parse(junit).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    counts = {key: int(suite.get(key, 0)) for key in ("tests", "errors", "failures", "skipped")}
    return counts, list(suite.iter("testcase"))


def test_pytest_config_shape(example_copy):
    ini = configparser.ConfigParser()
    ini.read(example_copy / "pytest.ini")
    assert ini.has_section("pytest")
    assert ini.get("pytest", "import-mode") == "importlib"  # not an ini key: pytest warns
    assert not ini.has_option("pytest", "pythonpath")
    pyproject = tomllib.loads((example_copy / "pyproject.toml").read_text())
    assert "ini_options" in pyproject["tool"]["pytest"]  # shadowed: pytest.ini wins
    assert (example_copy / "src" / "maestro_ml" / "__init__.py").is_file()
    assert not (example_copy / "conftest.py").exists()
    assert not (example_copy / "tests" / "__init__.py").exists()


def test_python_m_pytest_dies_at_collection(example_copy, tmp_path):
    junit = tmp_path / "before.xml"
    res = run_example_pytest(example_copy, junit)
    assert res.returncode == pytest.ExitCode.INTERRUPTED, res.stdout[-2000:]
    counts, cases = junit_counts(junit)
    assert counts["errors"] == TEST_MODULES
    assert counts["failures"] == 0
    messages = [err.text or "" for case in cases for err in case.iter("error")]
    assert len(messages) == TEST_MODULES
    assert all("No module named 'maestro_ml'" in text for text in messages)
    assert "Unknown config option: import-mode" in res.stdout + res.stderr


def test_with_pythonpath_src_exactly_one_test_fails(example_copy, tmp_path):
    junit = tmp_path / "after.xml"
    res = run_example_pytest(example_copy, junit, "-o", "pythonpath=src")
    assert res.returncode == pytest.ExitCode.TESTS_FAILED, res.stdout[-2000:]
    counts, cases = junit_counts(junit)
    assert counts["errors"] == 0
    assert counts["failures"] == 1
    assert counts["skipped"] == 1
    assert counts["tests"] >= 12
    failed = [case.get("name") for case in cases if case.find("failure") is not None]
    assert failed == ["test_percentile_nearest_rank"]


def test_compose_config_resolves_with_weak_literals(example_copy, compose):
    res = subprocess.run([*compose, "config", "--format", "json"], cwd=example_copy,
                         env=clean_env(), capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    for literal in WEAK_LITERALS:
        assert literal in res.stdout, f"{literal[:2]}… missing from the resolved config"
    services = json.loads(res.stdout)["services"]
    assert set(services) == SERVICES
    pg_password = services["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert f"maestro:{pg_password}@postgres" in services["api"]["environment"]["DATABASE_URL"]
    assert f"maestro:{pg_password}@postgres" in " ".join(services["mlflow"]["command"])
    minio = services["minio"]["environment"]
    assert minio["MINIO_ROOT_USER"] == minio["MINIO_ROOT_PASSWORD"]
    for name in ("mlflow", "api", "worker"):
        assert services[name]["environment"]["AWS_SECRET_ACCESS_KEY"] == minio["MINIO_ROOT_PASSWORD"]
    grafana = services["grafana"]["environment"]
    assert grafana["GF_SECURITY_ADMIN_USER"] == grafana["GF_SECURITY_ADMIN_PASSWORD"] == "admin"
    assert services["api"]["environment"]["API_SECRET_KEY"] == "dev-secret-key"
    assert "build" in services["api"]
    published = {p.get("published") for s in services.values() for p in s.get("ports", [])}
    assert not published & UI_DEV_PORTS
    healthchecked = {name for name, s in services.items() if "healthcheck" in s}
    assert {"postgres", "redis", "minio", "api"} <= healthchecked


def test_no_env_file_and_gitignore_leaves_it_unignored(example_copy):
    assert not (example_copy / ".env").exists()
    for path in (".env", ".maestro/state.json"):
        res = subprocess.run(["git", "-c", f"core.excludesFile={os.devnull}", "check-ignore",
                              "-q", path], cwd=example_copy, capture_output=True, text=True)
        assert res.returncode == 1, f"{path} should not be ignored yet ({res.stderr})"


@pytest.mark.parametrize("ui, dev_port_marker", [
    ("model-registry", "port: 5173"),   # in vite.config.ts
    ("admin-dashboard", "-p 3001"),     # in the dev script
])
def test_ui_has_committed_lockfile_and_build_script(example_copy, ui, dev_port_marker):
    app = example_copy / "ui" / ui
    package = json.loads((app / "package.json").read_text())
    config = (app / "vite.config.ts").read_text() if ui == "model-registry" else ""
    assert dev_port_marker in config + package["scripts"]["dev"]
    lock = json.loads((app / "package-lock.json").read_text())
    assert package["scripts"]["build"]
    assert lock["lockfileVersion"] >= 2
    assert set(package["dependencies"]) <= set(lock["packages"][""]["dependencies"])
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", f"ui/{ui}/package-lock.json"],
                             cwd=example_copy, capture_output=True, text=True)
    assert tracked.returncode == 0, tracked.stderr
    assert not (app / "node_modules").exists()
