"""Which target a task works on, and the target's own settings."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from .model import InputError, UsageError


def resolve_target(flag: str | None, config_target: str | None) -> Path:
    """``--target`` > invoke config ``maestro.target`` (invoke.yaml, INVOKE_MAESTRO_TARGET) > cwd."""
    raw = flag or config_target or os.getcwd()
    path = Path(raw).expanduser()
    if not path.exists():
        raise UsageError(f"target {raw} does not exist")
    if not path.is_dir():
        raise UsageError(f"target {raw} is not a folder")
    return path.resolve()


def toml_error_line(exc: tomllib.TOMLDecodeError) -> int | None:
    match = re.search(r"line (\d+)", str(exc))
    return int(match.group(1)) if match else None


def read_pyproject(target: Path) -> dict[str, Any]:
    """The target's pyproject.toml as a dict ({} when absent). Invalid TOML → InputError."""
    path = target / "pyproject.toml"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise InputError("pyproject.toml", f"cannot be read: {exc.strerror}") from None
    try:
        return tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError("pyproject.toml", "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise InputError("pyproject.toml", f"invalid TOML: {msg}", toml_error_line(exc)) from None


def load_settings(target: Path, invoke_maestro: dict[str, Any] | None) -> dict[str, Any]:
    """Per-target settings: ``[tool.maestro-tasks]`` in pyproject.toml, overlaid by invoke.yaml's
    ``maestro:`` block (except ``target``, which chooses the target itself)."""
    settings: dict[str, Any] = {}
    tool = read_pyproject(target).get("tool", {})
    from_pyproject = tool.get("maestro-tasks", {}) if isinstance(tool, dict) else {}
    if isinstance(from_pyproject, dict):
        settings.update({k.replace("-", "_"): v for k, v in from_pyproject.items()})
    for key, value in (invoke_maestro or {}).items():
        if key != "target" and value is not None:
            settings[key.replace("-", "_")] = value
    return settings


def split_command(text: str, where: str) -> list[str]:
    """A command line from a flag or setting, split like a shell would; an unbalanced quote is
    bad input (exit 2) naming where the text came from, never a traceback."""
    import shlex

    try:
        argv = shlex.split(text)
    except ValueError as exc:
        raise UsageError(f"{where}: cannot split {text!r}: {exc}") from None
    if not argv:
        raise UsageError(f"{where} is empty")
    return argv
