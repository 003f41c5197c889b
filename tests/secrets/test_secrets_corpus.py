"""The corpus: compose files modelled on public projects, each fixed in one run, then stable."""

from __future__ import annotations

from pathlib import Path

import pytest

from mt_testkit import assert_no_secrets, tree_digest

CORPUS = Path(__file__).parent / "corpus"

# file → (literals that must disappear, literals that must stay)
EXPECT = {
    "airflow-anchors.yml": ({"airflow-secret"}, {"POSTGRES_USER: airflow", "-U\", \"airflow"}),
    "list-env-changeme.yml": ({"rootpass123", "apppass456"}, {"MARIADB_USER=app", "# CHANGEME"}),
    "hex-zero-key.yml": ({"0" * 64, "c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw=="}, {"LOG_LEVEL: info"}),
    "crlf.yml": ({"crlfpass99"}, {"QUEUE: default"}),
    "folded-command.yml": ({"foldedpass77"}, {"--appendonly yes"}),
    "healthcheck-password.yml": ({"hcpass2024", "pgpass_hc1"}, {"-u root", "MYSQL_USER: svc"}),
    "minio-same-user-password.yml": ({"MINIO_ROOT_PASSWORD: minioadmin", "123456", "devtoken"},
                                     {"MINIO_ROOT_USER: minioadmin", "AWS_ACCESS_KEY_ID: minioadmin",
                                      '"costs $$5"'}),
    "flow-and-quotes.yml": ({"flowpass11", "it''s-a-pass", "tok\\u0065n-value-1"},
                            {"MODE: prod", "--user, admin"}),
    "override-pair": ({"devjwtsecret", "apidbpass", "overridepass1"}, {"POSTGRES_USER: api"}),
}
CASES = sorted(p.name for p in CORPUS.iterdir())


def test_corpus_is_complete():
    assert len(CASES) >= 8 and set(CASES) == set(EXPECT)


def _target(make_target, name: str) -> Path:
    src = CORPUS / name
    if src.is_dir():
        return make_target({p.name: p.read_bytes() for p in sorted(src.iterdir())})
    return make_target({"docker-compose.yml": src.read_bytes()})


@pytest.mark.parametrize("name", CASES)
def test_corpus_case(name, make_target, run_fix, compose):
    target = _target(make_target, name)
    compose_files = sorted(p.name for p in target.glob("docker-compose*.yml"))
    before = {f: (target / f).read_bytes() for f in compose_files}
    gone, stay = EXPECT[name]

    result, out, err, ctx = run_fix(target)
    failed = [(s.name, s.summary) for s in result.steps if s.status == "failed"]
    assert result.ok, failed
    criteria = [c for s in result.steps for c in s.criteria]
    assert criteria and all(c.met is True for c in criteria), [c for c in criteria if not c.met]

    after = {f: (target / f).read_bytes() for f in compose_files}
    joined = b"".join(after.values()).decode()
    for literal in gone:
        assert literal not in joined, literal
    for literal in stay:
        assert literal in joined, literal
    for f in compose_files:
        old_lines, new_lines = before[f].splitlines(True), after[f].splitlines(True)
        assert len(old_lines) == len(new_lines)
        secret_lines = {o.line for o in ctx.cache["secrets"].findings.occurrences if o.file == f}
        for n, (old, new) in enumerate(zip(old_lines, new_lines), 1):
            if old != new:  # only lines that held a secret change, and keep their line ending
                assert n in secret_lines or any(
                    s in old.decode() for s in _old_secrets(ctx, scan=False)), old
                assert old[-2:] == new[-2:] if old.endswith(b"\r\n") else old[-1:] == new[-1:]
    env = target / ".env"
    assert env.stat().st_mode & 0o777 == 0o600

    # Second run: nothing to do, every file byte-identical.
    digest = tree_digest(target)
    again, out2, err2, _ = run_fix(target)
    assert again.ok and all(s.status == "ok" for s in again.steps)
    assert {k: v for k, v in tree_digest(target).items() if ".maestro" not in k} == \
        {k: v for k, v in digest.items() if ".maestro" not in k}

    secrets = _old_secrets(ctx) | _new_secrets(target)
    logs = {str(p): p.read_bytes() for p in (target / ".maestro").rglob("*") if p.is_file()
            and "backups" not in p.parts}
    names = {"backup names": "\n".join(str(p) for p in (target / ".maestro").rglob("*"))}
    assert_no_secrets({"stdout": out, "stderr": err, "stdout2": out2, "stderr2": err2,
                       **logs, **names}, secrets)


def _old_secrets(ctx, scan: bool = True) -> set[str]:
    """The old literals; for the output scan, only those that are not also a user name (the
    masker masks those too, but they may rightly appear as user names)."""
    an = ctx.cache["secrets"]
    return {o.literal for o in an.findings.occurrences
            if o.literal and (not scan or len(o.literal) >= 6
                              and o.literal not in an.findings.identities)}


def _new_secrets(target: Path) -> set[str]:
    from dotenv import dotenv_values

    return {v for v in dotenv_values(target / ".env").values() if v}
