"""Helpers shared by the test suite (importable as ``mt_testkit``; pytest puts tests/ on the path).

With CI=true a missing Docker engine, Compose v2, node/npm or chromium is a test failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BUSYBOX_IMAGE = "maestro-test-busybox:latest"


def require(ok: bool, what: str) -> None:
    """Skip (locally) or fail (in CI) when a real component is missing."""
    if ok:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {what} is not available")
    pytest.skip(f"{what} is not available")


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            tool: str = "maestro-tasks", timeout: float = 600,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``maestro-tasks`` (or ``invoke`` from this repo) as a real subprocess."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    full_env["PATH"] = f"{BIN}{os.pathsep}{full_env.get('PATH', '')}"
    if tool == "invoke":
        cmd = [str(BIN / "invoke"), "-r", str(REPO), *args]
    else:
        cmd = [str(BIN / "maestro-tasks"), *args]
    return subprocess.run(cmd, cwd=cwd or REPO, env=full_env, capture_output=True, text=True,
                          timeout=timeout, input=input if input is not None else "")


def tree_digest(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under root (mode, content): compare before/after to prove nothing was written."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            out[str(path.relative_to(root))] = (path.stat().st_mode, path.read_bytes())
        elif path.is_dir():
            out[str(path.relative_to(root)) + "/"] = (path.stat().st_mode, b"")
    return out


def assert_no_secrets(blobs: dict[str, str | bytes], secrets: set[str]) -> None:
    """No secret value appears in any of the named blobs (outputs, logs, reports, names)."""
    for name, blob in blobs.items():
        text = blob.decode("utf-8", "replace") if isinstance(blob, bytes) else blob
        for secret in secrets:
            assert secret not in text, f"a secret value ({secret[:2]}…) leaked into {name}"


def docker_ok() -> bool:
    try:
        import docker

        docker.from_env(timeout=5).ping()
        return True
    except Exception:
        return False


def compose_cmd() -> list[str] | None:
    """Compose v2 that reports errors: the docker CLI plugin, else a standalone v2
    docker-compose. A wrapper that exits 0 on an invalid file does not count."""
    from maestro_tasks.compose.cli import reports_errors

    if shutil.which("docker"):
        res = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
        if res.returncode == 0 and "v2" in res.stdout and reports_errors(["docker", "compose"]):
            return ["docker", "compose"]
    standalone = shutil.which("docker-compose") or (BIN / "docker-compose")
    if standalone and Path(standalone).exists():
        res = subprocess.run([str(standalone), "version"], capture_output=True, text=True)
        if res.returncode == 0 and "v2" in res.stdout and reports_errors([str(standalone)]):
            return [str(standalone)]
    return None
