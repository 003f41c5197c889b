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
from ..engine.proofs import Digest
from . import (
    caches, config, diagnose, hints, inputs, interpreter, layout, probe, report, smoke, stats,
    suite, targetenv,
)

COLLECT_PROOF = "fix-tests.collect-only"  # keys in .maestro/proofs.json
SMOKE_PROOF = "fix-tests.import-smoke"

CONFIG_FILES = ("pytest.toml", ".pytest.toml", "pytest.ini", ".pytest.ini", "pyproject.toml",
                "tox.ini", "setup.cfg")


def _result(ctx: Context) -> StepResult:
    """Where a step reports; a throwaway when a caller runs the step outside the runner."""
    return ctx.current if ctx.current is not None else StepResult("detached", "ok", "")


def get_interpreter(ctx: Context) -> interpreter.Interpreter:
    """The target's interpreter, chosen and inspected once per run."""
    if "testing.interp" not in ctx.cache:
        recorded = _recorded_python(ctx) if ctx.options.get("recorded_python") else None
        if ctx.options.get("python"):
            chosen = interpreter.choose(ctx.target, ctx.options["python"])
        elif recorded:
            # week1.verify judges with the interpreter the last fix-tests run used
            chosen = interpreter.Interpreter(recorded, "last fix-tests run")
        else:
            chosen = interpreter.choose(ctx.target, ctx.settings.get("python"),
                                        source="setting python")
        ctx.cache["testing.interp"] = interpreter.inspect(chosen, ctx.target, env=True)
    interp = ctx.cache["testing.interp"]
    if not interp.pytest_version:
        # what the project declares (its test extra, group, requirements file) is installed
        # into the project's own environment, not pytest alone into ours
        hint = hints.for_distribution("pytest", ctx.target, interp, get_env(ctx, interp))
        raise StepFailed(f"pytest is not installed in {interp.command}",
                         hint=hint.text + " (or pass --python with the project's interpreter)")
    return interp


def _recorded_python(ctx: Context) -> list[str] | None:
    recorded = ctx.state.read_state().get("fix_tests")
    argv = recorded.get("python") if isinstance(recorded, dict) else None
    if isinstance(argv, list) and argv and all(isinstance(w, str) for w in argv):
        return argv
    return None


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


def inputs_digest(ctx: Context, interp: interpreter.Interpreter, kind: str,
                  **extra: str) -> str | None:
    """Digest of everything ``kind`` reads (testing/inputs.py) plus ``extra``; None when the
    environment's distributions are unknown (nothing is proven then)."""
    digest = Digest(kind)
    if not inputs.add_interpreter(digest, interp):
        return None
    digest.add("target", str(ctx.target.resolve()))
    inputs.add_tree(digest, ctx.target)
    for name, value in sorted(extra.items()):
        digest.add(name, value)
    return digest.hexdigest()


def _collect_as_is(ctx: Context, interp: interpreter.Interpreter) -> probe.ProbeResult:
    """The collect-only run of the config as it is: a recorded clean result is reused while
    its inputs are unchanged; a clean fresh one is recorded."""
    extra_args = ctx.options.get("pytest_args_list", [])
    digest = inputs_digest(ctx, interp, COLLECT_PROOF, pytest_args="\0".join(extra_args))
    if digest is not None:
        proof = ctx.proofs.get(COLLECT_PROOF, digest)
        reused = probe.ProbeResult.from_proof(proof) if proof is not None else None
        if reused is not None:
            return reused
    result = probe.collect(interp, ctx.target, extra_args=extra_args)
    if digest is not None and result.clean:
        ctx.proofs.put(COLLECT_PROOF, digest, _collect_evidence(interp, result),
                       result.to_proof())
    return result


def _collect_evidence(interp: interpreter.Interpreter, result: probe.ProbeResult) -> str:
    return (f"pytest --collect-only in {interp.command}: {result.collected} collected, "
            f"{result.error_count} error(s)")


