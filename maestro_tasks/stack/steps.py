"""Steps for week1.up / down / status: the stack domain adapted to the engine's Step contract.

Options (ctx.options): build, timeout, services (up); volumes (down).
Settings (ctx.settings): compose_files, env_file, compose_project, ui_ports, compose_command.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ..compose import cli as compose_mod
from ..compose.files import discover_files, interpolation_env_file
from ..compose.interp import required_variables
from ..engine import BaseStep, Change, Context, Criterion, InputError, StepFailed, StepSkipped
from ..engine.model import NotApplicable, UsageError
from ..engine.target import split_command
from . import health, preflight
from .engine import EngineUnavailable, connect, resolve_endpoint

DEFAULT_TIMEOUT_S = 180
CACHE_KEY = "stack"


@dataclass
class Stack:
    """Everything one run learns about the target's compose project, loaded once."""

    files: list[str]
    project: compose_mod.Project | None = None
    raw_model: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    env_values: dict[str, str | None] = field(default_factory=dict)
    env_rel: str = ".env"  # the env file compose interpolates from (compose.files)
    compose_problem: tuple[str, str] | None = None  # (reason, hint) when Compose v2 is missing
    client: Any = None
    engine_label: str = ""
    blocked: str | None = None  # preflight's failure: later steps skip with this reason
    restarts_before: dict[str, int] | None = None
    built: bool = False
    loaded_for: Any = None  # the task's options dict it was loaded for (identity)

    @property
    def name(self) -> str:
        return str(self.model.get("name") or self.raw_model.get("name") or "")

    def services(self, selected: list[str] | None = None) -> list[str]:
        """Selected services plus everything they depend on (all services when none selected)."""
        every = sorted((self.model.get("services") or self.raw_model.get("services") or {}))
        if not selected:
            return every
        wanted, todo = set(), list(selected)
        while todo:
            name = todo.pop()
            if name in wanted:
                continue
            wanted.add(name)
            depends = ((self.model.get("services") or {}).get(name) or {}).get("depends_on")
            todo.extend(depends or [])
        return [s for s in every if s in wanted]


def _settings_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def load_stack(ctx: Context, resolve: bool = True) -> Stack:
    """Parse the compose project (no engine needed). Invalid compose files -> InputError."""
    files = discover_files(ctx.target, _settings_list(ctx.settings.get("compose_files"))
                           or None)
    stack = Stack(files=files, loaded_for=ctx.options)
    ctx.cache[CACHE_KEY] = stack
    if not files and not os.environ.get("COMPOSE_FILE"):
        return stack
    for rel in files:
        if not ctx.path(rel).is_file():
            raise InputError(rel, "compose file not found")
    command = ctx.settings.get("compose_command")
    try:
        cli = compose_mod.find_compose(
            command=split_command(command, "setting compose_command")
            if isinstance(command, str) else command)
    except compose_mod.ComposeUnavailable as exc:
        stack.compose_problem = (str(exc), exc.hint)
        return stack
    env_file = ctx.settings.get("env_file")
    project = compose_mod.Project(cli, ctx.target, files, env_file=env_file,
                                  name=ctx.settings.get("compose_project"))
    stack.project = project
    env_rel = stack.env_rel = interpolation_env_file(files, env_file)
    stack.env_values = preflight.read_env_file(env_rel, ctx.read_bytes(env_rel))
    ctx.masker.add(*preflight.secret_values({}, stack.env_values))
    try:
        stack.raw_model = project.model(interpolate=False)
    except compose_mod.ComposeError as exc:
        raise InputError(files[0] if files else "COMPOSE_FILE",
                         f"docker compose cannot read it: {ctx.masker(str(exc))}") from None
    unset, _ = preflight.unset_variables(stack.raw_model, stack.env_values, os.environ)
    if not unset:
        try:
            stack.model = project.model(interpolate=True)
        except compose_mod.ComposeError as exc:
            # Only `up` needs the resolved model; down / status work from the raw one.
            if resolve:
                raise InputError(files[0] if files else "COMPOSE_FILE",
                                 f"docker compose cannot resolve it: {ctx.masker(str(exc))}"
                                 ) from None
        ctx.masker.add(*preflight.secret_values(stack.model, stack.env_values))
    selected = list(ctx.options.get("services") or [])
    known = set((stack.model or stack.raw_model).get("services") or {})
    unknown = [s for s in selected if s not in known]
    if unknown:
        raise UsageError(f"unknown service(s) {', '.join(unknown)}; the compose project has "
                         f"{', '.join(sorted(known)) or 'none'}")
    return stack


