"""``week1.fix-secrets``: hardcoded compose secrets → strong .env, rewritten compose files."""

from __future__ import annotations

from dataclasses import replace

from invoke import task

from ..engine.runner import TaskSpec
from ..weekly.metrics import baseline_probe
from . import mask_seed


def _steps(ctx):
    from ..secrets.steps import steps

    return steps(ctx)


SPEC = TaskSpec("week1.fix-secrets", _steps, baseline=baseline_probe("secrets"),
                mask_seed=mask_seed,
                diff_previews=True)


@task(
    name="fix-secrets",
    iterable=["compose_file"],
    optional=["rotate"],
    help={
        "target": "the repository to fix (default: invoke config maestro.target, else the "
                  "current directory)",
        "compose-file": "a compose file to fix, relative to the target; repeat for several "
                        "(default: the files compose loads: compose.yaml / docker-compose.yml "
                        "plus the override file)",
        "env-file": "the env file holding the secret values (default: setting env_file, "
                    "else .env)",
        "check": "change nothing; exit 1 if a change is pending or a criterion is unmet",
        "diff": "preview: print unified diffs of the planned changes, secret values masked, "
                "and write nothing",
        "json": "print one JSON document instead of human lines",
        "rotate": "replace existing values: VAR,VAR… or `all`; bare --rotate replaces the weak "
                  "ones (a data volume initialised with an old value keeps it)",
        "show-secrets": "print the secret values, only when stdout is a terminal",
        "no-cache": "prove every content-keyed check again, not reusing a proof recorded for "
                    "unchanged inputs in .maestro/proofs.json",
    },
)
def fix_secrets(c, target=None, compose_file=None, env_file=None, check=False, diff=False,
                json=False, rotate=None, show_secrets=False, no_cache=False):
    """Move hardcoded compose secrets into a strong, private, git-ignored .env.

    Every secret literal (secret-named keys, URL passwords, password flags, weak ${VAR:-x}
    defaults) becomes one variable; the compose files change only where a secret stood;
    .env keeps its lines and gains the missing values (never re-minted); .env.example and
    .gitignore follow. Verified with the real `docker compose config`.
    """
    from ..engine.runner import run_task

    run_task(c, SPEC, target=target, check=check, diff=diff, json=json, no_cache=no_cache,
             options={"compose_file": list(compose_file or []), "env_file": env_file,
                      "rotate": rotate, "show_secrets": show_secrets})


TASKS = [fix_secrets]
# In week1.all, --diff keeps its pipeline meaning (print the diffs while applying): the
# tasks after this one need what it writes.
PIPELINE = [(replace(SPEC, diff_previews=False), {"env_file": None})]
