"""Steps of week1.fix-tests: the testing domain adapted to the engine's Step contract.

Order matters: caches go first (stale bytecode can hide or fake import problems), then the
config repair, the import smoke test and the suite run. Our own pytest runs write no bytecode and
no .pytest_cache, so a second run finds no caches to clear and changes nothing but the reports.
"""

from __future__ import annotations

import hashlib
import shlex
from typing import Any

from ..engine import (
    BaseStep, Change, Context, Criterion, StepFailed, StepResult, StepSkipped, UsageError,
)
from ..engine.state import STATE_DIR, utc_now_iso
from ..engine.target import split_command
from . import (caches, config, diagnose, hints, interpreter, junit, layout, probe, report, smoke,
               suite, targetenv)

CONFIG_FILES = ("pytest.toml", ".pytest.toml", "pytest.ini", ".pytest.ini", "pyproject.toml",
                "tox.ini", "setup.cfg")


def _result(ctx: Context) -> StepResult:
    """Where a step reports; a throwaway when a caller runs the step outside the runner."""
    return ctx.current if ctx.current is not None else StepResult("detached", "ok", "")


def get_interpreter(ctx: Context) -> interpreter.Interpreter:
    """The target's interpreter, chosen and inspected once per run."""
    if "testing.interp" not in ctx.cache:
        if ctx.options.get("python"):
            chosen = interpreter.choose(ctx.target, ctx.options["python"])
        else:
            chosen = interpreter.choose(ctx.target, ctx.settings.get("python"),
                                        source="setting python")
        ctx.cache["testing.interp"] = interpreter.inspect(chosen, ctx.target)
    interp = ctx.cache["testing.interp"]
    if not interp.pytest_version:
        # what the project declares (its test extra, group, requirements file) is installed
        # into the project's own environment, not pytest alone into ours
        hint = hints.for_distribution("pytest", ctx.target, interp, get_env(ctx, interp))
        raise StepFailed(f"pytest is not installed in {interp.command}",
                         hint=hint.text + " (or pass --python with the project's interpreter)")
    return interp


def get_env(ctx: Context, interp: interpreter.Interpreter) -> targetenv.TargetEnv:
    """The target environment's installed distributions (its own metadata), read once."""
    if "testing.env" not in ctx.cache:
        ctx.cache["testing.env"] = targetenv.inspect_env(interp, ctx.target)
    return ctx.cache["testing.env"]


INSTALL_KINDS = ("missing-dependency", "missing-plugin", "project-not-installed")


def install_hints(findings: list[diagnose.Finding]) -> str:
    """One hint per install command (several modules of one group: one command), no repeats."""
    with_command = [f.install for f in findings if f.install is not None]
    others = [f.hint for f in findings if f.install is None]
    parts = ([hints.combine(with_command)] if with_command else []) + others
    return "; ".join(dict.fromkeys(p for p in parts if p))


def _config_fingerprint(ctx: Context) -> str:
    digest = hashlib.sha256()
    for name in CONFIG_FILES:
        digest.update(name.encode() + b"\0" + (ctx.read_bytes(name) or b"<absent>") + b"\0")
    return digest.hexdigest()


def _prober(ctx: Context, interp: interpreter.Interpreter):
    """Collect-only runs, memoised per (config on disk, overrides) within one task run."""
    memo: dict[Any, probe.ProbeResult] = ctx.cache.setdefault("testing.probes", {})

    def run(overrides: probe.Overrides) -> probe.ProbeResult:
        key = (_config_fingerprint(ctx), overrides)
        if key not in memo:
            memo[key] = probe.collect(interp, ctx.target, overrides,
                                      extra_args=ctx.options.get("pytest_args_list", []))
        return memo[key]

    return run


def check_inputs(ctx: Context) -> None:
    """Refuse bad input (exit 2) before anything else, even on a target with no tests."""
    text = ctx.options.get("pytest_args") or ""
    args = split_command(text, "--pytest-args") if text.strip() else []
    refused = suite.check_args(args)
    if refused:
        raise UsageError(f"--pytest-args: {' '.join(refused)} would stop the suite early or "
                         "run only part of it; the whole suite always runs")
    ctx.options["pytest_args_list"] = args
    # Parse every config file now: an unreadable one stops the run before any write.
    config.discover(ctx.target, (9, 0))
    config.discover(ctx.target, (8, 0))