def require_stack(ctx: Context, *, need_model: bool = True) -> Stack:
    """The loaded stack with a reachable engine; skips or fails with the reason otherwise."""
    stack: Stack = ctx.cache.get(CACHE_KEY) or load_stack(ctx)
    if stack.blocked:
        raise StepSkipped(f"not attempted: {stack.blocked}")
    if not stack.files and stack.project is None:
        raise NotApplicable("no compose file in the target (compose.yaml / docker-compose.yml; "
                          "or set compose_files)")
    if stack.client is None:
        try:
            stack.client = connect()
        except EngineUnavailable as exc:
            if exc.skippable:  # every step skips with this same reason
                raise StepSkipped(str(exc)) from None
            stack.blocked = str(exc)
            raise StepFailed(str(exc), hint=exc.hint) from None
        version = stack.client.version().get("Version", "?")
        endpoint = resolve_endpoint()
        stack.engine_label = f"Docker {version} at {endpoint.host} ({endpoint.source})"
    if stack.compose_problem:
        reason, hint = stack.compose_problem
        stack.blocked = reason
        raise StepFailed(reason, hint=hint)
    if need_model and not stack.model:
        raise StepFailed("the compose files need variables that are not set",
                         hint="run week1.fix-secrets, or set them in .env / the environment")
    return stack


class _StackStep(BaseStep):
    resolve = True  # needs compose's interpolated model (else the raw one will do)

    def prepare(self, ctx: Context) -> None:
        # Once per task: a pipeline gives every task its own options dict, and an earlier task
        # (fix-secrets) may have just rewritten the compose file and .env.
        stack = ctx.cache.get(CACHE_KEY)
        if stack is None or stack.loaded_for is not ctx.options:
            load_stack(ctx, resolve=self.resolve)


