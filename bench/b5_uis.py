"""B5: week1.build-uis on the example's real apps: a cache-hit re-run against the first build.

A first build is a single measurement per fresh copy of the example (npm ci from npm's local
cache, the Vite and Next.js builds, the serve and render checks): it cannot be warmed up without
ceasing to be a first build. So B5 makes several fresh copies (``copies``) and times each one's
first build once; on every copy it then times the second run (the fingerprint cache hit, serve
check included) ``runs`` times after one warm-up, and the same with ``--no-serve-check``.

The second run's serve check is a content-keyed proof (.maestro/proofs.json): on an unchanged
build it is reused, which each timed run checks afterwards. ``--no-cache`` (info) serves and
renders every app again, as every second run did before the proof store.
"""

from __future__ import annotations

import json
import time

from common import (
    MAESTRO, BenchError, Figure, Series, Variant, copy_example, measure, rmtree, run, scratch,
)

FIRST = "first build (npm ci + build + serve check)"
SECOND = "second run (cache hit, serve proof reused)"
SECOND_NO_SERVE = "second run (cache hit, --no-serve-check)"
SECOND_NO_CACHE = "second run (cache hit, --no-cache: serve check runs)"


def _statuses(target) -> dict[str, str]:
    res = run([MAESTRO, "week1.build-uis", "--target", str(target), "--json"], capture=True)
    return {s["name"]: s["status"] for s in json.loads(res.stdout)["steps"]}


def _serve_proofs(target) -> list[str]:
    """How each app's serve check was proven by a (not timed) cache-hit run."""
    res = run([MAESTRO, "week1.build-uis", "--target", str(target), "--json"], capture=True)
    serve = next(s for s in json.loads(res.stdout)["steps"] if s["name"] == "serve")
    return [a.get("proof", "?") for a in serve["data"]["apps"]]


def bench(runs: int, quick: bool, log, copies: int = 3) -> Figure:
    fig = Figure("B5", "week1.build-uis: cache-hit re-run vs first build")
    fig.series.append(Series(FIRST))
    work = scratch("b5")
    try:
        for n in range(1 if quick else copies):
            target = copy_example(work / f"example-{n}")
            cmd = [MAESTRO, "week1.build-uis", "--target", str(target)]
            start = time.perf_counter()
            run(cmd, timeout=3600)
            fig.get(FIRST).times.append(time.perf_counter() - start)
            log(f"  B5 copy {n + 1}: first build {fig.get(FIRST).times[-1]:.1f}s")
            if "changed" in _statuses(target).values():
                raise BenchError("a second build-uis run still changed something")
            measure(fig, {
                SECOND: Variant(lambda: run(cmd)),
                SECOND_NO_SERVE: Variant(lambda: run(cmd + ["--no-serve-check"])),
                SECOND_NO_CACHE: Variant(lambda: run(cmd + ["--no-cache"])),
            }, runs=runs, warmup=1, log=log)
            proofs = _serve_proofs(target)
            if set(proofs) != {"reused"}:
                raise BenchError(f"a cache-hit run did not reuse the serve proofs: {proofs}")
            rmtree(target)
    finally:
        rmtree(work)
    fig.ratio(SECOND, FIRST, 0.05)
    fig.info_ratio(SECOND_NO_SERVE, FIRST)
    fig.info_ratio(SECOND_NO_CACHE, FIRST)
    fig.notes.append(f"first build: one measurement per fresh copy ({len(fig.get(FIRST).times)} "
                     "copies; no warm-up possible); npm ci installs from npm's local cache")
    fig.notes.append(f"second runs: {runs} per copy after one warm-up, every one a cache hit "
                     "(no step changed, checked with --json)")
    return fig
