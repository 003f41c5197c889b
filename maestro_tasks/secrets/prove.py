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
from typing import Callable

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


@dataclass
class Proof:
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # what was proven (evidence)
    hint: str = ""

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
          env_added: list[str] | None = None, filled: set[str] | None = None) -> Proof:
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
        if rc == 0 and old is not None:
            for p in _missing_env_files(old, root):
                _write_private(p, b"")
        elif rc != 124:
            line = _clean(oracle.error_line(err), root)
            if "env file" in line and "not found" in line:
                # A service env file that does not exist yet: stand in an empty one, both runs.
                for m in re.finditer(r"env file (\S+) not found", err):
                    p = Path(m.group(1))
                    if str(p).startswith(str(root)):
                        _write_private(p, b"")
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
        return proof
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


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
