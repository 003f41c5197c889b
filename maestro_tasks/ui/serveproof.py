"""The serve check as a content-keyed proof (engine/proofs.py).

Whether a built app answers GET / with 200 and HTML, and renders its root element in Chromium,
is a function of what the server reads and runs: the build output's files (every byte, nothing
skipped), the app's own files (its build fingerprint: package.json scripts, lockfile, configs,
``public/``, the ``.env`` files ``next start`` reads), the manifests of the installed packages,
the server command, the app settings, and the node, Python (for the static server) and Chromium
versions. The digest covers exactly those; an unchanged digest reuses the recorded proof.

Known limit: installed packages are keyed by the manifest their package manager writes on
every install (``node_modules/.package-lock.json`` and the like), not by every byte under
node_modules (hundreds of MB): a hand edit inside node_modules is not seen (``--no-cache``).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from ..engine.proofs import Digest, Proof
from .discovery import App
from .fingerprint import Fingerprint, tree_files
from .outputs import check_output
from .serve import ServeResult, server_command
from .toolchain import Toolchain

KIND = "ui-serve"
# What npm, yarn (classic and berry) and pnpm write into node_modules on every install.
MODULE_MANIFESTS = (".package-lock.json", ".yarn-integrity", ".yarn-state.yml", ".modules.yaml")
# Read by node from the environment the server inherits.
NODE_ENV_VARS = ("NODE_OPTIONS", "NODE_PATH", "NODE_EXTRA_CA_CERTS")


def proof_key(app: App) -> str:
    return f"ui.serve:{app.rel}"


def serve_digest(target: Path, app: App, fingerprint: Fingerprint, tools: Toolchain,
                 browser: str | None) -> str:
    """The digest of every input of ``serve_check(target, app, browser=browser)``."""
    app_dir = target / app.rel
    digest = Digest(KIND)
    digest.add("app", json.dumps({
        "rel": app.rel, "framework": app.framework, "package_manager": app.package_manager,
        "lockfile": app.lockfile, "scripts": app.scripts, "outputs": list(app.outputs),
        "root_id": app.root_id, "workspace": app.workspace}, sort_keys=True))
    digest.add("app-files", fingerprint.digest)
    state = check_output(app_dir, app)
    digest.add("output", f"{state.present} {state.kind} {state.folder}")
    if state.present:
        for rel, sha in tree_files(app_dir / state.folder).items():
            digest.add(f"output:{rel}", sha)
        argv, how, cwd = server_command(target, app, 0)  # the port is ours, chosen each run
        digest.add("server", "\0".join([*argv, how, str(cwd)]))
        if argv[0] == sys.executable:  # our static server: this Python serves the files
            digest.add("python", sys.version)
    for folder in app.module_dirs(app_dir):
        for name in MODULE_MANIFESTS:
            digest.file(f"{folder.relative_to(app_dir)}/{name}", folder / name)
    digest.add("node", f"{tools.which('node')} {tools.version('node')}")
    for var in NODE_ENV_VARS:
        digest.add(f"env:{var}", os.environ.get(var))
    digest.add("browser", None if browser is None else
               f"{browser} {tools.version_at(browser, Path(browser).name)}")
    return digest.hexdigest()


def passed(result: ServeResult, browser: str | None) -> bool:
    """Only a passing check is recorded: served, stopped, and rendered where a browser is."""
    return result.served and result.stopped and (browser is None or result.rendered is True)


def proof_data(result: ServeResult) -> dict[str, Any]:
    return {"url": result.url, "how": result.how, "status": result.status,
            "content_type": result.content_type, "body_bytes": result.body_bytes,
            "rendered": result.rendered, "render_evidence": result.render_evidence}


def result_from_proof(app: App, proof: Proof) -> ServeResult:
    """The recorded check's result; no server was started for it."""
    data = proof.data
    body = data.get("body_bytes")
    status = data.get("status")
    rendered = data.get("rendered")
    return ServeResult(app=app.rel, served=True, url=str(data.get("url", "")),
                       how=str(data.get("how", "")),
                       status=status if isinstance(status, int) else None,
                       content_type=str(data.get("content_type", "")),
                       body_bytes=body if isinstance(body, int) else 0,
                       rendered=rendered if isinstance(rendered, bool) else None,
                       render_evidence=str(data.get("render_evidence", "")))
