"""week1.issues in the week: the verify checklist item and the weekly report."""

from __future__ import annotations

import json

import pytest

from tracker_kit import TOKEN, run_issues

from maestro_tasks.engine.context import Context
from maestro_tasks.engine.model import NotApplicable
from maestro_tasks.engine.target import load_settings
from maestro_tasks.tracker.steps import IssuesTracked


def tracked(target, monkeypatch, fake=None, token=None):
    for name in ("GH_TOKEN", "GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no GitHub CLI to fall back on
    if token:
        monkeypatch.setenv("GH_TOKEN", token)
    if fake:
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
    ctx = Context(target=target, check=True, settings=load_settings(target, {}))
    (crit,) = IssuesTracked().verify(ctx)
    return crit, ctx


def test_verify_item_is_not_checkable_without_a_token(target, monkeypatch, fake):
    crit, _ = tracked(target, monkeypatch, fake)
    assert crit.met is None and "not checkable here: no GitHub token" in crit.evidence
    assert fake.requests == []


def test_verify_item_is_not_checkable_without_a_repository_and_skipped_without_a_source(target, monkeypatch,
                                                                       fake):
    import subprocess

    subprocess.run(["git", "-C", str(target), "remote", "remove", "origin"], check=True)
    crit, _ = tracked(target, monkeypatch, fake, TOKEN)
    assert crit.met is None and "no GitHub repository" in crit.evidence
    (target / "CRITICAL_ISSUES.md").unlink()
    with pytest.raises(NotApplicable, match="no CRITICAL_ISSUES.md"):
        tracked(target, monkeypatch, fake, TOKEN)


def test_verify_item_checks_every_entry_through_the_api(target, monkeypatch, fake):
    crit, ctx = tracked(target, monkeypatch, fake, TOKEN)
    assert crit.met is False and "0/8 entries" in crit.evidence
    assert "missing: Issue #1" in crit.evidence and "run week1.issues" in crit.evidence
    assert TOKEN in ctx.masker.values  # masked from the first request on
    assert run_issues(target, fake=fake).returncode == 0
    crit, _ = tracked(target, monkeypatch, fake, TOKEN)
    assert crit.met is True and "8/8 entries" in crit.evidence
    assert {r["method"] for r in fake.requests if r["method"] != "GET"} <= {"POST", "PATCH"}


def test_week1_verify_reports_the_item_through_the_cli(target, fake):
    assert run_issues(target, fake=fake).returncode == 0
    fake.clear_log()
    res = run_issues(target, "--json", fake=fake, task="week1.verify")
    doc = json.loads(res.stdout)
    step = next(s for s in doc["steps"] if s["name"] == "critical issues tracked")
    assert step["status"] == "ok" and step["criteria"][0]["met"] is True, step
    assert {r["method"] for r in fake.requests} == {"GET"}  # verify is read-only
    assert TOKEN not in res.stdout + res.stderr


def test_week1_report_lists_the_issues_created_open_and_closed(target, fake):
    first = run_issues(target, fake=fake)
    assert first.returncode == 0, first.stdout + first.stderr
    state = json.loads((target / ".maestro" / "state.json").read_text())["issues"]
    assert (state["repo"], state["total"], state["tracked"]) == ("acme/maestro-ml", 8, 8)
    assert len(state["created"]) == 8
    numbers = {row["entry"]: row["number"] for row in state["issues"]}
    fake.issues[numbers[3]]["state"] = "closed"
    assert run_issues(target, fake=fake).returncode == 0  # a rerun records the closed one
    res = run_issues(target, fake=fake, task="week1.report")
    assert res.returncode == 0, res.stdout + res.stderr
    text = (target / "WEEK1_REPORT.md").read_text()
    section = text.split("## Critical issues tracked", 1)[1].split("##", 1)[0]
    assert "8 of 8 entries of CRITICAL_ISSUES.md tracked in acme/maestro-ml" in section
    assert "8 created by maestro-tasks, 7 open, 1 closed" in section
    assert f"- #{numbers[3]} closed: No `.env` file" in section
    assert f"- #{numbers[1]} open: Tests die at collection" in section


def test_issues_is_a_week1_task_but_not_part_of_all_or_demo():
    # week1.all and demo must run offline; the sync needs a token and the network.
    from maestro_tasks.week1 import collection, pipeline_plan

    assert "issues" in collection().task_names
    assert "week1.issues" not in [spec.name for spec, _ in pipeline_plan()]