# ---- preflight ----------------------------------------------------------------------------
class PreflightStep(_StackStep):
    """Engine, Compose v2, variables, ports, images; stale data volumes as a warning."""

    name = "preflight"

    def plan(self, ctx: Context) -> list[Change]:
        return []

    def verify(self, ctx: Context) -> list[Criterion]:
        stack = require_stack(ctx, need_model=False)
        project = stack.project
        assert project is not None
        criteria = [
            Criterion("Docker engine reachable", True, stack.engine_label),
            Criterion("Compose v2 present", True, project.cli.label),
        ]
        unset, empty = preflight.unset_variables(stack.raw_model, stack.env_values, os.environ)
        env_name = stack.env_rel
        needed = len(required_variables(stack.raw_model))
        criteria.append(Criterion(
            "required variables set", not unset,
            f"unset: {', '.join(unset)} (add them to {env_name} or run week1.fix-secrets)"
            if unset else f"{needed} required variable(s) set ({env_name} / environment)"))
        for name in empty:
            ctx.warn(f"variable {name} is set but empty")
        problems: list[str] = []
        if stack.model:
            services = stack.services(ctx.options.get("services"))
            problems += self._ports(ctx, stack, services, criteria)
            problems += self._images(ctx, stack, services, criteria)
            self._volumes(ctx, stack)
        if unset:
            problems.insert(0, f"unset variable(s): {', '.join(unset)}")
        if problems:
            stack.blocked = f"preflight failed ({problems[0]})"
            ctx.current.summary = "; ".join(problems[:3])
        else:
            ctx.current.summary = f"project {stack.name}: engine, compose, variables, ports " \
                                  "and images ready"
        return criteria

    def _ports(self, ctx: Context, stack: Stack, services: list[str],
               criteria: list[Criterion]) -> list[str]:
        ports = preflight.published_ports(stack.model, services)
        ui_ports = ui_server_ports(ctx)
        containers = health.project_containers(stack.client, stack.name)
        problems = preflight.port_clashes(ports, ui_ports)
        problems += preflight.ports_taken(ports, health.own_ports(containers),
                                          health.port_holders(stack.client))
        reserved = ", ".join(f"{p.port} ({p.app} {p.server})" for p in ui_ports) or "none found"
        ctx.current.data["ui_ports"] = [{"app": p.app, "port": p.port, "server": p.server,
                                         "source": p.source} for p in ui_ports]
        criteria.append(Criterion(
            "host ports free", not problems,
            "; ".join(problems) if problems else
            f"{len(ports)} published port(s) free, no clash with each other or the UI "
            f"servers' ports: {reserved}"))
        return problems

    def _images(self, ctx: Context, stack: Stack, services: list[str],
                criteria: list[Criterion]) -> list[str]:
        from docker.errors import ImageNotFound

        def have(ref: str) -> bool:
            try:
                stack.client.images.get(ref)
                return True
            except ImageNotFound:
                return False

        needs = preflight.image_needs(stack.model, services, have,
                                      bool(ctx.options.get("build")))
        ctx.cache["stack_image_needs"] = needs
        pulls = sorted({image for _, image in needs.to_pull})
        pulled = {who for who, _ in needs.to_pull}
        present = [s for s in services if s not in needs.to_build and s not in pulled]
        # Asked of the registry without pulling, so check mode (and week1.verify) finds what
        # `up` would: an image that cannot be had means the stack cannot run.
        missing = preflight.unobtainable(needs.to_pull, lambda ref: _probe_registry(stack, ref))
        ctx.current.data["images_missing"] = [image for image, _, _ in missing]
        pullable = [i for i in pulls if i not in {image for image, _, _ in missing}]
        parts = [f"{len(present)} service image(s) present locally"]
        if needs.to_build:
            parts.append(f"to build: {', '.join(needs.to_build)}")
        if pullable:
            parts.append(f"to pull: {', '.join(pullable)}")
        if missing:
            parts.append("cannot pull: " + preflight.describe_unobtainable(missing))
        if needs.unbuildable:
            parts.append("cannot build: " + "; ".join(needs.unbuildable))
        criteria.append(Criterion("images available or buildable",
                                  not needs.unbuildable and not missing, "; ".join(parts)))
        problems = [f"cannot build {u}" for u in needs.unbuildable]
        if missing:
            problems.append(f"{len(missing)} image(s) cannot be pulled: "
                            + preflight.describe_unobtainable(missing))
        return problems

    def _volumes(self, ctx: Context, stack: Stack) -> None:
        changed_at = ctx.state.read_state().get("secrets_changed_at")
        if not changed_at:
            return
        volumes = stack.client.volumes.list(
            filters={"label": f"{health.PROJECT_LABEL}={stack.name}"})
        stale = preflight.stale_volumes(((v.name, v.attrs.get("CreatedAt")) for v in volumes),
                                        preflight.volume_users(stack.model), changed_at)
        for name, users in stale:
            ctx.current.data.setdefault("stale_volumes", []).append(name)
            ctx.warn(f"volume {name} (used by {', '.join(users) or 'no service'}) was created "
                     f"before the secrets changed at {changed_at}: Postgres / MinIO and other "
                     "data services keep the credentials they were initialised with. Either "
                     "re-initialise it (week1.down --volumes deletes its data) or set the new "
                     "password inside the service (e.g. ALTER USER ... PASSWORD)")


