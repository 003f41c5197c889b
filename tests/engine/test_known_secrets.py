"""Every task masks the secrets already in the target's env file, from its first line on."""

from __future__ import annotations

from invoke import Config, Context as InvokeContext

from maestro_tasks.engine import BaseStep, TaskSpec, run_task
from maestro_tasks.secrets.known import known_secret_values

PW = "Vb7Tq2Lm9XzR4kWn8sJd3Hf6Yc1Gp5Ae"


def test_secret_named_keys_and_url_passwords_only(tmp_path):
    (tmp_path / ".env").write_text(
        f"POSTGRES_PASSWORD={PW}\nLOG_LEVEL=INFO\nAPI_PORT=8000\n"
        "DATABASE_URL=postgresql://app:UrlPassw0rd99@db:5432/app\n")
    assert known_secret_values(tmp_path, {}) == {PW, "UrlPassw0rd99"}


def test_unparseable_env_is_still_read_for_masking(tmp_path):
    (tmp_path / "secrets.env").write_text(f"JWT_SECRET_KEY={PW}\nthis is 'broken\n")
    assert PW in known_secret_values(tmp_path, {"env_file": "secrets.env"})


def test_env_symlinked_outside_is_not_read(tmp_path):
    outside = tmp_path / "outside.env"
    outside.write_text(f"DB_PASSWORD={PW}\n")
    target = tmp_path / "t"
    target.mkdir()
    (target / ".env").symlink_to(outside)
    assert known_secret_values(target, {}) == set()


def test_a_task_that_prints_an_env_secret_shows_it_masked(tmp_path, capsys):
    (tmp_path / ".env").write_text(f"REDIS_PASSWORD={PW}\n")

    class Chatty(BaseStep):
        name = "chatty"

        def plan(self, ctx):
            ctx.current.details.append(f"test output: assert '{PW[:12]}...{PW[-12:]}'")
            ctx.warn(f"redis://:{PW}@redis:6379")
            return []

    spec = TaskSpec("toy.chatty", lambda ctx: [Chatty()], mask_seed=known_secret_values)
    run_task(InvokeContext(Config()), spec, target=str(tmp_path))
    out, err = capsys.readouterr()
    assert PW not in out + err and PW[:12] not in out and PW[-12:] not in out
    assert "Vb…(32)" in err


def test_every_week1_task_seeds_the_masker_with_the_env_secrets(tmp_path):
    """The engine knows no domain: each task's spec carries the seed, and all of them do."""
    import importlib

    from maestro_tasks.week1 import _MODULES

    (tmp_path / ".env").write_text(f"REDIS_PASSWORD={PW}\n")
    specs = [value for name in _MODULES
             for value in vars(importlib.import_module(f"maestro_tasks.week1.{name}")).values()
             if isinstance(value, TaskSpec)]
    assert {s.name for s in specs} >= {"week1.fix-tests", "week1.fix-secrets", "week1.build-uis",
                                        "week1.up", "week1.down", "week1.status", "week1.verify",
                                        "week1.report", "week1.ci-init"}
    for spec in specs:
        assert spec.mask_seed is not None, spec.name
        assert PW in spec.mask_seed(tmp_path, {}), spec.name
