"""Hostile compose input refused up front, escapes and invalid compose caught before any write,
nested weak defaults, the volume timestamp recorded before .env, compose output decoding."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from mt_testkit import BIN, run_cli, tree_digest
from maestro_tasks.engine import InputError
from maestro_tasks.compose import oracle
from maestro_tasks.secrets import core, yamlsrc

COMPOSE = ("services:\n  db:\n    image: postgres\n    environment:\n"
           "      POSTGRES_USER: app\n      POSTGRES_PASSWORD: weakpw99\n")
RC = "docker-compose.yml"


def _refused(data: bytes) -> InputError:
    with pytest.raises(InputError) as exc:
        yamlsrc.parse(RC, data)
    return exc.value


# ---- parser bounds (in-process) -----------------------------------------------------------

def test_oversized_compose_file_is_refused_before_parsing():
    data = COMPOSE.encode() + b"x-notes: '" + b"n" * (10 * 2**20) + b"'\n"
    started = time.monotonic()
    err = _refused(data)
    assert time.monotonic() - started < 1
    assert "10.0 MB" in err.message and "over 4 MB" in err.message
    yamlsrc.parse(RC, COMPOSE.encode() + b"x-notes: '" + b"n" * (3 * 2**20) + b"'\n")


def test_billion_laughs_is_refused_by_its_expanded_size_quickly():
    lines = ['x-l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"x-l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 10)]
    lines += ["services:", "  app:", "    image: busybox", "    command: *l9"]
    started = time.monotonic()
    err = _refused(("\n".join(lines) + "\n").encode())
    assert time.monotonic() - started < 2
    assert "aliases expand to more than" in err.message and "alias bomb" in err.message
    assert err.line == 6  # x-l5: the first anchor past the bound (9**6 nodes)


def test_recursive_alias_is_refused():
    err = _refused(b"x-a: &a [1, *a]\nservices: {}\n")
    assert err.line == 1 and "recursive alias" in err.message


@pytest.mark.parametrize("depth", [150, 50_000])
def test_deep_nesting_is_refused_without_a_traceback(depth):
    data = b"services:\n  app:\n    image: a\n    labels: " + b"[" * depth + b"]" * depth + b"\n"
    err = _refused(data)
    assert "nested too deeply" in err.message
    if depth == 150:  # composed, then bounded by the tree check: the line is known
        assert err.line == 4


def test_reasonable_nesting_and_sharing_still_parse():
    data = b"x-a: &a {k: [1, [2, [3]]]}\nservices:\n  s:\n    <<: *a\n    labels: " \
        + b"[" * 90 + b"]" * 90 + b"\n"
    assert yamlsrc.parse(RC, data).root is not None


@pytest.mark.parametrize("char", ["\0", "\x07", "\x1b"])
def test_control_character_is_one_line_with_its_line(char):
    err = _refused(f"services:\n  db:\n    image: po{char}stgres\n".encode())
    assert str(err).startswith(f"{RC}:3: ") and "\n" not in str(err)
    assert f"#x{ord(char):04x}" in err.message


@pytest.mark.parametrize("text,shown,line", [
    ("    image: !!python/object/apply:os.system ['true']\n", "!!python/object/apply:os.system", 3),
    ("    environment:\n      DB_PASSWORD: !!binary aGVsbG8=\n", "!!binary", 4),
    ("    labels: !!set {a: null}\n", "!!set", 3),
    ("    image: !custom x\n", "!custom", 3),
])
def test_unknown_tags_are_refused_naming_tag_and_line(text, shown, line):
    err = _refused(("services:\n  db:\n" + text).encode())
    assert err.line == line and f"YAML tag {shown} " in err.message
    assert "by hand" in err.message


def test_binary_tagged_secret_is_not_rewritten():
    files = {RC: b"services:\n  db:\n    image: p\n    environment:\n"
                 b"      DB_PASSWORD: !!binary aGVsbG8=\n"}
    with pytest.raises(InputError, match="!!binary"):
        core.analyse([RC], ".env", files.get, (".env.template", None))


def test_known_tags_are_accepted():
    text = ("x-base: &base\n  environment: !reset null\nservices:\n  db:\n    <<: *base\n"
            "    image: !!str postgres\n    ports: !override [\"5432\"]\n"
            "    stop_grace_period: !!str 10s\n    cpus: !!float 1.5\n    tty: !!bool true\n"
            "    labels: !!map {a: !!int 1, b: !!null null, c: !!timestamp 2001-12-14}\n"
            "    command: !!seq [a, b]\n")
    assert yamlsrc.parse(RC, text.encode()).nodes > 10


# ---- nothing written: CLI runs ------------------------------------------------------------

def _cli(target: Path, *args: str):
    return run_cli("week1.fix-secrets", "--target", str(target), *args)


@pytest.mark.parametrize("rel", [".env.example", ".gitignore"])
def test_own_file_symlinked_outside_is_refused_before_any_write(rel, make_target, tmp_path):
    target = make_target({RC: COMPOSE})
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "kept").write_bytes(b"# kept outside\n")
    (target / rel).symlink_to(outside / "kept")
    before, before_out = tree_digest(target), tree_digest(outside)
    res = _cli(target)
    out = res.stdout + res.stderr
    assert res.returncode == 2, out
    assert rel in out and "outside the target" in out and "Traceback" not in out
    assert tree_digest(target) == before and tree_digest(outside) == before_out
    assert not (target / ".env").exists()


@pytest.mark.parametrize("compose_text,words", [
    ("services: 5\n", "services must be a mapping"),
    ("services: {a: [1, 2]}\n", "services.a must be a mapping"),
    ("services:\n  a:\n    image: x\n    environment: 7\n    command: --password hunter22x\n",
     "environment must be a mapping"),
    ("services:\n  a:\n    image: x\n    environment: [5]\n"
     "    command: --password hunter22x\n", "unexpected type int"),
])
def test_invalid_compose_is_exit_2_before_any_write(compose_text, words, make_target, compose):
    target = make_target({RC: compose_text})
    before = tree_digest(target)
    res = _cli(target)
    out = res.stdout + res.stderr
    assert res.returncode == 2, out
    message = next(ln for ln in res.stderr.splitlines() if ": error: " in ln)
    assert f"error: {RC}: compose rejects it: " in message and words in message
    assert str(target) not in message and "Traceback" not in out
    assert tree_digest(target) == before


def test_compose_file_reading_a_missing_env_file_is_not_refused(make_target, compose):
    # Validation skips interpolation and service env files: .env comes from this very run.
    target = make_target({RC: COMPOSE.replace("    environment:", "    env_file: .env\n"
                                              "    environment:")})
    res = _cli(target)
    assert res.returncode == 0, res.stdout + res.stderr


def test_compose_command_setting_with_an_unbalanced_quote_is_exit_2(make_target):
    target = make_target({RC: COMPOSE,
                          "pyproject.toml": "[tool.maestro-tasks]\n"
                                            "compose_command = '\"docker compose'\n"})
    before = tree_digest(target)
    res = _cli(target)
    out = res.stdout + res.stderr
    assert res.returncode == 2, out
    assert "setting compose_command" in out and "Traceback" not in out
    assert tree_digest(target) == before


# ---- nested weak defaults -----------------------------------------------------------------

def _resolved_env(compose: list[str], target: Path) -> dict[str, str]:
    res = subprocess.run([*compose, "--project-directory", str(target), "-p", "nested",
                          "--env-file", str(target / ".env"), "-f", str(target / RC),
                          "config", "--format", "json"], capture_output=True, text=True,
                         env=oracle.clean_env(), check=True)
    return json.loads(res.stdout)["services"]["db"]["environment"]


def test_nested_weak_default_is_found_and_required(make_target, run_fix, compose):
    text = ("services:\n  db:\n    image: postgres\n    environment:\n"
            "      DB_PASSWORD: ${DB_PASSWORD:-${OTHER:-weakpw}}\n"
            "      API_TOKEN: ${API_TOKEN-${A:-${B:-tokweak1}}}\n"
            "      LOG_LEVEL: ${LOG_LEVEL:-${LEVEL:-info}}\n")
    target = make_target({RC: text})
    (target / ".env").write_text("")
    assert _resolved_env(compose, target)["DB_PASSWORD"] == "weakpw"  # what compose does
    result, out, err, _ = run_fix(target)
    assert result.ok, out + err
    new = (target / RC).read_text()
    assert "DB_PASSWORD: ${DB_PASSWORD:?" in new and "API_TOKEN: ${API_TOKEN:?" in new
    assert "weakpw" not in new and "tokweak1" not in new
    assert "LOG_LEVEL: ${LOG_LEVEL:-${LEVEL:-info}}" in new  # not a secret: left alone
    env = dict(ln.split("=", 1) for ln in (target / ".env").read_text().splitlines()
               if "=" in ln and not ln.startswith("#"))
    resolved = _resolved_env(compose, target)
    assert resolved["DB_PASSWORD"] == env["DB_PASSWORD"] != "weakpw"
    assert resolved["API_TOKEN"] == env["API_TOKEN"] != "tokweak1"


def test_nested_weak_default_of_a_secret_variable_in_a_command():
    text = ("services:\n  cache:\n    image: redis\n"
            "    command: redis-server --appendonly yes ${REDIS_PASSWORD:-${R:-redisweak}}\n")
    an = core.analyse([RC], ".env", {RC: text.encode()}.get, (".env.template", None))
    [occ] = an.findings.occurrences
    assert (occ.literal, occ.var, occ.whole) == ("redisweak", "REDIS_PASSWORD", False)
    assert an.new_compose[RC].decode().endswith("--appendonly yes ${REDIS_PASSWORD}\n")


# ---- secrets_changed_at before .env -------------------------------------------------------

def test_secrets_changed_at_is_recorded_before_env_is_written(make_target):
    """Killed while .env is being written: the time is already in state.json."""
    target = make_target({RC: COMPOSE})
    env = {**os.environ, "NO_COLOR": "1", "MAESTRO_TEST_WRITE_DELAY_S": "0.3"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.Popen([str(BIN / "maestro-tasks"), "week1.fix-secrets", "--target",
                             str(target)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    temp_env = re.compile(r"^\.\.env\.maestro-\d+-\w+\.tmp$")  # the safe write's temp .env
    try:
        deadline = time.monotonic() + 60
        while not any(temp_env.match(p.name) for p in target.iterdir()):
            assert proc.poll() is None, "the run ended before writing .env"
            assert time.monotonic() < deadline, "no .env write within 60 s"
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not (target / ".env").exists()
    state = json.loads((target / ".maestro" / "state.json").read_text())
    assert state.get("secrets_changed_at")


# ---- compose output decoding --------------------------------------------------------------

def test_compose_output_with_a_stray_byte_is_decoded(tmp_path):
    fake = tmp_path / "compose-like"
    fake.write_text("#!/bin/sh\nprintf 'bad byte \\377 here\\n' >&2\nexit 1\n")
    fake.chmod(0o755)
    rc, model, err = oracle.config([str(fake)], tmp_path, [tmp_path / RC], Path(os.devnull))
    assert rc == 1 and model is None and "bad byte \ufffd here" in err
    assert oracle.error_line(err) == "bad byte \ufffd here"


def test_compose_error_line_skips_warnings():
    err = ('time="2026-01-01T00:00:00Z" level=warning msg="the attribute `version` is obsolete"\n'
           "services.a must be a mapping\n"
           'time="2026-01-01T00:00:00Z" level=warning msg="later warning"\n\n')
    assert oracle.error_line(err) == "services.a must be a mapping"