def _prober(ctx: Context, interp: interpreter.Interpreter):
    """Collect-only runs, memoised per (config on disk, overrides) within one task run; the
    config as it is (no overrides) goes through the proof store."""
    memo: dict[Any, probe.ProbeResult] = ctx.cache.setdefault("testing.probes", {})

    def run(overrides: probe.Overrides) -> probe.ProbeResult:
        key = (_config_fingerprint(ctx), overrides)
        if key not in memo:
            if overrides == probe.Overrides():
                memo[key] = _collect_as_is(ctx, interp)
            else:
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
    caches are worth clearing, not a week-1 criterion. Never deletes a git-tracked file, and
    leaves the caches the suite's own last run wrote (recorded in .maestro/) to the next run:
    they are not stale, and clearing them on every run would never let a rerun be a no-op."""

    name = "caches"
    SNAPSHOT = "suite-caches.json"  # under .maestro/

    def __init__(self) -> None:
        self._found: list[caches.CacheEntry] | None = None  # the first plan's, for the summary
        self._kept: list[str] = []
        self._suite_made = 0
        self._seen: dict[str, tuple[str, ...] | None] = {}  # the last plan's: path -> files

    def _prune(self, ctx: Context) -> list[str]:
        configured = ctx.settings.get("cache_prune") or []
        return [str(p) for p in configured] if isinstance(configured, list) else [str(configured)]

    def plan(self, ctx: Context) -> list[Change]:
        if ctx.options.get("caches") is False:
            return []
        tracked = ctx.cache.get("testing.tracked")
        if tracked is None:
            tracked = ctx.cache["testing.tracked"] = caches.git_tracked(ctx.target) or set()
        kept: list[str] = []
        found = caches.find_caches(ctx.target, self._prune(ctx), tracked=tracked, kept=kept)
        recorded = caches.load_snapshot(ctx.read_bytes(f"{STATE_DIR}/{self.SNAPSHOT}"))
        mine = [e for e in found if caches.produced_by_suite(e, recorded)]
        found = [e for e in found if not caches.produced_by_suite(e, recorded)]
        if self._found is None:
            self._found, self._kept, self._suite_made = found, kept, len(mine)
        self._seen = {e.path: (e.names if e.kind != "*.pyc" else None) for e in found}
        return [Change(e.path, "delete", f"delete {e.path} ({caches.human_bytes(e.bytes)})")
                for e in found]

    def apply(self, ctx: Context, changes: list[Change]) -> None:
        # One pass over the planned paths (fsio.remove_many: folders opened with O_NOFOLLOW
        # relative to their parent), not one path resolution and rmtree per cache. The first
        # goes through ctx.remove, which records the run's baseline as every first write does.
        from ..engine import fsio  # local: this step alone deletes in bulk

        rels = [c.path for c in changes if c.action == "delete"]
        if rels:
            ctx.remove(rels[0], measure=False)
            fsio.remove_many(ctx.target, rels[1:], self._seen)

    def verify(self, ctx: Context) -> list[Criterion]:
        result = _result(ctx)
        if ctx.options.get("caches") is False:
            result.summary = "caches left alone"
            return []
        found = self._found or []
        totals = caches.summarize(found)
        result.data.update(totals, tracked_kept=len(self._kept),
                           written_by_last_suite_run=self._suite_made)
        if found:
            verb = "would free" if ctx.check else "freed"
            result.summary = (
                f"{totals['pycache_dirs']} __pycache__, {totals['pytest_cache_dirs']} "
                f".pytest_cache, {totals['stray_bytecode_files']} stray .pyc: {verb} "
                f"{totals['files']} files, {caches.human_bytes(totals['bytes'])}")
        else:
            result.summary = "no caches (pruned: .git, node_modules, virtualenvs)"
        notes = []
        if self._kept:
            notes.append(f"{len(self._kept)} git-tracked bytecode file(s) kept")
        if self._suite_made:
            notes.append(f"{self._suite_made} written by the suite's own last run, left alone")
        if notes:
            result.summary += "; " + "; ".join(notes)
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
        evidence = now.proof.describe() if now.proof is not None else \
            _collect_evidence(interp, now)
        if now.proof is not None:
            result.data["collect_proof"] = {"digest": now.proof.digest,
                                            "proven_at": now.proof.proven_at}
        if now.config_failed:
            evidence = f"pytest refused the config: {now.errors[0].last_line()}" \
                if now.errors else "pytest stopped before collecting"
        return [
            Criterion("zero collection errors",
                      not now.config_failed and now.error_count == 0, evidence),
            Criterion("no unknown config keys", not now.unknown_keys,
                      "unknown: " + ", ".join(now.unknown_keys) if now.unknown_keys
                      else "pytest reported no PytestConfigWarning for unknown keys"
                      + (now.proof.describe()[len(now.proof.evidence):]
                         if now.proof is not None else "")),
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
        digest = inputs_digest(ctx, interp, SMOKE_PROOF, packages="\0".join(packages),
                               pythonpath="\0".join(pythonpath))
        proof = ctx.proofs.get(SMOKE_PROOF, digest) if digest is not None else None
        if proof is not None and proof.data.get("imported") == packages:
            result.data.update(imported=list(packages), failed=[],
                               smoke_proof={"digest": proof.digest,
                                            "proven_at": proof.proven_at})
            result.summary = (f"{len(packages)}/{len(packages)} packages import: "
                              + ", ".join(packages) + " (proof reused)")
            return [Criterion("top-level packages import", True, proof.describe())]
        results = smoke.smoke_imports(interp, ctx.target, packages, pythonpath)
        failed = [r for r in results if not r.ok]
        for r in failed:
            result.details.append(f"import {r.package} failed:")
            result.details.extend(f"    {line}" for line in r.tail)
        result.data.update(imported=[r.package for r in results if r.ok],
                                failed=[r.package for r in failed])
        result.summary = (f"{len(results) - len(failed)}/{len(results)} packages import: "
                               + ", ".join(r.package for r in results))
        evidence = (f"fresh `{interp.command} -c 'import …'` per package; "
                    + (f"failed: {', '.join(r.package for r in failed)}" if failed
                       else "all imported"))
        if digest is not None and not failed:
            ctx.proofs.put(SMOKE_PROOF, digest, evidence, {"imported": list(packages)})
        return [Criterion("top-level packages import", not failed, evidence)]


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
                       f"{self.LOG}, .maestro/{stats.STATS_NAME}, .maestro/{suite.JUNIT_NAME}",
                       output=True, run=self._run)]

    def _run(self, ctx: Context) -> None:
        interp = get_interpreter(ctx)
        ctx.state.ensure()
        cache_dir = ctx.path(f"{STATE_DIR}/{suite.CACHE_NAME}")
        run = suite.run_suite(interp, ctx.target, ctx.options.get("pytest_args_list", []),
                              cache_dir=cache_dir,
                              pycache_prefix=ctx.path(f"{STATE_DIR}/{suite.PYCACHE_NAME}"))
        # Outputs of the last run only: a run that recorded nothing leaves no stale numbers.
        for name, content in ((suite.JUNIT_NAME, run.junit_xml),
                              (stats.STATS_NAME, run.stats_json)):
            if content:
                # Failure messages quote test output: masked like every other report.
                ctx.write_output(f"{STATE_DIR}/{name}", content)
            else:
                ctx.remove(f"{STATE_DIR}/{name}", measure=False)
        ctx.write_output(self.LOG, run.log.encode("utf-8"))
        # What the suite wrote while it ran (bytecode from its own subprocesses, a cache):
        # recorded, so the next run's cache step does not call it pending.
        tracked = ctx.cache.get("testing.tracked") or set()
        left = caches.find_caches(ctx.target, CacheStep()._prune(ctx), tracked=tracked)
        ctx.write_output(f"{STATE_DIR}/{CacheStep.SNAPSHOT}", caches.dump_snapshot(left))
        hints = list(dict.fromkeys(f.hint for f in self._findings(ctx)
                                   if f.kind in INSTALL_KINDS))
        info = report.RunInfo(
            date=utc_now_iso(), interpreter=interp.executable or interp.command,
            interpreter_source=interp.source, python_version=interp.python_version,
            pytest_version=interp.pytest_version or "?", command=run.command,
            exit_code=run.exit_code, junit=f".maestro/{suite.JUNIT_NAME}",
            stats=f".maestro/{stats.STATS_NAME}", stopped=run.stopped_early,
            duration_s=run.wall_s)
        from ..resources import template

        text = report.render(template(report.TEMPLATE_NAME), run.stats, info, hints)
        ctx.write_output(self.REPORT, text.encode("utf-8"))
        counts = run.stats.counts() if run.stats is not None else {}
        ctx.state.update_state(fix_tests={
            "ran_at": info.date, "exit_code": run.exit_code, "command": run.command,
            "stopped": run.stopped_early, "summary": run.stats.summary if run.stats else None,
            # the interpreter week1.verify judges with, unless told otherwise
            "python": list(interp.argv), "python_source": interp.source, **counts})
        self._run_done = run

    def _findings(self, ctx: Context) -> list[diagnose.Finding]:
        return ctx.cache.get("testing.findings", [])

    def verify(self, ctx: Context) -> list[Criterion]:
        run = self._run_done
        stats_path = ctx.state.root / stats.STATS_NAME
        status_text = (ctx.read_bytes(self.REPORT) or b"").decode("utf-8", "replace")
        try:
            counts = stats.load(stats_path) if stats_path.is_file() else None
        except ValueError:
            counts = None
        recorded = ctx.state.read_state().get("fix_tests", {})
        if run is not None:
            exit_code, command, stopped = run.exit_code, run.command, run.stopped_early
        else:
            exit_code, command = recorded.get("exit_code"), recorded.get("command", "")
            stopped = recorded.get("stopped")
        result = _result(ctx)
        result.data.update(exit_code=exit_code, command=command, stopped=stopped)
        if counts is not None:
            duration = run.wall_s if run is not None else 0.0
            result.data.update(counts.counts(), duration_s=round(duration, 3),
                               pytest_summary=counts.summary,
                               other_counts=counts.other_counts,
                               failing=[{"test": p.test, "status": p.status, "when": p.when,
                                         "reason": p.reason} for p in counts.failing],
                               errors_by_cause=[[c, n] for c, n in counts.errors_by_cause()],
                               collection_error_tests=[p.test for p in
                                                       counts.broken_collection])
            for p in counts.failing:
                result.details.append(f"{p.status} ({p.when}): {p.test}: {p.reason}")
            for cause, n in counts.errors_by_cause():
                result.details.append(f"{n} error{'s' if n != 1 else ''}: {cause}")
            result.summary = (f"{counts.collected} collected; pytest: "
                              f"{counts.summary or 'no summary'}"
                              + (f" ({run.wall_s:.1f}s)" if run is not None else " [last run]"))
        elif ctx.check and exit_code is None:
            result.summary = "not run in --check; no previous run recorded"
        if stopped:
            result.summary = f"pytest stopped early: {stopped}" + (
                f"; {result.summary}" if result.summary else "")
        criteria = []
        if exit_code is None:
            criteria.append(Criterion("suite executed", None, "no run recorded (run without "
                                      "--check to execute the suite)"))
        else:
            criteria.append(Criterion("suite executed", exit_code in (0, 1),
                                      f"`{command}` exited {exit_code}"
                                      + (f": {stopped}" if stopped else "")))
        in_report = report.counts_in_report(status_text) if status_text else None
        name = "TEST_STATUS.md counts equal pytest's"
        if counts is None or in_report is None:
            criteria.append(Criterion(name, None if exit_code is None or stopped else False,
                                      "pytest stopped early: no counts to compare" if stopped
                                      else "TEST_STATUS.md or .maestro/"
                                      f"{stats.STATS_NAME} is missing"))
        else:
            same = in_report == counts.table_counts()
            criteria.append(Criterion(name, same,
                                      f"report {in_report} vs .maestro/{stats.STATS_NAME} "
                                      f"{counts.table_counts()}" if not same else
                                      f"{counts.table_counts()} in both"))
        if ctx.options.get("strict") and counts is not None:
            bad = counts.failed + counts.errors
            criteria.append(Criterion("no failing tests (--strict)", bad == 0,
                                      f"{counts.failed} failed, {counts.errors} errors "
                                      f"({counts.collection_errors} in collection)"))
        return criteria


def fix_tests_steps(ctx: Context) -> list[BaseStep]:
    return [InterpreterStep(), CacheStep(), ConfigStep(), SmokeStep(), SuiteStep()]
