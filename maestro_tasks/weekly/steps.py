"""Steps of the week-level tasks: the success checklist, the weekly report, the CI workflow."""

from __future__ import annotations

from typing import Any, Callable

from ..engine import (
    BaseStep, Change, Criterion, StepFailed, StepSkipped, TaskSpec, UsageError,
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
    ctx.check, ctx.options = True, dict(options)
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


class WriteReport(BaseStep):
    """Render the weekly summary into the target (a run output: regenerated every time)."""

    name = "report"

    def __init__(self, output: str):
        self.output = output

    def plan(self, ctx: Context) -> list[Change]:
        from .. import __version__
        from ..engine.state import utc_now_iso
        from ..resources import template

        from .metrics import measure
        from .report import render

        after = ctx.cache.get("report:after")
        if after is None:
            after = ctx.cache["report:after"] = measure(ctx.target, ctx.settings)
        state = ctx.state.read_state()
        before = state.get("baseline")
        text = render(template("WEEK1_REPORT.md"), before=before, after=after,
                      target_name=ctx.target.name, generated_at=utc_now_iso(),
                      version=__version__, issues=state.get("issues"))
        existing = ctx.read_bytes(self.output)
        if existing is not None and not existing.startswith(REPORT_HEADING):
            # A report is regenerated without a backup, so it must never land on another file
            # (`--output .env` would otherwise wipe the secrets).
            raise UsageError(f"--output {self.output} exists and is not a week-1 report; "
                             "refusing to overwrite it")
        if ctx.current is not None:
            ctx.current.data.update({"before": before, "after": after, "output": self.output,
                                     "issues": state.get("issues")})
            ctx.current.details.extend(
                line for line in text.splitlines() if line.startswith("| ") or line.startswith("- "))
        return [Change(self.output, "write", f"write {self.output}", text.encode(), output=True)]

    def verify(self, ctx: Context) -> list[Criterion]:
        if ctx.check:
            return []
        exists = ctx.path(self.output).is_file()
        return [Criterion("report written", exists, self.output)]


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
