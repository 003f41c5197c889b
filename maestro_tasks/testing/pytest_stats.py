"""pytest plugin (loaded with ``-p maestro_pytest_stats`` in the target's interpreter): writes
pytest's own counts as JSON to ``$MAESTRO_STATS_OUT`` when pytest unconfigures.

The counts are the terminal reporter's ``stats``, filtered exactly as pytest filters them for
its summary line ("1 failed, 1 passed, 1 error in 0.1s"), so a test that fails and errors in
teardown is one failed and one error, an xpass is an xpass, subtests are counted as pytest
counts them. The summary line's parts are recorded too, as pytest builds them.

This file is copied next to the runner script and imported by the *target's* Python, which may
be older than ours: standard library and pytest only, no syntax newer than Python 3.7.
"""

import json
import os

_state = {"pytest": None, "exitstatus": None, "collected": None, "counts": {},
          "summary": None, "collection_errors": 0, "problems": [], "stopped": None,
          "internal_error": None, "interrupted": None}


def _message(report):
    """The exception line of a failed report: pytest's crash message, else the last ``E`` line
    of its long representation."""
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    if crash is not None and getattr(crash, "message", None):
        return str(crash.message).strip()
    text = ""
    try:
        text = report.longreprtext or ""
    except Exception:  # noqa: BLE001 - a plugin's odd longrepr must not lose the counts
        text = str(getattr(report, "longrepr", "") or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for line in reversed(lines):
        if line.startswith("E "):
            return line[1:].strip()
    return lines[-1] if lines else ""


def _counts_toward(report):
    return getattr(report, "count_towards_summary", True)


def pytest_configure(config):
    try:
        import pytest

        _state["pytest"] = pytest.__version__
    except Exception:  # noqa: BLE001
        pass


def pytest_sessionfinish(session, exitstatus):
    _state["exitstatus"] = int(exitstatus)
    _state["collected"] = getattr(session, "testscollected", None)
    for attr in ("shouldstop", "shouldfail"):
        value = getattr(session, attr, False)
        if value:
            _state["stopped"] = str(value)


def pytest_keyboard_interrupt(excinfo):
    try:
        _state["interrupted"] = "%s: %s" % (excinfo.typename, excinfo.value)
    except Exception:  # noqa: BLE001
        _state["interrupted"] = "interrupted"


def pytest_internalerror(excrepr, excinfo):
    try:
        _state["internal_error"] = "%s: %s" % (excinfo.typename, excinfo.value)
    except Exception:  # noqa: BLE001
        _state["internal_error"] = str(excrepr).strip().splitlines()[-1:]


def _collect(config):
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    stats = getattr(reporter, "stats", {}) or {}
    counts = {}
    for key, reports in stats.items():
        if not key:
            continue  # setup/teardown reports of passed tests: pytest shows no count for them
        shown = [r for r in reports if _counts_toward(r)]
        if shown:
            counts[key] = len(shown)
    _state["counts"] = counts
    numcollected = getattr(reporter, "_numcollected", None)  # "collected N items", before -k/-m
    if isinstance(numcollected, int):
        _state["collected"] = numcollected
    if not _state["collected"]:
        # pytest-xdist: the controller collects nothing itself; its workers' reports name
        # every test that ran
        ran = set()
        for key, reports in stats.items():
            for report in reports:
                if getattr(report, "when", None) in ("setup", "call", "teardown"):
                    ran.add(report.nodeid)
        _state["collected"] = len(ran) + counts.get("deselected", 0)
    try:
        parts, _color = reporter.build_summary_stats_line()
        _state["summary"] = ", ".join(text for text, _markup in parts)
    except Exception:  # noqa: BLE001 - older pytest: the counts above are the same numbers
        pass
    problems = []
    for key in ("failed", "error", "subtests failed", "xpassed"):
        for report in stats.get(key, ()):
            if not _counts_toward(report):
                continue
            when = getattr(report, "when", None) or "collect"
            if key == "error" and when == "collect":
                _state["collection_errors"] += 1
            nodeid = report.nodeid or "<session>"
            describe = getattr(report, "_sub_test_description", None)
            if describe is not None:  # a subtest: pytest names it by its parameters
                try:
                    nodeid = "%s %s" % (nodeid, describe().strip())
                except Exception:  # noqa: BLE001
                    pass
            problems.append({"nodeid": nodeid, "key": key, "when": when,
                             "message": _message(report)[:500]})
    _state["problems"] = problems


def pytest_unconfigure(config):
    if hasattr(config, "workerinput"):
        return  # a pytest-xdist worker: the controller's terminal reporter has the counts
    try:
        _collect(config)
    finally:
        out = os.environ.get("MAESTRO_STATS_OUT")
        if out:
            with open(out, "w", encoding="utf-8") as fh:
                json.dump(_state, fh)
