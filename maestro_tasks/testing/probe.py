"""pytest as the oracle: collect-only runs in the target's interpreter that write nothing.

Every run goes through a small runner script in a temporary folder, which starts pytest the way
the ``pytest`` console script does (the target folder is *not* put on ``sys.path``, unlike
``python -m pytest``), and loads a probe plugin that records, as JSON, what pytest itself saw:
items collected, collection errors with the real exception, config-time warnings (unknown keys),
the rootdir and the config file. Runs use a private ``cache_dir`` in the temp folder and
PYTHONDONTWRITEBYTECODE=1. The runner is import-safe (``if __name__ == "__main__"``) and every
run is a process tree of its own, ended whole (``engine.processes``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine import processes
from .interpreter import Interpreter, base_env

RUNNER_NAME = "maestro_pytest_run.py"
PLUGIN_NAME = "maestro_collect_probe"

# The guard matters: a test using a multiprocessing "spawn" or "forkserver" pool (the Linux
# default from Python 3.14) re-imports the main module in every child; without it each child
# would run the whole suite again. ``pytest.main`` is what ``console_main`` (deprecated in
# pytest 9.2) wraps.
RUNNER_SOURCE = """\
import os
import sys

if __name__ == "__main__":
    import pytest

    # A suite run files the bytecode of what it imports from here on (the project, its
    # tests with pytest's assertion rewriting, conftests) under a private prefix and reuses it
    # there, as bare pytest reuses __pycache__: the tree gets none, and what was imported
    # before (stdlib, pytest) keeps using its own __pycache__. Python and pytest check each
    # cached file against its source as they do in __pycache__, and never import one whose
    # source is gone. Processes the tests start write no bytecode.
    prefix = os.environ.pop("MAESTRO_PYCACHE_PREFIX", None)
    if prefix:
        sys.pycache_prefix = prefix
        sys.dont_write_bytecode = False
    code = pytest.main()
    sys.stdout.flush()
    sys.exit(int(code))
