"""The subset of npm's semver ranges that ``engines`` fields use, to check node / npm versions.

Supported: comparators (``<``, ``<=``, ``>``, ``>=``, ``=``), partial and x-versions (``1``,
``1.2``, ``1.x``, ``*``), caret and tilde ranges, hyphen ranges, space-joined intersections and
``||`` unions — desugared to plain comparators the way npm's node-semver does. Prerelease tags
only order versions (``1.0.0-rc.1 < 1.0.0``); tool versions checked here are releases.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_PART = r"(?:0|[1-9]\d*|[xX*])"
_PARTIAL = re.compile(
    rf"^v?(?P<major>{_PART})(?:\.(?P<minor>{_PART})(?:\.(?P<patch>{_PART})"
    r"(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?)?)?$"
)
_COMPARATOR = re.compile(r"^(?P<op><=|>=|<|>|=|\^|~>|~)?\s*(?P<ver>\S+)$")


class Version(NamedTuple):
    major: int
    minor: int
    patch: int
    pre: tuple = ()  # empty = a release, which sorts after its prereleases

    def key(self) -> tuple:
        pre_key = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre)
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, pre_key)

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        return text + ("-" + ".".join(self.pre) if self.pre else "")


def parse_version(text: str) -> Version:
    """A full version such as ``v20.11.1`` (the output of ``node --version``)."""
    match = _PARTIAL.match(text.strip().lstrip("="))
    if not match or match["patch"] is None or _is_x(match["patch"]) or _is_x(match["minor"]) \
            or _is_x(match["major"]):
        raise ValueError(f"not a version: {text!r}")
    pre = tuple(match["pre"].split(".")) if match["pre"] else ()
    return Version(int(match["major"]), int(match["minor"]), int(match["patch"]), pre)


def _is_x(part: str | None) -> bool:
    return part is None or part in ("x", "X", "*")


class _Partial(NamedTuple):
    major: int | None
    minor: int | None
    patch: int | None
    pre: tuple


def _parse_partial(text: str) -> _Partial:
    match = _PARTIAL.match(text)
    if not match:
        raise ValueError(f"invalid version in range: {text!r}")
    parts = [None if _is_x(match[k]) else int(match[k]) for k in ("major", "minor", "patch")]
    # Anything after a wildcard is a wildcard too ("1.x.3" means "1.x").
    for i, part in enumerate(parts):
        if part is None:
            parts[i + 1:] = [None] * (2 - i)
            break
    pre = tuple(match["pre"].split(".")) if match["pre"] and parts[2] is not None else ()
    return _Partial(parts[0], parts[1], parts[2], pre)


Comparator = tuple[str, Version]  # (">=", Version) ...
_ANY: list[Comparator] = [(">=", Version(0, 0, 0))]


def _floor(p: _Partial) -> Version:
    return Version(p.major or 0, p.minor or 0, p.patch or 0, p.pre)


def _next_up(p: _Partial) -> Version:
    """The first version above everything a partial version covers (``1.2`` -> ``1.3.0``)."""
    if p.major is None:
        raise ValueError("no upper bound for '*'")
    if p.minor is None:
        return Version(p.major + 1, 0, 0, ("0",))
    return Version(p.major, p.minor + 1, 0, ("0",))


def _desugar(op: str, p: _Partial) -> list[Comparator]:
    if op in ("", "="):
        if p.major is None:
            return _ANY
        if p.patch is None:
            return [(">=", _floor(p)), ("<", _next_up(p))]
        return [("=", _floor(p))]
    if op in ("~", "~>"):
        if p.major is None:
            return _ANY
        upper = Version(p.major + 1, 0, 0, ("0",)) if p.minor is None \
            else Version(p.major, p.minor + 1, 0, ("0",))
        return [(">=", _floor(p)), ("<", upper)]
    if op == "^":
        if p.major is None:
            return _ANY
        if p.major > 0 or p.minor is None:
            upper = Version(p.major + 1, 0, 0, ("0",))
        elif p.minor > 0 or p.patch is None:
            upper = Version(0, p.minor + 1, 0, ("0",))
        else:
            upper = Version(0, 0, p.patch + 1, ("0",))
        return [(">=", _floor(p)), ("<", upper)]
    if p.major is None:
        # ">*" and "<*" match nothing; ">=*" and "<=*" match everything.
        return _ANY if op in (">=", "<=") else [("<", Version(0, 0, 0, ("0",)))]
    if p.patch is None:
        if op == ">":
            return [(">=", _next_up(p))]
        if op == "<=":
            return [("<", _next_up(p))]
        return [(op, _floor(p))]
    return [(op, _floor(p))]


def _hyphen(low: str, high: str) -> list[Comparator]:
    lo, hi = _parse_partial(low), _parse_partial(high)
    out: list[Comparator] = [] if lo.major is None else [(">=", _floor(lo))]
    if hi.major is not None:
        out.append(("<=", _floor(hi)) if hi.patch is not None else ("<", _next_up(hi)))
    return out or _ANY


def parse_range(text: str) -> list[list[Comparator]]:
    """A range as a union (list) of intersections (lists of comparators). ValueError if invalid."""
    if not isinstance(text, str):
        raise ValueError("a range must be a string")
    union: list[list[Comparator]] = []
    for alternative in text.split("||"):
        alt = alternative.strip()
        # npm allows a space between an operator and its version: ">= 1.2".
        alt = re.sub(r"(<=|>=|<|>|=|\^|~>|~)\s+", r"\1", alt)
        hyphen = re.fullmatch(r"(\S+)\s+-\s+(\S+)", alt)
        if hyphen:
            union.append(_hyphen(hyphen[1], hyphen[2]))
            continue
        comparators: list[Comparator] = []
        for token in alt.split() or ["*"]:
            match = _COMPARATOR.match(token)
            if not match:
                raise ValueError(f"invalid comparator: {token!r}")
            comparators.extend(_desugar(match["op"] or "", _parse_partial(match["ver"])))
        union.append(comparators)
    return union


def _holds(version: Version, op: str, bound: Version) -> bool:
    a, b = version.key(), bound.key()
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "=": a == b}[op]


def satisfies(version: str | Version, range_text: str) -> bool:
    """Whether ``version`` is inside the npm range ``range_text``. ValueError if either is invalid."""
    ver = version if isinstance(version, Version) else parse_version(version)
    return any(all(_holds(ver, op, bound) for op, bound in alt) for alt in parse_range(range_text))
