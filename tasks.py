"""Exposes maestro-tasks to `invoke` run from this repository (`invoke --list`)."""

from maestro_tasks import namespace

ns = namespace()
