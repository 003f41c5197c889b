"""week1.verify and week1.report: the week's checklist and its summary, measured not typed."""

from __future__ import annotations

from invoke import task

from ..engine import TaskSpec
from . import mask_seed


def _checklist(ctx):
    from ..weekly.checklist import checklist_items

    return checklist_items()


def _report_steps(ctx):
    from ..weekly.steps import WriteReport

    return [WriteReport(ctx.options["output"])]


VERIFY = TaskSpec("week1.verify", _checklist, mask_seed=mask_seed)
REPORT = TaskSpec("week1.report", _report_steps, mask_seed=mask_seed)


@task(help={"target": "the repository to check (default: invoke config maestro.target, "
                      "else the current folder)",
            "json": "print one JSON document instead of the human checklist",
            "python": "command that starts the target's Python for the test criteria (default: "
                      "the one the last week1.fix-tests run used, else fix-tests' own choice)",
            "no-cache": "prove every content-keyed check again, not reusing a proof recorded "
                        "for unchanged inputs in .maestro/proofs.json"})
def verify(c, target=None, json=False, python=None, no_cache=False):
    """Check the week-1 success criteria read-only, each with its evidence; exit 0 only if all met."""
    from ..engine.runner import run_task
    from .fix_tests import python_from_cwd

    # Read-only by construction: the checklist runs every task in check mode.
    run_task(c, VERIFY, target=target, check=True, json=json, no_cache=no_cache,
             options={"python": python_from_cwd(python)})


@task(help={"target": "the repository to report on (default: invoke config maestro.target, "
                      "else the current folder)",
            "output": "where to write the summary: any file path, relative to the current "
                      "folder or absolute (default: WEEK1_REPORT.md in the target)",
            "json": "print one JSON document (with the before/after numbers) instead of lines"})
def report(c, target=None, output=None, json=False):
    """Write the weekly summary with measured before -> after numbers."""
    from ..engine.runner import run_task

    run_task(c, REPORT, target=target, json=json, options={"output": output})


TASKS = [verify, report]
