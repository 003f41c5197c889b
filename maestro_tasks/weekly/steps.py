"""Steps of the week-level tasks: the success checklist, the weekly report, the CI workflow."""

from __future__ import annotations

import os
from typing import Any, Callable

from ..engine import (
    BaseStep, Change, Criterion, NotApplicable, StepFailed, StepSkipped, TaskSpec, UsageError,
)
from ..engine.context import Context


def task_criteria(ctx: Context, spec: TaskSpec, options: dict[str, Any]) -> list[Criterion]:
    """A task's own acceptance criteria, proven read-only: its steps' check-mode plan + verify.

    A pending change is itself an unmet criterion; a step that cannot check here (no engine)
    becomes an unmet criterion that says why, because a checklist item is met or it is not.
    Results are cached per task for the run, since one task can feed several checklist items.
    """
    key = f"checklist:{spec.name}"
    if key in ctx.cache:
        return ctx.cache[key]
    saved = (ctx.check, ctx.options)
    # The checklist's own --python (week1.verify) reaches the task it checks.
    passed = {"python": ctx.options["python"]} if ctx.options.get("python") else {}
    ctx.check, ctx.options = True, {**dict(options), **passed}
    criteria: list[Criterion] = []
    try:
        steps = list(spec.steps(ctx))
        for step in steps:
            prepare = getattr(step, "prepare", None)
            if prepare is not None:
                prepare(ctx)
        for step in steps:
            try:
                pending = [c for c in step.plan(ctx) if not c.output]
                if pending:
                    criteria.append(Criterion(
                        f"{step.name}: nothing pending", False,
                        f"{len(pending)} change(s) pending: " + "; ".join(c.summary for c in pending[:3])))
                for crit in step.verify(ctx):
                    if crit.met is None:
                        crit = Criterion(crit.name, False, f"not checked: {crit.evidence}")
                    criteria.append(crit)
            except NotApplicable:
                raise
            except StepSkipped as exc:
                criteria.append(Criterion(step.name, False, f"not checked: {exc.reason}"))
            except StepFailed as exc:
                criteria.append(Criterion(step.name, False, exc.reason))
    finally:
        ctx.check, ctx.options = saved
    ctx.cache[key] = criteria
    return criteria


class ChecklistItem(BaseStep):
    """One week-1 success criterion as a read-only step whose criteria are its evidence."""

    def __init__(self, name: str, spec_of: Callable[[], tuple[TaskSpec, dict[str, Any]]],
                 select: Callable[[Criterion], bool] = lambda c: True):
        self.name = name
        self._spec_of = spec_of
        self._select = select

    def verify(self, ctx: Context) -> list[Criterion]:
        spec, options = self._spec_of()
        chosen = [c for c in task_criteria(ctx, spec, options) if self._select(c)]
        met = sum(1 for c in chosen if c.met)
        if ctx.current is not None:
            ctx.current.summary = f"{met}/{len(chosen)} criteria met (via {spec.name} --check)"
        return chosen


REPORT_HEADING = b"# Week 1 Summary"
DEFAULT_REPORT = "WEEK1_REPORT.md"


def _same_report(a: bytes, b: bytes) -> bool:
    """Equal but for the "Generated <time>" line: a rerun on unchanged numbers writes nothing."""
    def strip(text: bytes) -> list[bytes]:
        return [ln for ln in text.splitlines() if not ln.startswith(b"Generated ")]

    return strip(a) == strip(b)


class WriteReport(BaseStep):
    """Render the weekly summary; ``changed`` when the file is new or its content differs.

    ``output``: None -> WEEK1_REPORT.md in the target; else any path the user names, relative
    to the current folder or absolute. The text is masked like every output.
    """

    name = "report"

    def __init__(self, output: str | None):
        from pathlib import Path

        self.output = output
        self._path: Path | None = None

    def path(self, ctx: Context):
        from pathlib import Path

        if self._path is None:
            if self.output in (None, ""):
                self._path = ctx.path(DEFAULT_REPORT)
            else:
                self._path = Path(os.path.abspath(Path(str(self.output)).expanduser()))
        return self._path

    def shown(self, ctx: Context) -> str:
        """The path as the user reads it: relative to the target when inside it."""
        path = self.path(ctx)
        try:
            return path.relative_to(ctx.target).as_posix()
        except ValueError:
            return str(path)

    def _render(self, ctx: Context) -> tuple[str, dict[str, Any] | None, dict[str, Any]]:
        cached = ctx.cache.get("report:rendered")
        if cached is not None:
            return cached
        from .. import __version__
        from ..engine.state import utc_now_iso
        from ..resources import template

        from .metrics import report_numbers
        from .report import render

        state = ctx.state.read_state()
        after = report_numbers(ctx.target, ctx.settings, state)
        before = state.get("baseline")
        issues = state.get("issues")
        source = ctx.settings.get("issues_source") or "CRITICAL_ISSUES.md"
        if not issues and ctx.read_bytes(source) is None:
            issues = {"absent": source}
        text = ctx.masker(render(template("WEEK1_REPORT.md"), before=before, after=after,
                                 target_name=ctx.target.name, generated_at=utc_now_iso(),
                                 version=__version__, issues=issues))
        ctx.cache["report:rendered"] = (text, before, after)
        return text, before, after

    def _existing(self, ctx: Context) -> bytes | None:
        path = self.path(ctx)
        if path.is_dir():
            raise UsageError(f"--output {self.shown(ctx)} is a folder; name a file")
        try:
            existing = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise UsageError(f"--output {self.shown(ctx)}: cannot read it ({exc.strerror})"
                             ) from None
        if not existing.startswith(REPORT_HEADING):
            # A report is regenerated without a backup, so it must never land on another file
            # (`--output .env` would otherwise wipe the secrets).
            raise UsageError(f"--output {self.shown(ctx)} exists and is not a week-1 report; "
                             "refusing to overwrite it")
        return existing

    def plan(self, ctx: Context) -> list[Change]:
        # Pure: the rendered text is cached, so the runner's re-plan adds nothing to the output.
        text, _, _ = self._render(ctx)
        existing = self._existing(ctx)
        if existing is not None and _same_report(existing, text.encode()):
            return []
        what = "write" if existing is None else "update"
        return [Change(self.shown(ctx), "write", f"{what} {self.shown(ctx)}", text.encode())]

    def apply(self, ctx: Context, changes: list[Change]) -> None:
        from ..engine.fsio import atomic_write

        text, _, _ = self._render(ctx)
        path = self.path(ctx)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, ctx.masker(text).encode())

    def verify(self, ctx: Context) -> list[Criterion]:
        text, before, after = self._render(ctx)
        if ctx.current is not None:
            ctx.current.data.update({"before": before, "after": after, "output": self.shown(ctx),
                                     "issues": ctx.state.read_state().get("issues")})
            ctx.current.details.extend(
                line for line in text.splitlines() if line.startswith(("| ", "- ", "  - ")))
        if ctx.check:
            return []
        existing = self._existing(ctx)
        ok = existing is not None and _same_report(existing, text.encode())
        return [Criterion("report written", ok, self.shown(ctx))]


