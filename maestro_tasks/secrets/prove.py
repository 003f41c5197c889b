"""Prove a fix-secrets plan on a private scratch copy before anything is written (DESIGN §3, §7).

The whole candidate (compose files, env file, .env.example, .gitignore) is laid over a copy of
the target in a 0700 scratch folder, and judged there:
- the real ``docker compose config`` of the candidate equals the original's everywhere except
  inside non-empty secret values (service ``env_file:`` files are read from the copy, so a new
  key that would reach a container shows up as a difference);
- every command / entrypoint / healthcheck script splits into the same shell words as before
  except the secret word itself (``shlex``), and passes ``sh -n`` where a shell runs it;
- no generated value lands in a file git tracks.
A failing candidate is never written. The original itself must resolve (with placeholder values
for required variables that are unset either way): if it does not, the input is invalid (exit 2).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

from ..compose import interp, oracle
from ..engine import InputError
from ..engine.fsio import scratch_dir
from . import compare, envfile

# Folders never needed to resolve a compose project; big files neither (compose reads only
# compose files and env files).
SKIP_DIRS = {".git", "node_modules", ".venv", "venv", ".maestro", "__pycache__", ".tox",
             ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hg", ".svn"}
MAX_COPY_BYTES = 2 * 1024 * 1024
SHELLS = {"sh", "bash", "ash", "dash", "zsh", "ksh"}
PLACEHOLDER = "maestro-proof-unset-{}"
PROVE_PROOF = "fix-secrets:prove"
COLLECT_PROOF = "fix-secrets:test-collection"


class Memo(Protocol):
    """The proof store as the prove step sees it (the engine's ctx.proofs, steps._ProofMemo):
    ``digest(kind)`` starts a Digest that already holds the compose CLI's identity."""

    def digest(self, kind: str) -> Any: ...
    def get(self, key: str, digest: str) -> Any: ...
    def put(self, key: str, digest: str, evidence: str, data: dict | None = None) -> Any: ...


@dataclass
class Proof:
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # what was proven (evidence)
    hint: str = ""
    evidence: str = ""  # set when a recorded proof for the same inputs was reused

    @property
    def ok(self) -> bool:
        return not self.problems


def copy_tree(src: Path, dst: Path) -> None:
    """Copy the target's small files (symlinks as symlinks) into ``dst``; unreadable ones are
    skipped (compose would not read them either)."""
    for folder, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        rel = Path(folder).relative_to(src)
        out = dst / rel
        out.mkdir(parents=True, exist_ok=True)
        for name in dirs:
            path = Path(folder) / name
            if path.is_symlink():
                try:
                    os.symlink(os.readlink(path), out / name)
                except OSError:
                    pass
        for name in files:
            path = Path(folder) / name
            try:
                if path.is_symlink():
                    os.symlink(os.readlink(path), out / name)
                elif path.is_file() and path.stat().st_size <= MAX_COPY_BYTES:
                    shutil.copyfile(path, out / name)
            except OSError:
                continue


def tree_digest(src: Path) -> str:
    """sha256 of exactly what ``copy_tree`` copies: every small file's relative path and bytes,
    every symlink's target, in a stable order. The scratch copy (and so the compose configs and
    the test collection run there) is a function of this and the candidate."""
    import hashlib

    h = hashlib.sha256()
    for folder, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        rel = Path(folder).relative_to(src)
        for name in dirs:
            path = Path(folder) / name
            if path.is_symlink():
                try:
                    h.update(b"L" + str(rel / name).encode("utf-8", "surrogateescape") + b"\0"
                             + os.readlink(path).encode("utf-8", "surrogateescape") + b"\0")
                except OSError:
                    pass
        for name in sorted(files):
            path = Path(folder) / name
            key = str(rel / name).encode("utf-8", "surrogateescape") + b"\0"
            try:
                if path.is_symlink():
                    h.update(b"L" + key + os.readlink(path).encode("utf-8", "surrogateescape")
                             + b"\0")
                elif path.is_file() and path.stat().st_size <= MAX_COPY_BYTES:
                    data = path.read_bytes()
                    h.update(b"F" + key + len(data).to_bytes(8, "big") + data)
            except OSError:
                continue
    return h.hexdigest()


def _placeholders(models: list[dict], env_values: dict[str, str | None]) -> dict[str, str]:
    """Required (``:?`` / ``?``) variables the env file leaves unset: a placeholder each, the
    same in both runs, so that compose can resolve what the user has yet to fill in."""
    out = {}
    for model in models:
        for ref in interp.model_references(model):
            if ref.op in (":?", "?") and not ref.nested and not env_values.get(ref.name):
                out[ref.name] = PLACEHOLDER.format(ref.name.lower())
    return out


def _env_with(text: str, extra: dict[str, str]) -> str:
    if not extra:
        return text
    if text and not text.endswith("\n"):
        text += "\n"
    return text + "".join(f"{k}={v}\n" for k, v in extra.items())


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or path.exists():
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def _missing_env_files(model: dict, root: Path) -> list[Path]:
    """Required service ``env_file:`` paths (as compose resolved them) absent from the copy."""
    out = []
    for svc in (model.get("services") or {}).values():
        entries = svc.get("env_file") or [] if isinstance(svc, dict) else []
        if isinstance(entries, (str, dict)):
            entries = [entries]
        for e in entries:
            path, required = (e, True) if isinstance(e, str) else (e.get("path"), e.get("required", True))
            if path and required:
                p = Path(path) if os.path.isabs(path) else root / path
                if not p.exists():
                    out.append(p)
    return out


def prove(cmd: list[str] | None, target: Path, files: list[str], env_rel: str,
          original_env: tuple[str, dict[str, str | None]], candidate: dict[str, bytes | None],
          mapping: dict[str, str], generated: list[str],
          tracked: Callable[[str], bool], raw_models: list[dict] | None = None,
          probe: Callable[[Path], tuple[tuple, str]] | None = None,
          env_added: list[str] | None = None, filled: set[str] | None = None,
          memo: Memo | None = None,
          verified: Callable[[dict, dict, str], None] | None = None) -> Proof:
    """Judge ``candidate`` (rel → new bytes, None = unchanged) laid over a copy of ``target``.

    ``mapping``: new secret value → the old value compose resolved there ("" when unset);
    ``generated``: every value this plan invents (none may land in a tracked file);
    ``env_added``: every value the plan puts into the env file, kept old ones included (a
    tracked env file receives none of them); ``filled``: values of variables that were unset
    (a reference to one resolved to "" and may now resolve to its value)."""
    proof = Proof()
    for rel, data in candidate.items():
        if data is None:
            continue
        text = data.decode("utf-8", "replace")
        watch = [*generated, *(env_added or [])] if rel == env_rel else generated
        if any(v and v in text for v in watch) and tracked(rel):
            if rel == env_rel:
                proof.problems.append(f"{rel} is tracked by git and would receive secret "
                                      "values")
                proof.hint = (f"stop tracking it: `git rm --cached {rel}`, add the line "
                              f"`/{rel}` to .gitignore and commit; or keep it and pass "
                              "`--env-file <an untracked file>` (setting env_file) instead, "
                              f"giving compose both files (--env-file {rel} --env-file <file>)")
            else:
                proof.problems.append(f"{rel} is tracked by git: a generated secret would be "
                                      "committed")
    if proof.problems:
        return proof
    if cmd is None:
        return proof
    digest = None
    if memo is not None:
        # Everything the checks below read: the copied tree, the candidate, the values the
        # comparison explains differences with, the original's placeholders, the compose CLI,
        # the test interpreter; and our code (in every Digest).
        import json

        d = memo.digest("secrets-prove").add("tree", tree_digest(target))
        for rel in sorted(candidate):
            d.add(f"candidate:{rel}", candidate[rel])
        d.add("files", json.dumps(files)).add("env-rel", env_rel).add("env", original_env[0])
        d.add("mapping", json.dumps(sorted(mapping.items())))
        d.add("generated", json.dumps(sorted(generated)))
        d.add("env-added", json.dumps(sorted(env_added or [])))
        d.add("filled", json.dumps(sorted(filled or [])))
        d.add("raw", json.dumps(raw_models or [], sort_keys=True, default=str))
        d.add("probe", getattr(probe, "identity", "?") if probe is not None else None)
        digest = d.hexdigest()
        known = memo.get(PROVE_PROOF, digest)
        checked = known.data.get("checked") if known is not None else None
        if isinstance(checked, list) and checked:
            proof.checked = [str(c) for c in checked]
            proof.evidence = known.describe()
            return proof
        if probe is not None:
            probe = _memo_probe(probe, memo)
    tmp = scratch_dir("secretsproof")
    try:
        os.chmod(tmp, 0o700)
        root = tmp / "t"
        copy_tree(target, root)
        env_text, env_values = original_env
        holders = _placeholders(raw_models or [], env_values)
        env_path = root / env_rel
        _write_private(env_path, _env_with(env_text, holders).encode())
        compose_files = [root / f for f in files]
        # Compose's own default: the project folder is the first compose file's folder.
        project = (root / files[0]).parent
        rc, old, err = oracle.config(cmd, project, compose_files, env_path)
        stood_in = bool(holders)  # the copy differs from the target beyond the candidate
        if rc == 0 and old is not None:
            for p in _missing_env_files(old, root):
                _write_private(p, b"")
                stood_in = True
        elif rc != 124:
            line = _clean(oracle.error_line(err), root)
            if "env file" in line and "not found" in line:
                # A service env file that does not exist yet: stand in an empty one, both runs.
                for m in re.finditer(r"env file (\S+) not found", err):
                    p = Path(m.group(1))
                    if str(p).startswith(str(root)):
                        _write_private(p, b"")
                        stood_in = True
                rc, old, err = oracle.config(cmd, project, compose_files, env_path)
            if rc != 0:
                rel = next((f for f in files if f in line), files[0])
                raise InputError(rel, f"compose cannot resolve the original: "
                                 f"{_clean(oracle.error_line(err), root)}")
        if rc == 124 or old is None:
            proof.problems.append("`compose config` of the original timed out: nothing proven")
            return proof
        before = probe(root) if probe is not None else None
        for rel, data in candidate.items():
            if data is None:
                continue
            if rel == env_rel:
                text = data.decode("utf-8", "surrogateescape")
                now = envfile.parse_env(rel, data).values
                for name, holder in holders.items():
                    if now.get(name):
                        mapping = {**mapping, now[name]: holder}
                data = _env_with(text, {k: v for k, v in holders.items() if not now.get(k)}
                                 ).encode("utf-8", "surrogateescape")
            _write_private(root / rel, data)
        rc, new, err = oracle.config(cmd, project, compose_files, env_path)
        if rc != 0 or new is None:
            proof.problems.append("the candidate does not resolve: "
                                  + _clean(oracle.error_line(err), root))
            return proof
        full = dict(mapping)
        diffs = compare.differences(old, new, full, filled)
        for svc, keys in new_service_keys(old, new).items():
            proof.problems.append(f"service {svc} would receive new variable(s) "
                                  f"{', '.join(keys)} through its env_file")
            for key in [None, *keys]:
                where = f"services.{svc}.environment" + (f".{key}" if key else "")
                diffs = [d for d in diffs if d != where]
        if diffs:
            proof.problems.append("resolved config would differ outside secret values at "
                                  + ", ".join(diffs[:5]))
        proof.checked.append("compose config equal except at secret values")
        proof.problems.extend(shell_problems(old, new, full))
        proof.checked.append("shell words kept")
        if before is not None and probe is not None:
            after = probe(root)
            if after[0] > before[0]:
                proof.problems.append("the test suite would collect worse with the candidate: "
                                      + after[1])
            proof.checked.append("test collection no worse")
        if proof.ok and verified is not None and not stood_in:
            verified(old, new, err)
        if proof.ok and memo is not None and digest is not None:
            memo.put(PROVE_PROOF, digest, "; ".join(proof.checked), {"checked": proof.checked})
            for flush in getattr(probe, "pending", []):
                flush()
        return proof
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _memo_probe(probe: Callable[[Path], tuple[tuple, str]], memo: Memo):
    """``probe`` keyed by the scratch copy's bytes (what the collection can read) and the
    interpreter and pytest versions; results are recorded only once the whole proof passes."""
    pending: list[Callable[[], Any]] = []
    calls = [0]

    def run(root: Path) -> tuple[tuple, str]:
        d = memo.digest("pytest-collect").add("tree", tree_digest(root))
        digest = d.add("interpreter", getattr(probe, "identity", "?")).hexdigest()
        key = f"{COLLECT_PROOF}:{'before' if calls[0] == 0 else 'after'}"
        calls[0] += 1
        known = memo.get(key, digest)
        if known is not None and isinstance(known.data.get("score"), list):
            return tuple(known.data["score"]), str(known.data.get("why", ""))
        score, why = probe(root)
        pending.append(lambda: memo.put(key, digest, why, {"score": list(score), "why": why}))
        return score, why

    run.pending = pending  # type: ignore[attr-defined]
    return run


def new_service_keys(old: dict, new: dict) -> dict[str, list[str]]:
    """service → environment keys it would gain (an env_file that is the env file)."""
    out = {}
    for name, svc in (new.get("services") or {}).items():
        before = ((old.get("services") or {}).get(name) or {}).get("environment") or {}
        after = (svc or {}).get("environment") or {}
        if isinstance(before, dict) and isinstance(after, dict):
            added = sorted(set(after) - set(before))
            if added:
                out[name] = added
    return out


def _clean(line: str, root: Path) -> str:
    for folder in {str(root), str(root.resolve())}:
        line = line.replace(folder + os.sep, "").replace(folder, ".")
    return line


# ---- shell words --------------------------------------------------------------------------
def scripts(model: dict) -> dict[str, tuple[list[str], str | None]]:
    """Where a service runs words: path → (its argv list, the script a shell runs or None)."""
    out: dict[str, tuple[list[str], str | None]] = {}
    for name, svc in (model.get("services") or {}).items():
        if not isinstance(svc, dict):
            continue
        for key in ("command", "entrypoint"):
            argv = svc.get(key)
            if isinstance(argv, list) and all(isinstance(a, str) for a in argv):
                out[f"services.{name}.{key}"] = (argv, _shell_script(argv))
        test = (svc.get("healthcheck") or {}).get("test")
        if isinstance(test, list) and test and all(isinstance(a, str) for a in test):
            if test[0] == "CMD-SHELL" and len(test) > 1:
                out[f"services.{name}.healthcheck.test"] = (test[1:], test[1])
            elif test[0] == "CMD":
                out[f"services.{name}.healthcheck.test"] = (test[1:], _shell_script(test[1:]))
    return out


def _shell_script(argv: list[str]) -> str | None:
    if len(argv) >= 3 and os.path.basename(argv[0]) in SHELLS and argv[1] in ("-c", "-ec", "-ce", "-exc", "-xc", "-cx"):
        return argv[2]
    return None


def _words(text: str) -> list[str] | None:
    try:
        return shlex.split(text, posix=True)
    except ValueError:
        return None


def _syntax_ok(script: str) -> bool | None:
    sh = shutil.which("sh")
    if sh is None:
        return None
    try:
        res = subprocess.run([sh, "-n", "-c", script], capture_output=True, timeout=10,
                             stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return res.returncode == 0


def shell_problems(old: dict, new: dict, mapping: dict[str, str]) -> list[str]:
    problems = []
    before, after = scripts(old), scripts(new)
    for where, (argv, script) in before.items():
        if where not in after:
            continue
        new_argv, new_script = after[where]
        if len(new_argv) != len(argv):
            problems.append(f"{where}: {len(argv)} words became {len(new_argv)}")
            continue
        if script is None or new_script is None or script == new_script:
            continue
        old_words, new_words = _words(script), _words(new_script)
        if old_words is not None:
            if new_words is None or len(new_words) != len(old_words) or any(
                    a != b and not compare.explained(a, b, mapping)
                    for a, b in zip(old_words, new_words)):
                problems.append(f"{where}: the shell words would change beyond the secret")
                continue
        if _syntax_ok(script) and _syntax_ok(new_script) is False:
            problems.append(f"{where}: `sh -n` rejects the new script")
    return problems