class InterpreterStep(BaseStep):
    name = "interpreter"

    def prepare(self, ctx: Context) -> None:
        check_inputs(ctx)

    def plan(self, ctx: Context) -> list[Change]:
        interp = get_interpreter(ctx)
        _result(ctx).summary = interp.describe()
        _result(ctx).data.update(command=interp.command, source=interp.source,
                                executable=interp.executable, python=interp.python_version,
                                pytest=interp.pytest_version)
        return []


class CacheStep(BaseStep):
    """Deletes caches. ``options["caches"] = False`` (week1.verify) leaves them alone: stale
    caches are worth clearing, not a week-1 criterion."""

    name = "caches"

    def __init__(self) -> None:
        self._found: list[caches.CacheEntry] | None = None  # the first plan's, for the summary

    def _prune(self, ctx: Context) -> list[str]:
        configured = ctx.settings.get("cache_prune") or []
        return [str(p) for p in configured] if isinstance(configured, list) else [str(configured)]

    def plan(self, ctx: Context) -> list[Change]:
        if ctx.options.get("caches") is False:
            return []
        found = caches.find_caches(ctx.target, self._prune(ctx))
        if self._found is None:
            self._found = found
        return [Change(e.path, "delete", f"delete {e.path} ({caches.human_bytes(e.bytes)})")
                for e in found]

    def verify(self, ctx: Context) -> list[Criterion]:
        result = _result(ctx)
        if ctx.options.get("caches") is False:
            result.summary = "caches left alone"
            return []
        found = self._found or []
        totals = caches.summarize(found)
        result.data.update(totals)
        if found:
            verb = "would free" if ctx.check else "freed"
            result.summary = (
                f"{totals['pycache_dirs']} __pycache__, {totals['pytest_cache_dirs']} "
                f".pytest_cache, {totals['stray_bytecode_files']} stray .pyc: {verb} "
                f"{totals['files']} files, {caches.human_bytes(totals['bytes'])}")
        else:
            result.summary = "no caches (pruned: .git, node_modules, virtualenvs)"
        return []


class ConfigStep(BaseStep):
    name = "pytest-config"

    def __init__(self) -> None:
        self._first: tuple[config.Discovery, diagnose.Diagnosis] | None = None

    def plan(self, ctx: Context) -> list[Change]:
        interp = get_interpreter(ctx)
        run = _prober(ctx, interp)
        discovery = config.discover(ctx.target, interp.pytest_tuple)
        before = run(probe.Overrides())
        diag = diagnose.diagnose(ctx.target, discovery, before, run,
                                 interp_command=interp.command, interp_source=interp.source,
                                 interp=interp, env=get_env(ctx, interp))
        if self._first is None:  # the re-plan after apply must not hide what was found
            self._first = (discovery, diag)
            ctx.cache["testing.findings"] = diag.findings
        changes = [Change(rel, "delete", f"delete {rel} (empty, it hides "
                          f"{diag.discovery.effective.label()})")
                   for rel in diag.delete if diag.discovery and diag.discovery.effective]
        if not diag.edits:
            return changes
        rel, kind, section = diagnose.edit_target(ctx.target, diag.discovery or discovery)
        old = (ctx.read_bytes(rel) or b"").decode("utf-8-sig")
        new = config.apply_edits(old, kind, section, diag.edits)
        if new == old:
            return changes
        what = "; ".join(e.describe() for e in diag.edits)
        return changes + [Change(rel, "write", f"{rel}: {what}", content=new.encode("utf-8"))]

    def apply(self, ctx: Context, changes: list[Change]) -> None:
        for change in changes:
            if change.action == "delete":
                ctx.backup(change.path)  # a config file, unlike a cache: kept in the backup
        ctx.apply_changes(changes)

    def verify(self, ctx: Context) -> list[Criterion]:
        interp = get_interpreter(ctx)
        now = _prober(ctx, interp)(probe.Overrides())
        discovery, diag = self._first
        if diag.delete and diag.discovery is not None and not ctx.check:
            discovery = diag.discovery  # the empty file that hid it is gone
        result = _result(ctx)
        eff = discovery.effective
        result.data.update(
            effective_config=eff.label() if eff else None,
            shadowed=[s.label() for s in discovery.shadowed],
            findings=[f.to_json() for f in diag.findings],
            candidates=[{"candidate": c.label, "collection_errors": c.result.error_count,
                         "config_error": c.result.config_failed}
                        for c in diag.tried if c.result is not None],
            collection_errors_before=diag.before.error_count if not diag.before.config_failed
            else None,
            collection_errors=now.error_count, collected=now.collected,
            unknown_keys=now.unknown_keys,
        )
        if not ctx.check:
            runs = [("config as it is", diag.before)] + [
                (c.label, c.result) for c in diag.tried
                if c.result is not None and c.result is not diag.before]
            log = ctx.write_log("fix-tests-collect.log", "\n\n".join(
                f"## {label}\n$ pytest {shlex.join(run.argv)}\n{run.output}"
                for label, run in runs))
            result.data["collect_log"] = str(log.relative_to(ctx.target))
        for finding in diag.findings:
            line = f"{finding.kind}: {finding.message}"
            result.details.append(line + (f" -> {finding.hint}" if finding.hint else ""))
        for cand in diag.tried:
            if cand.result is not None:
                result.details.append(f"candidate {cand.label}: "
                                      f"{cand.result.error_count} collection error(s)"
                                      + (", pytest stopped before collecting"
                                         if cand.result.config_failed else ""))
        missing = [f for f in diag.findings if f.kind in INSTALL_KINDS]
        if missing and (now.error_count or now.config_failed or now.unknown_keys):
            result.hint = install_hints(missing)
        if not result.summary:
            shadow = (f"; shadowed: {', '.join(s.label() for s in discovery.shadowed)}"
                      if discovery.shadowed else "")
            where = eff.label() if eff else "no config file"
            if now.config_failed:
                result.summary = f"{where}{shadow}: pytest stopped before collecting"
            elif ctx.check or not result.changes:
                result.summary = f"{where}{shadow}: {now.collected or 0} collected, " \
                                 f"{now.error_count} collection error(s)"
        evidence = (f"pytest --collect-only in {interp.command}: {now.collected} collected, "
                    f"{now.error_count} error(s)")
        if now.config_failed:
            evidence = f"pytest refused the config: {now.errors[0].last_line()}" \
                if now.errors else "pytest stopped before collecting"
        return [
            Criterion("zero collection errors",
                      not now.config_failed and now.error_count == 0, evidence),
            Criterion("no unknown config keys", not now.unknown_keys,
                      "unknown: " + ", ".join(now.unknown_keys) if now.unknown_keys
                      else "pytest reported no PytestConfigWarning for unknown keys"),
        ]


