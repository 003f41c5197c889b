"""The ``week1`` collection: one thin module per task, wiring domain steps to the runner."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

# In run order. Each module exposes TASKS, the invoke tasks it contributes.
_MODULES = ("fix_tests", "fix_secrets", "build_uis", "stack", "checks", "pipeline")


def mask_seed(target: Path, settings: dict[str, Any]) -> set[str]:
    """Every week1 task's masker seed: the secret values the target's env file already holds."""
    from ..secrets.known import known_secret_values

    return known_secret_values(target, settings)


def collection():
    from invoke import Collection

    ns = Collection("week1")
    for name in _MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        for task in module.TASKS:
            # Long flags only: invoke's automatic short flags differ task by task (-c is
            # --check here and --compose-file there), which trips up scripts and people.
            task.auto_shortflags = False
            ns.add_task(task)
    return ns


def pipeline_plan():
    """[(TaskSpec, options)] in week-1 order: what week1.all and demo run."""
    plan = []
    for name in _MODULES:
        plan.extend(getattr(importlib.import_module(f"{__name__}.{name}"), "PIPELINE", ()))
    return plan
