"""week1.fix-tests: pytest as the oracle — repair the config, clear caches, run, report."""

from __future__ import annotations

from invoke import task

from ..engine.runner import TaskSpec
from ..weekly.metrics import baseline_probe
from . import mask_seed


def _steps(ctx):
    from ..testing.presence import has_python_tests
    from ..testing.steps import check_inputs, fix_tests_steps

    check_inputs(ctx)
    if not has_python_tests(ctx.target):
        from ..weekly.steps import NothingToDo

        return [NothingToDo("tests", "no Python tests in the target (no test_*.py or "
                                     "*_test.py file, no python_files setting): nothing to run")]
    return fix_tests_steps(ctx)


SPEC = TaskSpec("week1.fix-tests", _steps, baseline=baseline_probe("testing"),
                mask_seed=mask_seed)


@task(name="fix-tests", help={
    "target": "repository to work on (default: invoke config maestro.target, else the current "
              "directory)",
    "python": "command that starts the target's Python, e.g. '.venv/bin/python' or 'poetry run "
              "python' (default: poetry > uv > .venv/bin/python > this interpreter)",
    "check": "change nothing (not even caches); exit 1 while a repair or cache clean is pending",
    "diff": "also print unified diffs of the config changes",
    "json": "print one JSON document (counts, findings, criteria) instead of human lines",
    "no-run": "repair and verify collection only; do not run the suite",
    "strict": "failing tests fail the task too (by default only collection errors do)",
    "pytest-args": "extra pytest arguments for the suite run, quoted as one string (-x, "
                   "--maxfail, --lf and the like are refused)",
    "no-cache": "prove every content-keyed check again, not reusing a proof recorded for "
                "unchanged inputs in .maestro/proofs.json",
})
def fix_tests(c, target=None, python=None, check=False, diff=False, json=False, no_run=False,
              strict=False, pytest_args="", no_cache=False):
    """Make the target's tests collect and run, and report them truthfully.

    Repairs the pytest config by search (collect-only runs in the target's interpreter), clears
    caches, smoke-imports the packages, runs the whole suite and writes TEST_STATUS.md and
    test-results.txt with pytest's own numbers. Failing tests fail the task only with --strict.
    """
    from ..engine.runner import run_task

    run_task(c, SPEC, target=target, check=check, diff=diff, json=json, no_cache=no_cache,
             options={"python": python_from_cwd(python), "no_run": no_run, "strict": strict,
                      "pytest_args": pytest_args})


def python_from_cwd(python: str | None) -> str | None:
    """A relative interpreter path on the command line means relative to the shell's current
    folder (as every other path argument does), not to the target the runs start in."""
    if not python:
        return python
    import os
    import shlex

    try:
        words = shlex.split(python)
    except ValueError:
        return python  # the engine reports the bad quoting as a usage error
    if words and os.sep in words[0] and not os.path.isabs(words[0]):
        words[0] = os.path.abspath(words[0])
        return shlex.join(words)
    return python


TASKS = [fix_tests]
PIPELINE = [(SPEC, {})]
# week1.verify proves the criteria read-only; stale caches are not one of them.
# It judges with the interpreter the last fix-tests run recorded, unless --python says otherwise.
CHECK_OPTIONS = {"caches": False, "recorded_python": True}
