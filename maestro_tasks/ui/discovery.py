"""Which UI apps a target has, and for each: framework, package manager, output folder.

Apps are every ``ui/*/package.json`` with a ``build`` script, plus the folders listed in the
target's ``ui_apps`` setting (``[tool.maestro-tasks]`` in pyproject.toml or ``maestro:`` in
invoke.yaml). A ``ui_apps`` entry is a folder (``"web/portal"``) or a table
``{path = "web/portal", output = "build", root = "app"}``; an entry naming a ``ui/*`` app only
overrides its output folder / root element.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ..engine import InputError, UsageError
from ..engine.fsio import read_bytes, resolve_inside

VITE, NEXT, OTHER = "vite", "next", "other"
FRAMEWORK_LABELS = {VITE: "Vite", NEXT: "Next.js", OTHER: "other"}

# Lockfile -> package manager, in the order they are looked for.
LOCKFILES = (("package-lock.json", "npm"), ("npm-shrinkwrap.json", "npm"),
             ("pnpm-lock.yaml", "pnpm"), ("yarn.lock", "yarn"), ("bun.lock", "bun"),
             ("bun.lockb", "bun"))
MANAGERS = ("npm", "yarn", "pnpm", "bun")
_VITE_CONFIGS = tuple(f"vite.config.{ext}" for ext in ("ts", "mts", "cts", "js", "mjs", "cjs"))
_NEXT_CONFIGS = tuple(f"next.config.{ext}" for ext in ("js", "mjs", "cjs", "ts", "mts"))
SETTING = "ui_apps setting ([tool.maestro-tasks] ui_apps / maestro.ui_apps)"


@dataclass(frozen=True)
class App:
    """One UI app. Paths are POSIX strings relative to the target (``rel``) or the app."""

    rel: str
    framework: str
    package_manager: str
    lockfile: str | None  # relative to the app; "../bun.lock" for a workspace root's lock
    scripts: dict[str, str] = field(hash=False, compare=False)
    engines: dict[str, str] = field(hash=False, compare=False)
    has_dependencies: bool = False
    # Output folder(s) relative to the app ("../backend/static" may leave it, never the
    # target): the first is what a build must produce.
    outputs: tuple[str, ...] = ("dist",)
    root_id: str | None = None  # the element a rendered page fills (#root for Vite)
    configured: bool = False    # listed in ui_apps
    # The host ports its dev / preview / start servers listen on, from its own configs.
    ports: tuple["UiPort", ...] = field(default=(), hash=False, compare=False)
    # The workspace root above a workspace member, relative to the app (".."): its
    # node_modules holds what the install hoisted.
    workspace: str | None = None

    def module_dirs(self, app_dir: Path) -> list[Path]:
        """The node_modules folders the app resolves from: its own, then its workspace's."""
        dirs = [app_dir / "node_modules"]
        if self.workspace:
            dirs.append(app_dir / self.workspace / "node_modules")
        return dirs

    @property
    def name(self) -> str:
        return PurePosixPath(self.rel).name

    @property
    def framework_label(self) -> str:
        return FRAMEWORK_LABELS[self.framework]

    @property
    def install_label(self) -> str:
        if self.package_manager == "npm":
            return "npm ci" if self.lockfile else "npm install"
        return f"{self.package_manager} install"

    @property
    def slug(self) -> str:
        """A file-name-safe form of ``rel`` for log names."""
        return re.sub(r"[^A-Za-z0-9_.-]+", "-", self.rel).strip("-")


@dataclass(frozen=True)
class UiPort:
    """One port a UI app's own server listens on, and where that was read."""

    app: str      # the app folder, relative to the target
    port: int
    server: str   # "vite dev", "vite preview", "next dev", "next start"
    source: str   # e.g. "vite.config.ts server.port", "package.json scripts.dev -p", "default"

    def __str__(self) -> str:
        return f"{self.app} {self.server} ({self.source})"


@dataclass
class Discovery:
    apps: list[App]
    ignored: list[str]  # "ui/foo: no build script" lines