class NothingToDo(BaseStep):
    """The one step of a task whose target has nothing for it: skipped with the reason."""

    def __init__(self, name: str, reason: str):
        self.name = name
        self.reason = reason

    def plan(self, ctx: Context) -> list[Change]:
        raise NotApplicable(self.reason)

    def verify(self, ctx: Context) -> list[Criterion]:
        raise NotApplicable(self.reason)


class WeekSummary(BaseStep):
    """Read-only: the week's before -> after table (the report's numbers) and what to run next.
    ``note``: a line that leads the details (e.g. the demo replaced a previous copy)."""

    name = "before-after"

    def __init__(self, next_commands: list[str], note: str = "",
                 data: dict[str, Any] | None = None):
        self.next_commands = next_commands
        self.note = note
        self.data = data or {}

    def verify(self, ctx: Context) -> list[Criterion]:
        from .metrics import report_numbers
        from .report import ROWS, SECRETS_LABEL, _scope

        state = ctx.state.read_state()
        before = state.get("baseline") or {}
        after = report_numbers(ctx.target, ctx.settings, state)
        assert ctx.current is not None
        scope = _scope(after)
        width = max(len(label) for label, _ in ROWS) + len(scope) + 3
        lines = [self.note] if self.note else []
        lines.append(f"{'week 1':<{width}}  {'before':>10}  →  after")
        for label, show in ROWS:
            label = f"{label} ({scope})" if label == SECRETS_LABEL else label
            lines.append(f"{label:<{width}}  {show(before):>10}  →  {show(after)}")
        ctx.current.details.extend(lines)
        ctx.current.data.update(before=before or None, after=after, next=self.next_commands,
                                **self.data)
        ctx.current.summary = (f"baseline of {before.get('measured_at', 'unknown')} → now "
                               f"(tests from {after.get('tests_source')})")
        return []


class WriteWorkflow(BaseStep):
    """The target's CI workflow: fix-secrets and the checklist on every push."""

    name = "ci-workflow"
    path = ".github/workflows/maestro-week1.yml"

    def __init__(self, install: str):
        self.install = install

    def _content(self) -> bytes:
        from string import Template

        from ..resources import template

        return Template(template("github-workflow.yml")).substitute(install=self.install).encode()

    def plan(self, ctx: Context) -> list[Change]:
        content = self._content()
        if ctx.read_bytes(self.path) == content:
            return []
        return [Change(self.path, "write", f"write {self.path}", content)]

    def verify(self, ctx: Context) -> list[Criterion]:
        current = ctx.read_bytes(self.path)
        if current is None:
            return [Criterion("workflow present", False, f"{self.path} missing")]
        try:
            from ruamel.yaml import YAML

            doc = YAML(typ="safe").load(current)
        except Exception as exc:  # noqa: BLE001 - any parse error means the file is unusable
            raise StepFailed(f"{self.path} is not valid YAML: {exc}") from None
        jobs = doc.get("jobs") if isinstance(doc, dict) else None
        job = jobs.get("week1") if isinstance(jobs, dict) else None
        steps = job.get("steps") if isinstance(job, dict) else None
        if not isinstance(steps, list):
            return [Criterion("workflow present and valid", False,
                              f"{self.path} has no jobs.week1.steps list; rerun week1.ci-init")]
        runs = [s["run"] for s in steps if isinstance(s, dict) and "run" in s]
        return [Criterion("workflow present and valid", True,
                          f"{self.path}: {len(runs)} run steps")]
