"""What the engine says about a compose project's services: running, healthy, restarts, ports.

Read-only: everything here inspects containers through the docker SDK, by compose's labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
HASH_LABEL = "com.docker.compose.config-hash"
IMAGE_LABEL = "com.docker.compose.image"
ONEOFF_LABEL = "com.docker.compose.oneoff"
LOG_TAIL_LINES = 20


@dataclass
class ContainerState:
    id: str
    name: str
    service: str
    state: str  # running, exited, restarting, created, paused, dead
    health: str | None  # healthy, unhealthy, starting; None without a healthcheck
    restarts: int
    exit_code: int
    ports: list[str]
    config_hash: str
    image_id: str
    raw: Any = field(default=None, repr=False)

    @classmethod
    def of(cls, container: Any) -> "ContainerState":
        attrs = container.attrs
        state = attrs.get("State") or {}
        labels = (attrs.get("Config") or {}).get("Labels") or {}
        return cls(
            id=container.id, name=container.name, service=labels.get(SERVICE_LABEL, "?"),
            state=state.get("Status") or "unknown",
            health=(state.get("Health") or {}).get("Status"),
            restarts=int(attrs.get("RestartCount") or 0),
            exit_code=int(state.get("ExitCode") or 0),
            ports=_ports(attrs), config_hash=labels.get(HASH_LABEL, ""),
            image_id=labels.get(IMAGE_LABEL, "") or attrs.get("Image", ""), raw=container)


def _ports(attrs: Mapping[str, Any]) -> list[str]:
    published = ((attrs.get("NetworkSettings") or {}).get("Ports")) or {}
    out = []
    for target, bindings in sorted(published.items()):
        for binding in bindings or []:
            ip = binding.get("HostIp") or "0.0.0.0"
            if ip in ("::", "0.0.0.0"):
                ip = "0.0.0.0"
            text = f"{ip}:{binding.get('HostPort')}->{target}"
            if text not in out:
                out.append(text)
    return out


def project_containers(client: Any, project: str) -> list[ContainerState]:
    """Every container of the project (stopped too), without `compose run` one-offs."""
    found = client.containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={project}"})
    states = [ContainerState.of(c) for c in found]
    return [s for s in states
            if ((s.raw.attrs.get("Config") or {}).get("Labels") or {}).get(ONEOFF_LABEL)
            != "True"]


def own_ports(containers: Iterable[ContainerState]) -> set[tuple[int, str]]:
    """(host port, protocol) the project's running containers already publish."""
    out = set()
    for c in containers:
        if c.state != "running":
            continue
        for text in c.ports:
            host, _, target = text.partition("->")
            port = int(host.rsplit(":", 1)[1])
            out.add((port, target.rsplit("/", 1)[-1]))
    return out


def port_holders(client: Any) -> dict[tuple[int, str], str]:
    """(host port, protocol) -> name of the running container publishing it."""
    out: dict[tuple[int, str], str] = {}
    for container in client.containers.list():
        state = ContainerState.of(container)
        for (port, proto) in own_ports([state]):
            out.setdefault((port, proto), state.name)
    return out


def completes(model: Mapping[str, Any], service: str) -> bool:
    """A one-shot service: another service waits for it to complete successfully."""
    for other in (model.get("services") or {}).values():
        depends = other.get("depends_on") or {}
        if isinstance(depends, dict):
            spec = depends.get(service) or {}
            if isinstance(spec, dict) and spec.get("condition") == \
                    "service_completed_successfully":
                return True
    return False


@dataclass
class ServiceStatus:
    service: str
    containers: list[ContainerState]
    one_shot: bool = False

    @property
    def state(self) -> str:
        if not self.containers:
            return "missing"
        states = sorted({c.state for c in self.containers})
        if self.one_shot and states == ["exited"] and all(c.exit_code == 0
                                                           for c in self.containers):
            return "completed"
        return "/".join(states)

    @property
    def running(self) -> bool:
        return self.state in ("running", "completed")

    @property
    def health(self) -> str:
        values = sorted({c.health for c in self.containers if c.health})
        return "/".join(values) if values else "-"

    @property
    def has_healthcheck(self) -> bool:
        return any(c.health for c in self.containers)

    @property
    def healthy(self) -> bool:
        return all(c.health in (None, "healthy") for c in self.containers if c.state == "running")

    @property
    def restarts(self) -> int:
        return sum(c.restarts for c in self.containers)

    @property
    def ports(self) -> str:
        return ", ".join(p for c in self.containers for p in c.ports) or "-"


def service_statuses(model: Mapping[str, Any], containers: list[ContainerState],
                     services: Iterable[str]) -> list[ServiceStatus]:
    by_service: dict[str, list[ContainerState]] = {}
    for c in containers:
        by_service.setdefault(c.service, []).append(c)
    return [ServiceStatus(name, by_service.get(name, []), completes(model, name))
            for name in services]


def table(statuses: list[ServiceStatus]) -> list[str]:
    """The per-service table: service, state, health, restarts, ports."""
    rows = [("SERVICE", "STATE", "HEALTH", "RESTARTS", "PORTS")]
    rows += [(s.service, s.state, s.health, str(s.restarts), s.ports) for s in statuses]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return ["  ".join([*(r[i].ljust(widths[i]) for i in range(4)), r[4]]).rstrip()
            for r in rows]


def diagnose(state: ContainerState, lines: int = LOG_TAIL_LINES) -> list[str]:
    """The container's last log lines and its last healthcheck output, for a failure report."""
    out = []
    try:
        logs = state.raw.logs(tail=lines).decode("utf-8", "replace").rstrip()
    except Exception as exc:  # the container may be gone already
        logs = f"(logs unavailable: {exc})"
    out.append(f"--- {state.service} ({state.name}): state {state.state}"
               + (f", exit code {state.exit_code}" if state.state == "exited" else "")
               + (f", health {state.health}" if state.health else "")
               + f"; last {lines} log lines:")
    out.extend("    " + line for line in (logs.splitlines() or ["(no output)"]))
    health_log = (((state.raw.attrs.get("State") or {}).get("Health") or {}).get("Log")) or []
    if health_log:
        last = health_log[-1]
        text = (last.get("Output") or "").strip() or "(no output)"
        out.append(f"--- {state.service}: last healthcheck exit code {last.get('ExitCode')}:")
        out.extend("    " + line for line in text.splitlines()[-10:])
    return out


def failing(statuses: list[ServiceStatus]) -> list[ContainerState]:
    """Containers to diagnose: not running (unless completed), or running but not healthy."""
    out = []
    for status in statuses:
        if status.state == "completed":
            continue
        out.extend(c for c in status.containers
                   if c.state != "running" or c.health not in (None, "healthy"))
    return out
