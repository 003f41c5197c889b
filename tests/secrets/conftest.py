"""Helpers for the fix-secrets tests: targets from compose text, in-process runs."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest



def git_init(path: Path) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid",
           "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"]
    subprocess.run(git + ["init", "-q"], cwd=path, check=True)
    subprocess.run(git + ["add", "-A"], cwd=path, check=True)
    subprocess.run(git + ["commit", "-q", "--allow-empty", "-m", "start"], cwd=path, check=True)


@pytest.fixture
def make_target(tmp_path: Path):
    """make_target({"docker-compose.yml": text|bytes, ...}, git=True, untracked={...}) → target.

    ``files`` are committed; ``untracked`` files are written after the commit."""
    counter = iter(range(1000))

    def make(files: dict[str, str | bytes], git: bool = True,
             untracked: dict[str, str | bytes] | None = None) -> Path:
        target = tmp_path / f"target{next(counter)}"
        target.mkdir()
        for rel, content in files.items():
            path = target / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
        if git:
            git_init(target)
        for rel, content in (untracked or {}).items():
            (target / rel).write_bytes(content if isinstance(content, bytes) else content.encode())
        return target

    return make


@pytest.fixture
def run_fix():
    """Run week1.fix-secrets in-process: (TaskResult, stdout text, stderr text)."""
    from maestro_tasks.engine import Context, Masker
    from maestro_tasks.engine.output import Reporter
    from maestro_tasks.engine.runner import run_steps
    from maestro_tasks.week1.fix_secrets import SPEC

    def run(target: Path, *, check: bool = False, as_json: bool = False, diff: bool = False,
            **options):
        out, err = io.StringIO(), io.StringIO()
        ctx = Context(target=target, check=check, json=as_json, diff=diff, masker=Masker())
        reporter = Reporter(ctx.masker, as_json=as_json, out=out, err=err)
        opts = {"compose_file": [], "env_file": None, "rotate": None, "show_secrets": False}
        opts.update(options)
        result = run_steps(ctx, [(SPEC, opts)], reporter)
        reporter.recap(result)
        return result, out.getvalue(), err.getvalue(), ctx

    return run
