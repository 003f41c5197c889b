"""maestro-tasks: the week-1 hardening of an ML platform repo as idempotent, verified Invoke tasks.

Importing this package must stay cheap: `invoke --list` loads it, so heavy libraries (docker,
ruamel.yaml, cryptography) are imported inside the tasks that need them.
"""

from __future__ import annotations

__version__ = "0.1.0"


def namespace():
    """The root Invoke collection: the ``week1`` namespace and ``demo``."""
    from invoke import Collection

    from . import demo
    from .week1 import collection as week1

    ns = Collection()
    ns.add_collection(week1())
    ns.add_task(demo.demo)
    ns.configure({"maestro": {"target": None}})
    return ns
