"""The secret values a target already holds, so every task masks them from its first line.

The task wiring (``week1``) hands this to the engine as every task's ``mask_seed``, called once
per run: values of secret-named keys in the env file, and passwords inside URLs there. A file python-dotenv cannot parse is read line by line instead, because
masking must not depend on the file being valid.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..compose.envfile import parse_env
from ..compose.files import discover_files, interpolation_env_file
from ..credentials import is_secret_key, url_passwords

_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*?)\s*$")


def _pairs(text: str) -> dict[str, str]:
    try:
        return {k: v for k, v in parse_env(".env", text.encode()).values.items() if v}
    except Exception:  # noqa: BLE001 - any parse failure: fall back to the plain reading
        out = {}
        for line in text.splitlines():
            match = _ASSIGNMENT.match(line)
            if match and match.group(2):
                out[match.group(1)] = match.group(2).strip("'\"")
        return out


def known_secret_values(target: Path, settings: dict[str, Any]) -> set[str]:
    """Secret values held in the target's env file (never raises; {} when there is none)."""
    configured = settings.get("compose_files")
    try:
        files = discover_files(target, [configured] if isinstance(configured, str)
                               else configured)
    except OSError:
        files = []
    rel = interpolation_env_file(files, settings.get("env_file"))
    path = target / rel
    try:
        if path.is_symlink() and target.resolve() not in path.resolve().parents:
            return set()  # not ours to read; fix-secrets refuses it with a clear error
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    found = set()
    for key, value in _pairs(text).items():
        if is_secret_key(key):
            found.add(value)
        found.update(url_passwords(value))
    return found
