"""A minimal path router: ``/models/{name}/versions/{version:int}`` style routes."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

Handler = Callable[..., tuple[int, object]]

_PARAM = re.compile(r"\{(\w+)(?::(int|str))?\}")


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    converters: dict[str, type]
    handler: Handler


class Router:
    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix.rstrip("/")
        self.routes: list[Route] = []

    def add(self, method: str, path: str, handler: Handler) -> None:
        full = self.prefix + path
        regex, converters, pos = "^", {}, 0
        for match in _PARAM.finditer(full):
            name, kind = match.group(1), match.group(2) or "str"
            regex += re.escape(full[pos:match.start()])
            regex += rf"(?P<{name}>\d+)" if kind == "int" else rf"(?P<{name}>[^/]+)"
            converters[name] = int if kind == "int" else str
            pos = match.end()
        regex += re.escape(full[pos:]) + "$"
        self.routes.append(Route(method.upper(), re.compile(regex), converters, handler))

    def get(self, path: str) -> Callable[[Handler], Handler]:
        def decorator(handler: Handler) -> Handler:
            self.add("GET", path, handler)
            return handler
        return decorator

    def post(self, path: str) -> Callable[[Handler], Handler]:
        def decorator(handler: Handler) -> Handler:
            self.add("POST", path, handler)
            return handler
        return decorator

    def dispatch(self, method: str, path: str, **extra) -> tuple[int, object]:
        path_matched = False
        for route in self.routes:
            match = route.pattern.match(path)
            if not match:
                continue
            path_matched = True
            if route.method != method.upper():
                continue
            params = {k: route.converters[k](v) for k, v in match.groupdict().items()}
            return route.handler(**params, **extra)
        if path_matched:
            return 405, {"detail": "method not allowed"}
        return 404, {"detail": "not found"}