def _effective_pythonpath(ctx: Context, interp: interpreter.Interpreter) -> list[str]:
    discovery = config.discover(ctx.target, interp.pytest_tuple)
    if not discovery.inside_target:
        return []
    return diagnose.as_words(discovery.values().get("pythonpath"))


class SmokeStep(BaseStep):
    name = "import-smoke"

    def verify(self, ctx: Context) -> list[Criterion]:
        interp = get_interpreter(ctx)
        result = _result(ctx)
        pythonpath = _effective_pythonpath(ctx, interp)
        packages = layout.top_level_packages(ctx.target, ctx.settings, pythonpath)
        if not packages:
            result.summary = "no top-level packages found"
            return [Criterion("top-level packages import", None, "no packages found")]
        results = smoke.smoke_imports(interp, ctx.target, packages, pythonpath)
        failed = [r for r in results if not r.ok]
        for r in failed:
            result.details.append(f"import {r.package} failed:")
            result.details.extend(f"    {line}" for line in r.tail)
        result.data.update(imported=[r.package for r in results if r.ok],
                                failed=[r.package for r in failed])
        result.summary = (f"{len(results) - len(failed)}/{len(results)} packages import: "
                               + ", ".join(r.package for r in results))
        return [Criterion("top-level packages import", not failed,
                          f"fresh `{interp.command} -c 'import …'` per package; "
                          + (f"failed: {', '.join(r.package for r in failed)}" if failed
                             else "all imported"))]


