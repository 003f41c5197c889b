"""Install hints that install what the project declares, into the project's own environment.

Where a distribution is declared decides the command: ``[project] dependencies`` and setup.cfg's
``install_requires`` -> ``pip install -e .``; an extra -> ``pip install -e '.[tests]'``; a PEP 735
``[dependency-groups]`` group -> ``pip install --group test`` (pip >= 25.1) or ``uv sync --group
test``; a Poetry group -> ``poetry install --with test``; a requirements file -> ``pip install -r
file``. The interpreter named is the target's (its .venv, Poetry or uv environment), never the
one running maestro-tasks.
"""

from __future__ import annotations

import configparser
import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .interpreter import Interpreter
from .layout import normalize
from .targetenv import TargetEnv

_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
TEST_WORDS = ("test", "tests", "testing", "dev", "develop")


@dataclass(frozen=True)
class Place:
    """Where a distribution is declared. ``kind``: project, extra, group, poetry,
    poetry-group, requirements, setup.cfg, setup.cfg-extra."""

    kind: str
    name: str = ""

    def describe(self) -> str:
        return {
            "project": "pyproject.toml [project] dependencies",
            "extra": f"pyproject.toml extra [{self.name}]",
            "group": f"pyproject.toml [dependency-groups] {self.name}",
            "poetry": "pyproject.toml [tool.poetry.dependencies]",
            "poetry-group": f"Poetry group {self.name}",
            "requirements": self.name,
            "setup.cfg": "setup.cfg install_requires",
            "setup.cfg-extra": f"setup.cfg extra [{self.name}]",
        }[self.kind]


def _names(reqs: Any) -> list[str]:
    out = []
    for req in reqs if isinstance(reqs, list) else []:
        match = _REQ_NAME.match(str(req)) if isinstance(req, str) else None
        if match:
            out.append(normalize(match.group(1)))
    return out


def _requirement_files(target: Path) -> list[Path]:
    files = sorted({*target.glob("*requirements*.txt"), *target.glob("requirements/*.txt"),
                    *target.glob("requirements*/*.txt")})
    # test/dev files first: they are what a test run needs
    return sorted(files, key=lambda p: (not any(w in p.name.lower() for w in TEST_WORDS),
                                        str(p)))


