"""Compose: what a compose project loads and how the compose CLI is called. The one place both
``secrets/`` (fix-secrets) and ``stack/`` (up / down / status) ask; they never import each other.

Modules:
  files.py    which compose files a project loads: configured ones, else compose's default rule
              (first of compose.yaml … docker-compose.yml, plus its override file)
  envfile.py  an env file as compose reads it (python-dotenv syntax, values as written)
  interp.py   variable references (`${VAR}`, `${VAR:-x}`, `${VAR:?msg}`): which a model needs
  cli.py      find Compose v2, run it against the target, read its project model
  oracle.py   `compose config` of candidate files with a clean environment: the oracle
              fix-secrets proves its plan with before writing
Pure logic plus the compose subprocess; heavy imports stay inside functions.
"""
