"""week1.issues end to end: the real console script against the fake GitHub server."""

from __future__ import annotations

import json
import re

from tracker_kit import TOKEN, run_issues

from maestro_tasks.tracker.mapping import marker_of


def doc_of(res):
    assert res.stdout.strip(), res.stderr
    return json.loads(res.stdout)


def ours(fake):
    return {marker_of(i["body"]): i for i in fake.issues.values() if marker_of(i["body"])}


def test_first_sync_creates_every_issue_and_a_second_changes_nothing(target, fake):
    # Issues that are not ours shift the numbers, so links must use the real ones.
    fake.add_issue("an older bug")
    fake.add_issue("a pull request", pull_request=True)
    first = run_issues(target, "--json", fake=fake)
    assert first.returncode == 0, first.stdout + first.stderr
    step = doc_of(first)["steps"][0]
    assert step["status"] == "changed"
    assert len(step["data"]["created"]) == 8
    mine = ours(fake)
    assert sorted(mine) == list(range(1, 9))
    assert [m["title"] for m in fake.milestones.values()] == ["Week 1"]
    one = mine[1]
    assert one["title"].startswith("Tests die at collection")
    assert {l["name"] for l in one["labels"]} == {"priority:critical", "severity:high",
                                                  "area:backend"}
    assert one["milestone"]["title"] == "Week 1"
    assert [a["login"] for a in one["assignees"]] == ["alice"]
    assert [a["login"] for a in mine[6]["assignees"]] == ["carol"]
    assert mine[7]["assignees"] == []  # "Platform Team" has no login
    assert step["data"]["unassigned"] == [{"entry": 7, "role": "Platform Team"}]
    # The acceptance checklist and the sections travel; related entries link to real numbers.
    assert "- [ ] `python -m pytest --collect-only` reports 0 collection errors" in one["body"]
    assert "### Root Cause" in one["body"] and "```ini" in one["body"]
    assert f"- #{mine[5]['number']} (Issue #5:" in one["body"]
    assert f"- #{mine[8]['number']} (Issue #8:" in one["body"]
    assert mine[5]["number"] != 5  # the older issue and the pull request came first
    # Nothing was closed, nothing deleted.
    assert all(r["method"] in ("GET", "POST", "PATCH") for r in fake.requests)
    assert not any("state" in (r["body"] or {}) for r in fake.writes())

    fake.clear_log()
    second = run_issues(target, "--json", fake=fake)
    assert second.returncode == 0, second.stdout + second.stderr
    step = doc_of(second)["steps"][0]
    assert step["status"] == "ok"
    assert (step["data"]["creates"], step["data"]["updates"]) == (0, 0)
    assert fake.writes() == []
    assert len(fake.issues) == 10


def test_editing_one_entry_updates_exactly_that_issue(target, fake):
    assert run_issues(target, fake=fake).returncode == 0
    source = target / "CRITICAL_ISSUES.md"
    text = source.read_text()
    source.write_text(text.replace("one rank too high", "one rank too high (seen in prod)"))
    fake.clear_log()
    res = run_issues(target, fake=fake)
    assert res.returncode == 0, res.stdout + res.stderr
    number = ours(fake)[5]["number"]
    assert [(r["method"], r["path"]) for r in fake.writes()] == [
        ("PATCH", f"/repos/acme/maestro-ml/issues/{number}")]
    assert list(fake.writes()[0]["body"]) == ["body"]
    assert "(seen in prod)" in fake.issues[number]["body"]
    assert "updated 1" in res.stdout


def test_priority_change_swaps_our_label_and_keeps_a_persons(target, fake):
    assert run_issues(target, fake=fake).returncode == 0
    issue = ours(fake)[8]
    fake.labels["good first issue"] = {"name": "good first issue", "color": "7057ff"}
    issue["labels"].append(fake.labels["good first issue"])
    source = target / "CRITICAL_ISSUES.md"
    text = source.read_text()
    head, tail = text.split("### Issue #8:", 1)
    source.write_text(head + "### Issue #8:" + tail.replace("**Priority**: MEDIUM",
                                                            "**Priority**: HIGH", 1))
    res = run_issues(target, fake=fake)
    assert res.returncode == 0, res.stdout + res.stderr
    assert {l["name"] for l in issue["labels"]} == {"priority:high", "severity:low",
                                                    "area:backend", "good first issue"}


def test_ticked_boxes_closed_issues_and_foreign_edits_are_respected(target, fake):
    assert run_issues(target, fake=fake).returncode == 0
    mine = ours(fake)
    # Someone ticks a box and closes an issue on GitHub: a rerun undoes neither.
    mine[8]["body"] = mine[8]["body"].replace("- [ ] `python -m pytest` prints",
                                              "- [x] `python -m pytest` prints")
    mine[3]["state"] = "closed"
    fake.clear_log()
    res = run_issues(target, "--json", fake=fake)
    assert res.returncode == 0, res.stdout + res.stderr
    assert fake.writes() == []
    tracking = doc_of(res)["steps"][0]["data"]["tracking"]
    assert (tracking["open"], tracking["closed"]) == (7, 1)
    assert mine[3]["state"] == "closed"


def test_check_sends_no_writing_request(target, fake):
    res = run_issues(target, "--check", "--json", fake=fake)
    assert res.returncode == 1  # changes pending
    assert fake.requests and {r["method"] for r in fake.requests} == {"GET"}
    assert fake.issues == {} and fake.labels == {} and fake.milestones == {}
    step = doc_of(res)["steps"][0]
    assert step["data"]["creates"] == 8 and step["criteria"][0]["met"] is False
    assert not (target / ".maestro").exists()
    # In sync: check passes, still without a write.
    assert run_issues(target, fake=fake).returncode == 0
    fake.clear_log()
    again = run_issues(target, "--check", fake=fake)
    assert again.returncode == 0, again.stdout
    assert {r["method"] for r in fake.requests} == {"GET"}


