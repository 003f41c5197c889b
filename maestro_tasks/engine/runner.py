"""The runner: one policy for every task — plan, apply, re-plan, verify; modes; exit codes."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from . import fsio, processes
from .context import Context
from .lock import TargetLock
from .masking import Masker
from .model import (
    CHANGED, FAILED, OK, SKIPPED, Change, Criterion, InputError, MaestroError, Step,
    StepFailed, StepResult, StepSkipped, TaskResult, UsageError,
)
from .output import Reporter, unified_diff
from .target import load_settings, resolve_target

LOCK_TIMEOUT_S = 10.0


@dataclass
class TaskSpec:
    """A task as the runner sees it: a name, a factory for its steps, optionally the probe
    that measures the target before its first write (the baseline of the weekly report: it
    gets the recorded baseline and returns the updated one, or None), and
    the masker's seed: ``mask_seed(target, settings)`` gives the secret values the target
    already holds, masked from the task's first output line on. The engine knows no domain, so
    the task wiring provides it."""

    name: str
    steps: Callable[[Context], Sequence[Step]]
    baseline: Callable[[Context, dict[str, Any] | None], dict[str, Any] | None] | None = None
    mask_seed: Callable[[Path, dict[str, Any]], Iterable[str]] | None = None
    # ``--diff`` previews and writes nothing (as ``black --diff``); tasks not yet moved to
    # that contract keep applying while they print the diffs.
    diff_previews: bool = False


def _default_summary(changes: list[Change], criteria: list[Criterion], check: bool) -> str:
    if changes:
        head = "; ".join(c.summary for c in changes[:3])
        more = f" (+{len(changes) - 3} more)" if len(changes) > 3 else ""
        return f"would: {head}{more}" if check else f"{head}{more}"
    met = sum(1 for c in criteria if c.met)
    return f"nothing to do; {met}/{len(criteria)} criteria met" if criteria else "nothing to do"


def _diffs(ctx: Context, changes: list[Change]) -> list[str]:
    out = []
    for change in changes:
        if change.action == "write" and change.content is not None and not change.output:
            out.append(unified_diff(change, ctx.read_bytes(change.path), ctx.masker))
    return [d for d in out if d]


def run_step(ctx: Context, step: Step, reporter: Reporter) -> StepResult:
    result = StepResult(name=step.name, status=OK, summary="")
    ctx.current = result
    reporter.progress(step.name)
    diffs: list[str] = []
    try:
        changes = list(step.plan(ctx))
        pending = [c for c in changes if not c.output]
        if ctx.diff:
            diffs = _diffs(ctx, changes)
        previewing = ctx.diff and ctx.preview
        if not ctx.check and not previewing and changes:
            step.apply(ctx, changes)
            again = [c for c in step.plan(ctx) if not c.output]
            if again:
                raise StepFailed(
                    f"not idempotent: re-plan after apply still wants {len(again)} change(s): "
                    + "; ".join(c.summary for c in again[:3]),
                    hint="this is a maestro-tasks bug; please report it with the --diff output",
                )
        shown = changes if not ctx.check else pending
        result.changes = shown
        result.status = CHANGED if pending else OK
        result.criteria = list(step.verify(ctx))
        unmet = [c for c in result.criteria if c.met is False]
        if not result.summary:
            result.summary = _default_summary(shown, result.criteria, ctx.check)
        # In check mode a criterion is expected to be unmet while its repair is pending.
        if unmet and not ((ctx.check or previewing) and pending):
            result.status = FAILED
            result.summary = "unmet: " + "; ".join(c.name for c in unmet) + f" ({result.summary})"
    except StepSkipped as exc:
        result.status, result.summary = SKIPPED, exc.reason
    except StepFailed as exc:
        result.status, result.summary, result.hint = FAILED, exc.reason, exc.hint
        result.details.extend(exc.details)
    finally:
        ctx.current = None
    reporter.step(result, diffs)
    return result


def run_steps(ctx: Context, plan: Sequence[tuple[TaskSpec, dict[str, Any]]], reporter: Reporter,
              *, name: str | None = None, keep_going: bool = True,
              lock_timeout: float = LOCK_TIMEOUT_S) -> TaskResult:
    """Run one or more tasks' steps under the target lock, as one result with one recap.

    Apply mode holds the lock; check mode takes none, because it writes nothing at all. With
    several tasks, step names are prefixed by the task and a task with a failed step stops the
    run unless ``keep_going``.
    """
    started = time.monotonic()
    results: list[StepResult] = []
    # A .maestro symlinked out of the target would receive the backups (secrets) and logs.
    ctx.path(ctx.state.root.name)
    lock = None if ctx.check else TargetLock(ctx.state.root / "lock", timeout=lock_timeout)
    created_state_dir = not ctx.state.root.exists()
    if lock is not None:
        ctx.state.ensure()
        lock.acquire()
        # Temp files of a run killed mid-write (a temp .env holds every secret); other folders
        # are swept when the next run writes there.
        for folder in (ctx.target, ctx.state.root):
            fsio.sweep_stale_temps(folder)
    try:
        if len(plan) > 1:
            # Bad input anywhere in a pipeline stops it before its first task writes; each task
            # then prepares again, on the files as the earlier tasks left them.
            for spec, options in plan:
                _prepared_steps(ctx, spec, options)
            ctx.cache.clear()
        for spec, options in plan:
            ctx.preview = spec.diff_previews
            steps = _prepared_steps(ctx, spec, options)
            task_results = []
            for step in steps:
                if len(plan) > 1:
                    step.name = f"{spec.name.split('.')[-1]}/{step.name}"
                task_results.append(run_step(ctx, step, reporter))
            results.extend(task_results)
            if not keep_going and any(r.status == FAILED for r in task_results):
                break
    except (InputError, UsageError):
        if lock is not None:
            lock.release()
            lock = None
        if created_state_dir:
            ctx.state.discard_if_pristine()  # bad input: leave the target exactly as it was
        raise
    finally:
        if lock is not None:
            lock.release()
            if created_state_dir:
                # A run with nothing to do leaves no trace, not even .maestro/.
                ctx.state.discard_if_pristine()
    return TaskResult(task=name or plan[0][0].name, target=str(ctx.target), mode=ctx.mode,
                      steps=results, duration_s=time.monotonic() - started)


def _prepared_steps(ctx: Context, spec: TaskSpec, options: dict[str, Any]) -> list[Step]:
    """A task's steps with every input parsed (``prepare``): an InputError comes out here,
    before anything is written."""
    ctx.options = dict(options)
    steps = list(spec.steps(ctx))
    for step in steps:
        prepare = getattr(step, "prepare", None)
        if prepare is not None:
            prepare(ctx)
    return steps


def make_context(c: Any, *, target: str | None, check: bool, diff: bool, as_json: bool,
                 no_cache: bool = False,
                 mask_seeds: Sequence[Callable[[Path, dict[str, Any]], Iterable[str]]] = ()
                 ) -> Context:
    maestro_cfg = _maestro_config(c)
    path = resolve_target(target, maestro_cfg.get("target"))
    settings = load_settings(path, maestro_cfg)
    # A task masks the secrets the target already holds, from its first output line on: a
    # test that prints a password, or a container log, must not carry it to the terminal.
    known: set[str] = set()
    for seed in dict.fromkeys(mask_seeds):  # a pipeline repeats one seed per task
        known.update(seed(path, settings))
    return Context(target=path, check=check, diff=diff, json=as_json, settings=settings,
                   masker=Masker(known), no_cache=no_cache)


def _chained(probes: list[Callable[[Context, dict[str, Any] | None], dict[str, Any] | None]]):
    """One baseline hook for a pipeline: every task's probe in turn, each given what the
    previous ones made, all before the pipeline's first write."""
    probes = list(dict.fromkeys(probes))
    if len(probes) <= 1:
        return probes[0] if probes else None

    def probe(ctx: Context, recorded: dict[str, Any] | None) -> dict[str, Any] | None:
        changed = None
        for each in probes:
            changed = each(ctx, changed if changed is not None else recorded) or changed
        return changed

    return probe


