"""Shared fixtures: real tools, or outside CI a skip that says what is missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mt_testkit import BUSYBOX_IMAGE, docker_ok, compose_cmd, require, run_cli


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A fresh git-committed copy of the bundled example, as ``invoke demo`` makes it."""
    from maestro_tasks.demo import prepare_demo

    return prepare_demo(tmp_path / "maestro-demo")


@pytest.fixture(scope="session")
def docker_engine():
    require(docker_ok(), "a Docker engine (docker SDK ping)")
    import docker

    return docker.from_env()


@pytest.fixture(scope="session")
def compose():
    cmd = compose_cmd()
    require(cmd is not None, "Docker Compose v2")
    return cmd


@pytest.fixture(scope="session")
def busybox_image(docker_engine, tmp_path_factory) -> str:
    """A FROM-scratch image holding Debian's static busybox: no registry needed."""
    busybox = shutil.which("busybox")
    require(busybox is not None, "a static busybox (Debian busybox-static)")
    ctx = tmp_path_factory.mktemp("busybox-image")
    shutil.copy(busybox, ctx / "busybox")
    (ctx / "Dockerfile").write_text(
        "FROM scratch\nCOPY busybox /bin/busybox\n"
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
        'CMD ["/bin/sh"]\n'
    )
    docker_engine.images.build(path=str(ctx), tag=BUSYBOX_IMAGE, rm=True)
    return BUSYBOX_IMAGE


@pytest.fixture(scope="session")
def npm():
    ok = shutil.which("node") is not None and shutil.which("npm") is not None
    require(ok, "node and npm")
    return shutil.which("npm")


@pytest.fixture(scope="session")
def chromium():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    require(path is not None, "Debian chromium")
    return path
