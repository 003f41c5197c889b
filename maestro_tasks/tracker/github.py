"""A small GitHub REST client on the standard library: the calls week1.issues needs, no more.

Issues (list / create / update), labels (list / create), milestones (list / create). It never
closes or deletes anything. Rate limits are honoured: a 403 / 429 that says the limit is
exhausted (``x-ratelimit-remaining: 0`` with ``x-ratelimit-reset``) or asks to back off
(``retry-after``, secondary limits) is retried after the server's wait, a bounded number of times
within a bounded total wait. The token only ever travels to the configured API origin.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Mapping

DEFAULT_API = "https://api.github.com"
API_VERSION = "2022-11-28"
MAX_RETRIES = 3
MAX_WAIT_S = 300.0
SECONDARY_WAIT_S = 60.0  # GitHub's advice when a secondary limit gives no retry-after
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


class GitHubError(Exception):
    """A request GitHub refused or that never reached it. The message never holds the token."""

    def __init__(self, message: str, status: int | None = None, hint: str = ""):
        super().__init__(message)
        self.status, self.hint = status, hint


class RateLimited(GitHubError):
    pass


def api_url(env: Mapping[str, str] | None = None) -> str:
    """``GITHUB_API_URL`` (as GitHub Actions sets it), else api.github.com. Plain http only to
    a loopback address: the token must not cross a network in clear."""
    env = os.environ if env is None else env
    url = (env.get("GITHUB_API_URL") or DEFAULT_API).rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise GitHubError(f"GITHUB_API_URL={url!r} is not an http(s) URL")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise GitHubError(f"GITHUB_API_URL={url!r}: plain http is only allowed to a loopback "
                          "address; use https")
    return url


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_token(env: Mapping[str, str] | None = None,
                  which: Callable[[str], str | None] = shutil.which) -> tuple[str | None, str]:
    """(token, where it came from): GH_TOKEN, GITHUB_TOKEN, else ``gh auth token``."""
    env = os.environ if env is None else env
    for name in ("GH_TOKEN", "GITHUB_TOKEN"):
        value = (env.get(name) or "").strip()
        if value:
            return value, name
    gh = which("gh")
    if gh:
        try:
            res = subprocess.run([gh, "auth", "token"], capture_output=True, text=True,
                                 timeout=15, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired):
            return None, ""
        token = res.stdout.strip()
        if res.returncode == 0 and token and "\n" not in token:
            return token, "gh auth token"
    return None, ""


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """urllib copies every header, Authorization included, onto a redirect: only follow one
    that stays on the API origin; any other surfaces as the 3xx answer itself."""

    def __init__(self, origin: tuple[str, str]):
        self.origin = origin

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[override]
        if urllib.parse.urlsplit(newurl)[:2] != self.origin:
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class GitHub:
    """The REST subset. ``sleep`` and ``clock`` are injectable so waits can be proven."""

    def __init__(self, token: str, base_url: str = DEFAULT_API, *, timeout: float = 30.0,
                 max_retries: int = MAX_RETRIES, max_wait_s: float = MAX_WAIT_S,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time):
        self._token = token
        self.base = base_url.rstrip("/")
        self._origin = urllib.parse.urlsplit(self.base)[:2]
        self.timeout, self.max_retries, self.max_wait_s = timeout, max_retries, max_wait_s
        self._sleep, self._clock = sleep, clock
        self._opener = urllib.request.build_opener(_SameOriginRedirects(self._origin))
        self.waited_s = 0.0  # time spent waiting out rate limits, for the step's data

    # ---- transport --------------------------------------------------------------------------
    def _url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        url = path if path.startswith(("http://", "https://")) else self.base + path
        if urllib.parse.urlsplit(url)[:2] != self._origin:
            # A Link header pointing elsewhere must not receive the token.
            raise GitHubError(f"refusing to follow a link off the API origin ({self.base})")
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        return url

    def request(self, method: str, path: str, payload: Any = None,
                params: Mapping[str, Any] | None = None) -> tuple[Any, Mapping[str, str]]:
        url = self._url(path, params)
        data = None if payload is None else json.dumps(payload).encode()
        waited, attempt = 0.0, 0
        while True:
            req = urllib.request.Request(url, data=data, method=method, headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {self._token}",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "maestro-tasks",
                **({"Content-Type": "application/json"} if data is not None else {}),
            })
            try:
                with self._opener.open(req, timeout=self.timeout) as resp:
                    raw = resp.read()
                    return (json.loads(raw) if raw.strip() else None), resp.headers
            except urllib.error.HTTPError as exc:
                body = _json_or_none(exc.read())
                wait = self.backoff(exc.code, exc.headers, body)
                if wait is None:
                    raise _error(method, path, exc.code, body) from None
                attempt += 1
                if attempt > self.max_retries or waited + wait > self.max_wait_s:
                    raise RateLimited(
                        f"GitHub rate limit: {method} {_short(path)} still refused after "
                        f"{attempt - 1} retries ({waited:.0f} s waited; the next wait would be "
                        f"{wait:.0f} s)", exc.code,
                        hint="rerun later; the limit resets within the hour") from None
                self._sleep(wait)
                waited += wait
                self.waited_s += wait
            except urllib.error.URLError as exc:
                raise GitHubError(f"cannot reach the GitHub API at {self.base}: {exc.reason}",
                                  hint="check the network, or GITHUB_API_URL") from None
            except (TimeoutError, OSError) as exc:
                raise GitHubError(f"the GitHub API at {self.base} did not answer: {exc}",
                                  hint="check the network, or GITHUB_API_URL") from None

    def backoff(self, status: int, headers: Mapping[str, str], body: Any) -> float | None:
        """Seconds to wait before retrying, or None when the refusal is not a rate limit."""
        if status not in (403, 429):
            return None
        retry_after = headers.get("retry-after")
        if retry_after is not None:
            try:
                return max(1.0, float(retry_after))
            except ValueError:
                return SECONDARY_WAIT_S
        if headers.get("x-ratelimit-remaining") == "0":
            try:
                return max(1.0, float(headers.get("x-ratelimit-reset", "")) - self._clock() + 1)
            except ValueError:
                return SECONDARY_WAIT_S
        message = str((body or {}).get("message", "")) if isinstance(body, dict) else ""
        if status == 429 or "rate limit" in message.lower():
            return SECONDARY_WAIT_S
        return None

    def paginate(self, path: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        items: list[Any] = []
        url: str | None = path
        query = {**(params or {}), "per_page": 100}
        while url is not None:
            page, headers = self.request("GET", url, params=query)
            query = None  # the next link carries the query
            if not isinstance(page, list):
                raise GitHubError(f"GET {_short(path)}: expected a list from GitHub")
            items.extend(page)
            match = _NEXT.search(headers.get("link") or "")
            url = match.group(1) if match else None
        return items

    # ---- the REST subset --------------------------------------------------------------------
    def issues(self, repo: str) -> list[dict[str, Any]]:
        """Every issue of ``repo``, open and closed (pull requests left out)."""
        items = self.paginate(f"/repos/{repo}/issues", {"state": "all"})
        return [i for i in items if isinstance(i, dict) and "pull_request" not in i]

    def create_issue(self, repo: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        return self.request("POST", f"/repos/{repo}/issues", dict(payload))[0]

    def update_issue(self, repo: str, number: int, payload: Mapping[str, Any]) -> dict[str, Any]:
        if "state" in payload:
            raise ValueError("this client never closes or reopens issues")
        return self.request("PATCH", f"/repos/{repo}/issues/{number}", dict(payload))[0]

    def labels(self, repo: str) -> list[dict[str, Any]]:
        return self.paginate(f"/repos/{repo}/labels")

    def create_label(self, repo: str, name: str, color: str, description: str = "") -> None:
        self.request("POST", f"/repos/{repo}/labels",
                     {"name": name, "color": color, "description": description})

    def milestones(self, repo: str) -> list[dict[str, Any]]:
        return self.paginate(f"/repos/{repo}/milestones", {"state": "all"})

    def create_milestone(self, repo: str, title: str, description: str = "") -> dict[str, Any]:
        return self.request("POST", f"/repos/{repo}/milestones",
                            {"title": title, "description": description})[0]


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _short(path: str) -> str:
    return urllib.parse.urlsplit(path).path or path


def _error(method: str, path: str, status: int, body: Any) -> GitHubError:
    message = str(body.get("message", "")) if isinstance(body, dict) else ""
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors:
        details = ", ".join(str(e.get("message") or f"{e.get('field')} {e.get('code')}")
                            if isinstance(e, dict) else str(e) for e in errors[:3])
        message = f"{message} ({details})"
    hints = {401: "the token is invalid or expired: set GH_TOKEN to a valid one",
             403: "the token lacks permission: it needs Issues read/write on the repository",
             404: "check --repo owner/name, and that the token can see the repository",
             410: "issues are disabled on this repository"}
    return GitHubError(f"GitHub answered {status} to {method} {_short(path)}: "
                       f"{message or 'no message'}", status, hints.get(status, ""))
