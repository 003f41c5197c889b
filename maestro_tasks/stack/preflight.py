"""Preflight checks before `compose up`: variables, host ports, images, stale data volumes.

Each check returns findings (plain strings naming the variable / port / image / volume); the
step turns them into criteria, failures and warnings.
"""

from __future__ import annotations

import errno
import re
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..compose.envfile import read_env_file as _read_env_file
from ..compose.interp import required_variables
from ..credentials import is_secret_key, url_passwords


# ---- secrets: register before anything can print them ---------------------------------------
def secret_values(model: Mapping[str, Any], env_values: Mapping[str, str | None]) -> set[str]:
    """Credential values found in the env file and the resolved model (to be masked)."""
    found = {v for k, v in env_values.items() if v and is_secret_key(k)}
    for value in env_values.values():
        found.update(_url_passwords(value))
    for service in (model.get("services") or {}).values():
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment if "=" in item)
        for key, value in environment.items():
            if isinstance(value, str) and value and is_secret_key(key):
                found.add(value)
        found.update(_url_passwords(service))
    return found


def _url_passwords(node: Any) -> set[str]:
    if isinstance(node, str):
        return url_passwords(node)
    if isinstance(node, dict):
        node = list(node.values())
    if isinstance(node, list):
        out: set[str] = set()
        for item in node:
            out |= _url_passwords(item)
        return out
    return set()


# ---- variables ----------------------------------------------------------------------------
def read_env_file(rel: str, data: bytes | None) -> dict[str, str | None]:
    """The env file compose reads for interpolation ({} when absent). Values are taken as
    written (no ``${...}`` expansion); a line that cannot be parsed is an InputError with its
    line number, never a silently shorter file."""
    return _read_env_file(rel, data)


