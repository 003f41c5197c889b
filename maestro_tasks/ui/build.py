"""Install and build one app with real subprocesses, collecting the full log."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from .discovery import OTHER, App
from .outputs import check_output
from .toolchain import Toolchain, ToolError, build_command, check_engines, install_command

DEFAULT_TIMEOUT_S = 1800.0
TAIL_LINES = 25


@dataclass
class BuildOutcome:
    app: App
    ok: bool
    duration_s: float
    log: str
    error: str = ""                     # one line, when not ok
    commands: list[str] = field(default_factory=list)

    def tail(self, lines: int = TAIL_LINES) -> list[str]:
        return [line for line in self.log.rstrip("\n").splitlines()][-lines:]


def build_env(app: App, *, base: dict[str, str] | None = None, ci: bool = True) -> dict[str, str]:
    """The environment of installs and builds: quiet, no telemetry, no prompts."""
    env = dict(os.environ if base is None else base)
    env.update({
        "NEXT_TELEMETRY_DISABLED": "1",
        "npm_config_fund": "false",
        "npm_config_audit": "false",
        "npm_config_update_notifier": "false",
        "npm_config_progress": "false",
    })
    if ci:
        env["CI"] = "1"
    return env


def kill_group(proc: subprocess.Popen, grace_s: float = 5.0) -> None:
    """Stop a process started with ``start_new_session`` and everything in its group."""
    for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, grace_s)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=wait)
            if sig == signal.SIGTERM:
                # The leader is gone; its children may not be: finish them too.
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            return
        except subprocess.TimeoutExpired:
            continue


def run_logged(argv: list[str], cwd: Path, env: dict[str, str], timeout: float,
               log: list[str], label: str = "") -> int:
    """Run one command in its own process group; append its header, output and exit to ``log``."""
    log.append(f"$ {label or ' '.join(argv)}   (in {cwd.name})\n")
    started = time.monotonic()
    try:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
    except OSError as exc:
        log.append(f"cannot start {argv[0]}: {exc.strerror}\n")
        return 127
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, _ = proc.communicate()
        log.append(out.decode("utf-8", "replace"))
        log.append(f"[timed out after {timeout:.0f}s; process group killed]\n")
        return 124
    except BaseException:
        kill_group(proc)
        raise
    finally:
        if proc.poll() is None:
            kill_group(proc)
    log.append(out.decode("utf-8", "replace"))
    log.append(f"[exit {proc.returncode} after {time.monotonic() - started:.1f}s]\n")
    return proc.returncode


def build_app(target: Path, app: App, *, install: bool, tools: Toolchain,
              timeout: float = DEFAULT_TIMEOUT_S) -> BuildOutcome:
    """Engines check, install (when asked), build, then the output check."""
    app_dir = target / app.rel
    started = time.monotonic()
    log: list[str] = [f"# {app.rel}: {app.framework_label}, {app.package_manager}\n"]
    outcome = BuildOutcome(app, ok=False, duration_s=0.0, log="")

    def finish(ok: bool, error: str = "") -> BuildOutcome:
        outcome.ok, outcome.error = ok, error
        outcome.duration_s = time.monotonic() - started
        outcome.log = "".join(log)
        return outcome

    try:
        for line in check_engines(app, tools):
            log.append(f"engines: {line}\n")
        manager = tools.manager_command(app.package_manager)
    except ToolError as exc:
        log.append(f"{exc}\n")
        return finish(False, str(exc))
    # CI=1 makes some "other" toolchains (create-react-app) treat warnings as errors.
    env = build_env(app, ci=app.framework != OTHER)
    steps = [("install", install_command(app, app_dir))] if install else []
    steps.append(("build", build_command(app)))
    for what, args in steps:
        label = " ".join([app.package_manager, *args])
        outcome.commands.append(label)
        code = run_logged([*manager, *args], app_dir,
                          build_env(app) if what == "install" else env, timeout, log, label)
        if code != 0:
            return finish(False, f"{label} exited {code}")
    state = check_output(app_dir, app)
    log.append(f"output: {state.evidence}\n")
    if not state.present:
        return finish(False, f"build succeeded but the output is missing: {state.evidence}")
    return finish(True)
