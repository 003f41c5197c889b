"""The Step contract's value types: what a step plans, what it proves, how it ended.

Everything here is plain data. Domain packages build these; the runner and output modules
consume them. No I/O happens in this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Protocol

if TYPE_CHECKING:
    from .context import Context

# Step statuses, in the order the recap line prints them.
OK, CHANGED, SKIPPED, FAILED = "ok", "changed", "skipped", "failed"
STATUSES = (OK, CHANGED, SKIPPED, FAILED)


@dataclass
class Change:
    """One planned change: a file's new content, a deletion, or an external action.

    ``path`` is relative to the target (or a label such as ``ui/model-registry`` for an action).
    ``content`` is the complete new file content for ``action="write"``.
    ``secret`` marks content that holds secret values: the file and its backups are created 0600
    and diffs are masked. ``output`` marks a change that is the run's product (a report written on
    every run): it never counts as pending in ``--check`` and is exempt from the re-plan check.
    ``run`` performs an external action (``action="run"``); it receives the context.
    """

    path: str
    action: str
    summary: str
    content: bytes | None = None
    secret: bool = False
    output: bool = False
    run: Callable[[Context], None] | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "action": self.action, "summary": self.summary}


@dataclass
class Criterion:
    """One acceptance criterion. ``met`` is None when it could not be checked (skipped)."""

    name: str
    met: bool | None
    evidence: str

    @property
    def skipped(self) -> bool:
        return self.met is None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "met": self.met, "evidence": self.evidence}


class Step(Protocol):
    """What every step implements. See DESIGN.md §3."""

    name: str

    def plan(self, ctx: Context) -> list[Change]: ...

    def apply(self, ctx: Context, changes: list[Change]) -> None: ...

    def verify(self, ctx: Context) -> list[Criterion]: ...


class BaseStep:
    """Convenience base: file changes are applied through the engine, no criteria by default."""

    name = "step"

    def plan(self, ctx: Context) -> list[Change]:
        return []

    def apply(self, ctx: Context, changes: list[Change]) -> None:
        ctx.apply_changes(changes)

    def verify(self, ctx: Context) -> list[Criterion]:
        return []


@dataclass
class StepResult:
    name: str
    status: str
    summary: str
    changes: list[Change] = field(default_factory=list)
    criteria: list[Criterion] = field(default_factory=list)
    hint: str = ""
    details: list[str] = field(default_factory=list)  # extra human lines (tables, log tails)
    data: dict[str, Any] = field(default_factory=dict)  # step-specific numbers for JSON

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "name": self.name,
            "status": self.status,
            "summary": self.summary,
            "changes": [c.to_json() for c in self.changes],
            "criteria": [c.to_json() for c in self.criteria],
        }
        if self.hint:
            doc["hint"] = self.hint
        if self.data:
            doc["data"] = self.data
        if self.details:
            doc["details"] = self.details
        return doc


@dataclass
class TaskResult:
    task: str
    target: str
    mode: str
    steps: list[StepResult]
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        if any(s.status == FAILED for s in self.steps):
            return False
        if self.mode == "check" and self.pending:
            return False
        return True

    @property
    def pending(self) -> bool:
        """In check mode: some step would change something."""
        return any(s.status == CHANGED for s in self.steps)

    def counts(self) -> dict[str, int]:
        return {st: sum(1 for s in self.steps if s.status == st) for st in STATUSES}

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "target": self.target,
            "mode": self.mode,
            "steps": [s.to_json() for s in self.steps],
            "ok": self.ok,
            "duration_s": round(self.duration_s, 3),
        }


class MaestroError(Exception):
    """Base of the errors the runner turns into exit codes instead of tracebacks."""

    exit_code = 1


class InputError(MaestroError):
    """Unreadable or invalid input: exit 2, nothing written. Names the file and line."""

    exit_code = 2

    def __init__(self, path: str, message: str, line: int | None = None):
        self.path, self.line, self.message = str(path), line, message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


class UsageError(MaestroError):
    """Bad flags or arguments: exit 2."""

    exit_code = 2


class StepFailed(MaestroError):
    """A step cannot go on: reported as ``failed`` with a one-line reason and a hint."""

    def __init__(self, reason: str, hint: str = "", details: list[str] | None = None):
        self.reason, self.hint, self.details = reason, hint, details or []
        super().__init__(reason)


class StepSkipped(MaestroError):
    """A step does not apply here (no Docker engine, no UI apps): ``skipped`` with the reason."""

    exit_code = 0

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class NotApplicable(StepSkipped):
    """The target has nothing for a task (no tests, no compose file, no UI): skipped, and
    week1.verify skips that task's checklist items instead of counting them as unmet."""


class LockedError(MaestroError):
    """Another maestro-tasks run holds the target lock."""