def read_package_json(target: Path, rel_dir: str) -> dict[str, Any]:
    rel = f"{rel_dir}/package.json"
    data = read_bytes(target, rel)  # refuses a link that leaves the target
    if data is None:
        raise InputError(rel, "not found")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(rel, "is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(rel, f"invalid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise InputError(rel, "invalid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise InputError(rel, "must hold a JSON object")
    for key in ("scripts", "engines", "dependencies", "devDependencies"):
        value = data.get(key, {})
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise InputError(rel, f'"{key}" must be an object of strings')
    return data


def _first_existing(app_dir: Path, names: tuple[str, ...]) -> Path | None:
    for name in names:
        if (app_dir / name).is_file():
            return app_dir / name
    return None


def detect_framework(app_dir: Path, pkg: dict[str, Any]) -> str:
    deps = {**pkg.get("dependencies", {}), **pkg.get("devDependencies", {})}
    build = pkg.get("scripts", {}).get("build", "")
    if "next" in deps or _first_existing(app_dir, _NEXT_CONFIGS) or re.search(r"\bnext build\b",
                                                                                build):
        return NEXT
    if "vite" in deps or _first_existing(app_dir, _VITE_CONFIGS) or re.search(r"\bvite\b", build):
        return VITE
    return OTHER


def _workspace_root(app_dir: Path, stop: Path) -> Path | None:
    """The nearest folder above the app, up to ``stop``, that declares workspaces (package.json
    ``workspaces`` or pnpm-workspace.yaml): its lockfile governs the app's install."""
    folder = app_dir
    while folder != stop and stop in folder.parents:
        folder = folder.parent
        if (folder / "pnpm-workspace.yaml").is_file():
            return folder
        try:
            pkg = json.loads((folder / "package.json").read_text(encoding="utf-8-sig"))
        except (OSError, ValueError):
            continue
        if isinstance(pkg, dict) and pkg.get("workspaces"):
            return folder
    return None


def detect_package_manager(app_dir: Path, pkg: dict[str, Any],
                           target: Path | None = None) -> tuple[str, str | None]:
    """(manager, lockfile or None), the lockfile relative to the app: the app's own, else the
    one of the workspace root above it (inside ``target``). Without a lockfile,
    ``packageManager`` names the manager."""
    folders = [(app_dir, "")]
    root = _workspace_root(app_dir, target) if target is not None else None
    if root is not None:
        folders.append((root, os.path.relpath(root, app_dir).replace(os.sep, "/") + "/"))
    for folder, prefix in folders:
        for lockfile, manager in LOCKFILES:
            if (folder / lockfile).is_file():
                return manager, prefix + lockfile
    declared = str(pkg.get("packageManager", "")).split("@")[0]
    return (declared if declared in MANAGERS else "npm"), None


def _config_string(text: str, key: str) -> str | None:
    """A string literal assigned to ``key`` in a JS/TS config (``outDir: 'build'``)."""
    match = re.search(rf"""\b{key}\s*:\s*(['"`])([^'"`\n]+)\1""", text)
    return match.group(2) if match else None


def _strip_js_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"(^|[^:'\"`])//[^\n]*", r"\1", text)


def vite_output(app_dir: Path) -> str:
    """Vite's outDir (relative to the app), read from its config; ``dist`` by default."""
    config = _first_existing(app_dir, _VITE_CONFIGS)
    if config is None:
        return "dist"
    text = _strip_js_comments(config.read_text(encoding="utf-8", errors="replace"))
    root = _config_string(text, "root") or "."
    out = _config_string(text, "outDir") or "dist"
    return _normal(PurePosixPath(root) / out)


def next_outputs(app_dir: Path) -> tuple[str, ...]:
    """Next.js: the server build folder (distDir, ``.next``) and the static export folder."""
    config = _first_existing(app_dir, _NEXT_CONFIGS)
    dist_dir, export = ".next", False
    if config is not None:
        text = _strip_js_comments(config.read_text(encoding="utf-8", errors="replace"))
        dist_dir = _normal(PurePosixPath(_config_string(text, "distDir") or ".next"))
        export = _config_string(text, "output") == "export"
    return ("out", dist_dir) if export else (dist_dir, "out")


def _normal(path: PurePosixPath) -> str:
    """Lexically normal: "a/./b/../c" -> "a/c"; a leading ".." stays ("../x")."""
    parts: list[str] = []
    for part in path.parts:
        if part in ("", "."):
            continue
        if part == ".." and parts and parts[-1] != "..":
            parts.pop()
            continue
        parts.append(part)
    return "/".join(parts) or "."


def target_path(app_rel: str, rel: str) -> str:
    """A path relative to the app, made relative to the target ("ui/a" + "../b" -> "ui/b")."""
    return _normal(PurePosixPath(app_rel) / rel)


# ---- the ports the app's own servers use ----------------------------------------------------
# Framework defaults when nothing sets a port.
DEFAULT_PORTS = {"vite dev": 5173, "vite preview": 4173, "next dev": 3000, "next start": 3000}
_PORT_VALUE = re.compile(r"""\bport\s*:\s*(?:(\d{1,5})\b|[^,}\n]*?(?:\|\||\?\?|:)\s*(\d{1,5})\b)""")


def _object_body(text: str, key: str) -> str | None:
    """The ``{...}`` literal assigned to ``key`` at any depth (first occurrence), or None."""
    match = re.search(rf"\b{key}\s*:\s*\{{", text)
    if match is None:
        return None
    depth, start = 0, match.end() - 1
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
    return None


def _top_level(body: str) -> str:
    """``body`` with every nested ``{...}`` removed, so only its own keys remain."""
    out, depth = [], 0
    for char in body:
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(char)
    return "".join(out)


def vite_config_ports(text: str) -> dict[str, int]:
    """``{"server": N, "preview": M}`` from a Vite config's literal ``server.port`` /
    ``preview.port`` (a ``process.env.PORT || 3000`` style fallback counts as its literal)."""
    text = _strip_js_comments(text)
    found: dict[str, int] = {}
    for key in ("server", "preview"):
        body = _object_body(text, key)
        if body is None:
            continue
        match = _PORT_VALUE.search(_top_level(body))
        if match:
            port = int(match.group(1) or match.group(2))
            if 0 < port < 65536:
                found[key] = port
    return found


_SERVER_CMD = re.compile(r"(?:^|[\s;&|(/])(vite|next)(?:\s+(dev|serve|preview|start|build|"
                         r"export|lint))?(?=\s|$|[;&|)])")
_PORT_FLAG = re.compile(r"(?:^|\s)(-p|--port)(?:\s+|=)(\d{1,5})\b")
_PORT_ENV = re.compile(r"(?:^|[\s;&(])PORT=(\d{1,5})\b")


def script_servers(scripts: dict[str, str]) -> list[tuple[str, str, int | None, str]]:
    """(script, server, port or None, how) for every package.json script that starts a Vite
    or Next.js server; the port from ``-p`` / ``--port`` or an inline ``PORT=``."""
    out = []
    for name, command in sorted(scripts.items()):
        for part in re.split(r"&&|\|\||;", command):
            match = _SERVER_CMD.search(part)
            if match is None:
                continue
            tool, verb = match.group(1), match.group(2) or ""
            if tool == "vite":
                server = {"": "vite dev", "dev": "vite dev", "serve": "vite dev",
                          "preview": "vite preview"}.get(verb)
            else:
                server = {"dev": "next dev", "start": "next start"}.get(verb)
            if server is None:
                continue
            tail = part[match.end():]
            flag = _PORT_FLAG.search(tail)
            env = _PORT_ENV.search(part[:match.start()]) if tool == "next" else None
            if flag:
                out.append((name, server, int(flag.group(2)),
                            f"package.json scripts.{name} {flag.group(1)}"))
            elif env:
                out.append((name, server, int(env.group(1)), f"package.json scripts.{name} "
                                                             "PORT="))
            else:
                out.append((name, server, None, ""))
    return out


def app_ports(app_dir: Path, rel: str, framework: str, scripts: dict[str, str]) -> tuple[UiPort, ...]:
    """Every port the app's own servers listen on: script flags, then the Vite config, then the
    framework's default. An app with no server script still gets its framework's defaults."""
    config_ports: dict[str, int] = {}
    config_name = ""
    if framework == VITE:
        config = _first_existing(app_dir, _VITE_CONFIGS)
        if config is not None:
            config_name = config.name
            config_ports = vite_config_ports(config.read_text(encoding="utf-8",
                                                              errors="replace"))
    servers = script_servers(scripts)
    if not servers:
        defaults = {VITE: ("vite dev", "vite preview"), NEXT: ("next dev", "next start")}
        servers = [("", s, None, "") for s in defaults.get(framework, ())]
    found: dict[tuple[int, str], UiPort] = {}
    for _script, server, port, how in servers:
        if port is None:
            key = {"vite dev": "server", "vite preview": "preview"}.get(server)
            if key in config_ports:
                port, how = config_ports[key], f"{config_name} {key}.port"
            else:
                port, how = DEFAULT_PORTS[server], f"{server.split()[0]} default"
        if 0 < port < 65536:
            found.setdefault((port, server), UiPort(rel, port, server, how))
    return tuple(sorted(found.values(), key=lambda p: (p.port, p.server)))


def _settings_entries(settings: dict[str, Any], target: Path) -> dict[str, dict[str, str]]:
    raw = settings.get("ui_apps", [])
    if raw in (None, ""):
        return {}
    if not isinstance(raw, list):
        raise InputError(SETTING, "must be a list of folders or {path, output, root} tables")
    entries: dict[str, dict[str, str]] = {}
    for item in raw:
        entry = {"path": item} if isinstance(item, str) else item
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise InputError(SETTING, f"entry {item!r} needs a folder path")
        unknown = set(entry) - {"path", "output", "root"}
        if unknown or not all(isinstance(v, str) for v in entry.values()):
            raise InputError(SETTING, f"entry {item!r}: only string keys path, output, root")
        rel = _normal(PurePosixPath(entry["path"]))
        if PurePosixPath(entry["path"]).is_absolute() or entry["path"].startswith("..") \
                or rel == ".":
            raise InputError(SETTING, f"{entry['path']!r} must be a folder inside the target")
        if not (target / rel).resolve().is_relative_to(target.resolve()):
            raise InputError(SETTING, f"{entry['path']!r} resolves outside the target")
        entries[rel] = {**entry, "path": rel}
    return entries


def load_app(target: Path, rel: str, entry: dict[str, str] | None = None) -> App:
    app_dir = resolve_inside(target, rel)  # a symlinked app folder must not lead outside
    pkg = read_package_json(target, rel)
    framework = detect_framework(app_dir, pkg)
    manager, lockfile = detect_package_manager(app_dir, pkg, target)
    workspace = _workspace_root(app_dir, target)
    output = (entry or {}).get("output")
    if framework == VITE:
        outputs: tuple[str, ...] = (vite_output(app_dir),)
        root_id = "root"
    elif framework == NEXT:
        outputs, root_id = next_outputs(app_dir), "__next"
    else:
        outputs, root_id = ("dist",), None
    if output:
        outputs = (_normal(PurePosixPath(output)),)
    for out in outputs:
        where = target_path(rel, out)
        if where == "." or where.startswith("../") or where == "..":
            source = f"{SETTING} output" if output else f"{rel}: the build output setting"
            raise InputError(source, f"{out!r} (relative to {rel}) leaves the target or is its "
                                     "root; a build must write inside the target")
    return App(
        rel=rel, framework=framework, package_manager=manager, lockfile=lockfile,
        scripts=dict(pkg.get("scripts", {})), engines=dict(pkg.get("engines", {})),
        has_dependencies=bool(pkg.get("dependencies") or pkg.get("devDependencies")),
        outputs=outputs, root_id=(entry or {}).get("root") or root_id,
        configured=entry is not None,
        ports=app_ports(app_dir, rel, framework, dict(pkg.get("scripts", {}))),
        workspace=os.path.relpath(workspace, app_dir).replace(os.sep, "/") if workspace else None,
    )


def discover(target: Path, settings: dict[str, Any]) -> Discovery:
    """Every app of the target, sorted by path. Invalid package.json / settings -> InputError."""
    entries = _settings_entries(settings, target)
    apps: dict[str, App] = {}
    ignored: list[str] = []
    ui = target / "ui"
    candidates = sorted(p.parent for p in ui.glob("*/package.json")) if ui.is_dir() else []
    for folder in candidates:
        rel = folder.relative_to(target).as_posix()
        app = load_app(target, rel, entries.get(rel))
        if "build" not in app.scripts:
            if rel not in entries:
                ignored.append(f"{rel}: no build script, not an app")
                continue
        apps[rel] = app
    for rel, entry in entries.items():
        if rel in apps:
            continue
        if not (target / rel / "package.json").is_file():
            raise InputError(SETTING, f"{rel} has no package.json")
        apps[rel] = load_app(target, rel, entry)
    for app in apps.values():
        if "build" not in app.scripts:
            raise InputError(f"{app.rel}/package.json", 'has no "build" script')
    return Discovery(apps=[apps[k] for k in sorted(apps)], ignored=ignored)


def select(apps: list[App], names: list[str] | None) -> list[App]:
    """The apps named by ``--app`` (folder name or path); all when none. Unknown -> UsageError."""
    if not names:
        return apps
    chosen: list[App] = []
    for name in names:
        wanted = name.strip().rstrip("/")
        match = [a for a in apps if wanted in (a.rel, a.name)]
        if not match:
            known = ", ".join(a.name for a in apps) or "none"
            raise UsageError(f"--app {name}: no such UI app (known: {known})")
        chosen.extend(a for a in match if a not in chosen)
    return chosen
