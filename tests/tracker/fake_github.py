"""A fake of GitHub's REST API, for tests only: the real one cannot be reached from here.

A real HTTP server on 127.0.0.1 (ephemeral port, its own thread) implementing the subset
week1.issues uses — issues list (state filter, pagination by Link header, pull requests mixed
in), create, update; labels list / create; milestones list / create — with GitHub's
strictness where it matters (unknown label or milestone → 422, a label created twice → 422,
wrong token → 401), a rate-limit refusal on demand, and a log of every request.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeGitHub:
    def __init__(self, token: str, repo: str = "acme/maestro-ml", page_size: int = 3,
                 collaborators: tuple[str, ...] = ("alice", "bob", "carol")):
        self.token, self.repo, self.page_size = token, repo, page_size
        self.collaborators = set(collaborators)
        self.issues: dict[int, dict[str, Any]] = {}
        self.labels: dict[str, dict[str, Any]] = {}
        self.milestones: dict[int, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []  # method, path, query, body, auth_ok
        self.rate_limited: list[float] = []       # when each rate-limit refusal was sent
        self.rate_limit_next = 0                  # refuse this many next requests (403)
        self.rate_limit_reset_in = 2              # seconds until x-ratelimit-reset
        self.redirect_to: str | None = None       # answer every request with a 302 there
        self.limit_after_writes: int | None = None  # then refuse everything for an hour
        self._next = 1
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # ---- lifecycle --------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "FakeGitHub":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    # ---- seeding and inspection -------------------------------------------------------------
    def add_issue(self, title: str, body: str = "", state: str = "open",
                  pull_request: bool = False) -> dict[str, Any]:
        issue = self._new_issue({"title": title, "body": body})
        issue["state"] = state
        if pull_request:
            issue["pull_request"] = {"url": f"{self.url}/pulls/{issue['number']}"}
        return issue

    def writes(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] != "GET"]

    def clear_log(self) -> None:
        self.requests.clear()

    # ---- the API ----------------------------------------------------------------------------
    def _new_issue(self, payload: dict[str, Any]) -> dict[str, Any]:
        number = self._next
        self._next += 1
        issue = {"number": number, "title": payload["title"], "body": payload.get("body"),
                 "state": "open", "labels": [], "milestone": None, "assignees": [],
                 "html_url": f"https://github.example/{self.repo}/issues/{number}"}
        self.issues[number] = issue
        return issue

    def _set(self, issue: dict[str, Any], payload: dict[str, Any]) -> tuple[int, Any] | None:
        if "labels" in payload:
            missing = [n for n in payload["labels"] if n.lower() not in self.labels]
            if missing:
                return 422, {"message": "Validation Failed",
                             "errors": [{"field": "labels", "code": "invalid"}]}
            issue["labels"] = [self.labels[n.lower()] for n in payload["labels"]]
        if "milestone" in payload:
            m = payload["milestone"]
            if m is not None and m not in self.milestones:
                return 422, {"message": "Validation Failed",
                             "errors": [{"field": "milestone", "code": "invalid"}]}
            issue["milestone"] = self.milestones.get(m)
        if "assignees" in payload:
            bad = [a for a in payload["assignees"] if a not in self.collaborators]
            if bad:
                return 422, {"message": "Validation Failed",
                             "errors": [{"field": "assignees", "code": "invalid",
                                         "value": bad[0]}]}
            issue["assignees"] = [{"login": a} for a in payload["assignees"]]
        for key in ("title", "body", "state"):
            if key in payload:
                issue[key] = payload[key]
        return None

    def _paginate(self, items: list[Any], path: str, query: dict[str, str]) -> tuple[list, dict]:
        per_page = min(int(query.get("per_page", 30)), self.page_size)
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per_page: page * per_page]
        headers = {}
        if page * per_page < len(items):
            nxt = {**query, "page": str(page + 1)}
            headers["Link"] = (f'<{self.url}{path}?{urllib.parse.urlencode(nxt)}>; rel="next", '
                               f'<{self.url}{path}?page=999>; rel="last"')
        return chunk, headers

    def route(self, method: str, path: str, query: dict[str, str],
              body: Any) -> tuple[int, Any, dict[str, str]]:
        base = f"/repos/{self.repo}"
        if not path.startswith(base):
            return 404, {"message": "Not Found"}, {}
        rest = path[len(base):]
        if rest == "/issues" and method == "GET":
            state = query.get("state", "open")  # GitHub's default: open only
            items = [i for _, i in sorted(self.issues.items(), reverse=True)
                     if state == "all" or i["state"] == state]
            chunk, headers = self._paginate(items, path, query)
            return 200, chunk, headers
        if rest == "/issues" and method == "POST":
            if not body.get("title"):
                return 422, {"message": "Validation Failed"}, {}
            issue = self._new_issue(body)
            error = self._set(issue, {k: v for k, v in body.items() if k != "title"})
            if error:
                del self.issues[issue["number"]]
                self._next -= 1
                return error[0], error[1], {}
            return 201, issue, {}
        if rest.startswith("/issues/") and method == "PATCH":
            issue = self.issues.get(int(rest.rsplit("/", 1)[1]))
            if issue is None:
                return 404, {"message": "Not Found"}, {}
            error = self._set(issue, body)
            return (error[0], error[1], {}) if error else (200, issue, {})
        if rest == "/labels" and method == "GET":
            chunk, headers = self._paginate(list(self.labels.values()), path, query)
            return 200, chunk, headers
        if rest == "/labels" and method == "POST":
            if body["name"].lower() in self.labels:
                return 422, {"message": "Validation Failed",
                             "errors": [{"resource": "Label", "code": "already_exists"}]}, {}
            label = {"name": body["name"], "color": body.get("color", "ededed"),
                     "description": body.get("description", "")}
            self.labels[body["name"].lower()] = label
            return 201, label, {}
        if rest == "/milestones" and method == "GET":
            return 200, list(self.milestones.values()), {}
        if rest == "/milestones" and method == "POST":
            if any(m["title"] == body["title"] for m in self.milestones.values()):
                return 422, {"message": "Validation Failed"}, {}
            number = len(self.milestones) + 1
            self.milestones[number] = {"number": number, "title": body["title"],
                                       "state": "open"}
            return 201, self.milestones[number], {}
        return 405, {"message": f"the fake does not implement {method} {rest}"}, {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _serve(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parts.query))
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                auth_ok = self.headers.get("Authorization") == f"Bearer {fake.token}"
                with fake._lock:
                    fake.requests.append({"method": self.command, "path": parts.path,
                                          "query": query, "body": body, "auth_ok": auth_ok,
                                          "at": time.time()})
                    headers: dict[str, str] = {}
                    if fake.redirect_to:
                        status, doc = 302, {"message": "Moved"}
                        headers = {"Location": fake.redirect_to + self.path}
                    elif not auth_ok:
                        status, doc = 401, {"message": "Bad credentials"}
                    elif fake.rate_limit_next > 0 or (
                            fake.limit_after_writes is not None
                            and len(fake.writes()) > fake.limit_after_writes):
                        fake.rate_limit_next = max(0, fake.rate_limit_next - 1)
                        fake.rate_limited.append(time.time())
                        status, doc = 403, {"message": "API rate limit exceeded"}
                        reset_in = (3600 if fake.limit_after_writes is not None
                                    else fake.rate_limit_reset_in)
                        headers = {"x-ratelimit-remaining": "0",
                                   "x-ratelimit-reset": str(int(time.time()) + reset_in)}
                    else:
                        status, doc, headers = fake.route(self.command, parts.path, query, body)
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        return Handler