def _maestro_config(c: Any) -> dict[str, Any]:
    try:
        cfg = c.config.get("maestro") or {}
    except AttributeError:
        return {}
    return dict(cfg)


def run_task(c: Any, spec: TaskSpec | Sequence[tuple[TaskSpec, dict[str, Any]]], *,
             target: str | None = None, check: bool = False, diff: bool = False,
             json: bool = False, no_cache: bool = False, options: dict[str, Any] | None = None,
             name: str | None = None,
             keep_going: bool = True,
             baseline: Callable[[Context, dict[str, Any] | None], dict[str, Any] | None]
             | None = None) -> TaskResult:
    """Entry point for invoke tasks: builds the context, runs, prints, exits with the right code.

    ``spec`` is one task, or a sequence of (task, options) for a pipeline such as week1.all.
    Raises ``invoke.Exit`` with code 1 (unmet / failed / pending in check) or 2 (bad input).
    """
    from invoke.exceptions import Exit

    plan = [(spec, options or {})] if isinstance(spec, TaskSpec) else list(spec)
    task_name = name or plan[0][0].name
    reporter = Reporter(Masker(), as_json=json)
    try:
        ctx = make_context(c, target=target, check=check, diff=diff, as_json=json,
                           no_cache=no_cache, mask_seeds=[s.mask_seed for s, _ in plan if s.mask_seed])
        ctx.baseline_probe = baseline or _chained([s.baseline for s, _ in plan if s.baseline])
        reporter.masker = ctx.masker
        with processes.signals_as_exceptions():
            result = run_steps(ctx, plan, reporter, name=task_name, keep_going=keep_going)
    except KeyboardInterrupt:
        # Every child run has been ended and its temp files removed on the way out.
        reporter.error(task_name, "interrupted (SIGINT)")
        raise Exit(code=130) from None
    except processes.Interrupted as exc:
        reporter.error(task_name, f"interrupted (signal {exc.signum})")
        raise Exit(code=exc.exit_code) from None
    except MaestroError as exc:
        reporter.error(task_name, str(exc))
        raise Exit(code=exc.exit_code or 1) from None
    except OSError as exc:
        # A disk or permission fault outside the safe-write helpers: one clear line, exit 1.
        where = f"{exc.filename}: " if exc.filename else ""
        reporter.error(task_name, f"{where}{exc.strerror or exc}")
        raise Exit(code=1) from None
    except Exception as exc:  # noqa: BLE001 - a bug in the suite: one line, not a traceback
        if os.environ.get("MAESTRO_DEBUG"):
            raise
        reporter.error(task_name, f"internal error: {type(exc).__name__}: {exc} "
                                  "(set MAESTRO_DEBUG=1 for the traceback, and please report it)")
        raise Exit(code=1) from None
    reporter.recap(result)
    code = 0 if result.ok else 1
    if code:
        raise Exit(code=code)
    return result
