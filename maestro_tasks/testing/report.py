"""TEST_STATUS.md: rendered from the JUnit counts through ``templates/TEST_STATUS.md``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from string import Template

from .junit import COUNT_KEYS, JUnitCounts

TEMPLATE_NAME = "TEST_STATUS.md"
_HEADER = ("collected", "passed", "failed", "errors", "collection errors", "skipped", "xfailed")

EXIT_MEANINGS = {0: "all tests passed", 1: "some tests failed", 2: "interrupted",
                 3: "internal error", 4: "usage error", 5: "no tests collected"}


@dataclass
class RunInfo:
    date: str
    interpreter: str
    interpreter_source: str
    python_version: str
    pytest_version: str
    command: str
    exit_code: int
    junit: str


def _bullets(lines: list[str], empty: str) -> str:
    return "\n".join(f"- {line}" for line in lines) if lines else empty


def next_steps(counts: JUnitCounts, exit_code: int, hints: list[str]) -> list[str]:
    steps: list[str] = list(hints)
    if counts.collection_errors:
        steps.append("fix the collection errors above; they hide every test in those modules")
    if counts.failed or counts.errors:
        steps.append(f"fix or mark the {counts.failed + counts.errors} failing test(s): they are "
                     "real failures, not configuration problems")
    if exit_code not in (0, 1):
        steps.append(f"pytest exited with {exit_code} ({EXIT_MEANINGS.get(exit_code, 'unknown')}):"
                     " read test-results.txt")
    if not steps:
        steps.append("none: the suite is green; keep it that way in CI")
    return steps


def render(template: str, counts: JUnitCounts, info: RunInfo, hints: list[str]) -> str:
    failing = [f"`{o.test}`: {o.reason or o.status}" for o in counts.failing]
    broken = [f"`{o.test}`: {o.reason}" for o in counts.broken_collection]
    values = {
        **counts.counts(),
        "date": info.date, "interpreter": info.interpreter,
        "interpreter_source": info.interpreter_source, "python_version": info.python_version,
        "pytest_version": info.pytest_version, "command": info.command,
        "exit_code": info.exit_code,
        "exit_meaning": EXIT_MEANINGS.get(info.exit_code, "unknown"),
        "duration": f"{counts.duration_s:.2f}", "junit": info.junit,
        "failing": _bullets(failing, "None."),
        "collection_error_list": _bullets(broken, "None."),
        "next_steps": _bullets(next_steps(counts, info.exit_code, hints), ""),
    }
    return Template(template).substitute(values)


def counts_in_report(text: str) -> dict[str, int] | None:
    """The counts table of a rendered TEST_STATUS.md, or None when it has none."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if tuple(cells) == _HEADER and index + 2 < len(lines):
            row = [c.strip() for c in lines[index + 2].strip().strip("|").split("|")]
            if len(row) == len(COUNT_KEYS) and all(re.fullmatch(r"\d+", c) for c in row):
                return dict(zip(COUNT_KEYS, (int(c) for c in row)))
            return None
    return None
