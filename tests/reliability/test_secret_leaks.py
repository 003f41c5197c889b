"""No secret value, found or generated, leaves .env and the backups.

One collector gathers every byte the e2e runs below emit -- stdout and stderr of every run,
everything under .maestro/ except the backups' contents (logs, state, JUnit XML), the reports
(TEST_STATUS.md, WEEK1_REPORT.md), the JSON documents, the rewritten compose file and
.env.example, and the backup FILE NAMES -- and every secret ever seen (the example's hardcoded
literals, each generation of .env values) is searched in all of it.
"""

from __future__ import annotations

import io
import re
import stat
from pathlib import Path

import pytest
from dotenv import dotenv_values

from reliability_kit import run_in

# The example's hardcoded secret literals that are not also an identity somewhere (the MinIO
# user "minioadmin" and Grafana's "admin" user legitimately stay visible as user names).
ORIGINAL_SECRETS = ("maestro123", "redispass", "super-secret-jwt-key", "dev-secret-key",
                    "changeme")
# Masked only as whole tokens below this length (see engine/masking.py); searched the same way.
WHOLE_TOKEN_BELOW = 12


class Collector:
    """Every byte the runs emit, by name, plus every secret value seen."""

    def __init__(self, target: Path):
        self.target = target
        self.blobs: dict[str, bytes] = {}
        self.secrets: set[str] = set()
        self.runs = 0

    def run(self, *args: str, code: int | None = 0):
        self.remember_env()
        res = run_in(self.target, *args, timeout=300)
        self.runs += 1
        self.blobs[f"run {self.runs} `{' '.join(args)}` stdout"] = res.stdout.encode()
        self.blobs[f"run {self.runs} `{' '.join(args)}` stderr"] = res.stderr.encode()
        if code is not None:
            assert res.returncode == code, res.stdout + res.stderr
        self.remember_env()
        return res

    def remember_env(self) -> None:
        env = self.target / ".env"
        if env.is_file():
            values = dotenv_values(stream=io.StringIO(env.read_text()))
            self.secrets |= {v for v in values.values() if v and len(v) >= 16}

    def gather_files(self) -> None:
        state = self.target / ".maestro"
        for path in sorted(state.rglob("*")):
            rel = str(path.relative_to(self.target))
            self.blobs[f"file name {rel}"] = rel.encode()
            if path.is_file() and "backups" not in path.relative_to(state).parts:
                self.blobs[rel] = path.read_bytes()
        for name in ("TEST_STATUS.md", "WEEK1_REPORT.md", "docker-compose.yml", ".env.example",
                     ".gitignore", "test-results.txt"):
            if (self.target / name).is_file():
                self.blobs[name] = (self.target / name).read_bytes()

    def leaks(self) -> list[str]:
        found = []
        for secret in sorted(self.secrets | set(ORIGINAL_SECRETS)):
            pattern = re.escape(secret)
            if len(secret) < WHOLE_TOKEN_BELOW:
                pattern = rf"(?<![A-Za-z0-9_.\-]){pattern}(?![A-Za-z0-9_.\-])"
            for name, blob in self.blobs.items():
                if re.search(pattern, blob.decode("utf-8", "replace")):
                    found.append(f"{secret[:2]}…({len(secret)}) in {name}")
        return found


@pytest.fixture(scope="module")
def collected(pristine, tmp_path_factory) -> Collector:
    import shutil

    target = tmp_path_factory.mktemp("leaks") / "t"
    shutil.copytree(pristine, target, symlinks=True)
    compose = (target / "docker-compose.yml").read_text()
    assert all(s in compose for s in ORIGINAL_SECRETS)  # the search below is not vacuous
    c = Collector(target)
    c.run("week1.fix-secrets", "--check", "--diff", code=1)
    c.run("week1.fix-secrets", "--diff")
    c.run("week1.fix-secrets", "--json")
    c.run("week1.fix-secrets", "--show-secrets")
    c.run("week1.fix-secrets", "--rotate", "all")  # --diff alone previews (issue 12)
    c.run("week1.fix-secrets", "--check", "--json")
    c.run("week1.fix-tests")
    c.run("week1.verify", code=None)
    c.run("week1.verify", "--json", code=None)
    c.run("week1.report")
    c.gather_files()
    return c


def test_no_secret_in_any_output_log_report_or_file_name(collected):
    assert collected.runs == 10
    # Two generations of 7 generated values (before and after --rotate all) were seen.
    assert len(collected.secrets) >= 14
    assert "WEEK1_REPORT.md" in collected.blobs and "TEST_STATUS.md" in collected.blobs
    assert any(name.startswith(".maestro/logs/") for name in collected.blobs)
    assert collected.leaks() == []
    # The search itself finds a planted value (generated and original alike).
    planted = Collector(collected.target)
    planted.secrets = {max(collected.secrets)}
    planted.blobs = {"planted": f"x={max(collected.secrets)} and changeme\n".encode()}
    assert len(planted.leaks()) == 2


def test_backups_are_private(collected):
    state = collected.target / ".maestro"
    backups = list((state / "backups").rglob("*"))
    assert any(p.name == ".env" for p in backups), "the rotation backed up the old .env"
    for path in [state, state / "backups", *backups]:
        mode = stat.S_IMODE(path.stat().st_mode)
        if path.is_dir():
            assert mode == 0o700, f"{path.relative_to(collected.target)} is {oct(mode)}"
        else:
            assert mode == 0o600, f"{path.relative_to(collected.target)} is {oct(mode)}"
    assert stat.S_IMODE((collected.target / ".env").stat().st_mode) == 0o600