def ui_server_ports(ctx: Context) -> list[Any]:
    """The ports the target's own UI apps listen on (their Vite configs, package.json scripts,
    framework defaults), plus the ``ui_ports`` setting. An unreadable UI config is build-uis'
    finding: here it is a warning, and that app's ports are unknown."""
    from ..engine import MaestroError
    from ..ui.discovery import UiPort, discover

    try:
        apps = discover(ctx.target, ctx.settings).apps
    except MaestroError as exc:
        ctx.warn(f"UI ports not checked: {exc}")
        apps = []
    found = [port for app in apps for port in app.ports]
    for raw in ctx.settings.get("ui_ports") or []:
        try:
            port = int(raw)
        except (TypeError, ValueError):
            raise InputError("ui_ports setting", f"{raw!r} is not a port number") from None
        found.append(UiPort("setting ui_ports", port, "UI", "setting ui_ports"))
    return found


def _probe_registry(stack: Stack, image: str) -> str | None:
    """None when the registry knows ``image`` (nothing is pulled), else the engine's message."""
    from docker.errors import APIError, DockerException

    try:
        stack.client.api.inspect_distribution(image)
        return None
    except (APIError, DockerException) as exc:
        return str(getattr(exc, "explanation", "") or exc)


# ---- up -------------------------------------------------------------------------------------
def _statuses(stack: Stack, services: list[str]) -> list[health.ServiceStatus]:
    containers = health.project_containers(stack.client, stack.name)
    return health.service_statuses(stack.model or stack.raw_model, containers, services)


def _image_id(stack: Stack, service: str) -> str | None:
    from docker.errors import ImageNotFound

    spec = (stack.model.get("services") or {}).get(service) or {}
    ref = spec.get("image") or f"{stack.name}-{service}"
    try:
        return stack.client.images.get(ref).id
    except ImageNotFound:
        return None


def stack_criteria(ctx: Context, stack: Stack, services: list[str],
                   restarts_before: dict[str, int] | None, summarize: bool = True
                   ) -> list[Criterion]:
    """Running, healthy, not restarting; the per-service table; failing services diagnosed."""
    statuses = _statuses(stack, services)
    ctx.current.details.extend(health.table(statuses))
    running = [s for s in statuses if s.running]
    checked = [s for s in statuses if s.has_healthcheck]
    healthy = [s for s in checked if s.healthy]
    before = restarts_before or {}
    restarted = [f"{c.service} ({c.restarts - before.get(c.id, 0)}x)"
                 for s in statuses for c in s.containers if c.restarts > before.get(c.id, 0)]
    for container in health.failing(statuses):
        ctx.current.details.extend(health.diagnose(container))
    ctx.current.data.update(services_total=len(statuses), services_running=len(running),
                            services_healthy=sum(1 for s in statuses if s.running and s.healthy))
    if summarize:
        ctx.current.summary = (f"project {stack.name}: {len(running)}/{len(statuses)} service(s) "
                               f"running, {len(healthy)}/{len(checked)} healthy")
    not_running = [f"{s.service} ({s.state})" for s in statuses if not s.running]
    unhealthy = [f"{s.service} ({s.health})" for s in checked if not s.healthy]
    return [
        Criterion("every service running", not not_running,
                  f"{len(running)}/{len(statuses)} running"
                  + (f"; not running: {', '.join(not_running)}" if not_running else "")),
        Criterion("healthy where a healthcheck exists", not unhealthy,
                  f"{len(healthy)}/{len(checked)} with a healthcheck healthy"
                  + (f"; unhealthy: {', '.join(unhealthy)}" if unhealthy else "")),
        Criterion("no restart during the wait", not restarted,
                  "restarted: " + ", ".join(restarted) if restarted else "0 restarts"),
    ]


