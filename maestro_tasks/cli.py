"""The ``maestro-tasks`` console script: the same namespace as ``invoke``, from any directory."""

from __future__ import annotations

import os

from invoke import Program

from . import __version__, namespace


class MaestroProgram(Program):
    """An Invoke Program whose project config is the ``invoke.yaml`` of the current folder.

    ``invoke`` reads the invoke.yaml next to tasks.py; the console script has no tasks.py, so the
    folder it runs in plays that role (``maestro: {target: …}`` works the same for both).
    """

    def update_config(self, merge: bool = True) -> None:
        self.config.set_project_location(os.getcwd())
        self.config.load_project(merge=False)
        super().update_config(merge)


def main() -> None:
    program = MaestroProgram(namespace=namespace(), name="maestro-tasks", binary="maestro-tasks",
                             version=__version__)
    try:
        program.run()
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as other CLI tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
