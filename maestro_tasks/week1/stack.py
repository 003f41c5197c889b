"""``week1.up`` / ``week1.down`` / ``week1.status``: the compose stack, proven healthy."""

from __future__ import annotations

from invoke import task

from ..engine.runner import TaskSpec
from ..weekly.metrics import baseline_probe
from . import mask_seed

_TARGET = ("the repository to work on (default: invoke config maestro.target, else the current "
           "directory)")
_JSON = "print one JSON document instead of human lines"
_ENGINE_RULE = """
    Engine: DOCKER_HOST, else DOCKER_CONTEXT / the current docker context, else the default
    socket. An engine chosen explicitly that does not answer is a failure (exit 1); with
    nothing chosen and no socket at the default path the steps are skipped with the reason.
    Settings ([tool.maestro-tasks] / invoke.yaml maestro:): compose_files, env_file,
    compose_project, ui_ports, compose_command."""


def _engine_rule(body):
    """Append the engine / settings rule to a task's help (its docstring)."""
    body.__doc__ = (body.__doc__ or "").rstrip() + "\n" + _ENGINE_RULE
    return body


def _up_steps(ctx):
    from ..stack.steps import up_steps

    return up_steps(ctx)


def _down_steps(ctx):
    from ..stack.steps import down_steps

    return down_steps(ctx)


def _status_steps(ctx):
    from ..stack.steps import status_steps

    return status_steps(ctx)


UP_SPEC = TaskSpec("week1.up", _up_steps, baseline=baseline_probe("stack"), mask_seed=mask_seed)
DOWN_SPEC = TaskSpec("week1.down", _down_steps, mask_seed=mask_seed)
STATUS_SPEC = TaskSpec("week1.status", _status_steps, mask_seed=mask_seed)


@task(
    iterable=["service"],
    help={
        "target": _TARGET,
        "build": "build images before starting (`up --build`); compose recreates only the "
                 "containers whose image changed; always reported as changed",
        "timeout": "seconds to wait for every service to be running and healthy (default 180)",
        "service": "start only this service and what it depends on; repeat for several",
        "check": "run the preflight and report the stack's state; start nothing; exit 1 if "
                 "`up` would change something or a criterion is unmet",
        "json": _JSON,
    },
)
@_engine_rule
def up(c, target=None, build=False, timeout=0, service=None, check=False, json=False):
    """Bring the docker-compose stack up and prove every service running and healthy.

    Preflight: engine reachable, Compose v2, every variable the compose files need set, host
    ports free (and clear of the ports the target's own UI apps use), images present, buildable
    or pullable (asked of the registry without pulling; an image that cannot be had fails the
    task, exit 1, naming it and why), a warning for data volumes
    older than the last secret change. Then `docker compose up -d --wait` unless every service
    already runs healthy with the current config (nothing is recreated), and a check of every
    service through the Docker SDK: running, healthy, no restart during the wait.
    """
    from ..engine.runner import run_task

    run_task(c, UP_SPEC, target=target, check=check, json=json,
             options={"build": build, "timeout": timeout, "services": list(service or [])})


@task(help={"target": _TARGET,
            "volumes": "also delete the stack's named volumes (their data is lost)",
            "json": _JSON})
@_engine_rule
def down(c, target=None, volumes=False, json=False):
    """Stop and remove the stack's containers and networks; volumes are kept unless --volumes.
    """
    from ..engine.runner import run_task

    run_task(c, DOWN_SPEC, target=target, json=json, options={"volumes": volumes})


@task(help={"target": _TARGET, "json": _JSON})
@_engine_rule
def status(c, target=None, json=False):
    """Show each service's state, health and ports (read-only).

    Restart counts too; exit 1 unless every service runs healthy.
    """
    from ..engine.runner import run_task

    run_task(c, STATUS_SPEC, target=target, check=True, json=json, options={"services": []})


TASKS = [up, down, status]
# What week1.all / demo run, and the options week1.verify checks the stack with.
CHECK_OPTIONS = {"build": False, "timeout": 0, "services": []}
PIPELINE = [(UP_SPEC, dict(CHECK_OPTIONS))]
