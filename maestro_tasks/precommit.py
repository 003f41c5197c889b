"""The pre-commit hook: fail a commit that brings a hardcoded secret into a compose file.

pre-commit passes the staged compose files as arguments; each finding is printed as
``file:line: …`` (the key, never the value) and the exit code is 1, or 2 for unreadable input.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from .engine import InputError
    from .secrets.metrics import find_hardcoded

    files = sys.argv[1:] if argv is None else argv
    found, unreadable = 0, 0
    try:
        for name in files:
            try:
                hits = find_hardcoded(name)
            except InputError as exc:
                print(f"{exc}", file=sys.stderr)
                unreadable += 1
                continue
            for file, line, key in hits:
                print(f"{file}:{line}: hardcoded secret in {key}; "
                      "run `maestro-tasks week1.fix-secrets` to move it into .env")
            found += len(hits)
    except BrokenPipeError:
        return 1
    # Every file is reported before the verdict; unreadable input outranks findings.
    return 2 if unreadable else (1 if found else 0)
