"""The steps of week1.issues, and the "critical issues tracked" item of week1.verify.

Plan lists the repository (GET only) and returns one ``run`` change per label, milestone,
issue to create and issue to update; apply performs them; the runner's re-plan must be empty;
verify proves every entry has its issue, found by marker.
"""

from __future__ import annotations

import difflib
from contextlib import contextmanager
from typing import Any, Iterator

from ..engine import (
    BaseStep, Change, Context, Criterion, InputError, StepFailed, StepSkipped, UsageError,
    mask_value,
)
from ..engine.model import NotApplicable
from ..engine.state import utc_now_iso
from .github import GitHub, GitHubError, api_url, resolve_token
from .mapping import MILESTONE, owners_table
from .parse import Entry, parse
from .repo import origin_repo, valid_repo
from .sync import apply_sync, plan_sync, snapshot, tracking

DEFAULT_SOURCE = "CRITICAL_ISSUES.md"
NO_TOKEN = "no GitHub token: set GH_TOKEN or GITHUB_TOKEN, or log in with `gh auth login`"
STATE_KEY = "issues"


def read_entries(ctx: Context, source: str) -> list[Entry]:
    data = ctx.read_bytes(source)
    if data is None:
        raise InputError(source, "not found in the target")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(source, "is not UTF-8 text") from None
    entries = parse(text, source)
    # Issues are read by everyone who can see the repository: a secret the target holds must
    # not travel there inside an entry.
    for entry in entries:
        text = "\n".join([entry.title, *(v for _, v in entry.fields),
                          *(v for _, v in entry.sections)])
        leaked = sorted(v for v in ctx.masker.values if len(v) >= 8 and v in text)
        if leaked:
            raise InputError(source, f"Issue #{entry.number} quotes a secret value the target "
                                     f"holds ({mask_value(leaked[0])}); remove it before it is "
                                     "published in an issue", entry.line)
    return entries


def resolve_repo(ctx: Context, flag: str | None) -> str | None:
    repo = flag or ctx.settings.get("issues_repo")
    if repo:
        if not isinstance(repo, str) or not valid_repo(repo):
            raise UsageError(f"--repo {repo!r} is not of the form owner/name")
        return repo
    return origin_repo(ctx.target)


def client(ctx: Context) -> GitHub | None:
    """A client for the configured API, or None without a token. The token joins the masker
    before any request is made."""
    token, _ = resolve_token()
    if not token:
        return None
    ctx.masker.add(token)
    try:
        return GitHub(token, api_url())
    except GitHubError as exc:
        raise UsageError(str(exc)) from None


@contextmanager
def api_errors() -> Iterator[None]:
    try:
        yield
    except GitHubError as exc:
        raise StepFailed(str(exc), hint=exc.hint) from None


def _diff(old: str, new: str, name: str) -> list[str]:
    return [line.rstrip("\n") for line in difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True),
        fromfile=f"a/{name}" if old else "/dev/null", tofile=f"b/{name}")]


