"""The week1.build-uis steps: discover the apps, build what changed (in parallel), prove each
app serves (and renders) on loopback."""

from __future__ import annotations

import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from ..engine import BaseStep, Change, Context, Criterion, StepFailed, StepSkipped, UsageError
from ..engine.model import NotApplicable
from ..engine.fsio import atomic_write
from ..engine.proofs import Proof
from ..engine.state import utc_now_iso
from .build import TAIL_LINES, BuildOutcome, build_app
from .discovery import App, Discovery, discover, select, target_path
from .fingerprint import CACHE_FILE, compute, dump_cache, load_cache
from .serve import ServeResult, find_browser, serve_check
from .serveproof import passed, proof_data, proof_key, result_from_proof, serve_digest
from .status import AppStatus, assess
from .toolchain import Toolchain

_RUN = "ui.run"


@dataclass
class UiRun:
    """What the three steps of one run share (kept in ``ctx.cache``)."""

    discovery: Discovery
    apps: list[App]
    tools: Toolchain = field(default_factory=Toolchain)
    built: set[str] = field(default_factory=set)          # built by this run (for --force)
    outcomes: dict[str, BuildOutcome] = field(default_factory=dict)


def prepare_run(ctx: Context) -> UiRun:
    """Discovery and flag validation, once per run: every input is parsed before any write."""
    run = ctx.cache.get(_RUN)
    if run is None:
        jobs = ctx.options.get("jobs") or 0
        if not isinstance(jobs, int) or jobs < 0:
            raise UsageError(f"--jobs {jobs}: must be a positive number (0 = automatic)")
        found = discover(ctx.target, ctx.settings)
        run = UiRun(discovery=found, apps=select(found.apps, list(ctx.options.get("apps") or [])),
                    tools=Toolchain(memo=ctx.proofs))
        ctx.cache[_RUN] = run
    return run


def _no_apps() -> NotApplicable:
    return NotApplicable("no UI apps: no ui/*/package.json with a build script and no ui_apps "
                       "configured")


def _say(ctx: Context, line: str) -> None:
    """A plain progress line on stderr while long builds run (never in JSON mode)."""
    if not ctx.json:
        # On a terminal, first clear the runner's transient "… build" progress line.
        clear = "\r\033[K" if sys.stderr.isatty() else ""
        print(clear + ctx.masker(f"  {line}"), file=sys.stderr, flush=True)


class DiscoverStep(BaseStep):
    name = "discover"

    def prepare(self, ctx: Context) -> None:
        prepare_run(ctx)

    def plan(self, ctx: Context) -> list[Change]:
        run = prepare_run(ctx)
        if not run.apps:
            raise _no_apps()
        assert ctx.current is not None
        ctx.current.summary = f"{len(run.apps)} app(s): " + ", ".join(
            f"{a.rel} ({a.framework_label}, {a.package_manager})" for a in run.apps)
        ctx.current.details.extend(run.discovery.ignored)
        if run.discovery.ignored:
            ctx.current.data["ignored"] = run.discovery.ignored
        warnings = [f"{a.rel} has no lockfile: `{a.install_label}` is not reproducible; commit "
                    "the lockfile it writes" for a in run.apps if a.lockfile is None]
        for warning in warnings:
            ctx.warn(warning)
        if warnings:
            ctx.current.data["warnings"] = warnings  # JSON carries no details lines
        ctx.current.data["apps"] = [
            {"app": a.rel, "framework": a.framework_label, "package_manager": a.package_manager,
             "lockfile": a.lockfile, "output": a.outputs[0]} for a in run.apps]
        return []


