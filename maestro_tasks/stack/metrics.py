"""The stack's numbers for week1.report: read-only, None where they cannot be known."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def _settings(target: Path) -> dict[str, Any]:
    from ..engine.target import load_settings

    try:
        return load_settings(target, None)
    except Exception:  # an unreadable pyproject is another task's finding
        return {}


def baseline_metrics(target: Path, settings: dict[str, Any] | None = None
                     ) -> dict[str, int | None]:
    """{"services_total": services in the compose project (None without Compose v2 or compose
    files), "services_healthy": services running and healthy (None without an engine)}.
    ``settings``: the ones the tasks run with (``ctx.settings``); without them, pyproject's
    ``[tool.maestro-tasks]``."""
    from ..compose import cli as compose_mod
    from ..compose.files import discover_files
    from . import health
    from ..engine.model import UsageError
    from ..engine.target import split_command
    from .engine import EngineUnavailable, connect

    result: dict[str, int | None] = {"services_total": None, "services_healthy": None}
    target = Path(target)
    if settings is None:
        settings = _settings(target)
    configured = settings.get("compose_files")
    files = discover_files(target, [configured] if isinstance(configured, str) else configured)
    command = settings.get("compose_command")
    if not files and not os.environ.get("COMPOSE_FILE"):
        return result
    try:
        cli = compose_mod.find_compose(command=split_command(command, "setting compose_command")
                                       if isinstance(command, str) else command)
        project = compose_mod.Project(cli, target, files, env_file=settings.get("env_file"),
                                      name=settings.get("compose_project"))
        model = project.model(interpolate=False)
    except (compose_mod.ComposeUnavailable, compose_mod.ComposeError, UsageError):
        return result
    services = sorted(model.get("services") or {})
    result["services_total"] = len(services)
    name = str(model.get("name") or "")
    if not name or "$" in name:
        return result
    try:
        client = connect()
    except EngineUnavailable:
        return result
    try:
        statuses = health.service_statuses(model, health.project_containers(client, name),
                                           services)
    except Exception:  # the engine went away between calls: unknown, not zero
        return result
    finally:
        client.close()
    result["services_healthy"] = sum(1 for s in statuses if s.running and s.healthy)
    return result
