"""Proofs keyed by content, as a build system keys its outputs.

A criterion that is a pure function of files and tool versions (the real ``docker compose
config`` of a rewritten file, a collect-only run, a served and rendered UI build) is recorded in
``.maestro/proofs.json`` under a digest of exactly its inputs. While the digest is unchanged the
proof is reused and its evidence says so; any change in any input proves it again. What depends
on live state (a running container's health) is never given to this store.

Only passing proofs are recorded: a failing check always runs again, since its fresh output is
what the user reads. ``--no-cache`` (``Context.no_cache``) proves everything again and still
records the new proofs. Check mode and a ``--diff`` preview read proofs and record none (they
write nothing at all).
Our own code is an input of every digest (the bytes of this package), so an upgrade or a local
edit of the tool proves everything again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from .fsio import atomic_write
from .state import StateDir, utc_now_iso

PROOFS_NAME = "proofs.json"
_PACKAGE = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def code_digest() -> str:
    """Digest of this package's source: the version of the code that does the proving."""
    h = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        h.update(str(path.relative_to(_PACKAGE)).encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


class Digest:
    """sha256 over named inputs. Each input is framed by its name and length, so two different
    input lists never hash alike; ``None`` (an absent file, an unknown version) is its own
    value, distinct from empty bytes."""

    def __init__(self, kind: str) -> None:
        self._h = hashlib.sha256()
        self.add("kind", kind)
        self.add("maestro-tasks", code_digest())

    def add(self, name: str, value: bytes | str | None) -> "Digest":
        data = b"\x00<absent>" if value is None else (
            value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value)
        head = name.encode("utf-8", "surrogateescape")
        self._h.update(len(head).to_bytes(8, "big") + head)
        self._h.update(len(data).to_bytes(8, "big") + data)
        return self

    def file(self, label: str, path: Path) -> "Digest":
        """A file's bytes (absent is an input too)."""
        try:
            data: bytes | None = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            data = None
        return self.add(f"file:{label}", data)

    def hexdigest(self) -> str:
        return self._h.hexdigest()


@dataclass
class Proof:
    digest: str
    proven_at: str
    evidence: str
    data: dict[str, Any] = field(default_factory=dict)
    reused: bool = False

    def describe(self) -> str:
        """The evidence, and when reused, for which inputs and since when."""
        if not self.reused:
            return self.evidence
        return (f"{self.evidence} (proven for inputs {self.digest[:12]}…, "
                f"unchanged since {self.proven_at})")


class Proofs:
    """The proof store of one target. ``enabled=False`` (``--no-cache``) never reuses;
    ``writable=False`` (check mode, a --diff preview) never records."""

    def __init__(self, state: StateDir, *, enabled: bool = True, writable: bool = True,
                 mask: Callable[[str], str] = str) -> None:
        self.state = state
        self.enabled = enabled
        self.writable = writable
        self.mask = mask  # no secret value reaches the store, as none reaches any output
        self._doc: dict[str, Any] | None = None

    @property
    def path(self) -> Path:
        return self.state.root / PROOFS_NAME

    def _load(self) -> dict[str, Any]:
        if self._doc is None:
            try:
                doc = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                doc = {}
            self._doc = doc if isinstance(doc, dict) else {}
        return self._doc

    def get(self, key: str, digest: str) -> Proof | None:
        """The recorded proof of ``key`` if it was made for exactly ``digest``."""
        if not self.enabled:
            return None
        entry = self._load().get(key)
        if not isinstance(entry, dict) or entry.get("digest") != digest:
            return None
        data = entry.get("data")
        return Proof(digest, str(entry.get("proven_at", "?")), str(entry.get("evidence", "")),
                     data if isinstance(data, dict) else {}, reused=True)

    def put(self, key: str, digest: str, evidence: str,
            data: dict[str, Any] | None = None) -> Proof:
        """Record a passing proof (one per key: a new digest replaces the old one)."""
        proof = Proof(digest, utc_now_iso(), self.mask(evidence),
                      json.loads(self.mask(json.dumps(data or {}))))
        if not self.writable:
            return proof
        doc = dict(self._load())
        doc[key] = {"digest": digest, "proven_at": proof.proven_at, "evidence": proof.evidence,
                    "data": proof.data}
        self.state.ensure()
        atomic_write(self.path, (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode())
        self._doc = doc
        return proof
