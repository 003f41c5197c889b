"""Exposes maestro-tasks to `invoke` run from this repository (`invoke --list`)."""

from maestro_tasks import namespace
from maestro_tasks.cli import install_usage_errors

# Unknown tasks / flags and bad values exit 2 with one line pointing to --help, as with the
# `maestro-tasks` console script (see install_usage_errors for the one case it cannot reach).
install_usage_errors()

ns = namespace()