class BuildStep(BaseStep):
    name = "build"

    def __init__(self) -> None:
        self._cache_lock = threading.Lock()

    def _statuses(self, ctx: Context, run: UiRun) -> list[AppStatus]:
        cache = load_cache(ctx.state.root)
        force = bool(ctx.options.get("force"))
        toolchain = run.tools.node_label()
        return [assess(ctx.target, app, cache.get(app.rel), toolchain,
                       force=force and app.rel not in run.built) for app in run.apps]

    def plan(self, ctx: Context) -> list[Change]:
        run = prepare_run(ctx)
        if not run.apps:
            raise _no_apps()
        changes = []
        for status in self._statuses(ctx, run):
            if not status.up_to_date:
                changes.append(Change(path=status.app.rel, action="run", summary=status.action,
                                      run=_BuildAction(self, status)))
        return changes

    def apply(self, ctx: Context, changes: list[Change]) -> None:
        # One engine action runs the whole parallel batch (the engine applies actions in order).
        ctx.apply_changes([Change(path="ui", action="run", summary=f"build {len(changes)} app(s)",
                                  run=lambda c: self._build_all(c, changes))])

    def _build_all(self, ctx: Context, changes: list[Change]) -> None:
        run = prepare_run(ctx)
        actions = [c.run for c in changes if isinstance(c.run, _BuildAction)]
        jobs = ctx.options.get("jobs") or min(len(actions), os.cpu_count() or 1)
        with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="ui-build") as pool:
            outcomes = list(pool.map(lambda action: action.execute(ctx, run), actions))
        assert ctx.current is not None
        ctx.current.data["apps"] = [  # verify replaces this; it stays when the step fails
            {"app": o.app.rel, "result": "built" if o.ok else "failed",
             "duration_s": round(o.duration_s, 1), "log": f".maestro/logs/{_log_name(o.app)}",
             **({"error": o.error} if not o.ok else {})} for o in outcomes]
        failed = [o for o in outcomes if not o.ok]
        if failed:
            details = []
            for outcome in failed:
                log = f".maestro/logs/{_log_name(outcome.app)}"
                details.append(f"{outcome.app.rel}: {outcome.error}; last lines of {log}:")
                details.extend(f"  | {line}" for line in outcome.tail(TAIL_LINES))
            built = len(outcomes) - len(failed)
            raise StepFailed(
                f"{len(failed)} of {len(outcomes)} app build(s) failed: "
                + "; ".join(f"{o.app.rel} ({o.error})" for o in failed)
                + (f"; {built} built" if built else ""),
                hint="fix the app (log tail below; full logs in .maestro/logs/) and run again",
                details=details)

    def record(self, ctx: Context, run: UiRun, outcome: BuildOutcome) -> None:
        """After a good build: fingerprint the inputs as the build left them, into the cache."""
        app = outcome.app
        fp = compute(ctx.target / app.rel, app, run.tools.node_label())
        with self._cache_lock:
            apps = load_cache(ctx.state.root)
            apps[app.rel] = {**fp.to_json(), "built_at": utc_now_iso(),
                             "build_s": round(outcome.duration_s, 1),
                             "toolchain": run.tools.node_label(), "commands": outcome.commands}
            atomic_write(ctx.state.ensure() / CACHE_FILE, dump_cache(apps))

    def verify(self, ctx: Context) -> list[Criterion]:
        run = prepare_run(ctx)
        statuses = self._statuses(ctx, run)
        built = [s for s in statuses if s.up_to_date]
        per_app = []
        for s in statuses:
            outcome = run.outcomes.get(s.app.rel)
            if outcome is not None and outcome.ok:
                per_app.append(f"{s.app.rel}: built in {outcome.duration_s:.1f}s")
            elif s.up_to_date:
                per_app.append(f"{s.app.rel}: up to date (cache hit)")
            else:
                per_app.append(f"{s.app.rel}: {s.reason}")
        assert ctx.current is not None
        ctx.current.data["apps"] = [self._app_data(s, run) for s in statuses]
        return [
            Criterion("every app built", len(built) == len(statuses),
                      f"{len(built)}/{len(statuses)} up to date ({'; '.join(per_app)})"),
            Criterion("output present", all(s.output.present for s in statuses),
                      "; ".join(f"{s.app.rel}: {s.output.evidence}" for s in statuses)),
        ]

    @staticmethod
    def _app_data(status: AppStatus, run: UiRun) -> dict[str, Any]:
        outcome = run.outcomes.get(status.app.rel)
        data: dict[str, Any] = {
            "app": status.app.rel, "up_to_date": status.up_to_date,
            "result": ("failed" if outcome and not outcome.ok else
                       "built" if outcome else "cached" if status.up_to_date else "pending"),
            "output": status.output.evidence,
        }
        if outcome is not None:
            data["duration_s"] = round(outcome.duration_s, 1)
            data["log"] = f".maestro/logs/{_log_name(status.app)}"
        return data


