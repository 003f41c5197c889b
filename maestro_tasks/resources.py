"""Where the suite's own files live: templates and the bundled example."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = REPO_ROOT / "templates"
EXAMPLE = REPO_ROOT / "examples" / "maestro_ml"


def template(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")
