"""The rule for a missing engine: nothing configured and no default socket -> skipped."""

from __future__ import annotations

import io

from maestro_tasks.engine import Context
from maestro_tasks.engine.output import Reporter
from maestro_tasks.engine.runner import run_steps
from maestro_tasks.stack import engine as engine_mod
from maestro_tasks.week1.stack import DOWN_SPEC, STATUS_SPEC, UP_SPEC


def test_no_engine_anywhere_skips_every_stack_task_with_the_reason(tmp_path, monkeypatch,
                                                                  compose):
    target = tmp_path / "repo"
    target.mkdir()
    (target / "compose.yaml").write_text("services:\n  a: {image: x}\n")
    absent = f"unix://{tmp_path / 'docker.sock'}"
    monkeypatch.setattr(engine_mod, "DEFAULT_HOST", absent)
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    for spec, options in ((UP_SPEC, {"services": []}), (DOWN_SPEC, {}), (STATUS_SPEC, {})):
        out = io.StringIO()
        ctx = Context(target=target, check=True)
        result = run_steps(ctx, [(spec, options)], Reporter(ctx.masker, False, out=out, err=out))
        assert result.ok, out.getvalue()
        assert {s.status for s in result.steps} == {"skipped"}
        assert all(s.summary == f"no Docker engine at {absent} (default socket): the socket "
                                "does not exist" for s in result.steps)