class UpStep(_StackStep):
    """`docker compose up -d --wait` unless every service already runs healthy, as configured."""

    name = "compose-up"
    started = False  # planned a `compose up` this run: keep the change's summary

    def _services(self, ctx: Context, stack: Stack) -> list[str]:
        return stack.services(ctx.options.get("services"))

    def plan(self, ctx: Context) -> list[Change]:
        stack = require_stack(ctx)
        services = self._services(ctx, stack)
        statuses = _statuses(stack, services)
        if stack.restarts_before is None:
            stack.restarts_before = {c.id: c.restarts for s in statuses for c in s.containers}
        hashes = stack.project.config_hashes()
        reasons = []
        for status in statuses:
            reason = self._why_not_current(stack, status, hashes.get(status.service, ""))
            if reason:
                reasons.append(f"{status.service} ({reason})")
        build = bool(ctx.options.get("build")) and not stack.built
        if not reasons and not build:
            return []
        self.started = True
        what = ", ".join(reasons[:4]) + (f" +{len(reasons) - 4} more" if len(reasons) > 4 else "")
        summary = (f"up -d --wait{' --build' if build else ''}: "
                   + (what or "rebuild images (--build)"))
        needs = ctx.cache.get("stack_image_needs")
        if needs is not None and needs.to_pull:
            summary += f"; pull {len({image for _, image in needs.to_pull})} image(s) first"
        return [Change(path="docker compose", action="run", summary=summary, run=self._up)]

    @staticmethod
    def _why_not_current(stack: Stack, status: health.ServiceStatus, want_hash: str) -> str:
        if not status.containers:
            return "not created"
        if status.state == "completed":
            return ""
        if not status.running:
            return status.state
        if not status.healthy:
            return status.health
        if want_hash and any(c.config_hash != want_hash for c in status.containers):
            return "config changed"
        image_id = _image_id(stack, status.service)
        if image_id and any(c.image_id and c.image_id != image_id for c in status.containers):
            return "image changed"
        return ""

    def _pull(self, ctx: Context, stack: Stack) -> None:
        """Pull what is neither present nor built; no registry -> skipped, naming the images."""
        from docker.errors import APIError, DockerException
        from docker.utils import parse_repository_tag

        needs = ctx.cache.get("stack_image_needs")
        images = sorted({image for _, image in (needs.to_pull if needs else [])})
        failures: list[tuple[str, str]] = []
        for image in images:
            repo, tag = parse_repository_tag(image)
            try:
                stack.client.api.pull(repo, tag=tag or "latest")
                stack.client.images.get(image)
            except (APIError, DockerException) as exc:
                failures.append((image, str(getattr(exc, "explanation", "") or exc)))
        if not failures:
            return
        names = ", ".join(image for image, _ in failures)
        first = failures[0][1].strip().splitlines()[0][:200]
        if all(preflight.is_network_error(msg) for _, msg in failures):
            raise StepFailed(f"{len(failures)} image(s) not present locally and no registry "
                             f"reachable to pull them: {names} (engine said: {first})",
                             hint="load or build the images locally (docker load / docker "
                                  "build), or run where a registry is reachable")
        raise StepFailed(f"cannot pull {names}: {first}",
                         hint="check the image names and registry credentials "
                              "(docker login), or build / load the images locally")

    def _up(self, ctx: Context) -> None:
        stack = require_stack(ctx)
        self._pull(ctx, stack)
        timeout = int(ctx.options.get("timeout") or DEFAULT_TIMEOUT_S)
        args = ["up", "-d", "--wait", "--wait-timeout", str(timeout)]
        if ctx.options.get("build"):
            args.append("--build")
            stack.built = True
        args += list(ctx.options.get("services") or [])
        res = stack.project.run(*args, timeout=timeout + 900)
        log = ctx.write_log("stack-up.log", f"$ {' '.join(stack.project.argv(*args))}\n"
                                             f"{res.stdout}{res.stderr}")
        if res.returncode == 0:
            return
        services = self._services(ctx, stack)
        statuses = _statuses(stack, services)
        details = health.table(statuses)
        for container in health.failing(statuses):
            details.extend(health.diagnose(container))
        bad = [s.service for s in statuses if not (s.running and s.healthy)]
        error = compose_mod.last_error(res.stderr)
        reason = (f"{', '.join(bad)} not healthy within {timeout}s ({error})" if bad
                  else f"docker compose up failed: {error}")
        log_rel = log.relative_to(ctx.target)
        raise StepFailed(reason, hint=f"full compose output: {log_rel}; fix the service, then "
                                      "run week1.up again", details=details)

    def verify(self, ctx: Context) -> list[Criterion]:
        stack = require_stack(ctx)
        return stack_criteria(ctx, stack, self._services(ctx, stack), stack.restarts_before,
                              summarize=not self.started)


