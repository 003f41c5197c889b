"""The accessibility proof: serve a built app on a free loopback port, GET / -> 200 with HTML,
optionally render it in headless Chromium, then stop the server's whole process group.

Servers are the app's own preview / start script run directly through ``sh`` with
``node_modules/.bin`` on PATH (what ``npm run`` does, without an npm process), or a small static
server for a folder of files (a Vite build without a preview script, a Next.js static export).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..engine.fsio import scratch_dir
from .discovery import NEXT, VITE, App
from .outputs import check_output

LOOPBACK = "127.0.0.1"
DEFAULT_TIMEOUT_S = 90.0
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--no-proxy-server", "--virtual-time-budget=5000",
)
# Flags a preview / start script may already carry; ours replace them.
_VITE_FLAGS = re.compile(r"\s--(?:port|host)(?:[= ](?!-)\S+)?|\s--(?:strictPort|open)\b")
_NEXT_FLAGS = re.compile(r"\s(?:-p|--port|-H|--hostname)(?:[= ](?!-)\S+)")


@dataclass
class ServeResult:
    app: str
    served: bool
    url: str = ""
    how: str = ""              # the server command, e.g. "preview script: vite preview ..."
    status: int | None = None
    content_type: str = ""
    body_bytes: int = 0
    error: str = ""
    rendered: bool | None = None
    render_evidence: str = ""
    stopped: bool = True       # the process group is gone and the port closed
    leftovers: int = 0
    log: str = ""

    @property
    def evidence(self) -> str:
        if not self.served:
            return f"{self.app}: {self.error}"
        return (f"{self.app}: GET {self.url} -> {self.status} {self.content_type} "
                f"({self.body_bytes} B) via {self.how}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((LOOPBACK, port)) == 0


def wait_port_closed(port: int, timeout: float = 5.0) -> bool:
    """A killed server's socket is released by the kernel shortly after the process is gone."""
    deadline = time.monotonic() + timeout
    while port_open(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in a process group, from /proc."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read().decode("utf-8", "replace")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry))
    return members


def stop_group(proc: subprocess.Popen, grace_s: float = 5.0) -> list[int]:
    """SIGTERM the group, SIGKILL what is left after ``grace_s``; returns survivors (none)."""
    pgid = proc.pid
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        proc.poll()
        if proc.returncode is not None and not group_members(pgid):
            return []
        time.sleep(0.1)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        pass
    deadline = time.monotonic() + grace_s
    while group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return group_members(pgid)


def server_command(target: Path, app: App, port: int) -> tuple[list[str], str, Path]:
    """(argv, description, cwd) of the server for a built app."""
    app_dir = target / app.rel
    state = check_output(app_dir, app)
    script_name = None
    if app.framework == NEXT and state.kind == "next-server":
        script_name = "start" if "start" in app.scripts else None
        if script_name is None:
            command = f"next start -p {port} -H {LOOPBACK}"
            return ["/bin/sh", "-c", command], command, app_dir
    elif app.framework == VITE and "preview" in app.scripts:
        script_name = "preview"
    # Other apps' start scripts are often dev servers: their output folder is served as files.
    if script_name is not None:
        script = " " + app.scripts[script_name]
        if app.framework == VITE:
            script = _VITE_FLAGS.sub("", script) + f" --port {port} --strictPort --host {LOOPBACK}"
        elif app.framework == NEXT:
            script = _NEXT_FLAGS.sub("", script) + f" -p {port} -H {LOOPBACK}"
        script = script.strip()
        return ["/bin/sh", "-c", script], f"{script_name} script: {script}", app_dir
    folder = app_dir / state.folder
    argv = [sys.executable, "-m", "http.server", str(port), "--bind", LOOPBACK,
            "--directory", str(folder)]
    return argv, f"static server on {state.folder}/", app_dir


def server_env(app: App, app_dir: Path, port: int) -> dict[str, str]:
    env = dict(os.environ)
    bins = [str(d / ".bin") for d in app.module_dirs(app_dir)]
    env["PATH"] = os.pathsep.join([*bins, env.get("PATH", "")])
    env.update({"PORT": str(port), "HOST": LOOPBACK, "HOSTNAME": LOOPBACK, "BROWSER": "none",
                "NEXT_TELEMETRY_DISABLED": "1", "NODE_ENV": "production"})
    return env


def _http_get(url: str, timeout: float = 5.0) -> tuple[int, str, bytes]:
    # Imported here: a run whose serve proofs are all reused starts no HTTP client.
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", "") if exc.headers else "", b""


def looks_like_html(content_type: str, body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return "text/html" in content_type.lower() or head.startswith((b"<!doctype html", b"<html"))


def serve_check(target: Path, app: App, *, browser: str | None = None,
                timeout: float = DEFAULT_TIMEOUT_S) -> ServeResult:
    """Serve the app, GET / (and render it with ``browser``), stop everything. Never raises for
    app problems: the result says what failed."""
    app_dir = target / app.rel
    result = ServeResult(app=app.rel, served=False)
    if not check_output(app_dir, app).present:
        result.error = "not built (no output to serve)"
        return result
    port = free_port()
    argv, how, cwd = server_command(target, app, port)
    result.how, result.url = how, f"http://{LOOPBACK}:{port}/"
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(argv, cwd=cwd, env=server_env(app, app_dir, port),
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            _wait_and_get(proc, result, timeout)
            if result.served and browser:
                result.rendered, result.render_evidence = render_check(
                    browser, result.url, app, timeout=timeout)
        finally:
            survivors = stop_group(proc)
            result.leftovers = len(survivors)
            result.stopped = not survivors and wait_port_closed(port)
            out.seek(0)
            result.log = f"$ {how}\n" + out.read().decode("utf-8", "replace")
    if not result.stopped:
        result.served = False
        result.error = (f"server did not stop: {len(survivors)} process(es) left in its group "
                        f"or port {port} still open")
    return result


def _wait_and_get(proc: subprocess.Popen, result: ServeResult, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last_error = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            result.error = f"server exited with {proc.returncode} before answering ({result.how})"
            return
        try:
            status, ctype, body = _http_get(result.url)
        except OSError as exc:  # urllib's URLError is an OSError
            last_error = str(getattr(exc, "reason", exc))
            time.sleep(0.25)
            continue
        result.status, result.content_type, result.body_bytes = status, ctype, len(body)
        if status != 200:
            result.error = f"GET {result.url} -> {status} (want 200) via {result.how}"
        elif not looks_like_html(ctype, body):
            result.error = f"GET {result.url} -> 200 but not HTML ({ctype or 'no content type'})"
        else:
            result.served = True
        return
    result.error = f"no answer on {result.url} within {timeout:.0f}s ({last_error})"


@lru_cache(maxsize=1)
def _root_content_parser() -> type:
    """The DOM measuring parser (html.parser is imported when a page is rendered)."""
    from html.parser import HTMLParser

    class RootContent(HTMLParser):
        """Measures what a rendered DOM holds inside one element (by id) or the body."""

        _HIDDEN = {"script", "style", "noscript", "template"}
        _VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                 "source", "track", "wbr"}

        def __init__(self, root_id: str | None):
            super().__init__(convert_charrefs=True)
            self.root_id = root_id
            self.found = False
            self.depth = 0         # >0 while inside the element being measured
            self.hidden = 0
            self.elements = 0
            self.text = 0

        def handle_starttag(self, tag, attrs):
            inside = self.depth > 0
            if not inside:
                hit = (dict(attrs).get("id") == self.root_id) if self.root_id else tag == "body"
                if hit:
                    self.found, self.depth = True, 1
                return
            if tag in self._VOID:
                self.elements += 1
                return
            self.depth += 1
            if tag in self._HIDDEN or self.hidden:
                self.hidden += 1
            else:
                self.elements += 1

        def handle_endtag(self, tag):
            if self.depth == 0 or tag in self._VOID:
                return
            self.depth -= 1
            if self.hidden:
                self.hidden -= 1

        def handle_data(self, data):
            if self.depth > 0 and not self.hidden:
                self.text += len(data.strip())

    return RootContent


def rendered_content(dom: str, root_id: str | None) -> tuple[bool, str]:
    """Whether ``#root_id`` (or, without one, the body) holds elements or visible text."""
    parser = _root_content_parser()(root_id)
    parser.feed(dom)
    where = f"#{root_id}" if root_id else "<body>"
    if not parser.found:
        return False, f"{where} not found in the rendered DOM"
    if root_id is None:
        ok = parser.text > 0
    else:
        ok = parser.elements > 0 or parser.text > 0
    return ok, (f"{where} holds {parser.elements} element(s), {parser.text} character(s) of text"
                if ok else f"{where} is empty after rendering")


def render_check(browser: str, url: str, app: App, *, timeout: float = DEFAULT_TIMEOUT_S
                 ) -> tuple[bool, str]:
    """Load ``url`` in headless Chromium (``--dump-dom``) and look for the app's content."""
    profile = str(scratch_dir("chromium"))
    argv = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url]
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False, f"chromium did not finish within {timeout:.0f}s"
        finally:
            stop_group(proc, grace_s=2.0)
        if proc.returncode != 0 or not out.strip():
            last = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            return False, f"chromium --dump-dom failed (exit {proc.returncode}): {last[0]}"
        dom = out.decode("utf-8", "replace")
        root = app.root_id
        if app.framework == NEXT and root == "__next" and 'id="__next"' not in dom:
            root = None  # the app router renders straight into <body>
        ok, evidence = rendered_content(dom, root)
        return ok, f"chromium: {evidence}"
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def find_browser() -> str | None:
    """Debian's chromium, when installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")

