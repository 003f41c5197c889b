"""The docker-compose stack: preflight, up / down / status, health via the Docker SDK.

What compose loads and how it is called (files, env file, CLI, interpolation) is ``compose/``;
credential names (for masking compose output) are ``credentials.py``. Never imports ``secrets/``.

Modules:
  engine.py    which Docker engine (DOCKER_HOST, contexts, default socket) and is it reachable
  preflight.py variables, host ports, images, data volumes older than the last secret change
  health.py    per-service state from the engine: running, healthy, restarts, log tails
  steps.py     the Step classes for week1.up / down / status
  metrics.py   baseline_metrics() for week1.report
"""
