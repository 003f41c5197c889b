"""Credentials in the rest of the repository: what git tracks besides the compose files fixed.

fix-secrets rewrites the compose files compose loads; a repository often commits credentials
elsewhere too. This module lists them, read-only, each with ``file:line``:
- other compose files and their backups (``docker-compose.prod.yml``, ``compose.yaml.bak``):
  the same detection as the fixed files (``detect.find``);
- env files (``.env``, ``*.env``, ``.env.*``): a secret-named key with a real value (not empty,
  a number, a boolean, a reference, a path or a rule such as ``password:32``; in an example
  file not a placeholder either: in a live file ``changeme`` is the password in use), and any
  password inside a URL;
- Kubernetes ``Secret`` manifests: every non-empty ``data`` / ``stringData`` entry; other
  YAML files: ``key: value`` lines judged as env lines;
- compose ``secrets:`` files (``file: ./db_password.txt``) that are tracked and not empty.
The values are registered with the masker and shown only masked. Nothing here changes a file:
moving a committed credential out of git (and rotating it: history keeps it) is the user's call.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..engine import BaseStep, Context, Criterion, InputError, mask_value
from . import detect, rules, yamlsrc

MAX_BYTES = 1 << 20
_RULE_VALUE = re.compile(r"(password|token|hex|base64|base64url|fernet)(:\d+)?")
_K8S_SECRET = re.compile(rb"^\s*kind:\s*[\"']?Secret[\"']?\s*$", re.M)
_YAML_NAME = re.compile(r"\.ya?ml(\.[\w~\-]+)?~?$", re.I)


@dataclass
class Credential:
    path: str
    line: int
    key: str
    kind: str          # compose | env | kubernetes-secret | secrets-file
    value: str         # never printed: ``masked`` is

    @property
    def masked(self) -> str:
        return mask_value(self.value)

    def to_json(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "key": self.key, "kind": self.kind,
                "value": self.masked}


def tracked_files(target: Path) -> list[str] | None:
    """Every file git tracks in ``target`` (relative, POSIX); None outside a git work tree."""
    try:
        res = subprocess.run(["git", "ls-files", "-z", "--cached", "--", "."], cwd=target,
                             capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if res.returncode != 0:
        return None
    return [p for p in res.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def kind_of(rel: str) -> str | None:
    base = posixpath.basename(rel)
    low = base.lower()
    # CI workflows (deploy-docker-compose.yml) are not compose files whatever their name.
    if rel.startswith(".github/"):
        return "yaml" if _YAML_NAME.search(low) else None
    if "compose" in low and _YAML_NAME.search(low) or re.search(r"compose.*\.ya?ml", low):
        return "compose"
    if low == ".env" or low.endswith(".env") or low.startswith(".env."):
        return "env"
    if _YAML_NAME.search(low):
        return "yaml"
    return None


_EXAMPLE_NAME = re.compile(r"example|sample|template|tmpl|dist|default", re.I)


def is_example_file(rel: str) -> bool:
    """A file of examples (``.env.example``, ``config.sample.yml``): there a placeholder is a
    placeholder. In a live file (``.env``, ``docker.env``) a value is the value in use, so
    ``changeme`` there is a (weak) credential."""
    return bool(_EXAMPLE_NAME.search(posixpath.basename(rel)))


# A template expression (GitHub Actions ``${{ secrets.X }}``, Helm / Jinja ``{{ .Values.x }}``)
# names a credential kept elsewhere; a workflow's ``id-token: write`` is a permission.
_REFERENCE = re.compile(r"\{\{.*\}\}")
_PERMISSIONS = frozenset({"read", "write", "none"})


def credential_value(key: str | None, value: str | None, example: bool = True) -> bool:
    """A real credential in an env-style ``key=value`` (see the module docstring)."""
    if not value or not key or not rules.is_secret_key(key):
        return False
    v = value.strip()
    if not v or rules.plain_value(v) or _RULE_VALUE.fullmatch(v) or _REFERENCE.search(v) \
            or v in _PERMISSIONS:
        return False
    return not (example and rules.is_placeholder(v))


def url_passwords(value: str, example: bool) -> list[str]:
    """Every password inside a ``scheme://user:password@host`` of ``value`` (a reference is
    not one; in an example file neither is a placeholder)."""
    from ..credentials import URL

    return [m.group("pw") for m in URL.finditer(value)
            if m.group("pw") and "$" not in m.group("pw")
            and not (example and rules.is_placeholder(m.group("pw")))]


def scan_env(rel: str, text: str, kind: str = "env") -> list[Credential]:
    from .example import lines

    example = is_example_file(rel)
    out = []
    for ln in lines(text):
        if not ln.key or not ln.value:
            continue
        if credential_value(ln.key, ln.value, example):
            out.append(Credential(rel, ln.line, ln.key, kind, ln.value))
            continue
        out.extend(Credential(rel, ln.line, ln.key, kind, pw)
                   for pw in url_passwords(ln.value, example))
    return out


_YAML_PAIR = re.compile(r"(?m)^([ \t]*(?:-[ \t]+)?)([A-Za-z_][\w.\-]*)[ \t]*:[ \t]+(?=\S)(?!#)")


def scan_yaml_lines(rel: str, data: bytes, kind: str) -> list[Credential]:
    """``key: value`` lines of a YAML file, judged as env lines (comments skipped)."""
    text = data.decode("utf-8", "replace")
    env_like = _YAML_PAIR.sub(lambda m: m.group(2) + "=", text)
    # A line python-dotenv cannot read is skipped, not an error: this is a read-only survey.
    kept = []
    for line in env_like.splitlines():
        kept.append(line if re.match(r"[A-Za-z_][\w.\-]*=", line) else "")
    return scan_env(rel, "\n".join(kept) + "\n", kind)


def scan_compose(rel: str, data: bytes) -> list[Credential]:
    try:
        doc = yamlsrc.parse(rel, data)
    except InputError:
        # A backup or a fragment compose cannot read: judged line by line as KEY: value.
        return scan_yaml_lines(rel, data, "compose")
    found = detect.find([doc])
    return [Credential(rel, o.line, o.key, "compose", o.literal)
            for o in found.occurrences
            if o.literal and not (is_example_file(rel) and rules.is_placeholder(o.literal))]


def _mapping(node) -> dict[str, tuple]:
    from ruamel.yaml.nodes import MappingNode, ScalarNode

    if not isinstance(node, MappingNode):
        return {}
    return {k.value: (k, v) for k, v in node.value if isinstance(k, ScalarNode)}


def scan_kubernetes(rel: str, data: bytes) -> list[Credential]:
    from ruamel.yaml.nodes import ScalarNode

    if not _K8S_SECRET.search(data):
        return []
    try:
        docs = list(yamlsrc._yaml().compose_all(data.decode("utf-8", "replace")))
    except Exception:  # noqa: BLE001 - a manifest YAML cannot read holds nothing we can show
        return []
    out = []
    for doc in docs:
        top = _mapping(doc)
        kind = top.get("kind", (None, None))[1]
        if not isinstance(kind, ScalarNode) or kind.value != "Secret":
            continue
        for section in ("data", "stringData"):
            for key, (_, node) in _mapping(top.get(section, (None, None))[1]).items():
                if not isinstance(node, ScalarNode) or not node.value.strip():
                    continue
                value = node.value
                if section == "data":
                    try:
                        value = base64.b64decode(value, validate=False).decode("utf-8")
                    except (binascii.Error, ValueError, UnicodeDecodeError):
                        value = node.value
                if value.strip() and not (is_example_file(rel) and rules.is_placeholder(value)):
                    out.append(Credential(rel, node.start_mark.line + 1, f"{section}.{key}",
                                          "kubernetes-secret", value.strip()))
    return out


def secrets_files(docs: list[yamlsrc.SourceDoc]) -> list[str]:
    """The files of top-level compose ``secrets:`` (``file: ./x``), relative to the target."""
    out = []
    for doc in docs:
        top = doc.root.value if doc.root is not None and hasattr(doc.root, "value") else []
        for k, v in top if isinstance(top, list) else []:
            if getattr(k, "value", None) != "secrets":
                continue
            for _, spec in _mapping(v).values():
                file_node = _mapping(spec).get("file", (None, None))[1]
                if file_node is not None and isinstance(file_node.value, str):
                    base = posixpath.dirname(doc.rel)
                    out.append(posixpath.normpath(posixpath.join(base, file_node.value)))
    return out


def scan(target: Path, tracked: list[str], fixed: set[str],
         secret_files: list[str] = ()) -> tuple[list[Credential], int]:
    """(credentials, files scanned) in the tracked files except ``fixed`` (the compose files
    fix-secrets rewrites: their own criterion covers them)."""
    found: list[Credential] = []
    scanned = 0
    wanted = set(secret_files)
    for rel in tracked:
        if rel in fixed or rel.startswith(".maestro/"):
            continue
        kind = "secrets-file" if rel in wanted else kind_of(rel)
        if kind is None:
            continue
        path = target / rel
        try:
            if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_BYTES:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        scanned += 1
        if kind == "secrets-file":
            value = data.decode("utf-8", "replace").strip()
            if value and not (is_example_file(rel) and rules.is_placeholder(value)):
                found.append(Credential(rel, 1, posixpath.basename(rel), kind, value))
        elif kind == "env":
            found.extend(scan_env(rel, data.decode("utf-8", "replace")))
        elif kind == "compose":
            found.extend(scan_compose(rel, data))
            found.extend(scan_kubernetes(rel, data))
        else:
            k8s = scan_kubernetes(rel, data)
            found.extend(k8s or scan_yaml_lines(rel, data, "yaml"))
    return found, scanned


CRITERION = "no credential in tracked files"
SCOPE = ("other compose files and backups, *.env files, Kubernetes Secrets and other YAML, "
         "compose secrets: files")


class TrackedCredentialsStep(BaseStep):
    """Read-only: names every credential git tracks outside the compose files fixed."""

    name = "tracked-credentials"

    def verify(self, ctx: Context) -> list[Criterion]:
        from .steps import analysis, example_rel

        an = analysis(ctx)
        tracked = tracked_files(ctx.target)
        if tracked is None:
            return [Criterion(CRITERION, None, "not a git work tree: nothing is tracked")]
        own = {*an.compose_files, example_rel(ctx)}  # each has its own criterion
        found, scanned = scan(ctx.target, tracked, own, secrets_files(an.docs))
        ctx.masker.add(*(c.value for c in found))
        if ctx.current is not None:
            ctx.current.data["tracked_credentials"] = [c.to_json() for c in found]
            ctx.current.data["scanned_files"] = scanned
            ctx.current.details.extend(f"{c.path}:{c.line}  {c.key}  {c.masked}  ({c.kind})"
                                       for c in found)
        files = list(dict.fromkeys(c.path for c in found))
        if not found:
            return [Criterion(CRITERION, True, f"0 found in {scanned} tracked file(s) ({SCOPE})")]
        shown = ", ".join(f"{c.path}:{c.line} {c.key}" for c in found[:5])
        more = f" (+{len(found) - 5} more)" if len(found) > 5 else ""
        return [Criterion(
            CRITERION, False,
            f"{len(found)} credential(s) in {len(files)} tracked file(s): {shown}{more}; move "
            f"them out of git (`git rm --cached {' '.join(files[:3])}`, values into the env "
            "file) and rotate them: git history keeps the old values")]
