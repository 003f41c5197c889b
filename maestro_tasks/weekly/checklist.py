"""The week-1 success criteria (QUICK_START's list) and which task proves each."""

from __future__ import annotations

import importlib

from ..engine import Criterion

from .steps import ChecklistItem


def _spec(module: str):
    """The task a week1 module contributes to week1.all, with week1.all's options overlaid by
    the module's CHECK_OPTIONS (what a read-only check should leave out, e.g. stale caches)."""
    def get():
        mod = importlib.import_module(f"..week1.{module}", __package__)
        spec, options = mod.PIPELINE[0]
        return spec, {**options, **getattr(mod, "CHECK_OPTIONS", {})}

    return get


def _about_env_file(c: Criterion) -> bool:
    name = c.name.lower()
    return ".env" in name and ".env.example" not in name or "strength" in name or "strong" in name


def checklist_items():
    return [
        ChecklistItem("tests execute without import errors", _spec("fix_tests")),
        ChecklistItem("no hardcoded secrets in docker-compose", _spec("fix_secrets"),
                      lambda c: not _about_env_file(c)),
        ChecklistItem(".env with strong passwords", _spec("fix_secrets"), _about_env_file),
        ChecklistItem("both UIs built and accessible", _spec("build_uis")),
        ChecklistItem("docker-compose stack running", _spec("stack")),
    ]
