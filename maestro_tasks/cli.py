"""The ``maestro-tasks`` console script: the same namespace as ``invoke``, from any directory."""

from __future__ import annotations

from invoke import Program

from . import __version__, namespace


def main() -> None:
    Program(namespace=namespace(), name="maestro-tasks", binary="maestro-tasks",
            version=__version__).run()


if __name__ == "__main__":
    main()
