"""``week1.issues``: CRITICAL_ISSUES.md → tracked GitHub issues, idempotently.

Not part of week1.all or demo: it needs a token and the network, which a local run may lack.
"""

from __future__ import annotations

from invoke import task

from ..engine.runner import TaskSpec
from . import mask_seed


def _steps(ctx):
    from ..tracker.steps import SyncIssues

    return [SyncIssues()]


SPEC = TaskSpec("week1.issues", _steps, mask_seed=mask_seed)


@task(help={
    "target": "the repository whose CRITICAL_ISSUES.md is tracked (default: invoke config "
              "maestro.target, else the current directory)",
    "source": "the issues file, relative to the target (default CRITICAL_ISSUES.md, or the "
              "issues_source setting)",
    "repo": "the GitHub repository, owner/name (default: the issues_repo setting, else the "
            "target's git remote origin)",
    "check": "only list what would be created or updated (read requests only); exit 1 if "
             "anything is pending",
    "diff": "also show the issue bodies that would be created or changed",
    "json": "print one JSON document instead of human lines",
})
def issues(c, target=None, source=None, repo=None, check=False, diff=False, json=False):
    """Create and update one GitHub issue per entry of CRITICAL_ISSUES.md; never close one.

    Each entry (### Issue #N: Title) becomes an issue with its sections and acceptance
    checklist, priority / severity / area labels, the "Week 1" milestone, and the login that
    the owners setting gives its role. A hidden marker in the body finds the issue again, so
    reruns create nothing twice. Token: GH_TOKEN, GITHUB_TOKEN, else `gh auth token`; API:
    GITHUB_API_URL (default https://api.github.com).
    """
    from ..engine.runner import run_task

    run_task(c, SPEC, target=target, check=check, diff=diff, json=json,
             options={"source": source, "repo": repo})


TASKS = [issues]
