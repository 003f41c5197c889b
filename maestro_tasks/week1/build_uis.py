"""``week1.build-uis``: install, build, cache and prove the target's UI apps serve."""

from __future__ import annotations

from invoke import task

from ..engine.runner import TaskSpec
from ..weekly.metrics import baseline_probe
from . import mask_seed


def _steps(ctx):
    from ..ui.steps import build_uis_steps

    return build_uis_steps(ctx)


SPEC = TaskSpec("week1.build-uis", _steps, baseline=baseline_probe("ui"), mask_seed=mask_seed)


@task(
    iterable=["app"],
    help={
        "target": "the repository to work on (default: invoke config maestro.target, else the "
                  "current directory)",
        "app": "build only this app (folder name such as model-registry, or path ui/x); "
               "repeat for several",
        "force": "rebuild (and reinstall) even when inputs and output match the cache",
        "jobs": "how many apps build at once (default: min(apps, CPU cores))",
        "no-serve-check": "do not serve the apps to prove they answer (the criteria are then "
                          "reported as skipped)",
        "check": "only report what would be built and check the criteria; write nothing; "
                 "exit 1 if a build is pending",
        "json": "print one JSON document instead of human lines",
        "no-cache": "prove every content-keyed check again, not reusing a proof recorded for "
                    "unchanged inputs in .maestro/proofs.json",
    },
)
def build_uis(c, target=None, app=None, force=False, jobs=0, no_serve_check=False, check=False,
              json=False, no_cache=False):
    """Install and build the UI apps whose inputs changed, then prove each one serves.

    Apps are ui/*/ folders with a build script plus the ui_apps setting. Installs follow the
    lockfile (npm ci, yarn, pnpm); an app is skipped when its inputs and output match the last
    build (.maestro/ui-cache.json). Each app is then served on loopback: GET / must answer 200
    with HTML and, where Chromium is installed, the page must render its root element.
    """
    from ..engine.runner import run_task

    run_task(c, SPEC, target=target, check=check, json=json, no_cache=no_cache,
             options={"apps": list(app or []), "force": force, "jobs": jobs,
                      "serve_check": not no_serve_check})


TASKS = [build_uis]
PIPELINE = [(SPEC, {"apps": [], "force": False, "jobs": 0, "serve_check": True})]
