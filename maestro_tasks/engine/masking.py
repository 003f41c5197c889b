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
        self._fragments: set[str] = set()
        self._patterns: dict[tuple[frozenset[str], frozenset[str]], re.Pattern[str]] = {}
        self.add(*values)

    def add(self, *values: str) -> None:
        new = {v for v in values if isinstance(v, str) and len(v) >= 3} - self._values
        if new:
            self._values |= new
            self._fragments |= {v[i:i + _FRAGMENT] for v in new if len(v) >= _FRAGMENT_FROM
                                for i in range(len(v) - _FRAGMENT + 1)}

    @property
    def values(self) -> frozenset[str]:
        return frozenset(self._values)

    def _compiled(self, values: frozenset[str], fragments: frozenset[str]) -> re.Pattern[str]:
        key = (values, fragments)
        pattern = self._patterns.get(key)
        if pattern is None:
            parts = []
            # Longest first, so a secret that contains another is replaced whole.
            for v in sorted(values, key=len, reverse=True):
                esc = re.escape(v)
                if len(v) < _WHOLE_TOKEN_BELOW:
                    esc = rf"{_LEFT}{esc}{_RIGHT}"
                parts.append(esc)
            # Tools shorten long values ("'qico7CkhtebB...J0yjVQmUQ'" in a pytest assertion):
            # every run of _FRAGMENT characters from inside a long secret is masked too.
            parts.extend(re.escape(f) for f in sorted(fragments))
            if len(self._patterns) >= 256:
                self._patterns.clear()
            pattern = self._patterns[key] = re.compile("|".join(parts))
        return pattern

    def __call__(self, text: str) -> str:
        if not text or not self._values:
            return text
        # Only what occurs in this text goes into its pattern: an alternation of every known
        # secret and fragment costs O(alternatives) per character, and a run can know thousands
        # of secrets (tens of thousands of fragments). Fragments are found by a sliding window.
        present = frozenset(v for v in self._values if v in text)
        frags = self._fragments
        found = frozenset(w for w in (text[i:i + _FRAGMENT]
                                      for i in range(len(text) - _FRAGMENT + 1)) if w in frags)
        if not present and not found:
            return text
        return self._compiled(present, found).sub(lambda m: mask_value(m.group(0)), text)

    def deep(self, obj: Any) -> Any:
        """Mask every string inside a JSON-like structure."""
        if isinstance(obj, str):
            return self(obj)
        if isinstance(obj, dict):
            return {self(str(k)): self.deep(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self.deep(v) for v in obj]
        return obj
