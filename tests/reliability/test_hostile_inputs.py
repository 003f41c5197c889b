"""Hostile and odd inputs, generated here (nothing large is committed), each run through the CLI.

Every case puts one file into a fresh copy of the example and runs one task. Broken input must
give exit 2 with ``file:line`` where the fault has a line, nothing written, no traceback; odd but
valid input (a BOM, CRLF line ends) must simply work. Every run is bounded: wall time and the
child's peak memory (``os.wait4`` rusage) are measured against the limits below.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mt_testkit import tree_digest
from reliability_kit import CLI, cli_env

MAX_RSS_MB = 400
SECRETS, TESTS, UIS = "week1.fix-secrets", "week1.fix-tests", "week1.build-uis"
COMPOSE = "docker-compose.yml"
PKG = "ui/model-registry/package.json"


@dataclass
class Case:
    id: str
    task: str
    rel: str
    make: object                  # bytes, or callable(original bytes) -> bytes
    ok: bool = False              # odd but valid: must succeed
    line: int | None = None       # the line the error must name
    words: tuple[str, ...] = ()   # words the message must contain (lower case)
    marks: list = field(default_factory=list)
    others: dict = field(default_factory=dict)  # other files: rel -> bytes, or None to delete
    seconds: float = 15.0         # wall-time bound of the run

    def content(self, original: bytes | None) -> bytes:
        return self.make(original) if callable(self.make) else self.make


def _alias_bomb(_: bytes) -> bytes:
    lines = ['x-l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"x-l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 10)]
    lines += ["services:", "  app:", "    image: busybox", "    command: *l9",
              "    environment:", "      DB_PASSWORD: hunter2hunter2"]
    return ("\n".join(lines) + "\n").encode()


def _ten_megabytes(original: bytes) -> bytes:
    notes, size, i = [b"x-notes:"], len(original), 0
    while size < 10 * 1024 * 1024:
        line = b"  - note %07d " % i + b"lorem ipsum dolor sit amet " * 3
        notes.append(line)
        size += len(line) + 1
        i += 1
    return original + b"\n".join(notes) + b"\n"


def _crlf(original: bytes) -> bytes:
    return original.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


BOM = b"\xef\xbb\xbf"
NO_HIGHER_CONFIG = {"pytest.ini": None,
                    "pyproject.toml": b'[project]\nname = "maestro-ml"\nversion = "0.1.0"\n'}

CASES = [
    # --- compose files (week1.fix-secrets) ----------------------------------------------
    Case("compose-unclosed-quote", SECRETS, COMPOSE,
         b'services:\n  db:\n    image: "postgres\n    environment:\n      A: b\n', line=6,
         words=("end of stream",)),  # the parser reports where the file ended
    Case("compose-bad-indent", SECRETS, COMPOSE,
         b"services:\n  db:\n    image: postgres\n   environment: x\n", line=4),
    Case("compose-tab-indent", SECRETS, COMPOSE,
         b"services:\n\tdb:\n\t\timage: postgres\n", line=2),
    Case("compose-duplicate-service", SECRETS, COMPOSE,
         b"services:\n  db:\n    image: a\n  db:\n    image: b\n", line=4, words=("duplicate",)),
    Case("compose-duplicate-env-key", SECRETS, COMPOSE,
         b"services:\n  db:\n    image: a\n    environment:\n      POSTGRES_PASSWORD: x1\n"
         b"      POSTGRES_PASSWORD: x2\n", line=6, words=("duplicate",)),
    Case("compose-latin1", SECRETS, COMPOSE,
         lambda o: o + "# caf\u00e9 notes\n".encode("latin-1"), words=("utf-8",),
         line=None),
    Case("compose-utf16", SECRETS, COMPOSE, lambda o: o.decode().encode("utf-16"),
         words=("utf-8",)),
    Case("compose-binary", SECRETS, COMPOSE, bytes(range(256)) * 8),
    Case("compose-nul-byte", SECRETS, COMPOSE, b"services:\n  db:\n    image: po\0stgres\n",
         line=3),
    Case("compose-empty", SECRETS, COMPOSE, b"", words=("empty",)),
    Case("compose-only-comments", SECRETS, COMPOSE, b"# nothing here\n", words=("empty",)),
    Case("compose-top-level-list", SECRETS, COMPOSE, b"- services\n- db\n", line=1),
    Case("compose-top-level-scalar", SECRETS, COMPOSE, b"just a string\n", line=1),
    Case("compose-two-documents", SECRETS, COMPOSE,
         b"services: {}\n---\nservices: {}\n", line=2),
    Case("compose-undefined-alias", SECRETS, COMPOSE,
         b"services:\n  db:\n    <<: *base\n    image: a\n", line=3),
    Case("compose-python-tag", SECRETS, COMPOSE,
         b"services:\n  db:\n    image: !!python/object/apply:os.system ['true']\n", line=3,
         words=("tag",)),
    Case("compose-alias-bomb", SECRETS, COMPOSE, _alias_bomb, words=("alias",), seconds=6),
    Case("compose-deep-nesting", SECRETS, COMPOSE,
         b"services:\n  app:\n    image: a\n    labels: " + b"[" * 50000 + b"]" * 50000 + b"\n",
         words=("deep",)),
    Case("compose-10mb", SECRETS, COMPOSE, _ten_megabytes, words=("mb",), seconds=6),
    Case("compose-bom", SECRETS, COMPOSE, lambda o: BOM + o, ok=True),
    Case("compose-crlf", SECRETS, COMPOSE, _crlf, ok=True),
    Case("compose-bom-crlf", SECRETS, COMPOSE, lambda o: BOM + _crlf(o), ok=True),
    # --- .env and .env.template (week1.fix-secrets) -------------------------------------
    Case("env-garbage-line", SECRETS, ".env", b"LOG_LEVEL=info\nthis is 'not an assignment\n",
         line=2),
    Case("env-latin1", SECRETS, ".env", "NOTE=caf\u00e9\n".encode("latin-1"), line=1,
         words=("utf-8",)),
    Case("env-binary", SECRETS, ".env", b"\x00\x01\x02\xff\xfe" * 50),
    Case("env-crlf", SECRETS, ".env", b"LOG_LEVEL=info\r\nAPP_ENV=dev\r\n", ok=True),
    Case("env-bom", SECRETS, ".env", BOM + b"LOG_LEVEL=info\n", ok=True),
    Case("template-weak-rule", SECRETS, ".env.template", b"POSTGRES_PASSWORD=password:8\n",
         line=1),
    Case("template-unknown-rule", SECRETS, ".env.template",
         b"# rules\nREDIS_PASSWORD=rot13\n", line=2),
    # --- pytest configuration (week1.fix-tests) ------------------------------------------
    Case("pytest-ini-unclosed-section", TESTS, "pytest.ini", b"[pytest\naddopts = -q\n", line=1),
    Case("pytest-ini-continuation", TESTS, "pytest.ini", b"  orphan = 1\n[pytest]\n", line=1),
    Case("pytest-ini-duplicate-option", TESTS, "pytest.ini",
         b"[pytest]\naddopts = -q\naddopts = -x\n", line=3),
    Case("pytest-ini-latin1", TESTS, "pytest.ini", "[pytest]\n# caf\u00e9\n".encode("latin-1"),
         words=("utf-8",)),
    Case("pytest-ini-binary", TESTS, "pytest.ini", b"\xff\xfe\x00[\x00p\x00" * 40),
    Case("pyproject-invalid-toml", TESTS, "pyproject.toml",
         lambda o: o + b"\n[tool.pytest.ini_options\nx = 1\n"),
    Case("pyproject-bad-value", TESTS, "pyproject.toml", b'[project]\nname = "x"\nversion = \n',
         line=3),
    # setup.cfg and tox.ini count only when no higher-ranked file holds pytest settings.
    Case("setup-cfg-broken", TESTS, "setup.cfg", b"[tool:pytest]\naddopts = -q\n[metadata\n",
         line=3, others=NO_HIGHER_CONFIG),
    Case("tox-ini-broken", TESTS, "tox.ini", b"[pytest]\naddopts -q\n", line=2,
         others={**NO_HIGHER_CONFIG, "setup.cfg": None}),
    # --- package.json (week1.build-uis) --------------------------------------------------
    Case("package-json-syntax", UIS, PKG, b'{"name": "x",\n  "scripts": {\n', line=3),
    Case("package-json-array", UIS, PKG, b"[1, 2, 3]\n", words=("object",)),
    Case("package-json-scripts-not-object", UIS, PKG,
         b'{"name": "x", "scripts": "vite build"}\n', words=("scripts",)),
    Case("package-json-latin1", UIS, PKG, '{"name": "caf\u00e9"}\n'.encode("latin-1"),
         words=("utf-8",)),
    Case("package-json-binary", UIS, PKG, bytes(range(256))),
    Case("package-json-deep-nesting", UIS, PKG, b"[" * 100000 + b"]" * 100000,
         words=("deep",)),
    Case("package-json-trailing-comma", UIS, PKG, b'{"name": "x",\n "private": true,\n}\n',
         line=3),
]


def run_bounded(target: Path, *args: str, seconds: float) -> tuple[int, str, str, float]:
    """Run the CLI; returns (exit, stdout, stderr, peak RSS in MB). The child is reaped with
    ``os.wait4`` for its own rusage; past ``seconds`` its process group is killed."""
    proc = subprocess.Popen([CLI, *args], cwd=target, env=cli_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    streams: dict[str, bytes] = {}
    readers = [threading.Thread(target=lambda n=n, s=s: streams.__setitem__(n, s.read()))
               for n, s in (("out", proc.stdout), ("err", proc.stderr))]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + seconds
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            os.wait4(proc.pid, 0)
            proc.returncode = -9
            pytest.fail(f"still running after {seconds} s; killed")
        time.sleep(0.01)
    proc.returncode = os.waitstatus_to_exitcode(status)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # a grandchild (compose CLI) left behind, if any
    except ProcessLookupError:
        pass
    for reader in readers:
        reader.join()
    return (proc.returncode, streams["out"].decode(errors="replace"),
            streams["err"].decode(errors="replace"), usage.ru_maxrss / 1024)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=c.marks) for c in CASES])
def test_hostile_input(case: Case, fresh_target):
    target = fresh_target("t")
    path = target / case.rel
    before_content = path.read_bytes() if path.exists() else None
    path.write_bytes(case.content(before_content))
    for rel, data in case.others.items():
        (target / rel).unlink(missing_ok=True) if data is None else (target / rel).write_bytes(data)
    before = tree_digest(target)
    args = [case.task] + (["--check"] if case.task != SECRETS else [])
    rc, out, err, rss = run_bounded(target, *args, seconds=case.seconds)
    both = out + err
    # (a target's own traceback may appear indented, as evidence; ours would start a line)
    assert not re.search(r"^Traceback", both, re.M), both
    assert rss is not None and rss < MAX_RSS_MB, f"peak RSS {rss} MB"
    if case.ok:
        assert rc == 0, both
        # Odd but valid stays odd: a BOM and CRLF line ends survive the rewrite.
        written, given = path.read_bytes(), case.content(None if case.rel == ".env" else
                                                          before_content)
        assert written.startswith(BOM) == given.startswith(BOM)
        if b"\r\n" in given:
            assert written.count(b"\n") == written.count(b"\r\n")
        return
    assert rc == 2, f"exit {rc}\n{both}"
    message = next((ln for ln in err.splitlines() if ": error: " in ln), err)
    # "<task>: error: <file>[:<line>]: <what>" -- the file named, the line where there is one.
    shown = re.escape(case.rel)
    expected = rf"error: {shown}:{case.line}: " if case.line else rf"error: {shown}\b"
    assert re.search(expected, message), message
    for word in case.words:
        assert word in message.lower(), message
    assert tree_digest(target) == before, "bad input, yet something was written"


def test_corpus_size():
    assert len(CASES) >= 30