"""

PLUGIN_SOURCE = r'''
import json
import os

_state = {"collected": None, "errors": [], "warnings": [], "rootdir": None,
          "inifile": None, "known_keys": None}
_exceptions = {}


def _root_cause(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ImportError):
            return exc
        exc = getattr(exc, "cause", None) or exc.__cause__ or exc.__context__
    return None


def pytest_configure(config):
    _state["rootdir"] = str(config.rootpath)
    _state["inifile"] = str(config.inipath) if config.inipath else None
    try:
        _state["known_keys"] = sorted({*config._parser._inidict,
                                       *getattr(config._parser, "_ini_aliases", {})})
    except Exception:
        pass


def pytest_warning_recorded(warning_message, when, nodeid, location):
    _state["warnings"].append({"category": warning_message.category.__name__,
                               "message": str(warning_message.message), "when": when})


def pytest_exception_interact(node, call, report):
    if call.excinfo is not None:
        _exceptions[report.nodeid] = call.excinfo.value


def pytest_collectreport(report):
    if not report.failed:
        return
    exc = _exceptions.get(report.nodeid)
    root = _root_cause(exc)
    conftest = type(exc).__name__ == "ConftestImportFailure"
    _state["errors"].append({
        "nodeid": report.nodeid,
        "type": type(root or exc).__name__ if (root or exc) is not None else None,
        "module": getattr(root, "name", None),
        "conftest": conftest,
        "text": report.longreprtext[-4000:],
    })


def pytest_collection_finish(session):
    _state["collected"] = len(session.items)


def pytest_unconfigure(config):
    out = os.environ.get("MAESTRO_PROBE_OUT")
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            json.dump(_state, fh)
'''

_NO_MODULE = re.compile(r"No module named '([^']+)'")
_UNKNOWN_KEY = re.compile(r"Unknown config option: (\S+)")
_USAGE_ERROR = re.compile(r"^ERROR: ", re.MULTILINE)
PYTEST_INTERNAL_ERROR, PYTEST_USAGE_ERROR = 3, 4


@dataclass
class CollectError:
    nodeid: str
    type: str | None
    module: str | None  # the module that failed to import (dotted), when known
    text: str
    conftest: bool = False

    @property
    def top_module(self) -> str | None:
        return self.module.split(".")[0] if self.module else None

    def last_line(self) -> str:
        lines = [ln.strip() for ln in self.text.strip().splitlines() if ln.strip()]
        for line in reversed(lines):
            if line.startswith("E "):
                return line[1:].strip()
        return lines[-1] if lines else "collection error"


@dataclass(frozen=True)
class Overrides:
    """What a probe run changes relative to the config on disk (nothing by default).

    ``ini`` holds ``-o key=value`` overrides (path values already absolute), ``cli`` extra flags
    such as ``--import-mode=importlib``. ``replace_config`` ignores the file on disk (``-c`` at
    nothing, rootdir pinned to the target): used when pytest cannot read that file, e.g. a
    pytest.ini missing its header, with every intended value passed in ``ini``.
    """

    ini: tuple[tuple[str, str], ...] = ()
    cli: tuple[str, ...] = ()
    replace_config: bool = False

    def args(self, target: Path) -> list[str]:
        out: list[str] = []
        if self.replace_config:
            out += ["-c", os.devnull, "--rootdir", str(target), "--confcutdir", str(target)]
        for key, value in self.ini:
            out += ["-o", f"{key}={value}"]
        return out + list(self.cli)


@dataclass
class ProbeResult:
    exit_code: int
    collected: int | None
    errors: list[CollectError]
    warnings: list[dict[str, str]]
    rootdir: str | None
    inifile: str | None
    known_keys: list[str] | None
    output: str
    argv: list[str] = field(default_factory=list)
    proof: Any = None  # engine.proofs.Proof when this result is a recorded one, reused

    @property
    def clean(self) -> bool:
        """Collected with no error and no unknown key: the only result worth a proof."""
        return (not self.config_failed and not self.errors and not self.unknown_keys
                and self.exit_code in (0, 5))

    OUTPUT_KEPT = 4000  # characters of a proven run's output kept with its proof

    def to_proof(self) -> dict[str, Any]:
        return {"exit_code": self.exit_code, "collected": self.collected,
                "warnings": self.warnings, "rootdir": self.rootdir, "inifile": self.inifile,
                "known_keys": self.known_keys, "argv": self.argv,
                "output_tail": self.output[-self.OUTPUT_KEPT:]}

    @classmethod
    def from_proof(cls, proof: Any) -> "ProbeResult | None":
        """The recorded clean result of ``proof`` (None when its data is not one)."""
        data = proof.data
        try:
            result = cls(int(data["exit_code"]), int(data["collected"]), [],
                         list(data.get("warnings") or []), data.get("rootdir"),
                         data.get("inifile"), data.get("known_keys"),
                         f"[not run again: {proof.describe()}; the end of that run's output "
                         f"follows]\n{data.get('output_tail', '')}",
                         list(data.get("argv") or []), proof)
        except (KeyError, TypeError, ValueError):
            return None
        return result if result.clean else None

    @property
    def config_failed(self) -> bool:
        """pytest stopped before collecting (bad config, rootdir conftest failing to import)."""
        return self.collected is None

    @property
    def error_count(self) -> int:
        return len(self.errors)

    @property
    def unknown_keys(self) -> list[str]:
        keys = []
        for warning in self.warnings:
            match = _UNKNOWN_KEY.search(warning["message"])
            if match and match.group(1) not in keys:
                keys.append(match.group(1))
        return keys

    def score(self) -> tuple[int, int]:
        """Lower is better: errors first; a run that never reached collection is worst."""
        return (1 if self.config_failed else 0, self.error_count)


def write_helpers(folder: Path) -> Path:
    (folder / RUNNER_NAME).write_text(RUNNER_SOURCE, encoding="utf-8")
    (folder / f"{PLUGIN_NAME}.py").write_text(PLUGIN_SOURCE, encoding="utf-8")
    return folder / RUNNER_NAME


def _errors_from_output(output: str) -> list[CollectError]:
    """pytest failed before collecting: rebuild the error from its message (a conftest import)."""
    match = re.search(r"ImportError while loading conftest '([^']+)'", output)
    missing = _NO_MODULE.search(output)
    if match or missing:
        module = missing.group(1) if missing else None
        kind = "ModuleNotFoundError" if missing else "ImportError"
        nodeid = match.group(1) if match else "<config>"
        return [CollectError(nodeid, kind, module, output[-4000:], conftest=bool(match))]
    lines = [ln for ln in output.strip().splitlines() if ln.strip()]
    return [CollectError("<config>", "UsageError", None, "\n".join(lines[-10:]))]


def run_pytest(interp: Interpreter, target: Path, args: list[str], *, helpers: Path,
               timeout: float, extra_env: dict[str, str] | None = None,
               pycache_prefix: Path | None = None) -> subprocess.CompletedProcess[str]:
    """pytest in its own session; whatever the run leaves behind is ended when it returns (or
    times out, or we are interrupted). stdout holds stdout and stderr interleaved."""
    runner = helpers / RUNNER_NAME
    if not runner.exists():
        write_helpers(helpers)
    env = base_env(interp.env)
    env.update(extra_env or {})
    if pycache_prefix is not None:
        env["MAESTRO_PYCACHE_PREFIX"] = str(pycache_prefix)
    argv = [*interp.argv, str(runner), *args]
    done = processes.run(argv, cwd=target, env=env, timeout=timeout)
    return subprocess.CompletedProcess(argv, done.returncode, done.output, "")


def collect(interp: Interpreter, target: Path, overrides: Overrides = Overrides(), *,
            extra_args: list[str] | None = None, timeout: float = 300) -> ProbeResult:
    """One collect-only run; writes nothing in the target (no cache, no bytecode, no XML)."""
    with tempfile.TemporaryDirectory(prefix="maestro-probe-") as tmp:
        helpers = Path(tmp)
        write_helpers(helpers)
        out_file = helpers / "probe.json"
        # A private cache, not ``-p no:cacheprovider``: a project with --ff/--lf/--nf/--sw in
        # its addopts needs the cache plugin's options to exist.
        args = ["--collect-only", "-q", "-o", f"cache_dir={helpers / 'pytest-cache'}",
                "-p", PLUGIN_NAME,
                *overrides.args(target), *(extra_args or [])]
        try:
            proc = run_pytest(interp, target, args, helpers=helpers, timeout=timeout,
                              extra_env={"MAESTRO_PROBE_OUT": str(out_file)})
        except subprocess.TimeoutExpired:
            return ProbeResult(-1, None, [CollectError("<timeout>", "Timeout", None,
                               f"collection took longer than {timeout:.0f}s")], [], None, None,
                               None, "", args)
        output = (proc.stdout or "") + (proc.stderr or "")
        data: dict[str, Any] = {}
        if out_file.exists():
            try:
                data = json.loads(out_file.read_text(encoding="utf-8"))
            except ValueError:
                data = {}
    errors = [CollectError(e["nodeid"], e["type"], e["module"] or _guess_module(e["text"]),
                           e["text"], e["conftest"]) for e in data.get("errors", [])]
    collected = data.get("collected")
    # usage/internal errors (a bad argument, a broken config value) can still report 0 items
    # collected: that run never collected anything, it is not "0 errors"
    stopped = proc.returncode in (PYTEST_INTERNAL_ERROR, PYTEST_USAGE_ERROR) or (
        not collected and not errors and _USAGE_ERROR.search(output) is not None)
    if stopped:
        collected = None
    if collected is None and not errors and (stopped or proc.returncode not in (0, 5)):
        errors = _errors_from_output(output)
    prefix = str(target.resolve()) + os.sep
    for error in errors:
        if error.nodeid.startswith(prefix):
            error.nodeid = error.nodeid[len(prefix):]
    return ProbeResult(proc.returncode, collected, errors, data.get("warnings", []),
                       data.get("rootdir"), data.get("inifile"), data.get("known_keys"),
                       output, args)


def _guess_module(text: str) -> str | None:
    match = _NO_MODULE.search(text)
    return match.group(1) if match else None
