"""The one masking helper: every byte the suite prints or writes outside secret files passes here.

A secret is shown as its first two characters plus its length, e.g. ``Xq…(32)``.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

# How a value is found in text:
# - a value of _WHOLE_TOKEN_BELOW characters or more is masked wherever it occurs; a
#   *machine-made* one (a generated password, a key, a hash: long and random-looking) also in
#   pieces: every run of _FRAGMENT characters from it (tools shorten long values:
#   "'qico7CkhtebB...J0yjVQmUQ'" in a pytest assertion). Words and compose snippets
#   ("${POSTGRES_PASSWORD:-airflow}") give no pieces: "POSTGRES_P" is not a secret;
# - a shorter value (a weak word such as "password" or "airflow") is masked only as a whole
#   token: never inside an identifier, a rule name or a file name that merely contains it
#   (POSTGRES_PASSWORD, airflow-init.sh, docker/airflow/Dockerfile, services.airflow.x).
# A token ends where the next character is not a word character; "-", "." and "/" glue two
# words only when a word character stands on their other side: "admin" is masked in
# "${PW:-admin}", "--password admin" and "is admin.", not in "admin-dashboard".
# ``Masker.protect`` shields the names whose separators do not glue (``password:32``).
_WHOLE_TOKEN_BELOW = 12
_FRAGMENT, _FRAGMENT_FROM = 10, 16
_HEAD = 3  # every value has at least this many characters (shorter ones are not masked)
_WORD = r"A-Za-z0-9_"
_GLUE = r"\-./"
_LEFT = rf"(?<![{_WORD}])(?<![{_WORD}][{_GLUE}])"
_RIGHT = rf"(?![{_WORD}])(?![{_GLUE}][{_WORD}])"
_SEGMENT = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_NAME_RUN = re.compile(r"[A-Za-z0-9_.\-/:@~]+")
_WORD_CHAR = re.compile(r"[A-Za-z0-9_]")


def machine_made(value: str) -> bool:
    """Long and random-looking: many short runs of one letter case or of digits, as a
    generated password, a hex or base64 key has; words a person typed have few long runs."""
    if len(value) < _FRAGMENT_FROM or "$" in value or len(set(value)) < 10:
        return False
    segments = _SEGMENT.findall(value)
    return len(segments) >= 5 and sum(map(len, segments)) / len(segments) <= 3.5


def mask_value(value: str) -> str:
    """The masked form of one secret: first two characters and the length."""
    if len(value) <= 4:
        return f"…({len(value)})"
    return f"{value[:2]}…({len(value)})"


class Masker:
    """Holds the secret values known to this run and scrubs them from any text.

    ``protect`` registers names (variables, rules such as ``password:32``, file names) that are
    never rewritten where a shorter secret stands inside them; a secret equal to a whole
    protected name is still masked.
    """

    def __init__(self, values: Iterable[str] = ()):
        self._values: set[str] = set()
        self._anywhere: set[str] = set()
        self._fragments: set[str] = set()
        self._protected: set[str] = set()
        self._heads: dict[str, list[str]] = {}  # first _HEAD characters -> values
        self._longest = 0
        self._patterns: dict[tuple[frozenset[str], frozenset[str]], re.Pattern[str]] = {}
        self.add(*values)

    def add(self, *values: str) -> None:
        new = {v for v in values if isinstance(v, str) and len(v) >= 3} - self._values
        if new:
            self._values |= new
            for v in new:
                self._heads.setdefault(v[:_HEAD], []).append(v)
            self._anywhere |= {v for v in new if len(v) >= _WHOLE_TOKEN_BELOW}
            made = {v for v in new if machine_made(v)}
            self._fragments |= {v[i:i + _FRAGMENT] for v in made
                                for i in range(len(v) - _FRAGMENT + 1)}

    def protect(self, *names: str) -> None:
        """Names the masker never rewrites a part of (see the class docstring). A name is one
        token: letters, digits and ``_ . - / : @ ~``."""
        for n in names:
            if isinstance(n, str) and len(n) >= 3 and _NAME_RUN.fullmatch(n):
                self._protected.add(n)
                self._longest = max(self._longest, len(n))

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
                parts.append(esc if v in self._anywhere else rf"{_LEFT}{esc}{_RIGHT}")
            parts.extend(re.escape(f) for f in sorted(fragments))
            if len(self._patterns) >= 256:
                self._patterns.clear()
            pattern = self._patterns[key] = re.compile("|".join(parts))
        return pattern

    def _protected_spans(self, text: str) -> list[tuple[int, int]]:
        """Where protected names stand in ``text`` as whole tokens: every piece of a run of
        name characters that starts and ends at a word boundary is looked up in the set, so
        the cost does not grow with the number of protected names."""
        if not self._protected:
            return []
        spans = []
        for run in _NAME_RUN.finditer(text):
            s, e = run.span()
            starts = [i for i in range(s, e) if i == s or not _WORD_CHAR.match(text, i - 1)]
            ends = [j for j in range(s + 1, e + 1) if j == e or not _WORD_CHAR.match(text, j)]
            for a in starts:
                for b in ends:
                    if b - a > self._longest:
                        break
                    if b - a >= 3 and text[a:b] in self._protected:
                        spans.append((a, b))
        return spans

    def __call__(self, text: str) -> str:
        if not text or not self._values:
            return text
        # Only what occurs in this text goes into its pattern: an alternation of every known
        # secret and fragment costs O(alternatives) per character, and a run can know thousands
        # of secrets (tens of thousands of fragments). Fragments are found by a sliding window.
        present = self._present(text)
        frags = self._fragments
        found = frozenset(w for w in (text[i:i + _FRAGMENT]
                                      for i in range(len(text) - _FRAGMENT + 1)) if w in frags)
        if not present and not found:
            return text
        shield: list[tuple[int, int]] | None = None

        def replace(m: re.Match[str]) -> str:
            nonlocal shield
            if shield is None:
                shield = self._protected_spans(text)
            a, b = m.span()
            if any(p <= a and b <= q and (a, b) != (p, q) for p, q in shield):
                return m.group(0)  # a part of a protected name, not the secret itself
            return mask_value(m.group(0))

        return self._compiled(present, found).sub(replace, text)

    # Up to this many values a substring search per value is the fastest; beyond, the text's
    # own 3-grams pick the few values that can occur (a run can know thousands of secrets).
    SCAN_ALL_UP_TO = 32

    def _present(self, text: str) -> frozenset[str]:
        if len(self._values) <= self.SCAN_ALL_UP_TO:
            return frozenset(v for v in self._values if v in text)
        heads = self._heads
        grams = {text[i:i + _HEAD] for i in range(len(text) - _HEAD + 1)}
        return frozenset(v for g in grams if g in heads for v in heads[g] if v in text)

    def deep(self, obj: Any) -> Any:
        """Mask every string value inside a JSON-like structure; keys are names, kept as they
        are (a key never holds a secret: the suite puts values only in values)."""
        if isinstance(obj, str):
            return self(obj)
        if isinstance(obj, dict):
            return {k: self.deep(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self.deep(v) for v in obj]
        return obj
