"""The cache clean never deletes a git-tracked file nor follows a symlink out of the target; a
suite that writes bytecode while it runs still gives a no-op rerun and a clean --check; a
relative --python is the shell's; week1.verify judges with the interpreter fix-tests used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mt_testkit import run_cli
from maestro_tasks.testing import caches

from .test_pytest_numbers import bare_pytest, assert_same_numbers, fix, suite_data, write

PY = sys.executable


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True, env={**os.environ, "GIT_AUTHOR_NAME": "t",
                                          "GIT_AUTHOR_EMAIL": "t@example.invalid",
                                          "GIT_COMMITTER_NAME": "t",
                                          "GIT_COMMITTER_EMAIL": "t@example.invalid"}).stdout


def steps(proc) -> dict:
    return {s["name"]: s for s in json.loads(proc.stdout)["steps"]}


def test_tracked_bytecode_fixtures_survive_the_cache_clean(tmp_path):
    target = write(tmp_path / "proj", {
        "tests/test_fixtures.py": '''
            from pathlib import Path

            def test_fixture_files_are_there():
                here = Path(__file__).parent / "data"
                assert (here / "__pycache__" / "old.cpython-38.pyc").read_bytes() == b"fixture"
                assert (here / "legacy.pyc").read_bytes() == b"fixture"
        ''',
    })
    data = target / "tests" / "data"
    (data / "__pycache__").mkdir(parents=True)
    (data / "__pycache__" / "old.cpython-38.pyc").write_bytes(b"fixture")
    (data / "legacy.pyc").write_bytes(b"fixture")
    git(target, "init", "-q")
    git(target, "add", "-A")
    git(target, "commit", "-qm", "fixtures")
    # stale caches nobody tracks, one next to the tracked fixture
    (data / "__pycache__" / "stale.cpython-311.pyc").write_bytes(b"stale")
    (target / "tests" / "__pycache__").mkdir()
    (target / "tests" / "__pycache__" / "x.pyc").write_bytes(b"stale")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.pyc").write_bytes(b"keep")
    (target / "linked.pyc").symlink_to(outside / "keep.pyc")
    (target / "lib").mkdir()
    (target / "lib" / "__pycache__").symlink_to(outside)

    proc = fix(target, "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cache = steps(proc)["caches"]
    deleted = sorted(c["path"] for c in cache["changes"])
    assert deleted == ["tests/__pycache__", "tests/data/__pycache__/stale.cpython-311.pyc"]
    assert cache["data"]["tracked_kept"] == 2
    assert git(target, "status", "--porcelain", "--untracked-files=no") == ""
    assert (data / "legacy.pyc").read_bytes() == b"fixture"
    assert (outside / "keep.pyc").read_bytes() == b"keep" and (target / "linked.pyc").is_symlink()
    assert suite_data(proc)["passed"] == 1


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["a", "b/c", "d/__pycache__", "__pycache__"]),
                          st.sampled_from(["m.pyc", "n.cpython-311.pyc", "o.py"]),
                          st.booleans()), min_size=1, max_size=12, unique_by=lambda t: t[:2]))
def test_no_tracked_path_is_ever_planned_for_deletion(tmp_path_factory, files):
    root = tmp_path_factory.mktemp("tree")
    tracked = set()
    for folder, name, is_tracked in files:
        path = root / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        if is_tracked:
            tracked.add(f"{folder}/{name}")
    kept: list[str] = []
    found = caches.find_caches(root, tracked=tracked, kept=kept)
    for entry in found:
        covered = {t for t in tracked if t == entry.path or t.startswith(entry.path + "/")}
        assert not covered, (entry, covered)
    assert set(kept) == {t for t in tracked if t.endswith(".pyc") or "__pycache__" in t}


WRITES_BYTECODE = {
    "pkg/__init__.py": "",
    "pkg/mod.py": "VALUE = 1\n",
    "tests/test_subprocess_import.py": '''
        import os
        import subprocess
        import sys
        from pathlib import Path

        ROOT = Path(__file__).resolve().parent.parent

        def test_imports_in_a_subprocess_that_writes_bytecode():
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            subprocess.run([sys.executable, "-c", "import pkg.mod"], cwd=ROOT, env=env,
                           check=True)
            assert (ROOT / "pkg" / "__pycache__").is_dir()
    ''',
}


def test_a_suite_that_writes_bytecode_reruns_as_a_no_op_and_check_exits_0(tmp_path):
    target = write(tmp_path / "proj", WRITES_BYTECODE)
    oracle = bare_pytest(target)
    first = fix(target, "--json")
    assert first.returncode == 0, first.stdout + first.stderr
    assert_same_numbers(suite_data(first), oracle)
    assert (target / "pkg" / "__pycache__").is_dir()  # the suite wrote it

    second = fix(target, "--json")
    assert second.returncode == 0
    by_name = steps(second)
    assert [s for s, r in by_name.items() if r["status"] != "ok"] == []
    assert by_name["caches"]["changes"] == []
    assert by_name["caches"]["data"]["written_by_last_suite_run"] == 1

    checked = fix(target, "--check")
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # a stale file the suite does not write is still found
    (target / "pkg" / "__pycache__" / "gone.cpython-311.pyc").write_bytes(b"stale")
    assert fix(target, "--check").returncode == 1


def test_relative_python_is_the_shells_and_verify_reuses_the_recorded_one(tmp_path):
    target = write(tmp_path / "proj", {"tests/test_x.py": "def test_one(): pass\n"})
    shell = tmp_path / "shell"
    wrapper = shell / "tools" / "py"
    wrapper.parent.mkdir(parents=True)
    wrapper.write_text(f"#!/bin/sh\nexec {PY} \"$@\"\n")
    wrapper.chmod(0o755)

    proc = run_cli("week1.fix-tests", "--target", str(target), "--python", "tools/py",
                   "--json", cwd=shell)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    interp = steps(proc)["interpreter"]["data"]
    assert interp["command"] == str(wrapper)
    state = json.loads((target / ".maestro" / "state.json").read_text())
    assert state["fix_tests"]["python"] == [str(wrapper)]

    verified = run_cli("week1.verify", "--target", str(target), "--json", cwd=tmp_path)
    item = next(s for s in json.loads(verified.stdout)["steps"]
                if s["name"] == "tests execute without import errors")
    evidence = " ".join(c["evidence"] for c in item["criteria"])
    assert str(wrapper) in evidence, evidence
    judged = {c["name"]: c["met"] for c in item["criteria"]}
    assert judged["zero collection errors"] and judged["suite executed"], item

    other = run_cli("week1.verify", "--target", str(target), "--python", PY, "--json",
                    cwd=tmp_path)
    item = next(s for s in json.loads(other.stdout)["steps"]
                if s["name"] == "tests execute without import errors")
    assert str(wrapper) not in " ".join(c["evidence"] for c in item["criteria"])