def _log_name(app: App) -> str:
    return f"{app.slug}.log"


class _BuildAction:
    """The ``run`` of one app's change: install (when due) and build, log, record."""

    def __init__(self, step: BuildStep, status: AppStatus):
        self.step, self.status = step, status

    def __call__(self, ctx: Context) -> None:
        # Applied one by one (outside BuildStep.apply): same work, same failure report.
        outcome = self.execute(ctx, prepare_run(ctx))
        if not outcome.ok:
            raise StepFailed(f"{outcome.app.rel}: {outcome.error}",
                             details=[f"  | {line}" for line in outcome.tail()])

    def execute(self, ctx: Context, run: UiRun) -> BuildOutcome:
        app = self.status.app
        _say(ctx, f"{app.rel}: {self.status.action} …")
        outcome = build_app(ctx.target, app, install=self.status.install, tools=run.tools)
        ctx.write_log(_log_name(app), outcome.log)
        run.outcomes[app.rel] = outcome
        if outcome.ok:
            self.step.record(ctx, run, outcome)
            run.built.add(app.rel)
            _say(ctx, f"{app.rel}: built in {outcome.duration_s:.1f}s")
        else:
            _say(ctx, f"{app.rel}: FAILED ({outcome.error})")
        return outcome


class GitIgnoreStep(BaseStep):
    """Each app's node_modules and build output ignored by git, so a build leaves git clean."""

    name = "git-ignore"

    def _git(self, ctx: Context) -> bool:
        from .ignore import git_root

        key = "ui.git_root"
        if key not in ctx.cache:
            ctx.cache[key] = git_root(ctx.target)
        return ctx.cache[key] is not None

    def plan(self, ctx: Context) -> list[Change]:
        from .ignore import plan_ignores

        run = prepare_run(ctx)
        if not run.apps:
            raise _no_apps()
        if not self._git(ctx):
            return []  # verify says so; not a skip, which week1.verify would count as unmet
        # One .gitignore may serve several apps (the root one): plan them in turn on the text
        # the previous app's lines already extend.
        pending: dict[str, bytes | None] = {}
        changes: dict[str, Change] = {}
        for app in run.apps:
            own, root = f"{app.rel}/.gitignore", ".gitignore"
            current = pending.get(own, ctx.read_bytes(own))
            root_current = pending.get(root, ctx.read_bytes(root))
            planned = plan_ignores(ctx.target, app, current, root_current)
            if planned is None:
                continue
            pending[planned.file] = planned.content
            previous = changes.get(planned.file)
            lines = (previous.summary.split(": ", 1)[1] + ", " if previous else "") + \
                ", ".join(planned.lines)
            changes[planned.file] = Change(planned.file, "write",
                                           f"add to {planned.file}: {lines}", planned.content)
        return list(changes.values())

    def verify(self, ctx: Context) -> list[Criterion]:
        from .ignore import app_folders, files_under, listed_files, not_ignored, probe_path

        run = prepare_run(ctx)
        if not self._git(ctx):
            if ctx.current is not None:
                ctx.current.summary = "not a git work tree: nothing for git to ignore"
            return []
        # Three git processes for all apps: what is not ignored, tracked, untracked.
        per_app = []
        for app in run.apps:
            names = app_folders(ctx.target, app)
            per_app.append((app, [target_path(app.rel, n) for n in names],
                            [probe_path(app.rel, n) for n in names]))
        all_paths = list(dict.fromkeys(p for _, paths, _ in per_app for p in paths))
        left_all = set(not_ignored(ctx.target, [p for _, _, probes in per_app for p in probes]))
        tracked = listed_files(ctx.target, all_paths)
        untracked = listed_files(ctx.target, all_paths, untracked=True)
        parts, unmet = [], False
        for app, paths, probes in per_app:
            left = [p.rstrip("/") for p in probes
                    if p in left_all and not files_under(tracked, [p])]
            loose = files_under(untracked, paths)
            committed = [p for p in paths if files_under(tracked, [p])]
            for path in committed:
                ctx.warn(f"{path} is tracked by git: every build changes tracked files; "
                         f"`git rm -r --cached {path}` and commit, if it is a build output")
            unmet = unmet or bool(left) or bool(loose)
            parts.append(f"{app.rel}: " + (f"not ignored: {', '.join(left)}" if left else
                                            f"{', '.join(paths)} ignored")
                         + f"; {loose} untracked file(s) under them")
        return [Criterion("build folders ignored by git", not unmet, "; ".join(parts))]


