"""Counts from a JUnit XML file (pytest's ``--junitxml``): the only source of test numbers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

COUNT_KEYS = ("collected", "passed", "failed", "errors", "collection_errors", "skipped",
              "xfailed")


@dataclass
class Outcome:
    test: str  # node id rebuilt from file / classname / name
    status: str  # passed | failed | error | collection_error | skipped | xfailed
    reason: str = ""


@dataclass
class JUnitCounts:
    collected: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0  # errors in setup/teardown of collected tests
    collection_errors: int = 0
    skipped: int = 0
    xfailed: int = 0
    duration_s: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in COUNT_KEYS}

    @property
    def failing(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in ("failed", "error")]

    @property
    def broken_collection(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "collection_error"]


def one_line(text: str | None, limit: int = 160) -> str:
    line = next((ln.strip() for ln in (text or "").splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[:limit - 1] + "…"


def last_error_line(text: str | None) -> str:
    """The ``E   ...`` line pytest ends a traceback with (the exception itself)."""
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    for line in reversed(lines):
        if line.startswith("E "):
            return one_line(line[1:].strip())
    return one_line(lines[-1]) if lines else "collection failure"


def _node_id(case: ET.Element) -> str:
    classname = case.get("classname", "")
    name = case.get("name", "")
    file = case.get("file")
    if file and not classname:
        return file  # a collection error: the module itself
    if file:
        module = file[:-3].replace("/", ".") if file.endswith(".py") else file
        inner = classname[len(module) + 1:] if classname.startswith(module + ".") else ""
        parts = [file, *([p for p in inner.split(".") if p]), name]
        return "::".join(parts)
    return f"{classname}::{name}" if classname else name


def parse(path: Path) -> JUnitCounts:
    """Counts and one outcome per test case; raises ValueError on unreadable XML."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise ValueError(f"{path.name}: {exc}") from None
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    result = JUnitCounts()
    for suite in suites:
        try:
            result.duration_s += float(suite.get("time", "0") or 0)
        except ValueError:
            pass
        for case in suite.iter("testcase"):
            failure = case.find("failure")
            error = case.find("error")
            skipped = case.find("skipped")
            test = _node_id(case)
            if error is not None and (error.get("message") or "").startswith("collection failure"):
                result.collection_errors += 1
                result.outcomes.append(Outcome(test, "collection_error",
                                               last_error_line(error.text)))
                continue
            result.collected += 1
            if failure is not None:
                result.failed += 1
                outcome = Outcome(test, "failed", one_line(failure.get("message"))
                                  or one_line(failure.text))
            elif error is not None:
                result.errors += 1
                outcome = Outcome(test, "error", one_line(error.get("message"))
                                  or one_line(error.text))
            elif skipped is not None and skipped.get("type") == "pytest.xfail":
                result.xfailed += 1
                outcome = Outcome(test, "xfailed", one_line(skipped.get("message")))
            elif skipped is not None:
                result.skipped += 1
                outcome = Outcome(test, "skipped", one_line(skipped.get("message")))
            else:
                result.passed += 1
                outcome = Outcome(test, "passed")
            result.outcomes.append(outcome)
    return result
