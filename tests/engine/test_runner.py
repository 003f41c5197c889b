"""The runner's contract: modes, statuses, exit codes, idempotency, JSON shape, masking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from invoke import Config, Context as InvokeContext
from invoke.exceptions import Exit

from maestro_tasks.engine import (
    BaseStep, Change, Criterion, InputError, StepFailed, StepSkipped, TaskSpec, run_task,
)
from mt_testkit import tree_digest

SECRET = "Zr8Qp2LmX9vT4kWn7sJd3Hf6Yb1Gc5Ae"


class UpperStep(BaseStep):
    """Toy step: upper-cases a.txt; its criterion is that a.txt is upper-case."""

    name = "upper"

    def plan(self, ctx):
        old = ctx.read_bytes("a.txt") or b""
        return [] if old == old.upper() else [Change("a.txt", "write", "upper-case a.txt", old.upper())]

    def verify(self, ctx):
        data = ctx.read_bytes("a.txt") or b""
        return [Criterion("a.txt is upper-case", data == data.upper(), f"{len(data)} bytes read")]


class SecretStep(BaseStep):
    """Toy step that knows a secret and tries to print it every way it can."""

    name = "secret"

    def plan(self, ctx):
        ctx.masker.add(SECRET)
        ctx.warn(f"found {SECRET} in the file")
        ctx.current.details.append(f"value {SECRET}")
        ctx.current.data["value"] = SECRET
        new = f"PASSWORD={SECRET}\n".encode()
        if ctx.read_bytes("s.env") == new:
            return []
        return [Change("s.env", "write", f"store {SECRET}", new, secret=True)]

    def verify(self, ctx):
        return [Criterion(f"has {SECRET}", True, f"evidence {SECRET}")]


class FlakyStep(BaseStep):
    """Not idempotent: wants a change after every apply."""

    name = "flaky"

    def plan(self, ctx):
        n = int((ctx.read_bytes("n.txt") or b"0").decode())
        return [Change("n.txt", "write", "bump", str(n + 1).encode())]


class BadInputStep(BaseStep):
    name = "bad-input"

    def prepare(self, ctx):
        raise InputError("docker-compose.yml", "duplicate key 'image'", line=7)


class SkipStep(BaseStep):
    name = "skipper"

    def plan(self, ctx):
        raise StepSkipped("no Docker engine at unix:///var/run/docker.sock")


class FailStep(BaseStep):
    name = "failer"

    def plan(self, ctx):
        raise StepFailed("compose v1 found", hint="install Compose v2")


def invoke_ctx(**maestro) -> InvokeContext:
    return InvokeContext(Config(overrides={"maestro": maestro}))


def run(target: Path, *steps, **kw):
    spec = TaskSpec("toy.task", lambda ctx: list(steps))
    return run_task(invoke_ctx(), spec, target=str(target), **kw)


@pytest.fixture
def target(tmp_path: Path) -> Path:
    (tmp_path / "a.txt").write_bytes(b"hello\n")
    return tmp_path


def test_check_mode_writes_nothing_and_exits_1_when_pending(target, capsys):
    before = tree_digest(target)
    with pytest.raises(Exit) as exc:
        run(target, UpperStep(), check=True)
    assert exc.value.code == 1
    assert tree_digest(target) == before
    out = capsys.readouterr().out
    assert out.startswith("changed")
    assert "check: changes pending" in out


def test_apply_then_check_is_clean(target, capsys):
    result = run(target, UpperStep())
    assert [s.status for s in result.steps] == ["changed"]
    assert (target / "a.txt").read_bytes() == b"HELLO\n"
    again = run(target, UpperStep(), check=True)
    assert [s.status for s in again.steps] == ["ok"]
    assert "toy.task: 1 ok, 0 changed, 0 skipped, 0 failed" in capsys.readouterr().out


def test_apply_backs_up_the_original_privately(target):
    run(target, UpperStep())
    backups = list((target / ".maestro" / "backups").iterdir())
    assert len(backups) == 1
    assert (backups[0] / "a.txt").read_bytes() == b"hello\n"
    assert (backups[0] / "a.txt").stat().st_mode & 0o777 == 0o600
    assert backups[0].stat().st_mode & 0o777 == 0o700
    assert json.loads((backups[0] / "manifest.json").read_text()) == {"a.txt": "modified"}


def test_non_idempotent_step_is_reported_failed(target):
    with pytest.raises(Exit) as exc:
        run(target, FlakyStep())
    assert exc.value.code == 1


def test_input_error_exits_2_names_file_and_line_and_writes_nothing(target, capsys):
    before = tree_digest(target)
    with pytest.raises(Exit) as exc:
        run(target, UpperStep(), BadInputStep())
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "docker-compose.yml:7: duplicate key 'image'" in err
    assert "Traceback" not in err
    # prepare() runs before any step applies: a.txt untouched, no state folder left either.
    assert tree_digest(target) == before


def test_missing_target_is_usage_error(tmp_path, capsys):
    with pytest.raises(Exit) as exc:
        run(tmp_path / "nope", UpperStep())
    assert exc.value.code == 2
    assert "does not exist" in capsys.readouterr().err


def test_skipped_and_failed_statuses_and_exit_codes(target, capsys):
    result = run(target, SkipStep(), UpperStep())
    assert [s.status for s in result.steps] == ["skipped", "changed"]
    assert "no Docker engine at unix:///var/run/docker.sock" in capsys.readouterr().out
    with pytest.raises(Exit) as exc:
        run(target, FailStep())
    assert exc.value.code == 1
    out = capsys.readouterr().out
    assert "failed   failer: compose v1 found" in out
    assert "hint: install Compose v2" in out


def test_unmet_criterion_fails_the_step(target):
    class NeverMet(BaseStep):
        name = "never"

        def verify(self, ctx):
            return [Criterion("impossible", False, "0 of 1")]

    with pytest.raises(Exit) as exc:
        run(target, NeverMet())
    assert exc.value.code == 1


def validate_shape(doc: dict) -> None:
    """The JSON document shape documented in the README (DESIGN.md §4)."""
    assert set(doc) == {"task", "target", "mode", "steps", "ok", "duration_s"}
    assert isinstance(doc["task"], str) and isinstance(doc["target"], str)
    assert doc["mode"] in ("apply", "check")
    assert isinstance(doc["ok"], bool) and isinstance(doc["duration_s"], (int, float))
    for step in doc["steps"]:
        assert {"name", "status", "summary", "changes", "criteria"} <= set(step)
        assert set(step) <= {"name", "status", "summary", "changes", "criteria", "hint", "data",
                             "details"}
        assert step["status"] in ("ok", "changed", "skipped", "failed")
        for change in step["changes"]:
            assert set(change) == {"path", "action", "summary"}
        for crit in step["criteria"]:
            assert set(crit) == {"name", "met", "evidence"}
            assert crit["met"] in (True, False, None)


def test_json_mode_prints_one_valid_document(target, capsys):
    run(target, UpperStep(), SkipStep(), json=True)
    out = capsys.readouterr().out
    doc = json.loads(out)  # nothing else on stdout
    validate_shape(doc)
    assert doc["task"] == "toy.task" and doc["mode"] == "apply" and doc["ok"] is True
    assert [s["status"] for s in doc["steps"]] == ["changed", "skipped"]
    assert doc["steps"][0]["changes"] == [
        {"path": "a.txt", "action": "write", "summary": "upper-case a.txt"}]


def test_no_secret_reaches_stdout_stderr_or_json(target, capsys):
    run(target, SecretStep(), diff=True)
    run(target, SecretStep(), json=True)
    with pytest.raises(Exit):
        run(target / "missing", SecretStep())
    out, err = capsys.readouterr()
    assert SECRET not in out and SECRET not in err
    assert "Zr…(32)" in out
    assert (target / "s.env").stat().st_mode & 0o777 == 0o600
    for path in (target / ".maestro").rglob("*"):
        assert SECRET not in path.name
        if path.is_file() and path.name != "s.env":
            assert SECRET.encode() not in path.read_bytes()


def test_target_resolution_order(tmp_path, monkeypatch):
    from maestro_tasks.engine.target import resolve_target

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    monkeypatch.chdir(tmp_path)
    assert resolve_target(str(a), str(b)) == a
    assert resolve_target(None, str(b)) == b
    assert resolve_target(None, None) == tmp_path


def test_lock_released_after_exception_mid_apply(target, capsys):
    class Boom(BaseStep):
        name = "boom"

        def plan(self, ctx):
            return [Change("a.txt", "write", "x", b"NEW\n"), Change("b.txt", "write", "y", b"B\n")]

        def apply(self, ctx, changes):
            ctx.write_file("a.txt", b"NEW\n")
            raise RuntimeError("injected fault")

    with pytest.raises(Exit) as exc:
        run(target, Boom())
    assert exc.value.code == 1
    assert "internal error: RuntimeError: injected fault" in capsys.readouterr().err
    assert (target / "a.txt").read_bytes() == b"NEW\n"
    assert not (target / "b.txt").exists()
    # The lock is free again: a normal run proceeds at once.
    from maestro_tasks.engine.lock import TargetLock

    lock = TargetLock(target / ".maestro" / "lock", timeout=0.1)
    lock.acquire()
    lock.release()
