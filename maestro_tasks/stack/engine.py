"""Which Docker engine the stack talks to, and whether it answers.

Endpoint order, as the docker CLI: DOCKER_HOST > DOCKER_CONTEXT > the current context in the
docker config > the default socket. The rule for an unreachable engine:
  * an endpoint chosen explicitly (DOCKER_HOST or a context) that does not answer -> failure;
  * nothing chosen and no socket at the default path -> "no engine here": the caller skips.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

DEFAULT_HOST = "unix:///var/run/docker.sock"
PROBE_TIMEOUT_S = 5


@dataclass
class Endpoint:
    host: str
    source: str  # "DOCKER_HOST", "docker context NAME", "default socket"
    explicit: bool
    tls: Any = None


class EngineUnavailable(Exception):
    """``kind``: "missing" (no socket), "permission", "down", "context", "error"."""

    def __init__(self, kind: str, endpoint: Endpoint, message: str, hint: str):
        self.kind, self.endpoint, self.hint = kind, endpoint, hint
        super().__init__(message)

    @property
    def skippable(self) -> bool:
        """No engine installed here at all (nothing configured, no default socket)."""
        return self.kind == "missing" and not self.endpoint.explicit


def _current_context_name(environ: Mapping[str, str]) -> str:
    if environ.get("DOCKER_CONTEXT"):
        return environ["DOCKER_CONTEXT"]
    config_dir = Path(environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    try:
        data = json.loads((config_dir / "config.json").read_text())
    except (OSError, ValueError):
        return "default"
    name = data.get("currentContext") if isinstance(data, dict) else None
    return name or "default"


def resolve_endpoint(environ: Mapping[str, str] | None = None) -> Endpoint:
    environ = os.environ if environ is None else environ
    if environ.get("DOCKER_HOST"):
        return Endpoint(environ["DOCKER_HOST"], "DOCKER_HOST", explicit=True)
    name = _current_context_name(environ)
    if name != "default":
        from docker.context import ContextAPI
        from docker.errors import DockerException

        where = Endpoint("?", f"docker context {name}", explicit=True)
        try:
            ctx = ContextAPI.get_context(name)
        except DockerException as exc:
            raise EngineUnavailable("context", where, f"docker context {name!r} cannot be read: "
                                    f"{exc}", "check `docker context ls`") from None
        if ctx is None or not ctx.Host:
            raise EngineUnavailable("context", where, f"docker context {name!r} does not exist",
                                    "choose one with `docker context use NAME` or unset "
                                    "DOCKER_CONTEXT") from None
        return Endpoint(ctx.Host, f"docker context {name}", explicit=True, tls=ctx.TLSConfig)
    return Endpoint(DEFAULT_HOST, "default socket", explicit=False)


def _probe_unix(endpoint: Endpoint) -> None:
    """Tell a missing socket, a permission problem and a dead daemon apart."""
    path = endpoint.host[len("unix://"):]
    where = f"{endpoint.host} ({endpoint.source})"
    if not os.path.exists(path):
        hint = ("install and start Docker, or set DOCKER_HOST" if not endpoint.explicit
                else "fix DOCKER_HOST / the docker context, or start the engine it names")
        raise EngineUnavailable("missing", endpoint, f"no Docker engine at {where}: "
                                "the socket does not exist", hint)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(PROBE_TIMEOUT_S)
    try:
        sock.connect(path)
    except PermissionError:
        raise EngineUnavailable("permission", endpoint, f"permission denied on {where}",
                                "add your user to the docker group (then log in again) or "
                                "use a rootless engine") from None
    except (ConnectionRefusedError, socket.timeout, OSError) as exc:
        raise EngineUnavailable("down", endpoint, f"the Docker daemon at {where} is not "
                                f"answering ({exc.strerror or exc})",
                                "start it (e.g. `sudo systemctl start docker`)") from None
    finally:
        sock.close()


def connect(environ: Mapping[str, str] | None = None, timeout: int = 60):
    """A pinged docker SDK client for the resolved endpoint, or EngineUnavailable."""
    import docker
    from docker.errors import DockerException

    environ = os.environ if environ is None else environ
    endpoint = resolve_endpoint(environ)
    if endpoint.host.startswith("unix://"):
        _probe_unix(endpoint)
    try:
        if endpoint.source == "DOCKER_HOST":
            try:
                client = docker.from_env(environment=dict(environ), timeout=timeout,
                                         use_context=False)
            except TypeError:  # an older docker SDK: no contexts, no use_context flag
                client = docker.from_env(environment=dict(environ), timeout=timeout)
        else:
            client = docker.DockerClient(base_url=endpoint.host, tls=endpoint.tls or False,
                                         timeout=timeout)
        client.ping()
    except DockerException as exc:
        raise EngineUnavailable("down", endpoint, f"the Docker engine at {endpoint.host} "
                                f"({endpoint.source}) is not answering: {_short(exc)}",
                                "start the engine or fix DOCKER_HOST / the docker "
                                "context") from None
    return client


_KNOWN_CAUSES = (("Connection refused", "connection refused"), ("timed out", "timed out"),
                 ("Name or service not known", "host not found"),
                 ("No such file or directory", "socket missing"),
                 ("Permission denied", "permission denied"))


def _short(exc: BaseException) -> str:
    text = str(exc)
    for needle, cause in _KNOWN_CAUSES:
        if needle in text:
            return cause
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return first[:160]
