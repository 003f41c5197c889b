"""Blast radius: where else an old secret value stands before fix-secrets gives it a new one.

A credential that also stands in a config file mounted into another container, in a build
context baked into an image, or anywhere else in the tracked tree, would stop matching once the
compose side is rotated: the connection breaks silently. Such a value is kept (moved to the env
file as it is) and reported with ``file:line`` and the ``--rotate VAR`` hint.

Searched: every git-tracked file (or every file outside git), plus every file under the bind-
mount sources and build contexts of the compose files (tracked or not), except the files this
run rewrites, documentation (``*.md``, ``*.rst``, ``*.adoc``), templates users copy from
(``*example*``, ``*sample*``, ``*template*``, ``*.dist``) and files over 1 MB or binary.
A value matches as a whole word (not inside a longer word); a plain word (``admin``, ``postgres``)
only where it stands as a credential (a secret-named word just before it, or ``:word@``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Callable, Iterable

from .inventory import tracked_files

MAX_BYTES = 1024 * 1024
MAX_FILES = 20_000
MIN_LITERAL = 3
_DOCS = (".md", ".rst", ".adoc", ".markdown")
# Templates users copy from (.env.dev.example, settings.sample.py): no container reads them.
_TEMPLATE_NAME = re.compile(r"example|sample|template|\.dist$", re.I)
_SKIP_DIRS = {".git", "node_modules", ".venv", "venv", ".maestro", "__pycache__", ".tox"}


def _walk(target: Path, folder: Path) -> Iterable[str]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".venv")]
        for name in files:
            try:
                yield str((Path(root) / name).relative_to(target))
            except ValueError:
                continue


def container_paths(docs: list[Any]) -> list[str]:
    """Bind-mount sources and build contexts of the compose files, relative to the target."""
    out: list[str] = []
    for doc in docs:
        root = doc.root
        if root is None or root.id != "mapping":
            continue
        base = os.path.dirname(doc.rel)
        services = _get(root, "services")
        if services is None or services.id != "mapping":
            continue
        for _, svc in services.value:
            if svc.id != "mapping":
                continue
            vols = _get(svc, "volumes")
            for item in (vols.value if vols is not None and vols.id == "sequence" else []):
                src = None
                if item.id == "scalar":
                    src = item.value.split(":")[0] if ":" in item.value else None
                elif item.id == "mapping":
                    kind, source = _get(item, "type"), _get(item, "source")
                    if kind is not None and kind.value == "bind" and source is not None:
                        src = source.value
                if src and src.startswith((".", "/")) and "$" not in src:
                    out.append(os.path.normpath(os.path.join(base, src)))
            build = _get(svc, "build")
            if build is not None:
                ctx = build if build.id == "scalar" else _get(build, "context")
                if ctx is not None and ctx.id == "scalar" and "$" not in ctx.value and \
                        "://" not in ctx.value:
                    out.append(os.path.normpath(os.path.join(base, ctx.value)))
    return out


def _get(node: Any, key: str) -> Any:
    if node is None or node.id != "mapping":
        return None
    for k, v in node.value:
        if k.id == "scalar" and k.value == key:
            return v
    return None


class Index:
    """The texts of the files searched, read once."""

    def __init__(self, target: Path, docs: list[Any], exclude: set[str]):
        self.target = target
        names: list[str] = []
        tracked = tracked_files(target)
        names.extend(tracked if tracked is not None else _walk(target, target))
        for rel in container_paths(docs):
            path = target / rel
            if rel.startswith("..") or os.path.isabs(rel):
                continue  # outside the target: not ours to read
            if path.is_dir():
                names.extend(_walk(target, path))
            elif path.is_file():
                names.append(rel)
        self.texts: dict[str, str] = {}
        # A compose file reached through a symlink (docker-compose.yml -> deploy/compose.yml) is
        # the same file under its real name: not "elsewhere".
        real_excluded = {os.path.realpath(target / rel) for rel in exclude}
        for rel in dict.fromkeys(names):
            if len(self.texts) >= MAX_FILES:
                break
            if rel in exclude or rel.lower().endswith(_DOCS) or rel.startswith(".maestro/") \
                    or _TEMPLATE_NAME.search(os.path.basename(rel)) \
                    or os.path.realpath(target / rel) in real_excluded:
                continue
            path = target / rel
            try:
                if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_BYTES:
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            if b"\0" in data[:8192]:
                continue
            self.texts[rel] = data.decode("utf-8", "replace")

    def find(self, literal: str, limit: int = 3) -> list[str]:
        """``file:line`` of the first places ``literal`` stands as a whole word."""
        if len(literal) < MIN_LITERAL:
            return []
        pattern = None  # compiled only for a literal some text holds (most hold none)
        distinctive = _distinctive(literal)
        out = []
        for rel, text in self.texts.items():
            if literal not in text:
                continue
            if pattern is None:
                pattern = re.compile(r"(?<![A-Za-z0-9_])" + re.escape(literal)
                                     + r"(?![A-Za-z0-9_])")
            for m in pattern.finditer(text):
                if distinctive or _credential_context(text, m.start(), m.end()):
                    out.append(f"{rel}:{text.count(chr(10), 0, m.start()) + 1}")
                    break
            if len(out) >= limit:
                break
        return out


_KEYWORDS = ("pass", "pwd", "secret", "token", "key", "auth", "credential")


def _distinctive(literal: str) -> bool:
    """A value unlikely to stand anywhere by chance: 8+ characters, not a plain word
    (``weakdbpw1`` is; ``admin``, ``postgres``, ``changeme`` are not)."""
    return len(literal) >= 8 and not re.fullmatch(r"[a-z]+|[A-Z]+|[A-Z][a-z]+", literal)


def _credential_context(text: str, a: int, b: int) -> bool:
    """A plain word counts only where it stands as a credential: a secret-named word up to 30
    characters before it on its line (``password: admin``), or the password of a URL."""
    if text[a - 1:a] == ":" and text[b:b + 1] == "@":
        return True
    start = max(text.rfind("\n", 0, a) + 1, a - 30)
    return any(k in text[start:a].lower() for k in _KEYWORDS)


def finder(target: Path, exclude: set[str]) -> Callable[[list[Any]], Callable[[str], list[str]]]:
    """For core.analyse: docs → (literal → places elsewhere)."""
    def make(docs: list[Any]) -> Callable[[str], list[str]]:
        index: list[Index] = []

        def find(literal: str) -> list[str]:
            if not index:
                index.append(Index(target, docs, exclude))
            return index[0].find(literal)
        return find
    return make
