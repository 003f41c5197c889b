"""Background worker: ``python -m maestro_ml.worker``.

Pops JSON jobs from the Redis list ``maestro:jobs`` (speaking RESP directly, so the image needs
no client library) and dispatches them by ``type``.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from maestro_ml.config.settings import get_settings

log = logging.getLogger("maestro_ml.worker")
QUEUE = "maestro:jobs"


def parse_redis_url(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"not a redis URL: scheme {parts.scheme!r}")
    db = parts.path.lstrip("/")
    return {
        "host": parts.hostname or "localhost",
        "port": parts.port or 6379,
        "password": unquote(parts.password) if parts.password else None,
        "db": int(db) if db else 0,
    }


def encode_command(*args: str) -> bytes:
    out = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        raw = arg.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    return b"".join(out)


def read_reply(stream) -> object:
    line = stream.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(f"redis error: {rest.decode()}")
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        if size < 0:
            return None
        data = stream.read(size + 2)[:-2]
        return data.decode()
    if kind == b"*":
        count = int(rest)
        return None if count < 0 else [read_reply(stream) for _ in range(count)]
    raise RuntimeError(f"unexpected reply: {line!r}")


class RedisQueue:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        cfg = parse_redis_url(url)
        self._sock = socket.create_connection((cfg["host"], cfg["port"]), timeout=timeout)
        self._stream = self._sock.makefile("rb")
        if cfg["password"]:
            self.call("AUTH", cfg["password"])
        if cfg["db"]:
            self.call("SELECT", str(cfg["db"]))

    def call(self, *args: str) -> object:
        self._sock.sendall(encode_command(*args))
        return read_reply(self._stream)

    def pop(self, wait_seconds: int = 5) -> dict | None:
        reply = self.call("BLPOP", QUEUE, str(wait_seconds))
        return json.loads(reply[1]) if reply else None


def handle(job: dict, handlers: dict[str, Callable[[dict], None]]) -> bool:
    handler = handlers.get(job.get("type", ""))
    if handler is None:
        log.warning("dropping job with unknown type %r", job.get("type"))
        return False
    handler(job)
    return True


HANDLERS: dict[str, Callable[[dict], None]] = {
    "evaluate": lambda job: log.info("evaluating model %s v%s", job.get("model"), job.get("version")),
}


def main() -> None:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level)
    queue = RedisQueue(settings.redis_url)
    log.info("worker waiting for jobs on %s", QUEUE)
    while True:
        job = queue.pop()
        if job is not None:
            handle(job, HANDLERS)


if __name__ == "__main__":
    main()
