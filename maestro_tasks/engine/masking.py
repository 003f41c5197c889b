"""The one masking helper: every byte the suite prints or writes outside secret files passes here.

A secret is shown as its first two characters plus its length, e.g. ``Xq…(32)``.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

# Values shorter than this are only masked as whole tokens, so that a weak password such as
# "admin" does not mangle "admin-dashboard"; longer values are masked wherever they occur.
# A hyphen only glues words when a word character stands on its other side too: "admin" is
# masked in "${PW:-admin}" and "--password admin", but "admin-dashboard" stays readable.
_WHOLE_TOKEN_BELOW = 12
_FRAGMENT, _FRAGMENT_FROM = 10, 16
_WORD = r"A-Za-z0-9_."
_LEFT = rf"(?<![{_WORD}])(?<![{_WORD}]-)"
_RIGHT = rf"(?![{_WORD}])(?!-[{_WORD}])"


def mask_value(value: str) -> str:
    """The masked form of one secret: first two characters and the length."""
    if len(value) <= 4:
        return f"…({len(value)})"
    return f"{value[:2]}…({len(value)})"


class Masker:
    """Holds the secret values known to this run and scrubs them from any text."""

    def __init__(self, values: Iterable[str] = ()):
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(*values)

    def add(self, *values: str) -> None:
        new = {v for v in values if isinstance(v, str) and len(v) >= 3} - self._values
        if new:
            self._values |= new
            self._pattern = None

    @property
    def values(self) -> frozenset[str]:
        return frozenset(self._values)

    def _compiled(self) -> re.Pattern[str] | None:
        if self._pattern is None and self._values:
            parts = []
            # Longest first, so a secret that contains another is replaced whole.
            for v in sorted(self._values, key=len, reverse=True):
                esc = re.escape(v)
                if len(v) < _WHOLE_TOKEN_BELOW:
                    esc = rf"{_LEFT}{esc}{_RIGHT}"
                parts.append(esc)
            # Tools shorten long values ("'qico7CkhtebB...J0yjVQmUQ'" in a pytest assertion):
            # every run of _FRAGMENT characters from inside a long secret is masked too.
            fragments = {v[i:i + _FRAGMENT] for v in self._values if len(v) >= _FRAGMENT_FROM
                         for i in range(len(v) - _FRAGMENT + 1)}
            parts.extend(re.escape(f) for f in sorted(fragments))
            self._pattern = re.compile("|".join(parts))
        return self._pattern

    def __call__(self, text: str) -> str:
        pattern = self._compiled()
        if pattern is None or not text:
            return text
        return pattern.sub(lambda m: mask_value(m.group(0)), text)

    def deep(self, obj: Any) -> Any:
        """Mask every string inside a JSON-like structure."""
        if isinstance(obj, str):
            return self(obj)
        if isinstance(obj, dict):
            return {self(str(k)): self.deep(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self.deep(v) for v in obj]
        return obj
