"""tracker.mapping: an issue brought to its entry needs no further change (property), and the
body carries what the issue needs."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
from test_tracker_parse import _documents

from maestro_tasks.tracker.mapping import (
    create_payload, desired, marker_of, update_payload,
)

_labels = st.lists(st.sampled_from(["bug", "priority:urgent", "severity:low", "area:web",
                                    "good first issue", "Priority:P9"]), unique=True)


def _apply(issue: dict, payload: dict) -> dict:
    """What GitHub does with a PATCH, as far as the mapping can see."""
    issue = dict(issue)
    for key in ("title", "body"):
        if key in payload:
            issue[key] = payload[key]
    if "labels" in payload:
        issue["labels"] = [{"name": n} for n in payload["labels"]]
    if "milestone" in payload:
        issue["milestone"] = {"number": payload["milestone"]}
    if "assignees" in payload:
        issue["assignees"] = [{"login": a} for a in payload["assignees"]]
    return issue


@settings(max_examples=60, deadline=None)
@given(_documents(), _labels, st.booleans(), st.booleans(), st.text(max_size=30))
def test_an_updated_issue_needs_no_second_update(entries, labels, has_milestone, assigned, body):
    owners = {"backend engineer": "alice"}
    numbers = {e.number: 100 + i for i, e in enumerate(entries)}
    titles = {e.number: e.title for e in entries}
    for entry in entries:
        current = {"title": "old", "body": body, "labels": [{"name": n} for n in labels],
                   "milestone": {"number": 7} if has_milestone else None,
                   "assignees": [{"login": "bob"}] if assigned else []}
        spec = desired(entry, source="CRITICAL_ISSUES.md", owners=owners, numbers=numbers,
                       titles=titles, current_body=current["body"])
        updated = _apply(current, update_payload(current, spec, 3))
        again = desired(entry, source="CRITICAL_ISSUES.md", owners=owners, numbers=numbers,
                        titles=titles, current_body=updated["body"])
        assert update_payload(updated, again, 3) == {}
        assert marker_of(updated["body"]) == entry.number
        # A person's labels survive; ours are exactly the entry's.
        names = [l["name"] for l in updated["labels"]]
        assert {"bug", "good first issue"} & set(labels) <= set(names)
        ours = [n for n in names if n.lower().startswith(("priority:", "severity:", "area:"))]
        assert sorted(ours) == sorted(spec.labels)


@settings(max_examples=40, deadline=None)
@given(_documents())
def test_a_created_issue_needs_no_update_once_numbers_are_known(entries):
    numbers = {e.number: 10 + i for i, e in enumerate(entries)}
    titles = {e.number: e.title for e in entries}
    for entry in entries:
        spec = desired(entry, source="S.md", owners={}, numbers=numbers, titles=titles)
        payload = create_payload(spec, 1)
        issue = _apply({"title": None, "body": None, "labels": [], "milestone": None,
                        "assignees": []}, payload)
        assert update_payload(issue, spec, 1) == {}
        for ref in entry.related:
            if ref in numbers:
                assert f"- #{numbers[ref]} (Issue #{ref}:" in issue["body"]
        for done, text in entry.acceptance:
            assert f"- [{'x' if done else ' '}] {text}" in issue["body"]
