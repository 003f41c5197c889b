"""The docker-compose stack: compose CLI wrapper, preflight, health via the Docker SDK.

Modules:
  engine.py    which Docker engine (DOCKER_HOST, contexts, default socket) and is it reachable
  compose.py   find Compose v2, run it, read the project model (`docker compose config`)
  interp.py    compose variable references (`${VAR}`, `${VAR:-x}`, `${VAR:?msg}`)
  preflight.py variables, host ports, images, data volumes older than the last secret change
  health.py    per-service state from the engine: running, healthy, restarts, log tails
  steps.py     the Step classes for week1.up / down / status
  metrics.py   baseline_metrics() for week1.report
"""
