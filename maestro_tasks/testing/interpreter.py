"""Which Python runs the target's tests: the target's own, never silently ours."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..engine import StepFailed
from ..engine.target import split_command

# One subprocess answers everything the run needs to know about the interpreter. pytest's
# version comes from its installed metadata when the module is found (importing pytest costs a
# quarter second); only a pytest with no metadata is imported to ask it. With ``env`` it also
# reports the environment's distributions (targetenv.py), so that is not a second start-up.
_ABOUT = (
    "import json, sys\n"
    "import importlib.util as _u\n"
    "try:\n"
    "    import importlib.metadata as md\n"
    "except Exception:\n"
    "    md = None\n"
    "v = None\n"
    "try:\n"
    "    if _u.find_spec('pytest') is not None:\n"
    "        try:\n"
    "            v = md.version('pytest')\n"
    "        except Exception:\n"
    "            import pytest; v = pytest.__version__\n"
    "except Exception:\n"
    "    v = None\n"
    "out = {'executable': sys.executable, 'python': sys.version.split()[0], 'pytest': v}\n"
    "if %(env)s:\n"
    "    env = {'packages': {}, 'distributions': {}}\n"
    "    try:\n"
    "        try:\n"
    "            env['packages'] = {k: sorted(set(p)) for k, p in "
    "md.packages_distributions().items()}\n"
    "        except Exception:\n"
    "            pass\n"
    "        for dist in md.distributions():\n"
    "            try:\n"
    "                name = dist.metadata['Name']\n"
    "            except Exception:\n"
    "                name = None\n"
    "            if name:\n"
    "                env['distributions'].setdefault(name, dist.version)\n"
    "    except Exception:\n"
    "        pass\n"
    "    out['env'] = env\n"
    "print(json.dumps(out))\n"
)


@dataclass
class Interpreter:
    argv: list[str]  # the command that starts Python (``poetry run python`` is three words)
    source: str  # why this one: "--python", "poetry", "uv", ".venv", "current"
    executable: str = ""
    python_version: str = ""
    pytest_version: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    # what inspect(..., env=True) read of the environment (targetenv.TargetEnv's raw data)
    environment: dict | None = None

    @property
    def command(self) -> str:
        return shlex.join(self.argv)

    @property
    def pytest_tuple(self) -> tuple[int, ...] | None:
        if not self.pytest_version:
            return None
        parts = []
        for piece in self.pytest_version.split(".")[:3]:
            digits = "".join(ch for ch in piece if ch.isdigit())
            if not digits:
                break
            parts.append(int(digits))
        return tuple(parts)

    def describe(self) -> str:
        pytest = f"pytest {self.pytest_version}" if self.pytest_version else "no pytest"
        return f"{self.command} ({self.source}; Python {self.python_version}, {pytest})"


def _pyproject_tool(target: Path) -> dict:
    try:
        data = tomllib.loads((target / "pyproject.toml").read_text(encoding="utf-8-sig"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}
    tool = data.get("tool", {})
    return tool if isinstance(tool, dict) else {}


def choose(target: Path, python: str | None = None, *, which=shutil.which,
           source: str = "--python") -> Interpreter:
    """``--python`` (or the ``python`` setting) > a Poetry project with poetry > a uv project
    with uv > ``.venv/bin/python`` > the interpreter running maestro-tasks."""
    if python:
        argv = ([str(word) for word in python] if isinstance(python, list)
                else split_command(str(python), source))
        return Interpreter(argv, source)
    tool = _pyproject_tool(target)
    if "poetry" in tool and which("poetry"):
        return Interpreter([which("poetry"), "run", "python"], "poetry")
    if ((target / "uv.lock").is_file() or "uv" in tool) and which("uv"):
        # --no-sync: looking at the project must not install into it
        return Interpreter([which("uv"), "run", "--no-sync", "python"], "uv")
    venv_python = target / ".venv" / "bin" / "python"
    if venv_python.exists():
        return Interpreter([str(venv_python)], ".venv")
    return Interpreter([sys.executable], "current")


def base_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every run we start: no bytecode, no colour, no inherited addopts."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTHONPATH")}
    env.update({"PYTHONDONTWRITEBYTECODE": "1", "NO_COLOR": "1", "PY_COLORS": "0"})
    env.pop("VIRTUAL_ENV", None)
    env.update(extra or {})
    return env


def inspect(interp: Interpreter, target: Path, timeout: float = 120, *,
            env: bool = False) -> Interpreter:
    """Fill in the interpreter's real executable and its Python and pytest versions; with
    ``env``, also the environment's installed distributions, in the same subprocess."""
    script = _ABOUT % {"env": "True" if env else "False"}
    try:
        proc = subprocess.run([*interp.argv, "-c", script], cwd=target, env=base_env(),
                              capture_output=True, encoding="utf-8", errors="replace",
                              timeout=timeout)
    except FileNotFoundError:
        raise StepFailed(f"interpreter not found: {interp.command}",
                         hint="pass --python with a working interpreter") from None
    except subprocess.TimeoutExpired:
        raise StepFailed(f"interpreter did not answer within {timeout:.0f}s: {interp.command}")
    try:
        about = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise StepFailed(f"interpreter does not run: {interp.command}",
                         hint="pass --python with a working interpreter", details=tail) from None
    interp.executable = about["executable"]
    interp.python_version = about["python"]
    interp.pytest_version = about["pytest"]
    if env and isinstance(about.get("env"), dict):
        interp.environment = about["env"]
    return interp