class ServeStep(BaseStep):
    name = "serve"

    def plan(self, ctx: Context) -> list[Change]:
        if not prepare_run(ctx).apps:
            raise _no_apps()
        return []

    def verify(self, ctx: Context) -> list[Criterion]:
        run = prepare_run(ctx)
        if ctx.options.get("serve_check") is False:
            reason = "skipped: --no-serve-check"
            return [Criterion("served with 200", None, reason),
                    Criterion("rendered", None, reason)]
        browser = find_browser()
        # A proof recorded for exactly these inputs (output bytes, server, versions) is reused.
        digests: dict[str, str] = {}
        proofs: dict[str, Proof] = {}
        for app in run.apps:
            fp = compute(ctx.target / app.rel, app, run.tools.node_label())
            digests[app.rel] = serve_digest(ctx.target, app, fp, run.tools, browser)
            proof = ctx.proofs.get(proof_key(app), digests[app.rel])
            if proof is not None:
                proofs[app.rel] = proof
        fresh = [app for app in run.apps if app.rel not in proofs]
        for app in fresh:
            _say(ctx, f"{app.rel}: serve check …")
        # Each check mostly waits on its own server and browser: run them side by side.
        with ThreadPoolExecutor(max(1, len(fresh))) as pool:
            checked: dict[str, ServeResult] = dict(zip(
                [a.rel for a in fresh],
                pool.map(lambda app: serve_check(ctx.target, app, browser=browser), fresh)))
        assert ctx.current is not None
        results: list[ServeResult] = []
        how_proven: dict[str, str] = {}
        for app in run.apps:
            if app.rel in proofs:
                results.append(result_from_proof(app, proofs[app.rel]))
                how_proven[app.rel] = "reused"
                continue
            result = checked[app.rel]
            results.append(result)
            if not ctx.check:
                ctx.write_log(f"{app.slug}-serve.log", result.log)
            if passed(result, browser):
                proofs[app.rel] = ctx.proofs.put(proof_key(app), digests[app.rel],
                                                 result.evidence, proof_data(result))
                how_proven[app.rel] = "recorded" if ctx.proofs.writable else "not recorded"
            else:
                how_proven[app.rel] = "not recorded"  # a failing check always runs again
            if not result.served and result.log.strip():
                ctx.current.details.append(f"{app.rel}: server output (last lines):")
                ctx.current.details.extend(
                    f"  | {line}" for line in result.log.rstrip().splitlines()[-10:])
        ctx.current.data["apps"] = [
            {"app": r.app, "url": r.url, "status": r.status, "served": r.served,
             "rendered": r.rendered, "how": r.how, "stopped": r.stopped,
             "proof": how_proven[r.app], "inputs": digests[r.app][:12],
             **({"proven_at": proofs[r.app].proven_at} if r.app in proofs else {})}
            for r in results]

        def said(result: ServeResult, text: str) -> str:
            """``text``, and for a reused proof, for which inputs and since when."""
            proof = proofs.get(result.app)
            return replace(proof, evidence=text).describe() if proof is not None else text

        served = [r for r in results if r.served]
        stop_note = ""
        if fresh and all(checked[a.rel].stopped for a in fresh):
            stop_note = "; every server stopped, nothing left running"
        criteria = [Criterion("served with 200", len(served) == len(results),
                              "; ".join(said(r, r.evidence) for r in results) + stop_note)]
        if browser is None:
            criteria.append(Criterion("rendered", None,
                                      "skipped: chromium is not installed"))
        else:
            rendered = [r for r in results if r.rendered]
            criteria.append(Criterion(
                "rendered", len(rendered) == len(results),
                "; ".join(said(r, f"{r.app}: {r.render_evidence or 'not served'}")
                          for r in results)))
        return criteria


def build_uis_steps(ctx: Context) -> list[BaseStep]:
    return [DiscoverStep(), BuildStep(), GitIgnoreStep(), ServeStep()]
