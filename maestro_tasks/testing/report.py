"""TEST_STATUS.md: rendered from pytest's own stats through ``templates/TEST_STATUS.md``.

When pytest stopped before or during the run (exit 2, 3, 4, or our timeout) the report says so
in pytest's words and shows no table of zeros: a run that never happened has no counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from string import Template

from .stats import TABLE_KEYS, PytestStats

TEMPLATE_NAME = "TEST_STATUS.md"
_HEADER = ("collected", "passed", "failed", "errors", "skipped", "xfailed", "xpassed",
           "deselected", "warnings", "collection errors")

EXIT_MEANINGS = {0: "all tests passed", 1: "some tests failed", 2: "interrupted",
                 3: "internal error", 4: "usage error", 5: "no tests collected",
                 -1: "stopped by maestro-tasks after its timeout"}


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
    stats: str = ".maestro/pytest-stats.json"
    stopped: str | None = None  # why pytest did not run to the end, in its words
    duration_s: float = 0.0


def _bullets(lines: list[str], empty: str) -> str:
    return "\n".join(f"- {line}" for line in lines) if lines else empty


def next_steps(counts: PytestStats | None, exit_code: int, hints: list[str],
               stopped: str | None = None) -> list[str]:
    steps: list[str] = list(hints)
    if stopped:
        steps.append(f"pytest stopped early ({stopped}); fix that first: no test result below "
                     "is complete")
    if counts is not None:
        causes = counts.errors_by_cause()
        import_causes = [c for c, _n in causes if c.startswith(("ModuleNotFoundError",
                                                                 "ImportError"))]
        if counts.collection_errors:
            steps.append("fix the collection errors above; they hide every test in those "
                         "modules")
        if import_causes:
            steps.append("errors from a missing module are an environment problem, not failing "
                         "tests: install " + ", ".join(c.split(": ", 1)[-1]
                                                        for c in import_causes[:5])
                         + " into the project's environment")
        setup_errors = counts.errors - counts.collection_errors
        if counts.failed or setup_errors:
            steps.append(f"fix or mark {counts.failed} failed test(s) and {setup_errors} "
                         "setup/teardown error(s) listed above")
    if exit_code not in (0, 1) and not stopped:
        steps.append(f"pytest exited with {exit_code} ({EXIT_MEANINGS.get(exit_code, 'unknown')}):"
                     " read test-results.txt")
    if not steps:
        steps.append("none: the suite is green; keep it that way in CI")
    return steps


def counts_table(counts: PytestStats) -> str:
    head = "| " + " | ".join(_HEADER) + " |"
    rule = "| " + " | ".join("---:" for _ in _HEADER) + " |"
    row = "| " + " | ".join(str(counts.count(k)) for k in TABLE_KEYS) + " |"
    lines = [head, rule, row]
    extra = {**{k.replace("_", " "): counts.count(k) for k in
                ("subtests_passed", "subtests_failed", "subtests_skipped") if counts.count(k)},
             **counts.other_counts}
    if extra:
        lines += ["", "Also counted by pytest: " + ", ".join(f"{n} {k}" for k, n in
                                                               extra.items()) + "."]
    lines += ["", "`errors` is pytest's count: setup, teardown and collection errors; "
                  "`collection errors` is how many of them are collection errors."]
    return "\n".join(lines)


def render(template: str, counts: PytestStats | None, info: RunInfo, hints: list[str]) -> str:
    """The report. ``counts`` is None when pytest recorded nothing (it stopped before
    configuring: a usage error)."""
    stopped = info.stopped
    if counts is None or (stopped and info.exit_code in (3, 4)):
        # a usage or internal error: whatever pytest had counted is not a run of the suite
        counts = None
        section = (f"**pytest stopped before running the suite: {stopped or 'no result'}.**\n\n"
                   "No counts: the suite did not run.")
    elif stopped:
        section = (f"**pytest stopped early: {stopped}.** The counts below are what ran before "
                   "it stopped, not the suite.\n\n" + counts_table(counts))
    else:
        section = counts_table(counts)
    failing = [f"`{p.test}` ({p.when}): {p.reason or p.status}" for p in
               (counts.failing if counts else [])]
    broken = [f"`{p.test}`: {p.reason}" for p in (counts.broken_collection if counts else [])]
    causes = [f"{n} error{'s' if n != 1 else ''}: {cause}"
              for cause, n in (counts.errors_by_cause() if counts else [])]
    summary = (f"`{counts.summary}`" if counts is not None and counts.summary else
               "none (pytest printed no summary line)")
    if counts is None and stopped:
        collection_list = f"Not known: {stopped}."
    else:
        collection_list = _bullets(broken, "None.")
    values = {
        "date": info.date, "interpreter": info.interpreter,
        "interpreter_source": info.interpreter_source, "python_version": info.python_version,
        "pytest_version": info.pytest_version, "command": info.command,
        "exit_code": info.exit_code,
        "exit_meaning": EXIT_MEANINGS.get(info.exit_code, "unknown"),
        "summary_line": summary, "duration": f"{info.duration_s:.2f}",
        "junit": info.junit, "stats": info.stats, "counts_section": section,
        "errors_by_cause": _bullets(causes, "None."),
        "failing": _bullets(failing, "None."),
        "collection_error_list": collection_list,
        "next_steps": _bullets(next_steps(counts, info.exit_code, hints, stopped), ""),
    }
    return Template(template).substitute(values)


def counts_in_report(text: str) -> dict[str, int] | None:
    """The counts table of a rendered TEST_STATUS.md, or None when it has none."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if tuple(cells) == _HEADER and index + 2 < len(lines):
            row = [c.strip() for c in lines[index + 2].strip().strip("|").split("|")]
            if len(row) == len(TABLE_KEYS) and all(re.fullmatch(r"\d+", c) for c in row):
                return dict(zip(TABLE_KEYS, (int(c) for c in row)))
            return None
    return None
