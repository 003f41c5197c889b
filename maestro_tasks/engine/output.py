"""Human and JSON output. Everything printed passes through the run's Masker."""

from __future__ import annotations

import difflib
import json
import os
import sys
from typing import TextIO

from .masking import Masker
from .model import CHANGED, FAILED, OK, SKIPPED, Change, StepResult, TaskResult

_COLORS = {OK: "32", CHANGED: "33", SKIPPED: "36", FAILED: "31"}
_WIDTH = max(len(s) for s in _COLORS)


def use_color(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def interactive(stream: TextIO) -> bool:
    return stream.isatty() and not os.environ.get("CI")


def unified_diff(change: Change, old: bytes | None, masker: Masker) -> str:
    """A masked unified diff of one file change."""
    old_text = (old or b"").decode("utf-8", "replace")
    new_text = (change.content or b"").decode("utf-8", "replace")
    lines = difflib.unified_diff(
        old_text.splitlines(keepends=True),
        new_text.splitlines(keepends=True),
        fromfile=f"a/{change.path}" if old is not None else "/dev/null",
        tofile=f"b/{change.path}",
    )
    text = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)
    return masker(text)


class Reporter:
    """Streams one line per step (human) or collects everything for one JSON document."""

    def __init__(self, masker: Masker, as_json: bool, out: TextIO | None = None,
                 err: TextIO | None = None):
        self.masker = masker
        self.as_json = as_json
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.color = use_color(self.out)
        self._progress_shown = False

    def _print(self, text: str, stream: TextIO | None = None) -> None:
        print(self.masker(text), file=stream or self.out, flush=True)

    def _print_json(self, doc: object, indent: int | None = 2) -> None:
        """One JSON document, masked per string value (keys are names, never rewritten) and
        not masked again as text: a second pass over the dumped text could cut into
        escapes and names."""
        print(json.dumps(self.masker.deep(doc), indent=indent), file=self.out, flush=True)

    def progress(self, name: str) -> None:
        """A transient 'running' line on an interactive terminal; nothing in CI or JSON mode."""
        if self.as_json or not interactive(self.err):
            return
        self.err.write(f"\r\033[K  … {name}")
        self.err.flush()
        self._progress_shown = True

    def _clear_progress(self) -> None:
        if self._progress_shown:
            self.err.write("\r\033[K")
            self.err.flush()
            self._progress_shown = False

    def status_word(self, status: str) -> str:
        word = status.ljust(_WIDTH)
        return f"\033[{_COLORS[status]}m{word}\033[0m" if self.color else word

    def step(self, result: StepResult, diffs: list[str] | None = None) -> None:
        self._clear_progress()
        if self.as_json:
            return
        self._print(f"{self.status_word(result.status)}  {result.name}: {result.summary}")
        if result.hint:
            self._print(f"{'':{_WIDTH}}  hint: {result.hint}")
        for line in result.details:
            self._print(f"{'':{_WIDTH}}  {line}")
        for crit in result.criteria:
            mark = "-" if crit.met is None else ("✓" if crit.met else "✗")
            self._print(f"{'':{_WIDTH}}  {mark} {crit.name}: {crit.evidence}")
        for diff in diffs or []:
            self._print(diff.rstrip("\n"))

    def recap(self, result: TaskResult) -> None:
        self._clear_progress()
        if self.as_json:
            self._print_json(result.to_json())
            return
        counts = result.counts()
        line = f"{result.task}: " + ", ".join(f"{counts[s]} {s}" for s in (OK, CHANGED, SKIPPED, FAILED))
        if result.mode == "check" and result.pending:
            line += " (check: changes pending, nothing written)"
        self._print(line)

    def error(self, task: str, message: str) -> None:
        """A user-facing error line (exit 2 / locked / write failure): never a traceback."""
        self._clear_progress()
        self._print(f"{task}: error: {message}", self.err)
        if self.as_json:
            self._print_json({"task": task, "ok": False, "error": message}, indent=None)
