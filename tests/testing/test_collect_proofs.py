"""Content-keyed proofs in fix-tests: the collect-only run of the config as it is and the import
smoke test are reused only while every input is byte-identical; the suite always runs.

Whether pytest collected again is seen from the target itself: its conftest appends one line to
a file outside the target each time it is imported, naming the kind of run (collect-only or
suite)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mt_testkit import run_cli
from maestro_tasks.engine.proofs import Digest
from maestro_tasks.testing import inputs, interpreter


def make_project(root: Path, journal: Path) -> Path:
    target = root / "proj"
    (target / "pkg").mkdir(parents=True)
    (target / "tests").mkdir()
    (target / "pkg" / "__init__.py").write_text("def double(x):\n    return 2 * x\n")
    (target / "tests" / "test_double.py").write_text(
        "from pkg import double\n\n\ndef test_double():\n    assert double(2) == 4\n")
    (target / "conftest.py").write_text(
        "import sys\n"
        f"with open({str(journal)!r}, 'a') as fh:\n"
        "    fh.write(('collect' if '--collect-only' in sys.argv else 'run') + '\\n')\n")
    (target / "pytest.ini").write_text("[pytest]\ntestpaths = tests\npythonpath = .\n")
    # a recorded baseline: the one-time measurement of a first write (a collect-only run of
    # its own) must not be counted as ours
    (target / ".maestro").mkdir()
    (target / ".maestro" / "state.json").write_text(json.dumps(
        {"baseline": {"measured_at": "recorded by the test"}}))
    return target


def fix(target: Path, *args: str) -> dict:
    proc = run_cli("week1.fix-tests", "--target", str(target), "--python", sys.executable,
                   "--json", *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def step(document: dict, name: str) -> dict:
    return next(s for s in document["steps"] if s["name"] == name)


def evidence(document: dict, step_name: str, criterion: str) -> str:
    return next(c["evidence"] for c in step(document, step_name)["criteria"]
                if c["name"] == criterion)


def collects(journal: Path) -> int:
    return journal.read_text().split().count("collect") if journal.exists() else 0


def runs(journal: Path) -> int:
    return journal.read_text().split().count("run") if journal.exists() else 0


@pytest.fixture
def project(tmp_path):
    journal = tmp_path / "imports.log"
    return make_project(tmp_path, journal), journal


def test_rerun_reuses_both_proofs_but_always_runs_the_suite(project):
    target, journal = project
    first = fix(target)
    assert collects(journal) == 1 and runs(journal) == 1
    collected = 1
    assert "proven for inputs" not in evidence(first, "pytest-config", "zero collection errors")
    stored = json.loads((target / ".maestro" / "proofs.json").read_text())
    assert {"fix-tests.collect-only", "fix-tests.import-smoke"} <= set(stored)

    second = fix(target)
    assert collects(journal) == collected, "an unchanged target collected again"
    assert runs(journal) == 2, "the suite run itself is never cached"
    said = evidence(second, "pytest-config", "zero collection errors")
    assert "1 collected, 0 error(s)" in said
    assert "proven for inputs" in said and "unchanged since" in said
    assert "proven for inputs" in evidence(second, "import-smoke", "top-level packages import")
    assert step(second, "test-suite")["data"]["passed"] == 1
    # the suite's bytecode (pytest's rewritten test module included) is reused from a private
    # prefix, as bare pytest reuses __pycache__; the tree receives none
    assert list((target / ".maestro" / "pycache").rglob("test_double*.pyc"))
    assert not [p for p in target.rglob("__pycache__") if ".maestro" not in p.parts]
    log = next((target / ".maestro").rglob("fix-tests-collect.log")).read_text()
    assert "not run again" in log

    third = fix(target, "--no-cache")
    assert collects(journal) == collected + 1, "--no-cache must collect again"
    assert "proven for inputs" not in evidence(third, "pytest-config", "zero collection errors")
    assert "proven for inputs" not in evidence(third, "import-smoke",
                                               "top-level packages import")


@pytest.mark.parametrize("path, edit", [
    ("tests/test_double.py", lambda b: b + b"# one more byte\n"),
    ("conftest.py", lambda b: b.replace(b"import sys", b"import sys ")),
    ("pytest.ini", lambda b: b + b"# a comment\n"),
    (".env", lambda b: b + b"X=1\n"),  # read by pytest-dotenv and the like
    ("tests/data.txt", lambda b: b + b"doctest text\n"),
])
def test_a_changed_input_byte_collects_again(project, path, edit):
    target, journal = project
    fix(target, "--no-run")
    collected = collects(journal)
    fix(target, "--no-run")
    assert collects(journal) == collected
    file = target / path
    file.write_bytes(edit(file.read_bytes() if file.exists() else b""))
    again = fix(target, "--no-run")
    assert collects(journal) == collected + 1, f"a change in {path} did not invalidate it"
    assert "proven for inputs" not in evidence(again, "pytest-config", "zero collection errors")


def test_our_own_outputs_and_caches_are_not_inputs(project):
    target, journal = project
    fix(target, "--no-run")
    collected = collects(journal)
    (target / "TEST_STATUS.md").write_text("rewritten by every run\n")
    cache = target / "pkg" / "__pycache__"
    cache.mkdir()
    (cache / "x.cpython-311.pyc").write_bytes(b"\0")
    fix(target, "--no-run")  # deletes the cache first, then finds the proof
    assert collects(journal) == collected


def test_a_changed_package_source_imports_again(project):
    target, _ = project
    fix(target, "--no-run")
    assert "proven for inputs" in evidence(fix(target, "--no-run"), "import-smoke",
                                           "top-level packages import")
    (target / "pkg" / "__init__.py").write_text("def double(x):\n    return x + x\n")
    again = fix(target, "--no-run")
    assert "proven for inputs" not in evidence(again, "import-smoke", "top-level packages import")


def test_a_failing_collection_is_never_recorded(project):
    target, journal = project
    (target / "tests" / "test_broken.py").write_text("import not_a_module_anywhere\n")
    proc = run_cli("week1.fix-tests", "--target", str(target), "--python", sys.executable,
                   "--json", "--no-run")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    stored = (target / ".maestro" / "proofs.json")
    assert not stored.exists() or "fix-tests.collect-only" not in json.loads(stored.read_text())
    collected = collects(journal)
    run_cli("week1.fix-tests", "--target", str(target), "--python", sys.executable, "--no-run")
    assert collects(journal) > collected  # a failure is never taken from a record


def test_check_mode_records_no_proof(project):
    target, _ = project
    run_cli("week1.fix-tests", "--target", str(target), "--python", sys.executable, "--check")
    assert not (target / ".maestro" / "proofs.json").exists()


def test_source_files_are_pruned_like_the_cache_walk(tmp_path):
    for rel in ("a.py", "conftest.py", "pytest.ini", "setup.cfg", "tox.ini", "pyproject.toml",
                ".env", ".env.test", "docs/index.rst", "pkg/mod.py", "pkg/stub.pyi",
                ".git/hooks/x.py", "node_modules/m/x.py", ".venv/lib/x.py", ".maestro/x.py",
                "pkg/__pycache__/mod.py", "env2/lib/x.py", "TEST_STATUS.md",
                "test-results.txt", "data.bin", "sub/TEST_STATUS.md"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    (tmp_path / "env2" / "pyvenv.cfg").write_text("home = /usr\n")
    found = [rel for rel, _ in inputs.source_files(tmp_path)]
    assert found == sorted([".env", ".env.test", "a.py", "conftest.py", "docs/index.rst",
                            "pkg/mod.py", "pkg/stub.pyi", "pyproject.toml", "setup.cfg",
                            "sub/TEST_STATUS.md", "tox.ini", "pytest.ini"])


def test_interpreter_and_installed_distributions_are_inputs(tmp_path):
    interp = interpreter.inspect(interpreter.Interpreter([sys.executable], "--python"), tmp_path,
                                 env=True)

    def digest(**changes) -> str:
        clone = interpreter.Interpreter(list(interp.argv), interp.source, interp.executable,
                                        interp.python_version, interp.pytest_version,
                                        dict(interp.env), json.loads(json.dumps(
                                            interp.environment)))
        for key, value in changes.items():
            if key == "dist":
                clone.environment["distributions"].update(value)
            else:
                setattr(clone, key, value)
        d = Digest("t")
        assert inputs.add_interpreter(d, clone)
        return d.hexdigest()

    same = digest()
    assert same == digest()
    assert digest(pytest_version="0.0.1") != same
    assert digest(python_version="3.0.0") != same
    assert digest(executable="/elsewhere/python") != same
    assert digest(dist={"pluggy": "0.0.1"}) != same
    assert digest(dist={"a-new-plugin": "1.0"}) != same
    assert interp.pytest_version and interp.environment["distributions"]


def test_unknown_distributions_prove_nothing(tmp_path):
    bare = interpreter.Interpreter([sys.executable], "--python", sys.executable, "3", "9")
    assert inputs.add_interpreter(Digest("t"), bare) is False
