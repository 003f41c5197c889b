"""week1.all (every task in order, one recap) and week1.ci-init (the target's CI workflow)."""

from __future__ import annotations

from invoke import task

from ..engine import TaskSpec
from . import mask_seed

DEFAULT_INSTALL = "maestro-tasks"


def _workflow_steps(ctx):
    from ..weekly.steps import WriteWorkflow

    return [WriteWorkflow(ctx.options["install"])]


CI_INIT = TaskSpec("week1.ci-init", _workflow_steps, mask_seed=mask_seed)


@task(name="all",
      help={"target": "the repository to work on (default: invoke config maestro.target, "
                      "else the current folder)",
            "keep_going": "run every task even after one failed (default: stop at the first)",
            "check": "run every task's check mode: write nothing, exit 1 if anything is pending",
            "diff": "also print unified diffs of file changes (secrets masked)",
            "json": "print one JSON document for the whole run",
            "no-cache": "prove every content-keyed check again, not reusing a proof recorded "
                        "for unchanged inputs in .maestro/proofs.json"})
def run_all(c, target=None, keep_going=False, check=False, diff=False, json=False,
            no_cache=False):
    """Run fix-tests, fix-secrets, build-uis and up in order, with one recap."""
    from ..engine.runner import run_task
    from . import pipeline_plan

    from ..weekly.metrics import DOMAINS, baseline_probe

    # Every domain at once, before the pipeline's first write (measured in parallel).
    run_task(c, pipeline_plan(), target=target, check=check, diff=diff, json=json,
             no_cache=no_cache, baseline=baseline_probe(*DOMAINS),
             name="week1.all", keep_going=keep_going)


@task(name="ci-init",
      help={"target": "the repository to write the workflow into (default: invoke config "
                      "maestro.target, else the current folder)",
            "install": "the pip requirement that installs maestro-tasks in CI "
                       f"(default {DEFAULT_INSTALL!r}; a git URL or path works too)",
            "check": "write nothing; exit 1 if the workflow is missing or out of date",
            "diff": "show the workflow change as a unified diff",
            "json": "print one JSON document instead of human lines"})
def ci_init(c, target=None, install=DEFAULT_INSTALL, check=False, diff=False, json=False):
    """Write a GitHub Actions workflow that runs fix-secrets --check and verify on every push."""
    from ..engine.runner import run_task

    run_task(c, CI_INIT, target=target, check=check, diff=diff, json=json,
             options={"install": install})


TASKS = [run_all, ci_init]
