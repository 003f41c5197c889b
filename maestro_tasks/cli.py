"""The ``maestro-tasks`` console script: the same namespace as ``invoke``, from any directory.

Usage errors (an unknown task or flag, a flag without its value, a value of the wrong type)
exit 2 with one line naming the task and pointing to ``--help``; Invoke's own Program exits 1
with a bare "No idea what '--bogus' is!".
"""

from __future__ import annotations

import functools
import os
import re

from invoke import Program
from invoke.exceptions import Exit, ParseError

from . import __version__, namespace

USAGE_EXIT = 2


def usage_line(program: Program, exc: Exception, task: str | None) -> str:
    """One line: who, what is wrong, and where the help is."""
    # As the user typed it ("invoke" or "inv"), not Invoke's "inv[oke]" display name.
    binary = getattr(program, "called_as", None) or (program.binary or "invoke").replace(
        "[", "").replace("]", "")
    text = str(exc)
    unknown = re.fullmatch(r"No idea what '(.*)' is!", text)
    needs = re.search(r"<Argument: ([^ >]+)", text)
    if unknown and task is None and not unknown.group(1).startswith("-"):
        return (f"{binary}: error: no task named {unknown.group(1)!r} "
                f"(see `{binary} --list` or `{binary} --help`)")
    if unknown:
        what = ("unknown flag" if unknown.group(1).startswith("-")
                else "unexpected argument") + f" {unknown.group(1)}"
    elif needs and "needed value" in text:
        what = f"--{needs.group(1).replace('_', '-')} needs a value"
    else:
        what = text
    who = task or binary
    help_cmd = f"{binary} {task} --help" if task else f"{binary} --help"
    return f"{who}: error: {what} (see `{help_cmd}`)"


def _bad_value(program: Program, exc: ValueError) -> tuple[str | None, str]:
    """(task, "--flag VALUE: not a number") for a value Invoke could not cast."""
    tokens = list(getattr(getattr(program, "core", None), "unparsed", None) or [])
    collection = getattr(program, "collection", None)
    task = None
    for i, token in enumerate(tokens):
        if collection is not None and not token.startswith("-"):
            try:
                collection[token]
                task = token
                continue
            except (KeyError, ValueError):
                pass
        if token.startswith("--") and task is not None:
            name, eq, value = token[2:].partition("=")
            if not eq:
                value = tokens[i + 1] if i + 1 < len(tokens) else ""
            args = {a.name: a for a in collection[task].get_arguments()}
            arg = args.get(name.replace("-", "_"))
            if arg is not None and arg.kind is int:
                try:
                    int(value)
                except ValueError:
                    return task, f"--{name} {value}: not a whole number"
    return task, f"bad value: {exc}"


def _guarded(program: Program, parse):
    try:
        parse()
    except ParseError as exc:
        context = getattr(exc, "context", None)
        raise Exit(usage_line(program, exc, getattr(context, "name", None)),
                   code=USAGE_EXIT) from None
    except ValueError as exc:
        task, what = _bad_value(program, exc)
        raise Exit(usage_line(program, ValueError(what), task), code=USAGE_EXIT) from None


def install_usage_errors(program_class: type[Program] = Program) -> None:
    """Make ``program_class`` exit 2 on usage errors in the task part of the command line.

    Plain ``invoke`` builds its own Program before it reads tasks.py, so this repository's
    tasks.py calls it on Invoke's Program class: from then on, task names, task flags and their
    values are judged by the rule above. A core flag before the task name (``invoke --bogus``)
    is parsed before tasks.py loads and keeps Invoke's exit 1; ``maestro-tasks`` covers it too.
    """
    if getattr(program_class.parse_tasks, "_maestro_usage", False):
        return
    original = program_class.parse_tasks

    @functools.wraps(original)
    def parse_tasks(self):
        _guarded(self, lambda: original(self))

    parse_tasks._maestro_usage = True  # type: ignore[attr-defined]
    program_class.parse_tasks = parse_tasks


class MaestroProgram(Program):
    """An Invoke Program whose project config is the ``invoke.yaml`` of the current folder.

    ``invoke`` reads the invoke.yaml next to tasks.py; the console script has no tasks.py, so the
    folder it runs in plays that role (``maestro: {target: …}`` works the same for both).
    """

    def update_config(self, merge: bool = True) -> None:
        self.config.set_project_location(os.getcwd())
        self.config.load_project(merge=False)
        super().update_config(merge)

    def parse_core(self, argv):
        _guarded(self, lambda: super(MaestroProgram, self).parse_core(argv))

    def parse_tasks(self):
        _guarded(self, lambda: super(MaestroProgram, self).parse_tasks())


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
