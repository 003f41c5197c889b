"""Real compose stacks for the stack tests: busybox services that log in to each other."""

from __future__ import annotations

import socket
import subprocess
import uuid
from pathlib import Path

import pytest

# web: busybox httpd behind basic auth, its password from the environment at start;
# client: healthy only while it can log in to web with the same secret.
AUTH_STACK = """\
services:
  web:
    image: {image}
    init: true
    environment:
      WEB_PASSWORD: ${{WEB_PASSWORD}}
    command: ["sh", "-c", "mkdir -p /www /etc && echo ok > /www/index.html && echo \\"/:admin:$${{WEB_PASSWORD}}\\" > /etc/httpd.conf && exec httpd -f -p 8080 -h /www -c /etc/httpd.conf"]
    ports: ["127.0.0.1:{port}:8080"]
    volumes: ["webdata:/www"]
    healthcheck:
      test: ["CMD-SHELL", "wget -q -O /dev/null http://admin:$${{WEB_PASSWORD}}@127.0.0.1:8080/"]
      interval: 1s
      timeout: 2s
      retries: 5
  client:
    image: {image}
    init: true
    environment:
      API_PASSWORD: ${{WEB_PASSWORD}}
    command: ["sleep", "86400"]
    depends_on:
      web: {{condition: service_healthy}}
    healthcheck:
      test: ["CMD-SHELL", "wget -q -O /dev/null http://admin:$${{API_PASSWORD}}@web:8080/"]
      interval: 1s
      timeout: 2s
      retries: 5
volumes:
  webdata:
"""

STACK_PASSWORD = "Vw3kQ9zLmP4xR7tYb2NcH8dF5gJ6sA1e"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StackFactory:
    def __init__(self, root: Path, image: str, compose: list[str]):
        self.root, self.image, self.compose = root, image, compose
        self.projects: list[tuple[str, Path]] = []

    def __call__(self, compose_text: str | None = None, env: str | None = None,
                 port: int | None = None) -> tuple[Path, str]:
        """A target folder holding the stack; returns (target, compose project name)."""
        name = f"mtstack{uuid.uuid4().hex[:10]}"
        target = self.root / name
        target.mkdir()
        text = (compose_text or AUTH_STACK).format(image=self.image, port=port or free_port())
        (target / "docker-compose.yml").write_text(text)
        (target / ".env").write_text(env if env is not None
                                     else f"WEB_PASSWORD={STACK_PASSWORD}\n")
        (target / "pyproject.toml").write_text(
            f'[tool.maestro-tasks]\ncompose_project = "{name}"\n')
        self.projects.append((name, target))
        return target, name

    def cleanup(self) -> None:
        for name, target in self.projects:
            subprocess.run([*self.compose, "-p", name, "down", "-v", "--remove-orphans",
                            "-t", "1"], cwd=target, capture_output=True, timeout=120)


@pytest.fixture
def make_stack(tmp_path, busybox_image, compose):
    factory = StackFactory(tmp_path, busybox_image, compose)
    yield factory
    factory.cleanup()


@pytest.fixture
def stack_password() -> str:
    return STACK_PASSWORD