def declarations(target: Path) -> dict[str, list[Place]]:
    """normalized distribution -> every place that declares it, the simplest install first."""
    found: dict[str, list[Place]] = {}

    def add(names: list[str], place: Place) -> None:
        for name in names:
            if place not in found.setdefault(name, []):
                found[name].append(place)

    try:
        data = tomllib.loads((target / "pyproject.toml").read_text(encoding="utf-8-sig"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        data = {}
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    add(_names(project.get("dependencies")), Place("project"))
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else {}
    main = poetry.get("dependencies") if isinstance(poetry.get("dependencies"), dict) else {}
    add([normalize(n) for n in main if n != "python"], Place("poetry"))
    extras = project.get("optional-dependencies")
    for extra, reqs in sorted((extras if isinstance(extras, dict) else {}).items(),
                              key=lambda kv: kv[0] not in TEST_WORDS):
        add(_names(reqs), Place("extra", extra))
    groups = data.get("dependency-groups")
    for group, reqs in sorted((groups if isinstance(groups, dict) else {}).items(),
                              key=lambda kv: kv[0] not in TEST_WORDS):
        add(_names(reqs), Place("group", group))
    poetry_groups = poetry.get("group") if isinstance(poetry.get("group"), dict) else {}
    for group, body in poetry_groups.items():
        deps = body.get("dependencies") if isinstance(body, dict) else None
        add([normalize(n) for n in (deps if isinstance(deps, dict) else {})],
            Place("poetry-group", group))
    legacy = poetry.get("dev-dependencies")
    add([normalize(n) for n in (legacy if isinstance(legacy, dict) else {})],
        Place("poetry-group", "dev"))
    for req_file in _requirement_files(target):
        try:
            lines = req_file.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        add([normalize(m.group(1)) for line in lines
             if not line.strip().startswith(("#", "-")) and (m := _REQ_NAME.match(line))],
            Place("requirements", str(req_file.relative_to(target))))
    cfg = configparser.ConfigParser()
    try:
        cfg.read(target / "setup.cfg", encoding="utf-8")
        add([normalize(m.group(1)) for line in
             cfg.get("options", "install_requires", fallback="").splitlines()
             if (m := _REQ_NAME.match(line))], Place("setup.cfg"))
        if cfg.has_section("options.extras_require"):
            for extra, text in cfg.items("options.extras_require"):
                add([normalize(m.group(1)) for line in text.splitlines()
                     if (m := _REQ_NAME.match(line))], Place("setup.cfg-extra", extra))
    except configparser.Error:
        pass
    return found


@dataclass
class EnvTool:
    """How to name the target's environment in a command."""

    python: str  # e.g. ".venv/bin/python", "poetry run python"
    tool: str  # "pip" | "poetry" | "uv"
    known: bool  # False: maestro-tasks found no environment of the project's own
    explicit: bool = False  # named with --python / the python setting: commands target it


def env_tool(target: Path, interp: Interpreter) -> EnvTool:
    argv = list(interp.argv)
    if interp.source in ("poetry", "uv") and argv:
        argv[0] = Path(argv[0]).name
        return EnvTool(shlex.join(argv), interp.source, True)
    if interp.source == "current":
        return EnvTool("python", "pip", False)
    if len(argv) == 1:
        try:
            argv[0] = str(Path(argv[0]).relative_to(target))
        except ValueError:
            pass
    return EnvTool(shlex.join(argv), "pip", True, explicit=interp.source not in (".venv",))


def install_command(place: Place | None, dist: str, target: Path, tool: EnvTool,
                    env: TargetEnv | None = None) -> str:
    pip = f"{tool.python} -m pip install"
    # uv installs into the project's .venv: right unless an interpreter was named explicitly
    uv_project = tool.tool == "uv" or ((target / "uv.lock").is_file() and not tool.explicit)
    if place is None:
        if tool.tool == "poetry":
            return f"poetry add --group test {dist}"
        if uv_project:
            return f"uv add --dev {dist}"
        return f"{pip} {shlex.quote(dist)}"
    kind, name = place.kind, place.name
    if kind in ("project", "setup.cfg"):
        return "poetry install" if tool.tool == "poetry" else (
            "uv sync" if uv_project else f"{pip} -e .")
    if kind in ("extra", "setup.cfg-extra"):
        if tool.tool == "poetry":
            return f"poetry install --extras {shlex.quote(name)}"
        if uv_project:
            return f"uv sync --extra {shlex.quote(name)}"
        return f"{pip} -e {shlex.quote(f'.[{name}]')}"
    if kind == "group":
        if uv_project:
            return f"uv sync --group {shlex.quote(name)}"
        command = f"{pip} --group {shlex.quote(name)}"
        if env is not None and env.version("pip") and not env.pip_at_least(25, 1):
            return (f"{tool.python} -m pip install -U 'pip>=25.1' && {command} "
                    f"(--group needs pip >= 25.1; this environment has pip {env.version('pip')}), "
                    f"or: uv sync --group {shlex.quote(name)}")
        return command
    if kind == "poetry":
        return "poetry install"
    if kind == "poetry-group":
        return f"poetry install --with {shlex.quote(name)}"
    if kind == "requirements":
        return f"{pip} -r {shlex.quote(name)}"
    return f"{pip} {shlex.quote(dist)}"


def _where(tool: EnvTool) -> str:
    return "" if tool.known else (" (in the project's own environment: maestro-tasks found no "
                                  ".venv, Poetry or uv environment; pass --python to name it)")


@dataclass
class Hint:
    dist: str
    place: Place | None
    command: str
    text: str


def for_distribution(dist: str, target: Path, interp: Interpreter,
                     env: TargetEnv | None = None) -> Hint:
    places = declarations(target).get(normalize(dist), [])
    place = places[0] if places else None
    tool = env_tool(target, interp)
    command = install_command(place, dist, target, tool, env)
    if place is not None:
        text = (f"{dist} is declared in {place.describe()} but not installed; "
                f"run: {command}{_where(tool)}")
    else:
        text = f"{dist} is not declared anywhere; run: {command}{_where(tool)} (and declare it)"
    return Hint(dist, place, command, text)


def for_project(target: Path, interp: Interpreter, env: TargetEnv | None = None) -> str:
    """The project under test is not installed (its own metadata is missing)."""
    tool = env_tool(target, interp)
    command = install_command(Place("project"), "", target, tool, env)
    return f"install the project under test: {command}{_where(tool)}"


def combine(hints: list[Hint]) -> str:
    """One line per command: ``greenlet, pytest-asyncio: run: …``; no repeats."""
    by_command: dict[str, list[Hint]] = {}
    for hint in hints:
        by_command.setdefault(hint.command, []).append(hint)
    declared = any(h.place is not None for h in hints)
    parts = []
    # declared first: what they install often brings the undeclared ones along
    for command, group in sorted(by_command.items(), key=lambda kv: kv[1][0].place is None):
        dists = list(dict.fromkeys(h.dist for h in group))
        if group[0].place is None and declared:
            parts.append(f"{', '.join(dists)} not declared (maybe installed along with the "
                         f"above; else run: {command})")
        elif len(dists) == 1:
            parts.append(group[0].text)
        else:
            parts.append(f"{', '.join(dists)} missing; run: {command}")
    return "; ".join(parts)
