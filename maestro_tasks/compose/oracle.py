"""``docker compose config`` as the oracle: the resolved model of candidate files, read with a
clean environment so that only the env file supplies variables (fix-secrets proves its plan with
it before writing)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path


# argv → the version find_command saw answer (a digest input of every proof made with it).
VERSIONS: dict[tuple[str, ...], str] = {}


def find_command(command: list[str] | None = None) -> list[str] | None:
    """The Compose v2 command prefix (``cli.find_compose``), or None when there is none.
    A compose whose exit status hides its errors is a StepFailed naming it: its verdict on the
    plan would be worthless."""
    from ..engine import StepFailed
    from .cli import ComposeUnavailable, ComposeUntrusted, find_compose

    try:
        cli = find_compose(command=command)
        VERSIONS[tuple(cli.argv)] = ".".join(map(str, cli.version))
        return cli.argv
    except ComposeUntrusted as exc:
        raise StepFailed(str(exc), hint=exc.hint) from None
    except ComposeUnavailable:
        return None


def clean_env() -> dict[str, str]:
    """A process environment without the caller's variables, so only the env file counts."""
    keep = ("PATH", "HOME", "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT", "TMPDIR")
    return {k: os.environ[k] for k in keep if k in os.environ}


def config(cmd: list[str], project_dir: Path, files: list[Path], env_file: Path,
           project_name: str = "maestro-verify",
           interpolate: bool = True) -> tuple[int, dict | None, str]:
    """``compose config --format json`` → (exit code, resolved model or None, stderr).

    ``interpolate=False`` checks only the files' own structure: no variable is substituted and
    no service ``env_file`` is read (the .env may not exist yet)."""
    args = [*cmd, "--project-directory", str(project_dir), "-p", project_name,
            "--env-file", str(env_file)]
    for f in files:
        args += ["-f", str(f)]
    args += ["config", "--format", "json"]
    if not interpolate:
        args += ["--no-interpolate", "--no-env-resolution"]
    try:
        # A stray byte in compose's output must not raise UnicodeDecodeError.
        res = subprocess.run(args, capture_output=True, encoding="utf-8", errors="replace",
                             timeout=120, env=clean_env(), cwd=project_dir)
    except subprocess.TimeoutExpired:
        return 124, None, "compose config timed out"
    from .cli import exit_status

    res.returncode = exit_status(res.returncode, res.stderr)
    model = None
    if res.returncode == 0:
        try:
            model = json.loads(res.stdout)
        except ValueError:
            return 1, None, "compose config printed no JSON"
    return res.returncode, model, res.stderr


def error_line(stderr: str) -> str:
    """Compose's last line that is not a warning: the error it stopped on."""
    lines = [ln.strip() for ln in stderr.splitlines()
             if ln.strip() and "level=warning" not in ln and not ln.startswith("WARN[")]
    return lines[-1] if lines else "compose config failed"
