"""Read-only numbers for the weekly report, and a finder usable by a pre-commit hook."""

from __future__ import annotations

from pathlib import Path

from ..engine import InputError


def find_hardcoded(path: str | Path) -> list[tuple[str, int, str]]:
    """(file, line, key) of every hardcoded secret in one compose file. Pure: reads only.

    Raises InputError (with file:line) when the file is not valid compose YAML.
    """
    from . import detect, yamlsrc

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot be read: {exc.strerror}") from None
    found = detect.find([yamlsrc.parse(str(path), data)])
    return [(o.file, o.line, o.key) for o in found.occurrences]


def baseline_metrics(target: Path, settings: dict | None = None) -> dict[str, int | None]:
    """{"hardcoded_secrets": occurrences in the compose files the task would fix (None when
    they cannot be read or parsed), "tracked_credentials": credentials in other tracked files}."""
    from ..engine.target import load_settings
    from ..compose.files import discover_files

    target = Path(target)
    settings = load_settings(target, None) if settings is None else settings
    configured = settings.get("compose_files")
    files = discover_files(target, [configured] if isinstance(configured, str) else configured)
    try:
        count = sum(len(find_hardcoded(target / rel)) for rel in files)
    except InputError:
        count = None
    from ..compose.files import interpolation_env_file
    from .example import example_path

    env_example = example_path(interpolation_env_file(files, settings.get("env_file")))
    return {"hardcoded_secrets": count,
            "tracked_credentials": tracked_credentials(target, files, env_example)}


def tracked_credentials(target: Path, compose_files: list[str],
                        env_example: str = ".env.example") -> int | None:
    """Credentials git tracks outside ``compose_files`` and the env file's example
    (``inventory.scan``: other compose
    files and backups, *.env files, Kubernetes Secrets, compose secrets: files); None outside
    a git work tree."""
    from . import inventory, yamlsrc

    tracked = inventory.tracked_files(target)
    if tracked is None:
        return None
    docs = []
    for rel in compose_files:
        try:
            docs.append(yamlsrc.parse(rel, (target / rel).read_bytes()))
        except (OSError, InputError):
            continue
    found, _ = inventory.scan(target, tracked, {*compose_files, env_example},
                              inventory.secrets_files(docs))
    return len(found)
