"""npm's semver ranges, for the ``engines`` check of node / npm versions, through node-semver
(PyPI ``node-semver``, a port of npm's own node-semver: comparators, partial and x-versions,
caret, tilde and hyphen ranges, space-joined intersections and ``||`` unions).

A thin adapter with one rule of ours: invalid input is a ValueError. node-semver's own
``satisfies`` answers False for a range it cannot parse, which would report a typo in
package.json as "node too old". Prerelease versions match only a range that names a prerelease
of the same release, as in npm (``22.0.0-rc.1`` does not satisfy ``>=22``).
"""

from __future__ import annotations

from typing import Any


def parse_version(text: str) -> Any:
    """A full version such as ``v20.11.1`` (the output of ``node --version``); ``str()`` of it
    is the bare version."""
    from nodesemver import make_semver

    if not isinstance(text, str):
        raise ValueError("a version must be a string")
    try:
        return make_semver(text.strip(), False)
    except ValueError:
        raise ValueError(f"not a version: {text!r}") from None


def parse_range(text: str) -> Any:
    """An npm range; ValueError naming the part that is invalid."""
    from nodesemver import make_range

    if not isinstance(text, str):
        raise ValueError("a range must be a string")
    return make_range(text, False)


def satisfies(version: Any, range_text: str) -> bool:
    """Whether ``version`` is inside the npm range ``range_text``. ValueError if either is invalid."""
    ver = parse_version(version) if isinstance(version, str) else version
    return bool(parse_range(range_text).test(ver))
