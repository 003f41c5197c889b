"""The whole suite, in the target's interpreter: never ``-x``, JUnit XML as the only counter."""

from __future__ import annotations

import shlex
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .interpreter import Interpreter
from .junit import JUnitCounts, parse
from .probe import run_pytest

JUNIT_NAME = "junit.xml"  # under .maestro/
FORBIDDEN_ARGS = ("-x", "--exitfirst", "--maxfail", "--sw", "--stepwise", "--lf", "--last-failed",
                  "--ff", "--failed-first")


@dataclass
class SuiteRun:
    exit_code: int
    argv: list[str]  # pytest arguments, as a user would type them after ``pytest``
    log: str
    junit_xml: bytes
    counts: JUnitCounts
    wall_s: float

    @property
    def command(self) -> str:
        return shlex.join(["pytest", *self.argv])

    @property
    def executed(self) -> bool:
        return self.exit_code in (0, 1)


def check_args(extra: list[str]) -> list[str]:
    """Refused ``--pytest-args``: the ones that stop early or run a subset by history."""
    refused = []
    for arg in extra:
        if arg.split("=", 1)[0] in FORBIDDEN_ARGS:
            refused.append(arg)
        elif arg[:1] == "-" and arg[1:2] != "-" and arg[1:].isalpha() and "x" in arg[1:]:
            refused.append(arg)  # -x bundled with other short flags, e.g. -vx
    return refused


def run_suite(interp: Interpreter, target: Path, extra_args: list[str], *,
              timeout: float = 3600) -> SuiteRun:
    """Run everything once. Writes nothing into the target by itself: no cache, no bytecode,
    JUnit XML into a temp folder (the caller stores it); the tests may still write."""
    with tempfile.TemporaryDirectory(prefix="maestro-suite-") as tmp:
        helpers = Path(tmp)
        xml_path = helpers / JUNIT_NAME
        shown = ["-p", "no:cacheprovider", "-rA", "--continue-on-collection-errors",
                 "-o", "junit_family=xunit1", f"--junitxml=.maestro/{JUNIT_NAME}", *extra_args,
                 "--maxfail=0"]
        real = [a if not a.startswith("--junitxml=") else f"--junitxml={xml_path}" for a in shown]
        started = time.monotonic()
        try:
            proc = run_pytest(interp, target, real, helpers=helpers, timeout=timeout)
            code, log = proc.returncode, (proc.stdout or "") + (proc.stderr or "")
        except subprocess.TimeoutExpired as exc:
            code = -1
            out = exc.stdout or ""
            if isinstance(out, bytes):  # TimeoutExpired carries raw bytes even in text mode
                out = out.decode("utf-8", "replace")
            log = out + f"\n[maestro-tasks] the suite was stopped after {timeout:.0f}s\n"
        wall = time.monotonic() - started
        xml = xml_path.read_bytes() if xml_path.exists() else b""
        counts = parse(xml_path) if xml else JUnitCounts()
    return SuiteRun(code, shown, log, xml, counts, wall)
