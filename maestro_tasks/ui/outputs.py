"""Whether an app's build output is there: Vite -> outDir/index.html; Next.js -> BUILD_ID or an
exported out/index.html; other apps -> their configured output folder holding index.html."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .discovery import NEXT, App


@dataclass
class OutputState:
    present: bool
    kind: str        # "static" (a folder of files to serve) or "next-server" (next start)
    folder: str      # relative to the app
    evidence: str    # what was found or missed, e.g. "dist/index.html (2.1 kB)"


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size} B" if size < 1024 else f"{size / 1024:.1f} kB"


def check_output(app_dir: Path, app: App) -> OutputState:
    if app.framework == NEXT:
        server_dir, = [o for o in app.outputs if o != "out"] or [".next"]
        build_id = app_dir / server_dir / "BUILD_ID"
        exported = app_dir / "out" / "index.html"
        candidates = [("out", exported)] if app.outputs[0] == "out" else []
        candidates += [(server_dir, build_id), ("out", exported)]
        for folder, marker in candidates:
            if marker.is_file():
                kind = "static" if folder == "out" else "next-server"
                return OutputState(True, kind, folder,
                                   f"{folder}/{marker.name} ({_size(marker)})")
        return OutputState(False, "next-server", server_dir,
                           f"neither {server_dir}/BUILD_ID nor out/index.html")
    folder = app.outputs[0]
    index = app_dir / folder / "index.html"
    if index.is_file():
        return OutputState(True, "static", folder, f"{folder}/index.html ({_size(index)})")
    return OutputState(False, "static", folder, f"no {folder}/index.html")
