"""The whole suite, in the target's interpreter: never ``-x``; pytest's own stats as the counter,
the JUnit XML kept as an artefact."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .interpreter import Interpreter
from .junit import JUnitCounts, parse
from . import stats as pstats
from .probe import run_pytest

JUNIT_NAME = "junit.xml"  # under .maestro/
FORBIDDEN_ARGS = ("-x", "--exitfirst", "--maxfail", "--sw", "--stepwise", "--lf", "--last-failed",
                  "--ff", "--failed-first")

STOP_KINDS = {-1: "timeout", 2: "interrupted", 3: "internal error", 4: "usage error"}
PYCACHE_NAME = "pycache"  # under .maestro/: bytecode of the suite runs, reused like __pycache__
CACHE_NAME = "pytest-cache"  # under .maestro/: pytest's cache for our runs, emptied per run

# ``--sw`` in a project's addopts would stop the run at the first failure, as ``-x`` would
# (``--maxfail=0`` undoes that one): the whole suite always runs, so stepwise is switched off
# before its plugin reads the option. The option stays known, so the addopts still parse.
NO_STEPWISE_MODULE = "maestro_no_stepwise"
NO_STEPWISE_SOURCE = """\
import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    for name in ("stepwise", "stepwise_skip", "stepwise_reset"):
        if getattr(config.option, name, False):
            setattr(config.option, name, False)
"""


@dataclass
class SuiteRun:
    exit_code: int
    argv: list[str]  # pytest arguments, as a user would type them after ``pytest``
    log: str
    junit_xml: bytes
    counts: JUnitCounts  # from the JUnit XML: an artefact, kept for CI tools
    wall_s: float
    stats_json: bytes = b""  # pytest's own numbers, as our plugin recorded them
    stats: pstats.PytestStats | None = None

    @property
    def stopped_early(self) -> str | None:
        """Why pytest did not run the suite to the end (exit 2, 3, 4 or our timeout), in
        pytest's words where it gave any; None for a run that finished (exit 0, 1, 5)."""
        if self.exit_code in (0, 1, 5):
            return None
        meaning = STOP_KINDS.get(self.exit_code, f"exit code {self.exit_code}")
        said = None
        if self.stats is not None:
            said = self.stats.internal_error or self.stats.interrupted or self.stats.stopped
        said = said or pstats.stop_message(self.log)
        return f"{meaning}: {said}" if said else meaning

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
              timeout: float = 3600, cache_dir: Path | None = None,
              pycache_prefix: Path | None = None) -> SuiteRun:
    """Run everything once, in its own session (whatever the tests start is ended with it).

    Writes nothing into the target by itself: no bytecode; the JUnit XML and pytest's stats go
    to a temp folder (the caller stores them); pytest's cache goes to ``cache_dir`` (a private
    folder, emptied first, so ``--lf``/``--ff``/``--nf`` in the project's addopts behave as on a
    first run and the whole suite runs), or to the temp folder. The tests may still write."""
    with tempfile.TemporaryDirectory(prefix="maestro-suite-") as tmp:
        helpers = Path(tmp)
        xml_path = helpers / JUNIT_NAME
        stats_path = helpers / pstats.STATS_NAME
        (helpers / f"{pstats.PLUGIN_MODULE}.py").write_text(pstats.plugin_source(),
                                                             encoding="utf-8")
        (helpers / f"{NO_STEPWISE_MODULE}.py").write_text(NO_STEPWISE_SOURCE, encoding="utf-8")
        if cache_dir is not None:
            shutil.rmtree(cache_dir, ignore_errors=True)
            shown_cache = f".maestro/{cache_dir.name}"
        else:
            cache_dir, shown_cache = helpers / "pytest-cache", "<private>"
        shown = ["-o", f"cache_dir={shown_cache}", "-p", pstats.PLUGIN_MODULE,
                 "-p", NO_STEPWISE_MODULE, "-ra", "--continue-on-collection-errors",
                 "-o", "junit_family=xunit1", f"--junitxml=.maestro/{JUNIT_NAME}", *extra_args,
                 "--maxfail=0"]
        real = [f"--junitxml={xml_path}" if a.startswith("--junitxml=")
                else f"cache_dir={cache_dir}" if a.startswith("cache_dir=") else a
                for a in shown]
        started = time.monotonic()
        try:
            proc = run_pytest(interp, target, real, helpers=helpers, timeout=timeout,
                              extra_env={"MAESTRO_STATS_OUT": str(stats_path)},
                              pycache_prefix=pycache_prefix)
            code, log = proc.returncode, (proc.stdout or "") + (proc.stderr or "")
        except subprocess.TimeoutExpired as exc:
            code = -1
            out = exc.stdout or ""
            if isinstance(out, bytes):  # TimeoutExpired carries raw bytes even in text mode
                out = out.decode("utf-8", "replace")
            log = out + f"\n[maestro-tasks] the suite was stopped after {timeout:.0f}s; " \
                        "every process it started was ended\n"
        wall = time.monotonic() - started
        if pycache_prefix is not None:
            # our plugins' bytecode, filed under this run's temp folder: never used again
            shutil.rmtree(Path(f"{pycache_prefix}{helpers.resolve()}"), ignore_errors=True)
        xml = xml_path.read_bytes() if xml_path.exists() else b""
        try:
            counts = parse(xml_path) if xml else JUnitCounts()
        except ValueError:
            counts = JUnitCounts()
        raw = stats_path.read_bytes() if stats_path.exists() else b""
        try:
            pytest_stats = pstats.load(stats_path) if raw else None
        except ValueError:
            pytest_stats, raw = None, b""
    return SuiteRun(code, shown, log, xml, counts, wall, raw, pytest_stats)