class SyncIssues(BaseStep):
    """CRITICAL_ISSUES.md → one GitHub issue per entry; creates and updates, never closes."""

    name = "issues"

    def __init__(self) -> None:
        self.refused: set[int] = set()  # entries whose assignee GitHub would not take
        self.snap = None
        self.result = None

    def prepare(self, ctx: Context) -> None:
        self.source = (ctx.options.get("source") or ctx.settings.get("issues_source")
                       or DEFAULT_SOURCE)
        self.entries = read_entries(ctx, self.source)
        self.owners = owners_table(ctx.settings)
        self.repo = resolve_repo(ctx, ctx.options.get("repo"))
        if not self.repo:
            raise UsageError("no repository: pass --repo owner/name (or set issues_repo), or "
                             "give the target a git remote named origin")
        self.gh = client(ctx)

    def plan(self, ctx: Context) -> list[Change]:
        if self.gh is None:
            raise StepSkipped(NO_TOKEN)
        with api_errors():
            self.snap = snapshot(self.gh, self.repo)
        plan = plan_sync(self.entries, self.snap, source=self.source, owners=self.owners,
                         refused=self.refused)
        repo = self.repo
        changes = []
        if plan.milestone_missing:
            changes.append(Change(f"{repo} milestone", "run", f"create milestone {MILESTONE!r}"))
        changes += [Change(f"{repo} label {name}", "run", f"create label {name}")
                    for name in plan.labels_missing]
        changes += [Change(f"{repo} issue (Issue #{spec.entry})", "run",
                           f"create issue for Issue #{spec.entry}: {spec.title}")
                    for spec in plan.creates]
        changes += [Change(f"{repo}#{number}", "run",
                           f"update #{number} (Issue #{entry}): {', '.join(sorted(payload))}")
                    for entry, number, payload in plan.updates]
        if ctx.current is not None and self.result is None:  # not again on the re-plan
            details = ctx.current.details
            for entry, role in plan.unassigned:
                details.append(f"Issue #{entry} unassigned: no login for {role!r} in the "
                               "owners setting")
            for entry, others in sorted(self.snap.duplicates.items()):
                details.append(f"Issue #{entry} has further issues with its marker: "
                               + ", ".join(f"#{n}" for n in others) + " (left alone)")
            extras = [f"milestone {MILESTONE!r}"] if plan.milestone_missing else []
            if plan.labels_missing:
                extras.append(f"{len(plan.labels_missing)} label(s)")
            ctx.current.summary = (
                f"{'would create' if ctx.check else 'create'} {len(plan.creates)} issue(s), "
                f"update {len(plan.updates)} in {repo}"
                + (f" (+ {', '.join(extras)})" if extras else "") if changes
                else f"{len(self.entries)} issue(s) up to date in {repo}")
            if ctx.diff:
                for spec in plan.creates:
                    details += _diff("", spec.body, f"Issue #{spec.entry}")
                for entry, number, payload in plan.updates:
                    if "body" in payload:
                        old = self.snap.issues[entry].get("body") or ""
                        details += _diff(old.replace("\r\n", "\n"), payload["body"], f"#{number}")
            ctx.current.data.update({
                "repo": repo, "source": self.source, "entries": len(self.entries),
                "creates": len(plan.creates), "updates": len(plan.updates),
                "labels_missing": plan.labels_missing, "milestone_missing": plan.milestone_missing,
                "unassigned": [{"entry": e, "role": r} for e, r in plan.unassigned],
            })
        return changes

    def apply(self, ctx: Context, changes: list[Change]) -> None:
        with api_errors():
            self.result = apply_sync(self.gh, self.repo, self.entries, self.snap,
                                     source=self.source, owners=self.owners,
                                     refused=self.refused)
        for warning in self.result.warnings:
            ctx.warn(warning)
        if ctx.current is not None:
            r = self.result
            ctx.current.summary = (
                f"created {len(r.created)} issue(s), updated {len(r.updated)}, linked "
                f"{len(r.linked)} new one(s) to their related issues in {self.repo}"
                + (f"; created {len(r.labels_created)} label(s)" if r.labels_created else "")
                + (f", milestone {MILESTONE!r}" if r.milestone_created else ""))

    def verify(self, ctx: Context) -> list[Criterion]:
        if self.snap is None:
            return []
        seen = tracking(self.entries, self.snap)
        missing = ", ".join(f"Issue #{n}" for n in seen["missing"])
        evidence = (f"{seen['tracked']}/{seen['total']} entries of {self.source} have their issue "
                    f"in {self.repo} ({seen['open']} open, {seen['closed']} closed)"
                    + (f"; missing: {missing}" if missing else ""))
        if ctx.current is not None:
            ctx.current.data["tracking"] = seen
            if self.gh is not None and self.gh.waited_s:
                ctx.current.data["rate_limit_waited_s"] = round(self.gh.waited_s, 1)
            if self.result is not None:
                ctx.current.data.update({
                    "created": [n for _, n in self.result.created],
                    "updated": [n for _, n in self.result.updated],
                    "linked": [n for _, n in self.result.linked],
                    "labels_created": self.result.labels_created,
                    "milestone_created": self.result.milestone_created,
                })
        if not ctx.check:
            self._record(ctx, seen)
        return [Criterion("every entry has its issue", not seen["missing"], evidence)]

    def _record(self, ctx: Context, seen: dict[str, Any]) -> None:
        """The sync's outcome in .maestro/state.json, for week1.report."""
        previous = ctx.state.read_state().get(STATE_KEY) or {}
        created = list(previous.get("created") or []) if previous.get("repo") == self.repo else []
        if self.result is not None:
            created += [n for _, n in self.result.created if n not in created]
        ctx.state.update_state(**{STATE_KEY: {
            "repo": self.repo, "source": self.source, "synced_at": utc_now_iso(),
            "created": created, **seen,
        }})


class IssuesTracked(BaseStep):
    """week1.verify's "critical issues tracked": every entry has its issue, through the API
    when a token is available; not checkable here (met: null) otherwise."""

    name = "critical issues tracked"

    def verify(self, ctx: Context) -> list[Criterion]:
        crit = self._criterion(ctx)
        if ctx.current is not None:
            ctx.current.summary = crit.evidence
        return [crit]

    def _criterion(self, ctx: Context) -> Criterion:
        name = "every critical issue has its GitHub issue"
        source = ctx.settings.get("issues_source") or DEFAULT_SOURCE
        if ctx.read_bytes(source) is None:
            raise NotApplicable(f"no {source} in the target: no critical issues to track")
        try:
            entries = read_entries(ctx, source)
        except InputError as exc:
            return Criterion(name, False, str(exc))
        repo = resolve_repo(ctx, None)
        if not repo:
            return Criterion(name, None, "not checkable here: no GitHub repository (set "
                                         "issues_repo, or a git remote named origin)")
        gh = client(ctx)
        if gh is None:
            return Criterion(name, None, f"not checkable here: {NO_TOKEN}")
        try:
            seen = tracking(entries, snapshot(gh, repo))
        except GitHubError as exc:
            return Criterion(name, False, f"{exc} ({exc.hint})" if exc.hint else str(exc))
        missing = ", ".join(f"Issue #{n}" for n in seen["missing"])
        return Criterion(name, not seen["missing"],
                         f"{seen['tracked']}/{seen['total']} entries of {source} tracked in "
                         f"{repo} ({seen['open']} open, {seen['closed']} closed)"
                         + (f"; missing: {missing} (run week1.issues)" if missing else ""))
