"""Property: any compose document with secrets in every shape → rewrite → resolve both with the
real ``docker compose config`` → equal except at secret positions, one new value per old
secret, and a second analysis finds nothing to do."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from maestro_tasks.secrets import core
from maestro_tasks.compose.oracle import clean_env

ALNUM = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# Secrets and plain words come from disjoint shapes, so a plain word never equals a secret.
secret_lit = st.text(ALNUM, min_size=8, max_size=12).map(lambda s: "Sx" + s)
plain_word = st.text("abcdefghij", min_size=3, max_size=8).map(lambda s: "w" + s)
STYLES = ["plain", "single", "double"]


def q(text: str, style: str) -> str:
    return {"plain": text, "single": f"'{text}'", "double": f'"{text}"'}[style]


@st.composite
def documents(draw):
    pool = draw(st.lists(secret_lit, min_size=1, max_size=4, unique=True))
    pick = st.sampled_from(pool)
    services = {}
    for s in range(draw(st.integers(1, 3))):
        env_list = draw(st.booleans())
        entries = []  # (key, value text in YAML, template with {n} for pool index, style)
        for e in range(draw(st.integers(1, 5))):
            shape = draw(st.sampled_from(["key", "url", "default", "plain", "user"]))
            lit = draw(pick)
            n = pool.index(lit)
            style = draw(st.sampled_from(STYLES))
            if shape == "key":
                entries.append((f"S{s}E{e}_PASSWORD", lit, "{%d}" % n, style))
            elif shape == "url":
                entries.append((f"S{s}E{e}_URL", f"postgresql://app:{lit}@db{s}:5432/x",
                                "postgresql://app:{%d}@db%d:5432/x" % (n, s), style))
            elif shape == "default":
                entries.append((f"S{s}E{e}_TOKEN", "${V%d%d_PASSWORD:-%s}" % (s, e, lit),
                                "{%d}" % n, style))
            elif shape == "plain":
                word = draw(plain_word)
                entries.append((f"S{s}E{e}_MODE", word, word, style))
            else:
                entries.append((f"S{s}E{e}_USER", lit if draw(st.booleans()) else "app",
                                None, "plain"))
        flag = draw(st.one_of(st.none(), st.integers(0, len(pool) - 1)))
        command_form = draw(st.sampled_from(["string", "list", "folded"]))
        services[f"svc{s}"] = (env_list, entries, flag, command_form)
    return pool, services


def render(services, pool) -> tuple[str, dict]:
    lines = ["services:"]
    expect = {}  # (service, key) → template; ("cmd", service) → template
    for name, (env_list, entries, flag, form) in services.items():
        lines += [f"  {name}:", "    image: busybox"]
        if flag is not None:
            expect[("cmd", name)] = "redis-server --requirepass {%d}" % flag
            flag = pool[flag]
            if form == "string":
                lines.append(f"    command: redis-server --requirepass {flag}")
            elif form == "list":
                lines.append(f'    command: ["redis-server", "--requirepass", "{flag}"]')
            else:
                lines += ["    command: >", "      redis-server", f"      --requirepass {flag}"]
        lines.append("    environment:")
        for key, value, template, style in entries:
            if env_list:
                lines.append(f"      - {q(f'{key}={value}', style)}")
            else:
                lines.append(f"      {key}: {q(value, style)}")
            expect[(name, key)] = template if template is not None else value
    return "\n".join(lines) + "\n", expect


def resolve(compose: list[str], folder: Path, env_text: str) -> dict:
    (folder / "vars.env").write_text(env_text)
    res = subprocess.run([*compose, "--project-directory", str(folder), "-p", "prop",
                          "--env-file", str(folder / "vars.env"), "-f",
                          str(folder / "docker-compose.yml"), "config", "--format", "json"],
                         capture_output=True, text=True, env=clean_env(), timeout=60)
    assert res.returncode == 0, res.stderr
    assert "is not set" not in res.stderr, res.stderr
    return json.loads(res.stdout)["services"]


@pytest.mark.docker
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents())
def test_rewrite_resolves_to_the_same_config_but_secrets(doc, compose):
    pool, services = doc
    text, expect = render(services, pool)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "docker-compose.yml").write_text(text)
        files = {"docker-compose.yml": text.encode()}
        an = core.analyse(["docker-compose.yml"], ".env", files.get, (".env.template", None))
        new_text = an.new_compose["docker-compose.yml"].decode()
        for lit in pool:
            assert lit not in new_text.replace(f"_USER: {lit}", "").replace(f"_USER={lit}", "")
        old = resolve(compose, folder, "")
        (folder / "docker-compose.yml").write_text(new_text)
        new = resolve(compose, folder, an.new_env)

        new_for: dict[int, str] = {}  # pool index → the one new value it maps to
        for (svc, key), template in expect.items():
            if svc == "cmd":
                got_old, got_new = " ".join(old[key]["command"]), " ".join(new[key]["command"])
            else:
                got_old, got_new = old[svc]["environment"][key], new[svc]["environment"][key]
            assert got_old == template.format(*pool)
            if "{" not in template:
                assert got_new == got_old  # no secret here: untouched
                continue
            # Read the new values off the new string, then demand one value per old secret.
            pattern = re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
            pattern = re.sub(r"\{(\d+)\}", r"(?P<s\1>[A-Za-z0-9]+)", pattern)
            m = re.fullmatch(pattern, got_new)
            assert m, (template, got_new)
            for name, value in m.groupdict().items():
                n = int(name[1:])
                assert value != pool[n] and len(value) >= 32
                assert new_for.setdefault(n, value) == value, "equal old secrets → equal new values"
        assert len(set(new_for.values())) == len(new_for)  # different secrets stay different
        # Idempotent: the rewritten file holds nothing more to do.
        files2 = {"docker-compose.yml": new_text.encode(), ".env": an.new_env.encode()}
        again = core.analyse(["docker-compose.yml"], ".env", files2.get, (".env.template", None))
        assert again.new_compose["docker-compose.yml"] == new_text.encode()
        assert again.new_env == an.new_env and not again.groups
        # And the original's other bytes are untouched: only secret-holding lines differ.
        for a, b in zip(text.splitlines(), new_text.splitlines()):
            assert a == b or any(lit in a for lit in pool)
