"""Who else reads the env file: application code found statically.

Compose interpolates from the project's ``.env`` (or ``--env-file``); nothing in a compose file
or in ``.env`` itself can name another file for interpolation (``COMPOSE_ENV_FILES`` is read
from the process environment only, not from ``.env``; checked against Compose 2.40). So when an
application also loads that file, every key fix-secrets adds reaches the application too:
pydantic-settings rejects unknown keys by default, and ``load_dotenv`` puts them in the process
environment. This module finds such readers, so the run can stop before writing.

Patterns (Python source, read as text, never imported):
- pydantic-settings: ``env_file=".env"`` (``SettingsConfigDict`` / ``model_config``), or
  ``env_file = ".env"`` in a ``class Config``;
- python-dotenv: ``load_dotenv(...)`` / ``dotenv_values(...)`` (no path: ``.env``);
- python-decouple: ``from decouple import config`` (reads ``.env``);
- django-environ: ``Env.read_env(...)`` / ``environ.Env.read_env()`` (no path: ``.env``).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 512 * 1024
_SKIP = {".git", "node_modules", ".venv", "venv", ".maestro", "__pycache__", ".tox", "site-packages"}
_ENV_FILE = re.compile(r"""\benv_file\s*[=:]\s*[^,\n#"']{0,60}?["']([^"']+)["']""")
_DOTENV = re.compile(r"""\b(load_dotenv|dotenv_values)\s*\(\s*(?:(?:dotenv_path\s*=\s*)?["']([^"']+)["'])?""")
_DECOUPLE = re.compile(r"""^\s*(?:from\s+decouple\s+import|import\s+decouple)\b""", re.M)
_ENVIRON = re.compile(r"""\bread_env\s*\(\s*(?:(?:env_file\s*=\s*)?["']([^"']+)["'])?""")


@dataclass(frozen=True)
class Reader:
    file: str
    line: int
    kind: str      # pydantic-settings | python-dotenv | python-decouple | django-environ
    env_file: str  # the file name it reads

    def __str__(self) -> str:
        return f"{self.file}:{self.line} ({self.kind})"


def python_files(target: Path) -> list[str]:
    """Tracked .py files (git), else every .py file outside virtualenvs and caches."""
    try:
        res = subprocess.run(["git", "ls-files", "-z", "--", "*.py"], cwd=target,
                             capture_output=True, timeout=30)
        if res.returncode == 0:
            return [p for p in res.stdout.decode("utf-8", "replace").split("\0") if p]
    except (OSError, subprocess.TimeoutExpired):
        pass
    out = []
    for folder, dirs, files in os.walk(target):
        dirs[:] = [d for d in dirs if d not in _SKIP and not d.startswith(".venv")]
        for name in files:
            if name.endswith(".py"):
                out.append(str((Path(folder) / name).relative_to(target)))
    return out


def _line(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def scan(rel: str, text: str) -> list[Reader]:
    found = []
    for m in _ENV_FILE.finditer(text):
        found.append(Reader(rel, _line(text, m.start()), "pydantic-settings", m.group(1)))
    for m in _DOTENV.finditer(text):
        found.append(Reader(rel, _line(text, m.start()), "python-dotenv", m.group(2) or ".env"))
    for m in _DECOUPLE.finditer(text):
        found.append(Reader(rel, _line(text, m.start()), "python-decouple", ".env"))
    for m in _ENVIRON.finditer(text):
        found.append(Reader(rel, _line(text, m.start()), "django-environ", m.group(1) or ".env"))
    return found


def readers_of(target: Path, env_rel: str) -> list[Reader]:
    """Application code that loads a file named like ``env_rel`` (compared by file name: the
    path such code uses is relative to a working directory only known at run time)."""
    name = Path(env_rel).name
    out = []
    for rel in python_files(target):
        path = target / rel
        try:
            if path.is_symlink() or path.stat().st_size > MAX_BYTES:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if not any(w in text for w in ("env_file", "dotenv", "decouple", "read_env")):
            continue
        out.extend(r for r in scan(rel, text) if Path(r.env_file).name == name)
    return out
