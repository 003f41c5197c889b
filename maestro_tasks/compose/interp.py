"""Compose variable interpolation, read-only: which variables a compose model references.

Syntax (compose-spec): ``$$`` is a literal dollar; ``$NAME`` and ``${NAME}`` substitute;
``${NAME:-d}`` / ``${NAME-d}`` default; ``${NAME:?msg}`` / ``${NAME?msg}`` required;
``${NAME:+alt}`` / ``${NAME+alt}`` alternative. Defaults may hold further references.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPS = (":-", ":?", ":+", "-", "?", "+")


@dataclass(frozen=True)
class Reference:
    name: str
    op: str  # "" (plain), ":-", "-", ":?", "?", ":+", "+"
    nested: bool = False  # inside another reference's default: needed only when that one is unset

    @property
    def required(self) -> bool:
        """Unset means broken: a plain reference (compose puts a blank) or an explicit ``?``."""
        return not self.nested and self.op in ("", ":?", "?")


def _closing_brace(text: str, start: int) -> int:
    """Index of the ``}`` closing the ``${`` whose body starts at ``start`` (nesting aware)."""
    depth, i = 1, start
    while i < len(text):
        if text.startswith("$$", i):
            i += 2
            continue
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def references(text: str, nested: bool = False) -> list[Reference]:
    """Every variable reference in one string, in order."""
    out: list[Reference] = []
    i = 0
    while i < len(text):
        if text.startswith("$$", i):
            i += 2
            continue
        if text[i] != "$":
            i += 1
            continue
        if text.startswith("${", i):
            end = _closing_brace(text, i + 2)
            if end < 0:
                break  # unterminated: compose itself reports it
            body = text[i + 2:end]
            match = _NAME.match(body)
            if match:
                rest = body[match.end():]
                op = next((o for o in _OPS if rest.startswith(o)), "")
                if op or not rest:
                    out.append(Reference(match.group(0), op, nested))
                    if op in (":-", "-", ":+", "+"):
                        out.extend(references(rest[len(op):], nested=True))
            i = end + 1
            continue
        match = _NAME.match(text, i + 1)
        if match:
            out.append(Reference(match.group(0), "", nested))
            i = match.end()
        else:
            i += 1
    return out


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def model_references(model: dict[str, Any]) -> list[Reference]:
    """References in every string value of an un-interpolated compose model."""
    out: list[Reference] = []
    for text in _strings(model):
        out.extend(references(text))
    return out


def required_variables(model: dict[str, Any]) -> list[str]:
    """Names that must be set for the model to resolve as written, sorted and unique."""
    return sorted({r.name for r in model_references(model) if r.required})
