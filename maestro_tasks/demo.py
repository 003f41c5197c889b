"""``invoke demo``: the whole week-1 run on a fresh copy of the bundled broken example."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from invoke import task

from .resources import EXAMPLE

MARKER = ".maestro-demo"
# Build outputs and installs are never copied: the demo starts from the example as committed.
_SKIP = shutil.ignore_patterns("node_modules", "dist", ".next", "out", ".maestro", "__pycache__",
                               ".pytest_cache", ".env", "TEST_STATUS.md", "test-results.txt")


def prepare_demo(path: Path) -> Path:
    """Copy the example to ``path`` (replacing only a previous demo) and make it a git repo."""
    return prepare(path)[0]


def prepare(path: Path) -> tuple[Path, bool]:
    """(the demo folder, whether a previous demo there was replaced)."""
    path = path.expanduser().resolve()
    replaced = path.exists()
    if path.exists():
        if not (path / MARKER).is_file():
            from .engine import UsageError

            raise UsageError(f"{path} exists and is not a previous demo (no {MARKER}); "
                             "choose another --path")
        shutil.rmtree(path)
    shutil.copytree(EXAMPLE, path, ignore=_SKIP, symlinks=True)
    (path / MARKER).write_text("created by `invoke demo`; safe to delete\n")
    git = ["git", "-c", "user.name=maestro-demo", "-c", "user.email=demo@maestro-tasks.invalid",
           "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"]
    subprocess.run(git + ["init", "-q"], cwd=path, check=True)
    subprocess.run(git + ["add", "-A"], cwd=path, check=True)
    subprocess.run(git + ["commit", "-q", "-m", "Maestro ML example, week 1 start"], cwd=path,
                   check=True)
    return path, replaced


def _summary_spec(target: Path, replaced: bool):
    from .engine.runner import TaskSpec
    from .week1 import mask_seed
    from .weekly.steps import WeekSummary

    where = _shell_path(target)
    commands = [f"invoke week1.verify --target {where}",
                f"invoke week1.report --target {where}"]
    note = f"replaced the previous demo at {where}" if replaced else ""
    data = {"replaced_previous_demo": replaced}
    return TaskSpec("demo.week", lambda ctx: [WeekSummary(commands, note, data)],
                    mask_seed=mask_seed), commands


def _shell_path(path: Path) -> str:
    import os
    import shlex

    try:
        rel = os.path.relpath(path)
    except ValueError:
        rel = str(path)
    return shlex.quote(rel if not rel.startswith("..") else str(path))


@task(help={"path": "folder for the demo copy (default ./maestro-demo; only a previous demo "
                    "is ever replaced)",
            "json": "print one JSON document instead of human lines"})
def demo(c, path="maestro-demo", json=False):
    """Run every week-1 task on a fresh copy of the bundled broken Maestro ML example."""
    from invoke.exceptions import Exit

    from .engine import MaestroError
    from .engine.runner import run_task
    from .week1 import pipeline_plan
    from .weekly.metrics import DOMAINS, baseline_probe

    try:
        target, replaced = prepare(Path(path))
    except MaestroError as exc:
        raise Exit(f"demo: error: {exc}", code=2) from None
    if not json:
        print(f"demo: {'replaced the previous demo; ' if replaced else ''}copied the example "
              f"to {target}")
    summary, commands = _summary_spec(target, replaced)
    # keep_going: a stack that cannot run here (no registry) still leaves the rest of the week
    # and its before -> after table to show.
    try:
        run_task(c, [*pipeline_plan(), (summary, {})], target=str(target), json=json,
                 name="demo", keep_going=True, baseline=baseline_probe(*DOMAINS))
    finally:
        if not json:
            print("next: " + "   ".join(commands))
