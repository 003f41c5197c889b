"""One read-only measurement of a target across every domain: the numbers of the weekly report.

Each domain package owns how its numbers are taken (``<domain>.metrics.baseline_metrics``); this
module only merges them. A domain that cannot measure here (no Docker engine) gives None values.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

DOMAINS = ("testing", "secrets", "ui", "stack")

# Every key the report knows, so a missing domain still shows "unknown" rather than nothing.
KEYS = ("tests_collected", "tests_passed", "tests_failed", "collection_errors",
        "hardcoded_secrets", "uis_total", "uis_built", "services_total", "services_healthy")


def measure(target: Path, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every domain's numbers, taken with the same per-target settings the tasks use."""
    from concurrent.futures import ThreadPoolExecutor

    values: dict[str, Any] = dict.fromkeys(KEYS)
    modules = [importlib.import_module(f"..{d}.metrics", __package__) for d in DOMAINS]
    # Each domain mostly waits on its own subprocess (pytest, compose): measure them together.
    with ThreadPoolExecutor(len(modules)) as pool:
        for part in pool.map(lambda m: m.baseline_metrics(target, settings), modules):
            values.update(part)
    return values


def baseline_probe(ctx: Any) -> dict[str, Any]:
    """The engine's baseline hook: what the target looked like before week 1 touched it."""
    from ..engine.state import utc_now_iso

    return {"measured_at": utc_now_iso(), **measure(ctx.target, ctx.settings)}
