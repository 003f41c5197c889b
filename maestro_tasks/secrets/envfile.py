"""The .env store, the .env.template contract and the .env.example file.

.env: parsed as Compose reads it (``compose/envfile.py``: python-dotenv, a line it cannot
parse is an InputError naming the line); every existing line is kept; missing variables go into
one marked block; only ``--rotate`` changes an existing value, in place.
"""

from __future__ import annotations

import re

from ..compose.envfile import EnvFile, bindings, parse_env  # noqa: F401 - the store's parser
from ..engine import InputError
from . import rules

BLOCK_START = "# >>> maestro-tasks week1.fix-secrets: generated secrets (keep this file private) >>>"
BLOCK_END = "# <<< maestro-tasks week1.fix-secrets <<<"
_SAFE_VALUE = re.compile(r"[A-Za-z0-9+/=_\-.:]*")


def _format(name: str, value: str) -> str:
    if _SAFE_VALUE.fullmatch(value):
        return f"{name}={value}"
    return f"{name}='" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def render_env(env: EnvFile, add: dict[str, str], rotate: dict[str, str]) -> str:
    """New .env text: rotated values replaced on their own line, new variables in the block."""
    nl = env.newline
    text = env.text
    if rotate:
        lines = text.splitlines(keepends=True)
        for name, value in rotate.items():
            line = env.lines.get(name)
            if line is None:
                continue
            old = lines[line - 1]
            ending = old[len(old.rstrip("\r\n")):]
            prefix = "export " if old.lstrip().startswith("export ") else ""
            lines[line - 1] = prefix + _format(name, value) + ending
        text = "".join(lines)
    if not add:
        return text
    new_lines = [_format(name, value) for name, value in add.items()]
    if BLOCK_END in text and BLOCK_START in text:
        head, _, tail = text.rpartition(BLOCK_END)
        if head and not head.endswith(("\n", "\r")):
            head += nl
        return head + nl.join(new_lines) + nl + BLOCK_END + tail
    if text and not text.endswith("\n"):
        text += nl
    return text + nl.join([BLOCK_START, *new_lines, BLOCK_END]) + nl


# ---- .env.template ------------------------------------------------------------------------
def parse_template(rel: str, data: bytes | None) -> dict[str, rules.Rule]:
    """``NAME=RULE`` lines (python-dotenv syntax) → {NAME: Rule}, in declaration order."""
    if data is None:
        return {}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(rel, "is not UTF-8 text") from None
    out: dict[str, rules.Rule] = {}
    for b in bindings(rel, text):
        if b.key is None:
            continue
        try:
            out[b.key] = rules.parse_rule(b.value or "")
        except ValueError as exc:
            raise InputError(rel, f"{b.key}: {exc}", b.original.line) from None
    return out
