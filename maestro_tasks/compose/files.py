"""Which compose files a project loads: the configured ones, else compose's own default rule."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
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


def interpolation_env_file(files: Sequence[str], configured: str | None = None) -> str:
    """The env file compose interpolates ``${VAR}`` from, relative to the target.

    The configured one (setting ``env_file``, passed to compose as ``--env-file``) wins; else
    compose's own rule with no ``--project-directory``: ``.env`` in the project directory,
    which is the folder of the first compose file. So ``-f deploy/compose.yaml`` reads
    ``deploy/.env``, not the ``.env`` beside the caller. fix-secrets writes, and up / status
    read, this one file.
    """
    if configured:
        return str(configured)
    if not files:
        return ".env"
    folder = PurePosixPath(str(files[0]).replace("\\", "/")).parent
    return ".env" if str(folder) in ("", ".") else str(folder / ".env")
