"""Properties (issue 12) on generated compose files mixing `$$`, `${X:-}`, service env_file,
list and map environments and anchors, judged with the real `docker compose config`:
- the plan passes its own proof: the resolved config is equal except at non-empty secret values,
  and every command / healthcheck keeps its shell words;
- checked independently here: empty values stay empty, `$$` forms are untouched, and the shell
  words of every script are the same in number before and after."""

from __future__ import annotations

import json
import shlex
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from maestro_tasks.compose.oracle import clean_env
from maestro_tasks.secrets import core, envfile, prove

ALNUM = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
secret_lit = st.text(ALNUM, min_size=8, max_size=12).map(lambda s: "Sx" + s)


@st.composite
def documents(draw):
    pool = draw(st.lists(secret_lit, min_size=1, max_size=3, unique=True))
    lines = []
    anchor = draw(st.booleans())
    if anchor:
        lines += ["x-common: &common", "  COMMON_PASSWORD: " + draw(st.sampled_from(pool)),
                  "  COMMON_MODE: prod"]
    lines.append("services:")
    empties = []
    for s in range(draw(st.integers(1, 3))):
        lines += [f"  svc{s}:", "    image: busybox"]
        if draw(st.booleans()):
            lines.append(f"    env_file: svc{s}.env")
        lit = draw(st.sampled_from(pool))
        cmd = draw(st.sampled_from(["dollar_var", "dollar_sub", "plain"]))
        if cmd == "dollar_var":
            lines.append(f"    command: sh -c 'echo $$HOME && app --password {lit}'")
        elif cmd == "dollar_sub":
            lines.append('    command: ["sh", "-c", "app --token \\"$$(cat /run/secrets/t)\\" '
                         f'--password {lit}"]')
        else:
            lines.append(f"    command: redis-server --requirepass {lit}")
        lines += ["    healthcheck:",
                  '      test: ["CMD-SHELL", "mysqladmin ping --password=\\"$$(cat /run/secrets/p)\\" '
                  f'-p{lit} || exit 1"]'] if draw(st.booleans()) else []
        as_list = draw(st.booleans())
        lines.append("    environment:")
        entries = []
        if anchor and not as_list:
            entries.append(("<<", "*common"))
        entries.append((f"S{s}_PASSWORD", draw(st.sampled_from(pool))))
        kind = draw(st.sampled_from(["colon", "dash", "quoted"]))
        empty_val = {"colon": "${OPT%d_TOKEN:-}" % s, "dash": "${OPT%d_TOKEN-}" % s,
                     "quoted": "''"}[kind]
        entries.append((f"OPT{s}_TOKEN", empty_val))
        empties.append((f"svc{s}", f"OPT{s}_TOKEN"))
        entries.append((f"S{s}_MODE", "$$NOT_COMPOSE"))
        for k, v in entries:
            if as_list:
                v = "" if v == "''" else v
                lines.append(f"      - {k}={v}")
            else:
                lines.append(f"      {k}: {v}")
    return "\n".join(lines) + "\n", pool, empties


def _config(compose, folder: Path, env: Path) -> dict:
    res = subprocess.run([*compose, "--project-directory", str(folder), "-p", "p", "--env-file",
                          str(env), "config", "--format", "json"], capture_output=True,
                         text=True, env=clean_env(), timeout=60, cwd=folder)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.mark.docker
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents())
def test_plan_keeps_config_words_and_empties(doc, compose):
    text, pool, empties = doc
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "docker-compose.yml").write_text(text)
        for s in range(3):
            (folder / f"svc{s}.env").write_text(f"PLAIN{s}=1\n")
        files = {"docker-compose.yml": text.encode()}
        an = core.analyse(["docker-compose.yml"], ".env", files.get, (".env.template", None))
        new_text = an.new_compose["docker-compose.yml"].decode()
        assert new_text.count("$$") == text.count("$$")
        mapping = {g.value: g.resolved for g in an.groups if g.value}
        candidate = {"docker-compose.yml": an.new_compose["docker-compose.yml"],
                     ".env": an.new_env.encode()}
        proof = prove.prove(compose, folder, ["docker-compose.yml"], ".env", ("", {}),
                            candidate, mapping, list(mapping), lambda rel: False)
        assert proof.ok, proof.problems
        # Independently: write it and compare what compose resolves.
        old = _config(compose, folder, Path("/dev/null"))
        (folder / "docker-compose.yml").write_text(new_text)
        (folder / ".env").write_text(an.new_env)
        new = _config(compose, folder, folder / ".env")
        for svc, key in empties:
            assert old["services"][svc]["environment"][key] == ""
            assert new["services"][svc]["environment"][key] == ""
        for svc in old["services"]:
            a, b = old["services"][svc], new["services"][svc]
            assert len(a["command"]) == len(b["command"])
            if a["command"][:2] == ["sh", "-c"]:
                assert len(shlex.split(a["command"][2])) == len(shlex.split(b["command"][2]))
            if "healthcheck" in a:
                assert len(shlex.split(a["healthcheck"]["test"][1])) == len(
                    shlex.split(b["healthcheck"]["test"][1]))
            for lit in pool:
                assert lit not in json.dumps(b)
        assert envfile.parse_env(".env", an.new_env.encode()).values  # values went to .env