def unset_variables(raw_model: Mapping[str, Any], env_values: Mapping[str, str | None],
                    environ: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """(unset, empty): required variables set nowhere, and those set to an empty string."""
    unset, empty = [], []
    for name in required_variables(dict(raw_model)):
        value = environ.get(name, env_values.get(name))
        if value is None:
            unset.append(name)
        elif value == "":
            empty.append(name)
    return unset, empty


# ---- ports --------------------------------------------------------------------------------
@dataclass(frozen=True)
class PortUse:
    service: str
    host_ip: str  # "" = every interface
    port: int
    protocol: str

    def __str__(self) -> str:
        where = f"{self.host_ip}:" if self.host_ip else ""
        return f"{where}{self.port}/{self.protocol} ({self.service})"


def published_ports(model: Mapping[str, Any], services: Iterable[str] | None = None
                    ) -> list[PortUse]:
    wanted = set(services) if services is not None else None
    out = []
    for name, service in sorted((model.get("services") or {}).items()):
        if wanted is not None and name not in wanted:
            continue
        for entry in service.get("ports") or []:
            if not isinstance(entry, dict) or not str(entry.get("published") or "").strip():
                continue
            published = str(entry["published"])
            low, _, high = published.partition("-")
            ip = entry.get("host_ip") or ""
            ip = "" if ip in ("0.0.0.0", "::") else ip
            for port in range(int(low), int(high or low) + 1):
                out.append(PortUse(name, ip, port, entry.get("protocol") or "tcp"))
    return out


def _overlap(a: PortUse, b: PortUse) -> bool:
    return (a.port == b.port and a.protocol == b.protocol
            and (not a.host_ip or not b.host_ip or a.host_ip == b.host_ip))


def port_clashes(ports: list[PortUse], ui_ports: Iterable[Any] = ()) -> list[str]:
    """Two services claiming one host port, or a service claiming a port one of the target's
    UI servers listens on. ``ui_ports``: objects with ``port``, ``app``, ``server`` and
    ``source`` (the UI app's own config that sets it), so each clash names both sides."""
    problems = []
    for i, a in enumerate(ports):
        for b in ports[i + 1:]:
            if _overlap(a, b) and a.service != b.service:
                problems.append(f"host port {a.port}/{a.protocol} is published by both "
                                f"{a.service} and {b.service}")
    by_port: dict[int, list[Any]] = {}
    for ui in ui_ports:
        by_port.setdefault(int(ui.port), []).append(ui)
    for use in ports:
        for ui in by_port.get(use.port, []) if use.protocol == "tcp" else []:
            problems.append(
                f"host port {use.port} is published by service {use.service} and is the port "
                f"of {ui.app}'s {ui.server} server ({ui.source}): publish the service on "
                f"another host port in the compose file, or move {ui.app}'s {ui.server} "
                f"server to another port")
    return problems


def port_in_use(use: PortUse) -> bool:
    """Can the engine bind it? Probed like the engine does (SO_REUSEADDR, then bind)."""
    kind = socket.SOCK_STREAM if use.protocol == "tcp" else socket.SOCK_DGRAM
    family = socket.AF_INET6 if ":" in use.host_ip else socket.AF_INET
    sock = socket.socket(family, kind)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((use.host_ip or ("::" if family == socket.AF_INET6 else "0.0.0.0"), use.port))
        if kind == socket.SOCK_STREAM:
            sock.listen(1)
    except OSError as exc:
        # EADDRNOTAVAIL: the host IP is not on this machine; compose will say so itself.
        return exc.errno in (errno.EADDRINUSE, errno.EACCES)
    finally:
        sock.close()
    return False


def ports_taken(ports: list[PortUse], own: set[tuple[int, str]],
                holders: Mapping[tuple[int, str], str]) -> list[str]:
    """Ports some other process holds. ``own``: ports this project's containers already publish
    (not a conflict); ``holders``: port -> a container that holds it, to name it."""
    problems = []
    seen: set[tuple[int, str]] = set()
    for use in ports:
        key = (use.port, use.protocol)
        if key in own or key in seen:
            continue
        seen.add(key)
        if port_in_use(use):
            who = f" by container {holders[key]}" if key in holders else ""
            problems.append(f"host port {use.port}/{use.protocol} for {use.service} is already "
                            f"in use{who}")
    return problems


# ---- images -------------------------------------------------------------------------------
@dataclass
class ImageNeeds:
    to_pull: list[tuple[str, str]]  # (service or "build of SERVICE", image)
    unbuildable: list[str]  # messages: build context / Dockerfile missing
    to_build: list[str]  # services whose image compose will build


_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", re.I | re.M)


def base_images(dockerfile_text: str) -> list[str]:
    """External images a Dockerfile starts from (not scratch, not earlier stages, no ARGs)."""
    stages: set[str] = set()
    out = []
    for match in _FROM.finditer(dockerfile_text):
        image, alias = match.group(1), match.group(2)
        if image.lower() != "scratch" and image.lower() not in stages and "$" not in image:
            out.append(image)
        if alias:
            stages.add(alias.lower())
    return out


def image_needs(model: Mapping[str, Any], services: Iterable[str], have_image,
                build: bool) -> ImageNeeds:
    """What `up` must pull or build. ``have_image(ref) -> bool`` asks the engine."""
    needs = ImageNeeds([], [], [])
    for name in services:
        service = (model.get("services") or {}).get(name) or {}
        image = service.get("image")
        spec = service.get("build")
        if spec and (build or not image or not have_image(image)):
            spec = {"context": spec} if isinstance(spec, str) else spec
            context = Path(spec.get("context") or ".")
            dockerfile = context / (spec.get("dockerfile") or "Dockerfile")
            if spec.get("dockerfile_inline"):
                text = spec["dockerfile_inline"]
            elif not context.is_dir():
                needs.unbuildable.append(f"{name}: build context {context} does not exist")
                continue
            elif not dockerfile.is_file():
                needs.unbuildable.append(f"{name}: {dockerfile} does not exist")
                continue
            else:
                text = dockerfile.read_text(errors="replace")
            needs.to_build.append(name)
            for base in base_images(text):
                if not have_image(base):
                    needs.to_pull.append((f"build of {name}", base))
        elif image and not have_image(image):
            needs.to_pull.append((name, image))
        elif not image and not spec:
            needs.unbuildable.append(f"{name}: neither image nor build is set")
    return needs


_NETWORK_ERRORS = ("dial tcp", "no such host", "i/o timeout", "connection refused",
                   "network is unreachable", "TLS handshake timeout", "Temporary failure",
                   "context deadline exceeded", "lookup ")


def is_network_error(message: str) -> bool:
    """A pull failure because no registry can be reached (as opposed to a wrong image name)."""
    return any(needle.lower() in message.lower() for needle in _NETWORK_ERRORS)


def registry_of(image: str) -> str:
    """The registry an image reference is pulled from (Docker Hub when the first path part
    is not a host)."""
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def unobtainable(to_pull: list[tuple[str, str]], probe) -> list[tuple[str, str, str]]:
    """(image, who needs it, why) for every image that cannot be pulled; why is "no registry
    reachable" or the registry's refusal.

    ``probe(image) -> str | None``: None when the registry knows the image (read-only, nothing
    pulled), else the engine's message. One unreachable registry answers for all its images,
    so a machine without network pays one probe per registry.
    """
    users: dict[str, list[str]] = {}
    for who, image in to_pull:
        users.setdefault(image, []).append(who)
    down: dict[str, str] = {}
    out = []
    for image in sorted(users):
        registry = registry_of(image)
        if registry in down:
            message = down[registry]
        else:
            message = probe(image)
            if message is None:
                continue
            if is_network_error(message):
                down[registry] = message
        first = message.strip().splitlines()[0][:200] if message.strip() else "no answer"
        why = (f"no registry reachable ({first})" if is_network_error(message)
               else f"the registry refuses it ({first})")
        out.append((image, ", ".join(users[image]), why))
    return out


def describe_unobtainable(missing: list[tuple[str, str, str]]) -> str:
    """One line naming each image and who needs it, grouped by the reason (said once)."""
    by_why: dict[str, list[str]] = {}
    for image, who, why in missing:
        by_why.setdefault(why, []).append(f"{image} (for {who})")
    return "; ".join(f"{', '.join(images)}: not present locally and {why}"
                     for why, images in by_why.items())


# ---- data volumes vs the last secret change ----------------------------------------------
def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    text = text.strip().replace("Z", "+00:00")
    # Docker prints nanoseconds; datetime takes microseconds.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


def volume_users(model: Mapping[str, Any]) -> dict[str, list[str]]:
    """Real volume name -> services mounting it."""
    names = {key: (spec or {}).get("name") or key
             for key, spec in (model.get("volumes") or {}).items()}
    users: dict[str, list[str]] = {}
    for service_name, service in (model.get("services") or {}).items():
        for mount in service.get("volumes") or []:
            if isinstance(mount, dict) and mount.get("type") == "volume" and mount.get("source"):
                real = names.get(mount["source"], mount["source"])
                users.setdefault(real, []).append(service_name)
    return users


def stale_volumes(volumes: Iterable[tuple[str, str]], users: Mapping[str, list[str]],
                  secrets_changed_at: str | None) -> list[tuple[str, list[str]]]:
    """Volumes (name, CreatedAt) created before the secrets changed, with the services using
    them. Any data service may have stored the old credentials at its first start (Postgres,
    MinIO, MySQL, Grafana...), so every such volume is reported."""
    changed = parse_time(secrets_changed_at)
    if changed is None:
        return []
    out = []
    for name, created_at in volumes:
        created = parse_time(created_at)
        services = users.get(name, [])
        if created and created < changed:
            out.append((name, services))
    return out
