"""pytest's own numbers of a run, as our plugin (``pytest_stats.py``) recorded them.

These are the counts of pytest's terminal summary line — the source of every number fix-tests
reports. The JUnit XML stays an artefact for CI tools; it cannot tell an xpass from a pass or a
test that failed and errored in teardown from two tests.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATS_NAME = "pytest-stats.json"  # under .maestro/
PLUGIN_MODULE = "maestro_pytest_stats"

# pytest's stats keys -> our count names, in the order of the TEST_STATUS.md table.
TABLE_KEYS = ("collected", "passed", "failed", "errors", "skipped", "xfailed", "xpassed",
              "deselected", "warnings", "collection_errors")
_STAT_KEYS = {"passed": "passed", "failed": "failed", "error": "errors", "skipped": "skipped",
              "xfailed": "xfailed", "xpassed": "xpassed", "deselected": "deselected",
              "warnings": "warnings", "subtests passed": "subtests_passed",
              "subtests failed": "subtests_failed", "subtests skipped": "subtests_skipped"}
SUBTEST_KEYS = ("subtests_passed", "subtests_failed", "subtests_skipped")
COUNT_KEYS = TABLE_KEYS + SUBTEST_KEYS

_NO_MODULE = re.compile(r"^(ModuleNotFoundError|ImportError): No module named '([^']+)'")


@dataclass
class Problem:
    test: str  # pytest's node id
    status: str  # failed | error | collection_error | subtest_failed | xpassed
    when: str  # setup | call | teardown | collect
    reason: str  # the exception line pytest reports


@dataclass
class PytestStats:
    exit_code: int | None = None
    pytest_version: str | None = None
    summary: str | None = None  # pytest's summary line without the duration
    counts_by_key: dict[str, int] = field(default_factory=dict)  # pytest's stats keys
    collected: int = 0
    collection_errors: int = 0
    problems: list[Problem] = field(default_factory=list)
    stopped: str | None = None  # session.shouldstop / shouldfail message
    internal_error: str | None = None
    interrupted: str | None = None

    def count(self, name: str) -> int:
        if name == "collected":
            return self.collected
        if name == "collection_errors":
            return self.collection_errors
        for key, ours in _STAT_KEYS.items():
            if ours == name:
                return self.counts_by_key.get(key, 0)
        raise KeyError(name)

    def __getattr__(self, name: str) -> int:
        if name in COUNT_KEYS:
            return self.count(name)
        raise AttributeError(name)

    def counts(self) -> dict[str, int]:
        """Every count by our key names (subtests included: zero when there were none)."""
        return {k: self.count(k) for k in COUNT_KEYS}

    def table_counts(self) -> dict[str, int]:
        return {k: self.count(k) for k in TABLE_KEYS}

    @property
    def other_counts(self) -> dict[str, int]:
        """Outcomes of third-party plugins (``rerun``, …) pytest shows in its summary too."""
        return {k: v for k, v in self.counts_by_key.items() if k not in _STAT_KEYS}

    @property
    def failing(self) -> list[Problem]:
        return [p for p in self.problems if p.status in ("failed", "error", "subtest_failed")]

    @property
    def broken_collection(self) -> list[Problem]:
        return [p for p in self.problems if p.status == "collection_error"]

    def errors_by_cause(self) -> list[tuple[str, int]]:
        """pytest's errors (setup, teardown, collection) grouped by root cause, most first."""
        causes: dict[str, int] = {}
        for problem in self.problems:
            if problem.status in ("error", "collection_error"):
                cause = root_cause(problem.reason)
                causes[cause] = causes.get(cause, 0) + 1
        return sorted(causes.items(), key=lambda item: (-item[1], item[0]))


def root_cause(message: str) -> str:
    """One line naming the cause: ``ModuleNotFoundError: greenlet`` for a missing module,
    the exception line otherwise."""
    line = next((ln.strip() for ln in (message or "").splitlines() if ln.strip()), "")
    match = _NO_MODULE.match(line)
    if match:
        return f"{match.group(1)}: {match.group(2)}"
    return line[:157] + "…" if len(line) > 160 else (line or "no message")


def _status(item: dict[str, Any]) -> str:
    key, when = item.get("key"), item.get("when")
    if key == "error":
        return "collection_error" if when == "collect" else "error"
    if key == "subtests failed":
        return "subtest_failed"
    return str(key)


def load(path: Path) -> PytestStats:
    """Read the plugin's JSON; raises ValueError when it is unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{Path(path).name}: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{Path(path).name}: not a JSON object")
    counts = {str(k): int(v) for k, v in (data.get("counts") or {}).items()}
    problems = [Problem(str(p.get("nodeid") or ""), _status(p), str(p.get("when") or ""),
                        str(p.get("message") or ""))
                for p in data.get("problems") or [] if isinstance(p, dict)]
    return PytestStats(
        exit_code=data.get("exitstatus"), pytest_version=data.get("pytest"),
        summary=data.get("summary"), counts_by_key=counts,
        collected=int(data.get("collected") or 0),
        collection_errors=int(data.get("collection_errors") or 0), problems=problems,
        stopped=data.get("stopped"), internal_error=data.get("internal_error"),
        interrupted=data.get("interrupted"))


def plugin_source() -> str:
    return (Path(__file__).parent / "pytest_stats.py").read_text(encoding="utf-8")


# ---- pytest's own output, for what happens before the plugin can record anything ----------

_SUMMARY_LINE = re.compile(
    r"^=*\s*((?:\d+ [a-z][a-z ]*?)(?:, \d+ [a-z][a-z ]*?)*|no tests ran) in [\d.]+s"
    r"(?: \([^)]*\))?\s*=*$")


def summary_counts(output: str) -> dict[str, int] | None:
    """The counts of pytest's last summary line in ``output`` (``1 failed, 2 passed, 1 error
    in 0.12s``), by our key names; None when there is no such line. Used as the oracle in
    tests and as a cross-check."""
    for line in reversed(output.splitlines()):
        match = _SUMMARY_LINE.match(line.strip())
        if not match:
            continue
        counts: dict[str, int] = {}
        if match.group(1) == "no tests ran":
            return counts
        for part in match.group(1).split(", "):
            number, _, word = part.partition(" ")
            key = {"error": "errors", "errors": "errors", "warning": "warnings",
                   "warnings": "warnings"}.get(word, word)
            key = _STAT_KEYS.get(key, key)
            counts[key] = counts.get(key, 0) + int(number)
        return counts
    return None


def stop_message(output: str) -> str | None:
    """pytest's own words when it stopped before or during the run: a usage error
    (``ERROR: ...``), an internal error's last line, or the ``Interrupted`` banner."""
    lines = output.splitlines()
    usage = [ln[len("ERROR: "):].strip() for ln in lines
             if ln.startswith("ERROR: ") and not ln.startswith("ERROR: usage:")]
    # argparse's own line: "<prog>: error: unrecognized arguments: --x"
    usage += [m.group(1) for m in (re.match(r"^\S[^:]*: error: (.*)$", ln) for ln in lines) if m]
    if usage:
        return "; ".join(usage)[:500]
    internal = [ln for ln in lines if ln.startswith("INTERNALERROR>")]
    if internal:
        return internal[-1][len("INTERNALERROR>"):].strip()[:500] or "internal error"
    for line in reversed(lines):
        stripped = line.strip().strip("!").strip()
        if stripped.startswith(("Interrupted:", "KeyboardInterrupt", "_pytest.outcomes.Exit")):
            return stripped[:500]
    return None
