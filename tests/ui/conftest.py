"""Fixtures for the UI tests: sample targets built from tests/ui/apps, an npm probe, and process /
port inspection for the "nothing left running" checks."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

APPS = Path(__file__).resolve().parent / "apps"


def _copy_app(name: str, dest: Path) -> Path:
    shutil.copytree(APPS / name, dest, ignore=shutil.ignore_patterns(
        "node_modules", "dist", "site", "public", ".next", "next-env.d.ts"))
    return dest


@pytest.fixture
def make_target(tmp_path: Path):
    """make_target("vite-app", "next-app", extra={"web/plain": "plain-app"}, pyproject=...)
    -> a target folder with those sample apps under ui/ (and elsewhere)."""

    def make(*apps: str, extra: dict[str, str] | None = None, pyproject: str | None = None,
             name: str = "target") -> Path:
        target = tmp_path / name
        target.mkdir()
        for app in apps:
            _copy_app(app, target / "ui" / app)
        for rel, app in (extra or {}).items():
            _copy_app(app, target / rel)
        if pyproject is not None:
            (target / "pyproject.toml").write_text(pyproject)
        return target

    return make


class NpmProbe:
    """A fake ``npm`` first on PATH that records each invocation, then runs the real npm."""

    def __init__(self, folder: Path, real_npm: str):
        self.folder = folder
        self.log = folder / "npm-calls.log"
        script = folder / "npm"
        script.write_text(f'#!/bin/sh\nprintf "%s\\t%s\\n" "$PWD" "$*" >> "{self.log}"\n'
                          f'exec "{real_npm}" "$@"\n')
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)

    def env(self) -> dict[str, str]:
        return {"PATH": f"{self.folder}{os.pathsep}{os.environ.get('PATH', '')}"}

    def calls(self) -> list[tuple[str, str]]:
        """(folder name, arguments) of every npm run so far; clears the record."""
        if not self.log.exists():
            return []
        rows = [line.split("\t", 1) for line in self.log.read_text().splitlines()]
        self.log.unlink()
        return [(Path(cwd).name, args) for cwd, args in rows]


@pytest.fixture(scope="module")
def npm_probe(npm, tmp_path_factory) -> NpmProbe:
    return NpmProbe(tmp_path_factory.mktemp("npm-probe"), npm)


def processes_mentioning(path: Path) -> list[str]:
    """Live processes whose command line or working folder is inside ``path``."""
    found = []
    needle = str(path)
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                state = handle.read().decode("utf-8", "replace").rsplit(")", 1)[1].split()[0]
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except (OSError, IndexError):
            continue
        if state != "Z" and (needle in cmdline or cwd.startswith(needle)):
            found.append(f"{entry}: {cmdline.strip()} (cwd {cwd})")
    return found


def descendants(pid: int | None = None) -> list[int]:
    """Live descendants of ``pid`` (default: this test process)."""
    root = pid or os.getpid()
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().decode("utf-8", "replace").rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def listening_ports() -> set[int]:
    """TCP ports in LISTEN state (IPv4 and IPv6), from /proc/net."""
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) > 3 and parts[3] == "0A":
                ports.add(int(parts[1].rsplit(":", 1)[1], 16))
    return ports


@pytest.fixture
def procs():
    """Process / port inspection helpers."""

    class Procs:
        mentioning = staticmethod(processes_mentioning)
        descendants = staticmethod(descendants)
        listening = staticmethod(listening_ports)

    return Procs


def cli_json(result) -> dict:
    """The JSON document a --json run printed (fails with the run's stderr when missing)."""
    assert result.stdout.strip(), f"no JSON on stdout; stderr:\n{result.stderr}"
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def parse_json():
    return cli_json