def test_diff_shows_the_bodies_and_writes_nothing(target, fake):
    res = run_issues(target, "--check", "--diff", fake=fake)
    assert res.returncode == 1
    assert "+### Acceptance Criteria" in res.stdout
    assert "+<!-- maestro-tasks:critical-issue:4 -->" in res.stdout
    assert fake.writes() == []


def test_the_token_never_appears_in_any_output_json_or_file(target, fake, tmp_path):
    outputs = {}
    outputs["check"] = run_issues(target, "--check", "--diff", fake=fake)
    outputs["apply"] = run_issues(target, fake=fake)
    outputs["json"] = run_issues(target, "--json", fake=fake)
    outputs["report"] = run_issues(target, "--json", fake=fake, task="week1.report")
    outputs["verify"] = run_issues(target, "--json", fake=fake, task="week1.verify")
    # Wrong token (401) and rate-limit failures are error paths with messages of their own.
    outputs["bad-token"] = run_issues(target, "--json", fake=fake, token=TOKEN[::-1])
    outputs["gh-token-var"] = run_issues(target, fake=fake, token=None,
                                         env={"GITHUB_TOKEN": TOKEN})
    assert outputs["bad-token"].returncode == 1
    assert "401" in outputs["bad-token"].stdout and "Bad credentials" in outputs["bad-token"].stdout
    assert outputs["gh-token-var"].returncode == 0, outputs["gh-token-var"].stdout
    for name, res in outputs.items():
        for stream in (res.stdout, res.stderr):
            assert TOKEN not in stream and TOKEN[::-1] not in stream, name
            assert TOKEN[:12] not in stream, name
    for path in target.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert TOKEN.encode() not in data and TOKEN[::-1].encode() not in data, path
    # GitHub itself received it only as the Authorization header.
    assert all(TOKEN not in json.dumps(r["body"]) for r in fake.requests)


def test_a_malformed_entry_is_exit_2_naming_its_line_and_nothing_is_sent(target, fake):
    source = target / "CRITICAL_ISSUES.md"
    lines = source.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("### Issue #3:"))
    lines[at] = "### Issue three: no number"
    source.write_text("\n".join(lines) + "\n")
    res = run_issues(target, "--json", fake=fake)
    assert res.returncode == 2
    assert f"CRITICAL_ISSUES.md:{at + 1}:" in res.stderr
    assert json.loads(res.stdout)["error"].startswith(f"CRITICAL_ISSUES.md:{at + 1}:")
    assert "Traceback" not in res.stderr
    assert fake.requests == []
    assert not (target / ".maestro").exists()


def test_rate_limit_is_waited_out_until_the_reset(target, fake):
    fake.rate_limit_next = 1
    fake.rate_limit_reset_in = 2
    res = run_issues(target, "--json", fake=fake)
    assert res.returncode == 0, res.stdout + res.stderr
    assert doc_of(res)["steps"][0]["data"]["rate_limit_waited_s"] >= 1
    assert len(fake.rate_limited) == 1
    refused_at = fake.rate_limited[0]
    retried = [r for r in fake.requests if r["at"] > refused_at]
    reset = int(refused_at) + 2
    # The retry waited for the reset the server announced (whole seconds, so allow for the
    # truncation of the refusal time).
    assert retried and retried[0]["at"] >= reset - 0.05
    assert len(ours(fake)) == 8


def test_no_token_skips_with_the_reason(target, fake):
    res = run_issues(target, fake=fake, token=None, env={"PATH": "/usr/bin:/bin"})
    assert res.returncode == 0, res.stdout + res.stderr
    assert re.search(r"skipped\s+issues: no GitHub token", res.stdout)
    assert fake.requests == []


def test_repo_comes_from_the_flag_or_the_origin_remote(target, fake):
    res = run_issues(target, "--repo", "acme/other", "--check", fake=fake)
    assert res.returncode == 1
    assert "404" in res.stdout and "--repo" in res.stdout  # the hint names the flag
    bad = run_issues(target, "--repo", "not a repo", fake=fake)
    assert bad.returncode == 2 and "owner/name" in bad.stderr
    import subprocess

    subprocess.run(["git", "-C", str(target), "remote", "remove", "origin"], check=True)
    none = run_issues(target, fake=fake)
    assert none.returncode == 2 and "--repo owner/name" in none.stderr


def test_an_assignee_github_refuses_is_left_out_with_a_warning(target, fake):
    fake.collaborators.discard("carol")
    res = run_issues(target, fake=fake)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "refused assignee carol" in res.stderr
    assert ours(fake)[6]["assignees"] == []
    fake.clear_log()
    again = run_issues(target, fake=fake)
    assert again.returncode == 0
    # A rerun asks once more (the owner may have been given access meanwhile), then stops.
    assert len(fake.writes()) <= 1


def test_a_sync_cut_short_by_the_rate_limit_resumes_without_duplicates(target, fake):
    # Milestone + 11 labels + 3 issues go through, then the limit is exhausted for an hour:
    # waiting that long is beyond the bound, so the step fails at once and says why.
    fake.limit_after_writes = 15
    first = run_issues(target, fake=fake)
    assert first.returncode == 1
    assert "rate limit" in first.stdout and "rerun later" in first.stdout
    assert len(ours(fake)) == 3
    fake.limit_after_writes = None
    second = run_issues(target, fake=fake)
    assert second.returncode == 0, second.stdout + second.stderr
    assert sorted(ours(fake)) == list(range(1, 9))
    assert len(fake.issues) == 8  # nothing created twice