# ---- down / status ----------------------------------------------------------------------------
class DownStep(_StackStep):
    """`docker compose down` (volumes kept unless --volumes)."""

    name = "down"
    resolve = False

    def _leftovers(self, stack: Stack, volumes: bool) -> dict[str, list[str]]:
        label = {"label": f"{health.PROJECT_LABEL}={stack.name}"}
        found = {
            "container": [c.name for c in stack.client.containers.list(all=True, filters=label)],
            "network": [n.name for n in stack.client.networks.list(filters=label)],
        }
        if volumes:
            found["volume"] = [v.name for v in stack.client.volumes.list(filters=label)]
        return found

    def plan(self, ctx: Context) -> list[Change]:
        stack = require_stack(ctx, need_model=False)
        volumes = bool(ctx.options.get("volumes"))
        left = self._leftovers(stack, volumes)
        if not any(left.values()):
            return []
        what = ", ".join(f"{len(v)} {k}(s)" for k, v in left.items() if v)
        return [Change(path="docker compose", action="run",
                       summary=f"down{' --volumes' if volumes else ''}: remove {what}",
                       run=self._down)]

    def _down(self, ctx: Context) -> None:
        stack = require_stack(ctx, need_model=False)
        args = ["down", "--remove-orphans"] + (["--volumes"] if ctx.options.get("volumes") else [])
        res = stack.project.run(*args, timeout=600)
        ctx.write_log("stack-down.log", f"{res.stdout}{res.stderr}")
        if res.returncode != 0:
            raise StepFailed(f"docker compose down failed: {compose_mod.last_error(res.stderr)}",
                             hint="see .maestro/logs/stack-down.log")

    def verify(self, ctx: Context) -> list[Criterion]:
        stack = require_stack(ctx, need_model=False)
        volumes = bool(ctx.options.get("volumes"))
        left = self._leftovers(stack, volumes)
        criteria = [Criterion(f"no {kind} left", not names,
                              f"left: {', '.join(names)}" if names else f"0 {kind}s of project "
                                                                        f"{stack.name}")
                    for kind, names in left.items()]
        if not volumes:
            label = {"label": f"{health.PROJECT_LABEL}={stack.name}"}
            kept = len(stack.client.volumes.list(filters=label))
            ctx.current.data["volumes_kept"] = kept
        return criteria


class StatusStep(_StackStep):
    """Read-only: the per-service table and the running / healthy criteria."""

    name = "status"
    resolve = False

    def verify(self, ctx: Context) -> list[Criterion]:
        stack = require_stack(ctx, need_model=False)
        return stack_criteria(ctx, stack, stack.services(ctx.options.get("services")), None)


def up_steps(ctx: Context) -> list[BaseStep]:
    return [PreflightStep(), UpStep()]


def down_steps(ctx: Context) -> list[BaseStep]:
    return [DownStep()]


def status_steps(ctx: Context) -> list[BaseStep]:
    return [StatusStep()]