class SuiteStep(BaseStep):
    name = "test-suite"
    REPORT = "TEST_STATUS.md"
    LOG = "test-results.txt"

    def __init__(self) -> None:
        self._run_done: suite.SuiteRun | None = None

    def plan(self, ctx: Context) -> list[Change]:
        if ctx.options.get("no_run"):
            raise StepSkipped("--no-run: the suite was not run")
        if ctx.check:
            return []  # the suite runs only in apply mode; check mode reads the last run
        return [Change(self.REPORT, "run", f"run the whole suite; write {self.REPORT}, "
                       f"{self.LOG}, .maestro/{suite.JUNIT_NAME}", output=True, run=self._run)]

    def _run(self, ctx: Context) -> None:
        interp = get_interpreter(ctx)
        run = suite.run_suite(interp, ctx.target, ctx.options.get("pytest_args_list", []))
        if run.junit_xml:
            # Failure messages in the XML quote test output: masked like every other report.
            ctx.state.ensure()
            ctx.write_output(f"{STATE_DIR}/{suite.JUNIT_NAME}", run.junit_xml)
        ctx.write_output(self.LOG, run.log.encode("utf-8"))
        hints = list(dict.fromkeys(f.hint for f in self._findings(ctx)
                                   if f.kind in INSTALL_KINDS))
        info = report.RunInfo(
            date=utc_now_iso(), interpreter=interp.executable or interp.command,
            interpreter_source=interp.source, python_version=interp.python_version,
            pytest_version=interp.pytest_version or "?", command=run.command,
            exit_code=run.exit_code, junit=f".maestro/{suite.JUNIT_NAME}")
        from ..resources import template

        text = report.render(template(report.TEMPLATE_NAME), run.counts, info, hints)
        ctx.write_output(self.REPORT, text.encode("utf-8"))
        ctx.state.update_state(fix_tests={"ran_at": info.date, "exit_code": run.exit_code,
                                          "command": run.command, **run.counts.counts()})
        self._run_done = run

    def _findings(self, ctx: Context) -> list[diagnose.Finding]:
        return ctx.cache.get("testing.findings", [])

    def verify(self, ctx: Context) -> list[Criterion]:
        run = self._run_done
        xml_path = ctx.state.root / suite.JUNIT_NAME
        status_text = (ctx.read_bytes(self.REPORT) or b"").decode("utf-8", "replace")
        try:
            counts = junit.parse(xml_path) if xml_path.is_file() else None
        except ValueError:
            counts = None
        if run is not None:
            exit_code, command = run.exit_code, run.command
        else:
            recorded = ctx.state.read_state().get("fix_tests", {})
            exit_code, command = recorded.get("exit_code"), recorded.get("command", "")
        result = _result(ctx)
        if counts is not None:
            result.data.update(counts.counts(), duration_s=round(counts.duration_s, 3),
                               exit_code=exit_code, command=command,
                               failing=[{"test": o.test, "status": o.status, "reason": o.reason}
                                        for o in counts.failing],
                               collection_error_tests=[o.test for o in counts.broken_collection])
            for o in counts.failing:
                result.details.append(f"{o.status}: {o.test}: {o.reason}")
            c = counts
            result.summary = (f"{c.collected} collected: {c.passed} passed, {c.failed} failed, "
                              f"{c.errors} errors, {c.skipped} skipped, {c.xfailed} xfailed, "
                              f"{c.collection_errors} collection errors ({c.duration_s:.1f}s)"
                              + ("" if run is not None else " [last run]"))
        elif ctx.check:
            result.summary = "not run in --check; no previous run recorded"
        criteria = []
        if exit_code is None:
            criteria.append(Criterion("suite executed", None, "no run recorded (run without "
                                      "--check to execute the suite)"))
        else:
            criteria.append(Criterion("suite executed", exit_code in (0, 1),
                                      f"`{command}` exited {exit_code}"))
        in_report = report.counts_in_report(status_text) if status_text else None
        if counts is None or in_report is None:
            criteria.append(Criterion("TEST_STATUS.md counts equal the JUnit XML's",
                                      None if exit_code is None else False,
                                      "TEST_STATUS.md or the JUnit XML is missing"))
        else:
            same = in_report == counts.counts()
            criteria.append(Criterion("TEST_STATUS.md counts equal the JUnit XML's", same,
                                      f"report {in_report} vs .maestro/{suite.JUNIT_NAME} "
                                      f"{counts.counts()}" if not same else
                                      f"{counts.counts()} in both"))
        if ctx.options.get("strict") and counts is not None:
            bad = counts.failed + counts.errors + counts.collection_errors
            criteria.append(Criterion("no failing tests (--strict)", bad == 0,
                                      f"{counts.failed} failed, {counts.errors} errors, "
                                      f"{counts.collection_errors} collection errors"))
        return criteria


def fix_tests_steps(ctx: Context) -> list[BaseStep]:
    return [InterpreterStep(), CacheStep(), ConfigStep(), SmokeStep(), SuiteStep()]
