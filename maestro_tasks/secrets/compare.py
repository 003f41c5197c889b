"""Compare two resolved compose models: equal except where a secret was replaced."""

from __future__ import annotations

from typing import Any, Iterator


def _leaves(obj: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    if isinstance(obj, dict):
        yield path, ("dict", tuple(sorted(obj)))
        for k in sorted(obj):
            yield from _leaves(obj[k], path + (k,))
    elif isinstance(obj, list):
        yield path, ("list", len(obj))
        for i, v in enumerate(obj):
            yield from _leaves(v, path + (i,))
    else:
        yield path, obj


def differences(old: Any, new: Any, mapping: dict[str, str],
                filled: set[str] | None = None) -> list[str]:
    """Paths where ``new`` differs from ``old`` other than by replacing secrets.

    ``mapping`` is new value → old literal. A differing string must equal ``old`` once some
    occurrences of each new value are read back as its old literal; being a function of the
    old literal, equal old secrets necessarily map to equal new values. ``filled``: values of
    variables that were unset; a whole value that was "" may now be exactly one of them.
    """
    bad: list[str] = []
    old_leaves = dict(_leaves(old))
    new_leaves = dict(_leaves(new))
    for path in sorted(set(old_leaves) | set(new_leaves), key=str):
        a, b = old_leaves.get(path, "<absent>"), new_leaves.get(path, "<absent>")
        if a == b or (a == "" and filled and b in filled):
            continue
        if isinstance(a, str) and isinstance(b, str) and explained(a, b, mapping):
            continue
        bad.append(".".join(map(str, path)))
    return bad


def explained(old: str, new: str, mapping: dict[str, str]) -> bool:
    """Whether ``new`` is ``old`` with some secret values replaced (``mapping``: new → old).

    ``new`` is cut at the secret values it holds (leftmost first, the longest where several
    start at one place); each cut-out value may stand in ``old`` as itself or as its old
    literal, the text between must stand as it is. Plain string matching over the set of
    reachable positions: no regular expression is compiled per string."""
    values = sorted((v for v in mapping if v and v in new), key=len, reverse=True)
    if not values:
        return False
    parts: list[str] = []
    pos = 0
    while True:
        best, hit = -1, ""
        for v in values:
            i = new.find(v, pos)
            if i != -1 and (best == -1 or i < best):
                best, hit = i, v
        if best == -1:
            parts.append(new[pos:])
            break
        parts.extend((new[pos:best], hit))
        pos = best + len(hit)
    reach = {0}
    for p in parts:
        choices = (p, mapping[p]) if p in mapping else (p,)
        reach = {at + len(c) for at in reach for c in choices if old.startswith(c, at)}
        if not reach:
            return False
    return len(old) in reach
