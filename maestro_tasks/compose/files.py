"""Which compose files a project loads: the configured ones, else compose's own default rule."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

# Compose's own discovery order in a project folder (compose-spec), and the override names.
DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


def default_files(exists: Callable[[str], bool]) -> list[str]:
    """The files ``docker compose`` loads by default: the first base file plus its override."""
    for name in DEFAULT_FILES:
        if exists(name):
            stem, ext = name.rsplit(".", 1)
            override = f"{stem}.override.{ext}"
            alt = f"{stem}.override.{'yml' if ext == 'yaml' else 'yaml'}"
            return [name, *[o for o in (override, alt) if exists(o)][:1]]
    return []


def discover_files(target: Path, configured: Sequence[str] | None = None) -> list[str]:
    """The compose files of the target, relative: configured ones, else what compose would load."""
    if configured:
        return [str(f) for f in configured]
    return default_files(lambda rel: (target / rel).is_file())
