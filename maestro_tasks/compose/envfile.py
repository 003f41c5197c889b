"""An env file as Compose reads it: ``KEY=value`` lines in python-dotenv syntax.

Values are taken as written (no ``${...}`` expansion). A line python-dotenv cannot parse is an
InputError naming the line, never a silently shorter file. The .env *store* (what fix-secrets
writes into it) is ``secrets/envfile.py``, built on this parser.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from ..engine import InputError


@dataclass
class EnvFile:
    rel: str
    text: str = ""
    exists: bool = False
    values: dict[str, str | None] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # VAR → 1-based line

    @property
    def newline(self) -> str:
        return "\r\n" if "\r\n" in self.text else "\n"


def bindings(rel: str, text: str):
    """python-dotenv's bindings of ``text``; an unparseable line raises InputError."""
    from dotenv.parser import parse_stream

    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            raise InputError(rel, "python-dotenv cannot parse this line", binding.original.line)
        yield binding


def parse_env(rel: str, data: bytes | None) -> EnvFile:
    if data is None:
        return EnvFile(rel)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(rel, "is not UTF-8 text", data[: exc.start].count(b"\n") + 1) from None
    env = EnvFile(rel, text, True)
    for b in bindings(rel, text):
        if b.key is not None:
            env.values[b.key] = b.value
            env.lines[b.key] = b.original.line
    return env


def read_env_file(rel: str, data: bytes | None) -> dict[str, str | None]:
    """The variables compose interpolates from an env file ({} when absent)."""
    return dict(parse_env(rel, data).values)
