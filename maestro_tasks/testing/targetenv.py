"""What is installed in the target's own environment, asked of its own interpreter.

One small script run in the target interpreter reports ``importlib.metadata``'s
``packages_distributions()`` (import name -> distributions), the installed distributions with
their versions, and pip's version (``pip install --group`` needs pip >= 25.1).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .interpreter import Interpreter, base_env
from .layout import normalize

_SCRIPT = r"""
import json
out = {"packages": {}, "distributions": {}}
try:
    import importlib.metadata as md
    try:
        out["packages"] = {k: sorted(set(v)) for k, v in md.packages_distributions().items()}
    except Exception:
        pass
    for dist in md.distributions():
        try:
            name = dist.metadata["Name"]
        except Exception:
            name = None
        if name:
            out["distributions"].setdefault(name, dist.version)
except Exception:
    pass
print(json.dumps(out))
"""


@dataclass
class TargetEnv:
    packages: dict[str, list[str]] = field(default_factory=dict)  # import name -> dists
    distributions: dict[str, str] = field(default_factory=dict)  # normalized name -> version
    names: dict[str, str] = field(default_factory=dict)  # normalized -> as spelled

    def installed(self, dist: str) -> bool:
        return normalize(dist) in self.distributions

    def version(self, dist: str) -> str | None:
        return self.distributions.get(normalize(dist))

    def pip_at_least(self, *wanted: int) -> bool:
        version = self.version("pip")
        if not version:
            return False
        parts = []
        for piece in version.split(".")[:len(wanted)]:
            digits = "".join(ch for ch in piece if ch.isdigit())
            parts.append(int(digits or 0))
        return tuple(parts) >= wanted

    def distribution_of(self, module: str) -> str | None:
        """The one installed distribution that provides the top-level ``module``."""
        dists = self.packages.get(module.split(".")[0]) or []
        return dists[0] if len(dists) == 1 else None


def inspect_env(interp: Interpreter, target: Path, timeout: float = 60) -> TargetEnv:
    """The target environment's metadata; an empty TargetEnv when it cannot be read. Read
    from what ``interpreter.inspect(..., env=True)`` already asked, when it did."""
    if interp.environment is not None:
        return from_data(interp.environment)
    try:
        proc = subprocess.run([*interp.argv, "-c", _SCRIPT], cwd=target, env=base_env(),
                              capture_output=True, encoding="utf-8", errors="replace",
                              timeout=timeout)
        data = json.loads(proc.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError):
        return TargetEnv()
    return from_data(data)


def from_data(data: dict) -> TargetEnv:
    dists = {normalize(k): str(v) for k, v in data.get("distributions", {}).items()}
    names = {normalize(k): k for k in data.get("distributions", {})}
    return TargetEnv(data.get("packages", {}), dists, names)
