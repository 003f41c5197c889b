"""The serving API: ``python -m maestro_ml.api.server`` (stdlib http.server)."""

from __future__ import annotations

import json
import logging
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from maestro_ml import __version__
from maestro_ml.api.auth import TokenError, decode_access_token
from maestro_ml.api.router import Router
from maestro_ml.config.settings import get_settings
from maestro_ml.monitoring.latency import LatencyWindow
from maestro_ml.registry.models import ModelRegistry, RegistryError

log = logging.getLogger("maestro_ml.api")


def build_router(registry: ModelRegistry) -> Router:
    router = Router(prefix="/api/v1")

    @router.get("/models")
    def list_models(**_):
        return 200, [{"name": n, "versions": len(registry.versions(n))} for n in registry.names()]

    @router.get("/models/{name}/versions/{version:int}")
    def get_version(name: str, version: int, **_):
        try:
            return 200, registry.get(name, version).to_dict()
        except RegistryError as exc:
            return 404, {"detail": str(exc)}

    @router.post("/models/{name}")
    def register(name: str, body: dict | None = None, user: dict | None = None, **_):
        if user is None:
            return 401, {"detail": "authentication required"}
        body = body or {}
        try:
            mv = registry.register(name, run_id=str(body.get("run_id", "")), metrics=body.get("metrics"))
        except RegistryError as exc:
            return 400, {"detail": str(exc)}
        return 201, mv.to_dict()

    return router


class ApiHandler(BaseHTTPRequestHandler):
    router: Router
    latency: LatencyWindow

    def _send(self, status: int, body: object, content_type: str = "application/json") -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _current_user(self) -> dict | None:
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return None
        try:
            return decode_access_token(auth[7:], get_settings().jwt_secret_key)
        except TokenError:
            return None

    def _handle(self, method: str) -> None:
        started = time.perf_counter()
        if self.path == "/health":
            self._send(200, {"status": "ok", "version": __version__})
        elif self.path == "/metrics":
            self._send(200, "\n".join(self.latency.prometheus_lines()) + "\n", "text/plain")
        else:
            body = None
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                try:
                    body = json.loads(self.rfile.read(length))
                except ValueError:
                    self._send(400, {"detail": "body is not JSON"})
                    return
            status, payload = self.router.dispatch(method, self.path, body=body,
                                                   user=self._current_user())
            self._send(status, payload)
        self.latency.observe((time.perf_counter() - started) * 1000)

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def log_message(self, fmt: str, *args) -> None:
        log.info("%s - %s", self.address_string(), fmt % args)


def main() -> None:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level)
    ApiHandler.router = build_router(ModelRegistry())
    ApiHandler.latency = LatencyWindow()
    server = ThreadingHTTPServer((settings.api_host, settings.api_port), ApiHandler)
    log.info("maestro-ml api %s listening on %s:%s", __version__, settings.api_host, settings.api_port)
    server.serve_forever()


if __name__ == "__main__":
    main()
