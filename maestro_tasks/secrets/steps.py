"""fix-secrets as engine steps: gitignore → env → compose → env-example.

The first step's ``prepare`` parses every input and computes the whole result (core.analyse),
so bad input stops the run (exit 2) before anything is written. .gitignore goes first, so the
.env is never on disk un-ignored; .env before the compose files, so a rewritten file never
points at a variable that does not exist yet.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

from ..compose import oracle
from ..compose.files import default_files, interpolation_env_file
from ..engine import BaseStep, Change, Context, Criterion, InputError, StepSkipped, mask_value
from ..engine.model import NotApplicable
from ..engine.fsio import scratch_dir
from . import (
    blast, compare, core, detect, envfile, example, gitignore, prove, readers, rules, yamlsrc,
)
from .group import protected_names as group_names, shared_notes
from .inventory import TrackedCredentialsStep

CACHE_KEY = "secrets"
COMPOSE_KEY = "secrets-compose-cli"
COMPOSE_ID_KEY = "secrets-compose-identity"
CLI_PROOF = "fix-secrets:compose-cli"
VALIDATE_PROOF = "fix-secrets:compose-structure"
RESOLVE_PROOF = "fix-secrets:compose-resolve"
EXAMPLE = ".env.example"
STATE_ENTRY = ".maestro/"


def _suite_template() -> Path:
    from ..resources import REPO_ROOT

    return REPO_ROOT / core.TEMPLATE


def _compose_files(ctx: Context) -> list[str]:
    chosen = ctx.options.get("compose_file") or ctx.settings.get("compose_files") or []
    if isinstance(chosen, str):
        chosen = [chosen]
    if chosen:
        return [str(f) for f in chosen]
    return default_files(lambda rel: ctx.path(rel).is_file())


def example_rel(ctx: Context) -> str:
    return example.example_path(env_rel(ctx))


def env_rel(ctx: Context) -> str:
    """The env file fix-secrets writes: --env-file, else the one compose reads for these files."""
    if ctx.options.get("env_file"):
        return str(ctx.options["env_file"])
    return interpolation_env_file(_compose_files(ctx), ctx.settings.get("env_file"))


def analysis(ctx: Context) -> core.Analysis:
    if CACHE_KEY not in ctx.cache:
        files = _compose_files(ctx)
        if not files:
            ctx.cache[CACHE_KEY] = None
        else:
            # A file of ours symlinked out of the target → InputError before anything is written;
            # the compose files first, since the env file's folder follows theirs.
            for rel in (*files, env_rel(ctx), example_rel(ctx), ".gitignore"):
                ctx.path(rel)
            own = ctx.read_bytes(core.TEMPLATE)
            template = (core.TEMPLATE, own) if own is not None else (
                core.TEMPLATE + " (maestro-tasks default)", _suite_template().read_bytes())
            try:
                computed = core.analyse(
                    files, env_rel(ctx), ctx.read_bytes, template,
                    rotate=ctx.options.get("rotate"), register=ctx.masker.add,
                    elsewhere=blast.finder(ctx.target, _own_files(ctx, files)))
            except core.RewriteError as exc:
                from ..engine import StepFailed

                raise StepFailed(str(exc), hint="a maestro-tasks bug: nothing was written")
            # The original files' findings: a no-op's .env.example and verification scan the
            # same texts again.
            ctx.cache.setdefault("secrets-findings", {})[
                tuple((d.rel, d.text) for d in computed.docs)] = computed.findings
            pending = candidate(ctx, computed)
            writes = any(v is not None for v in pending.values())
            raw = _validate_with_compose(ctx, computed, need_model=writes)
            ctx.masker.protect(*group_names(computed))
            ctx.cache[CACHE_KEY] = computed
            if writes:
                _prove(ctx, computed, raw, pending)
    an = ctx.cache[CACHE_KEY]
    if an is None:
        raise NotApplicable("no compose file (compose.yaml / docker-compose.yml) in the target")
    return an


def _own_files(ctx: Context, files: list[str]) -> set[str]:
    """Files this run rewrites: a secret standing there is not "elsewhere"."""
    return {*files, env_rel(ctx), example_rel(ctx)}


def compose_command(ctx: Context) -> list[str] | None:
    """The Compose v2 command (setting ``compose_command`` or discovered), None when none.

    Discovery costs two compose processes (``version`` and the self-check); it is recorded as
    a proof keyed by the stamps of every binary it could pick (compose/cli.py ``identity``),
    so an unchanged machine reuses it and any replaced binary discovers again."""
    if COMPOSE_KEY not in ctx.cache:
        from ..compose import cli as compose_cli
        from ..engine.proofs import Digest
        from ..engine.target import split_command

        setting = ctx.settings.get("compose_command")
        if isinstance(setting, list):
            argv = [str(part) for part in setting] or None
        else:
            argv = split_command(str(setting), "setting compose_command") if setting else None
        ident = compose_cli.identity(command=argv)
        digest = Digest("compose-cli").add("identity", ident).hexdigest()
        known = ctx.proofs.get(CLI_PROOF, digest)
        found = known.data.get("argv") if known is not None else None
        if isinstance(found, list) and found and all(isinstance(a, str) for a in found):
            ctx.cache[COMPOSE_KEY] = found
            ctx.cache[COMPOSE_ID_KEY] = f"{known.data.get('version')} {ident}"
        else:
            found = oracle.find_command(argv)
            ctx.cache[COMPOSE_KEY] = found
            if found is not None:
                version = oracle.VERSIONS.get(tuple(found))
                ctx.cache[COMPOSE_ID_KEY] = f"{version} {ident}"
                if version is not None:
                    shown = " ".join([Path(found[0]).name, *found[1:], version])
                    ctx.proofs.put(CLI_PROOF, digest, shown + " reports errors (self-check)",
                                   {"argv": found, "version": version})
    return ctx.cache[COMPOSE_KEY]


def compose_digest(ctx: Context, kind: str) -> "Digest":
    """A Digest of ``kind`` with the compose CLI's identity (version and binary stamps) and
    the environment compose runs with as inputs."""
    from ..engine.proofs import Digest

    compose_command(ctx)
    d = Digest(kind).add("compose", ctx.cache.get(COMPOSE_ID_KEY))
    return d.add("environ", repr(sorted(oracle.clean_env().items())))


def candidate(ctx: Context, an: core.Analysis) -> dict[str, bytes | None]:
    """Every file this run would write (rel → new bytes; None where it stays as it is)."""
    out: dict[str, bytes | None] = {}
    gi = _gitignore_content(ctx)
    out[".gitignore"] = gi
    rel = env_rel(ctx)
    current = ctx.read_bytes(rel)
    out[rel] = an.new_env.encode() if an.new_env and (current or b"").decode(
        "utf-8", "replace") != an.new_env else None
    for f in an.compose_files:
        out[f] = an.new_compose[f] if an.new_compose[f] != ctx.read_bytes(f) else None
    example = ExampleStep()._content(ctx, an)
    out[example_rel(ctx)] = example if example != ctx.read_bytes(example_rel(ctx)) else None
    return out


def _prove(ctx: Context, an: core.Analysis, raw: dict | None,
           files: dict[str, bytes | None]) -> None:
    """Judge the whole candidate on a scratch copy; the verdict stops every write step."""
    mapping: dict[str, str] = {}
    for g in an.groups:
        if g.value:
            mapping[g.value] = g.resolved
    for var, value in an.rotated.items():
        mapping[value] = an.env.values.get(var) or ""
    # A secret ${X} with no default that was unset resolved to "": filling it is the fix.
    filled = {value for var, value in an.added.items() if value and var not in an.env.values}
    generated = [*(v for k, v in an.added.items() if k not in an.kept), *an.rotated.values()]
    rel = env_rel(ctx)
    new_keys = [k for k in an.added if k not in an.env.values]
    found = readers.readers_of(ctx.target, rel) if new_keys else []
    if found:
        an.proof = prove.Proof(problems=[
            f"{rel} is also read by the application: {', '.join(map(str, found[:3]))}; the "
            f"{len(new_keys)} new key(s) ({', '.join(new_keys[:4])}) would reach it "
            "(pydantic-settings rejects unknown keys by default)"],
            hint=("Compose interpolates only from the project .env or --env-file "
                  "(COMPOSE_ENV_FILES is read from the shell, not from .env), so no mechanism "
                  "without a flag exists: add the values to .env yourself if the application "
                  "accepts extra keys (pydantic-settings: extra=\"ignore\"), or keep them in "
                  "another file and run compose with --env-file .env --env-file <that file> "
                  "every time"))
        return
    cmd = compose_command(ctx)
    an.proof = prove.prove(
        cmd, ctx.target, an.compose_files, rel,
        (an.env.text, dict(an.env.values)), files, mapping, generated,
        lambda f: gitignore.tracked(ctx.target, f), [raw] if raw else [],
        probe=_test_probe(ctx) if files.get(rel) is not None else None,
        env_added=[*an.added.values(), *an.rotated.values()], filled=filled,
        memo=_ProofMemo(ctx) if cmd is not None else None,
        verified=_verified_ahead(ctx, an, files, cmd) if cmd is not None else None)


def _verified_ahead(ctx: Context, an: core.Analysis, files: dict[str, bytes | None],
                    cmd: list[str]):
    """The compose step's resolve criteria, judged on the scratch copy's configs when that
    copy is exactly the target after the write (prove.prove calls this only then): recorded
    under the digest of the files as they will be written, so the verification after the
    write reuses it instead of running both configs again. Any other byte on disk then, and
    the verification runs them."""
    def judge(old: dict, new: dict, err: str) -> None:
        if err.strip():
            return  # compose warned: the verification runs and keeps its log
        rel = env_rel(ctx)
        data = files.get(rel) if files.get(rel) is not None else ctx.read_bytes(rel)
        texts, same = resolve_criteria(ctx, an, data, old, new)
        if not same:
            return
        first = (f"`{' '.join(cmd)} --env-file {rel} config`: exit 0 (on a scratch copy of "
                 "these exact files, before writing)")
        ctx.proofs.put(RESOLVE_PROOF, resolve_digest(ctx, an, files), first,
                {"names": list(RESOLVE_NAMES), "evidence": [first, texts[0]]})

    return judge


class _ProofMemo:
    """prove.prove's access to the proof store: its compose checks and the test collection
    it runs on the scratch copy, keyed by what they read (prove.Memo)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def digest(self, kind: str):
        return compose_digest(self.ctx, kind)

    def get(self, key: str, digest: str):
        return self.ctx.proofs.get(key, digest)

    def put(self, key: str, digest: str, evidence: str, data: dict | None = None):
        return self.ctx.proofs.put(key, digest, evidence, data)


def _test_probe(ctx: Context):
    """The target's own pytest collection as a judge (fix-tests' probe), or None when the
    target has no Python tests or no interpreter with pytest."""
    from ..testing import interpreter as interp_mod, probe as probe_mod

    tests = [f for f in readers.python_files(ctx.target)
             if Path(f).name.startswith("test_") or Path(f).name.endswith("_test.py")]
    if not tests:
        return None
    try:
        chosen = interp_mod.inspect(interp_mod.choose(ctx.target, ctx.settings.get("python"),
                                                      source="setting python"), ctx.target)
    except Exception:  # noqa: BLE001 - no usable interpreter: nothing to judge with
        return None
    if not chosen.pytest_version or not chosen.executable:
        return None
    resolved = interp_mod.Interpreter([chosen.executable], chosen.source)

    def run(root: Path) -> tuple[tuple, str]:
        result = probe_mod.collect(resolved, root, timeout=300)
        why = (result.errors[0].last_line() if result.errors else "") or (
            f"{result.collected} collected")
        return result.score(), why

    # What the collection depends on besides the copied files: the interpreter and pytest.
    run.identity = (f"{chosen.executable} python {chosen.python_version} "  # type: ignore[attr-defined]
                    f"pytest {chosen.pytest_version}")
    return run


def _compose_reads(ctx: Context, files: dict[str, bytes], d,
                   overlay: dict[str, bytes | None] | None = None) -> None:
    """Add to ``d`` every file ``compose config`` reads besides the compose files (given with
    their bytes): the service ``env_file`` / ``label_file`` files. Where a path cannot be known
    without compose (``include:``, ``extends: file:``, a path with a variable), every small file
    of the target is an input (prove.tree_digest), plus the named files outside it."""
    for rel, data in files.items():
        d.add(f"compose:{rel}", data)
    base = os.path.dirname(next(iter(files), ""))
    wide = False
    named: list[str] = []
    for rel, data in files.items():
        try:
            doc = yamlsrc.parse(rel, data)
        except InputError:
            wide = True
            continue
        if doc.root is None or doc.root.id != "mapping":
            continue
        for path, node, _ in yamlsrc.walk(doc.root):
            keys = [p for p in path if isinstance(p, str)]
            value = node.value if isinstance(node.value, str) else ""
            if (path and path[0] == "include") or ("extends" in keys and path[-1] == "file"):
                wide = True
                named.append(value)
            elif ("env_file" in keys or "label_file" in keys) and path[-1] != "required":
                if "$" in value:
                    wide = True
                elif value:
                    named.append(value)
    for value in dict.fromkeys(named):
        if value and "$" not in value:
            rel = os.path.normpath(os.path.join(base, value))
            if overlay is not None and not os.path.isabs(value) and overlay.get(rel) is not None:
                d.add(f"file:read:{value}", overlay[rel])  # the bytes about to be written
                continue
            where = Path(value) if os.path.isabs(value) else ctx.target / base / value
            d.file(f"read:{value}", Path(os.path.normpath(where)))
    if wide:
        d.add("tree", prove.tree_digest(ctx.target))


def _validate_with_compose(ctx: Context, an: core.Analysis, need_model: bool = True) -> dict | None:
    """Valid YAML can still be invalid compose (``services: 5``): ask compose, without
    interpolation, before anything is written. Skipped when there is no Compose CLI.
    Returns the un-interpolated model (None without compose, or when ``need_model`` is false
    and a proof recorded for the same files and compose is reused)."""
    cmd = compose_command(ctx)
    if cmd is None:
        return None
    d = compose_digest(ctx, "compose-structure")
    _compose_reads(ctx, an.originals, d)
    digest = d.hexdigest()
    if not need_model and ctx.proofs.get(VALIDATE_PROOF, digest) is not None:
        return None
    files = [ctx.path(rel) for rel in an.compose_files]
    rc, model, err = oracle.config(cmd, files[0].parent, files, Path(os.devnull),
                                   interpolate=False)
    if rc == 0:
        ctx.proofs.put(VALIDATE_PROOF, digest, "compose accepts the files (no interpolation)")
    if rc in (0, 124):  # a timeout says nothing about the files; verify reports it
        return model
    line = oracle.error_line(err)
    for folder in {str(ctx.target), str(ctx.target.resolve())}:
        line = line.replace(folder + os.sep, "")
    rel = next((f for f in an.compose_files if f in line), an.compose_files[0])
    raise InputError(rel, f"compose rejects it: {line}")


class _SecretsStep(BaseStep):
    def prepare(self, ctx: Context) -> None:
        try:
            analysis(ctx)
        except StepSkipped:
            pass


def proven(ctx: Context) -> core.Analysis:
    """The analysis, for a step about to plan writes: none when the plan failed its proof."""
    an = analysis(ctx)
    if an.proof is not None and not an.proof.ok:
        raise StepSkipped("nothing written: the plan failed its proof (see the prove step)")
    return an


class ProveStep(_SecretsStep):
    """The plan judged on a private scratch copy; a failing plan writes nothing at all."""

    name = "prove"

    def plan(self, ctx: Context) -> list[Change]:
        an = analysis(ctx)
        if an.proof is not None and not an.proof.ok:
            from ..engine import StepFailed

            raise StepFailed("the planned change would do harm, so nothing was written: "
                             + "; ".join(an.proof.problems[:3]),
                             hint=an.proof.hint or "fix the cause named above (or report "
                             "it as a maestro-tasks bug), then run again")
        return []

    def verify(self, ctx: Context) -> list[Criterion]:
        an = analysis(ctx)
        if an.proof is None:
            return []
        return [Criterion("plan proven on a scratch copy before writing", True,
                          an.proof.evidence or "; ".join(an.proof.checked)
                          or "no compose CLI: only git checks")]


def _ignored(ctx: Context, rel: str, text: str, is_dir: bool = False) -> bool:
    """gitignore.check_ignored, asked once per run for the same .gitignore text (the plan,
    the candidate and the verification all ask; each answer is a git process)."""
    memo = ctx.cache.setdefault("secrets-ignored", {})
    key = (rel, text, is_dir)
    if key not in memo:
        memo[key] = gitignore.check_ignored(ctx.target, rel, text, is_dir=is_dir)
    return memo[key]


def _find(ctx: Context, docs: list) -> "detect.Findings":
    """detect.find, once per run for the same file texts (the .env.example content, its plan
    and the compose verification scan the same rewritten files)."""
    memo = ctx.cache.setdefault("secrets-findings", {})
    key = tuple((d.rel, d.text) for d in docs)
    if key not in memo:
        memo[key] = detect.find(docs)
    return memo[key]


def _gitignore_entries(ctx: Context, text: str) -> list[str]:
    entries = []
    env = env_rel(ctx)
    if not _ignored(ctx, env, text):
        entries.append("/" + env.lstrip("/"))
    if not gitignore.ignored_by_text(text, STATE_ENTRY.rstrip("/"), is_dir=True):
        entries.append(STATE_ENTRY)
    return entries


def _gitignore_content(ctx: Context) -> bytes | None:
    # surrogateescape: a non-UTF-8 byte in .gitignore is written back unchanged
    text = (ctx.read_bytes(".gitignore") or b"").decode("utf-8", "surrogateescape")
    entries = _gitignore_entries(ctx, text)
    if not entries:
        return None
    return gitignore.with_entries(text, entries).encode("utf-8", "surrogateescape")


class GitignoreStep(_SecretsStep):
    name = "gitignore"

    def plan(self, ctx: Context) -> list[Change]:
        proven(ctx)
        text = (ctx.read_bytes(".gitignore") or b"").decode("utf-8", "surrogateescape")
        entries = _gitignore_entries(ctx, text)
        if not entries:
            return []
        return [Change(".gitignore", "write", f"ignore {', '.join(entries)} in .gitignore",
                       content=gitignore.with_entries(text, entries).encode("utf-8", "surrogateescape"))]

    def verify(self, ctx: Context) -> list[Criterion]:
        an = analysis(ctx)
        text = (ctx.read_bytes(".gitignore") or b"").decode("utf-8", "replace")
        env = env_rel(ctx)
        how = "git check-ignore" if gitignore.in_git(ctx.target) else ".gitignore rules"
        crits = [
            Criterion(f"{env} ignored by git", _ignored(ctx, env, text),
                      f"{how} {env}"),
            Criterion(".maestro/ ignored by git",
                      _ignored(ctx, STATE_ENTRY, text, is_dir=True),
                      f"{how} {STATE_ENTRY}"),
        ]
        tracked = [f for f in dict.fromkeys([env, *_env_files_with_secrets(ctx, an)])
                   if gitignore.tracked(ctx.target, f)]
        crits.append(Criterion(
            "no secret file tracked by git", not tracked,
            "git ls-files: none tracked" if not tracked else
            f"tracked: {', '.join(tracked)}; run `git rm --cached {' '.join(tracked)}` and "
            "commit (history is not rewritten: rotate those secrets with --rotate)"))
        return crits


def _env_files_with_secrets(ctx: Context, an: core.Analysis) -> list[str]:
    """``env_file:`` files of the compose services that hold a secret-named, non-empty value."""
    out = []
    for doc in an.docs:
        for path, node, _ in yamlsrc.walk(doc.root):
            if "env_file" not in [p for p in path if isinstance(p, str)] or path[-1] == "required":
                continue
            rel = node.value
            try:
                data = ctx.read_bytes(rel)
                parsed = envfile.parse_env(rel, data) if data is not None else None
            except InputError:
                continue
            if parsed and any(v and rules.is_secret_key(k) for k, v in parsed.values.items()):
                out.append(rel)
    return out


class EnvStep(_SecretsStep):
    name = "env"

    def plan(self, ctx: Context) -> list[Change]:
        an = proven(ctx)
        rel = env_rel(ctx)
        current = ctx.read_bytes(rel)
        changes = []
        if (current or b"").decode("utf-8", "replace") != an.new_env or (current is None and an.new_env):
            if an.new_env:
                parts = []
                if an.added:
                    parts.append(f"add {len(an.added)} variable(s)")
                if an.rotated:
                    parts.append(f"rotate {', '.join(an.rotated)}")
                changes.append(Change(rel, "write", f"{rel}: {', '.join(parts) or 'update'}",
                                      content=an.new_env.encode(), secret=True))
        elif current is not None and stat.S_IMODE(ctx.path(rel).stat().st_mode) != 0o600:
            changes.append(Change(rel, "run", f"chmod 600 {rel}",
                                  run=lambda c: os.chmod(c.path(rel), 0o600)))
        return changes

    def apply(self, ctx: Context, changes: list[Change]) -> None:
        an = analysis(ctx)
        if an.added or an.rotated:
            # week1.up compares data volumes against this: older volumes keep old credentials.
            # Recorded before .env is written: a run killed in between would leave nothing to
            # change next time, so nothing would record it; a spurious newer time is harmless.
            from ..engine.state import utc_now_iso

            ctx.state.update_state(secrets_changed_at=utc_now_iso())
        super().apply(ctx, changes)
        if an.rotated:
            ctx.warn("rotated " + ", ".join(an.rotated) + ": a data volume initialised "
                     "with the old value keeps it (recreate the volume or change it in the service)")

    def verify(self, ctx: Context) -> list[Criterion]:
        an = analysis(ctx)
        rel = env_rel(ctx)
        data = ctx.read_bytes(rel)
        env = envfile.parse_env(rel, data)
        ctx.masker.add(*(v for v in env.values.values() if v))
        weak, missing = [], []
        for var, rule in an.secret_vars.items():
            value = env.values.get(var)
            if not value and var in an.empty_vars:
                continue
            if not value and var in an.missing_external:
                missing.append(f"{var} missing (an external credential: set it in {rel})")
            elif not value:
                missing.append(f"{var} missing")
            elif (why := rules.weakness(value, an.template.get(var) or rules.rule_for(var, value))):
                weak.append(f"{var} ({why})")
        if any(env.values.get(var) for var in an.secret_vars):
            index = blast.Index(ctx.target, an.docs, _own_files(ctx, an.compose_files))
            for var in an.secret_vars:
                value = env.values.get(var)
                places = index.find(value) if value else []
                if places:
                    weak = [w for w in weak if not w.startswith(f"{var} (")]
                    weak.append(f"{var} (also in {', '.join(places)}: kept, not rotated; change "
                                "it there too)")
        crits = [Criterion(
            "every secret meets its strength rule", not weak and not missing,
            f"{len(an.secret_vars)} secret variable(s) checked in {rel}" if not weak and not missing
            else "; ".join(weak + missing)
            + (f"; run with --rotate {','.join(w.split(' ')[0] for w in weak)} (a data volume "
               "initialised with the old value keeps it)" if weak else ""))]
        crits.extend(self._secret_files(ctx, an))
        mode = stat.S_IMODE(ctx.path(rel).stat().st_mode) if data is not None else None
        if data is None and not an.secret_vars:
            crits.append(Criterion(f"{rel} is mode 0600", True, f"no secrets, no {rel} needed"))
        else:
            crits.append(Criterion(f"{rel} is mode 0600", mode == 0o600,
                                   f"mode {oct(mode)}" if mode is not None else f"{rel} absent"))
        return crits


    @staticmethod
    def _secret_files(ctx: Context, an: core.Analysis) -> list[Criterion]:
        """Compose ``secrets:`` files with secret-named names: strong, or an unmet criterion."""
        checked, weak = 0, []
        for name, file, compose_rel in an.findings.secret_files:
            if not rules.is_secret_key(name) and "PASSWORD" not in name.upper():
                continue
            rel = os.path.normpath(os.path.join(os.path.dirname(compose_rel), file))
            try:
                data = ctx.read_bytes(rel)
            except InputError:
                continue
            if data is None:
                continue
            value = data.decode("utf-8", "replace").rstrip("\r\n")
            if not value:
                continue
            ctx.masker.add(value)
            checked += 1
            why = rules.weakness(value, an.template.get(name) or rules.rule_for(name, value))
            if why:
                weak.append(f"secret {name} ({rel}): {why}")
        if not checked:
            return []
        return [Criterion("compose secrets: files meet their strength rule", not weak,
                          f"{checked} secret file(s) checked" if not weak else "; ".join(weak)
                          + "; write a strong value into the file (a data volume initialised "
                          "with the old value keeps it)")]


class ComposeStep(_SecretsStep):
    name = "compose"

    def plan(self, ctx: Context) -> list[Change]:
        an = proven(ctx)
        changes = []
        for rel in an.compose_files:
            new = an.new_compose[rel]
            if new != ctx.read_bytes(rel):
                n = sum(1 for g in an.groups for o in g.occurrences if o.file == rel)
                changes.append(Change(rel, "write", f"{rel}: {n} hardcoded secret(s) → variables",
                                      content=new))
        return changes

    def _summary(self, ctx: Context, an: core.Analysis) -> None:
        if ctx.current is None:
            return
        rows = [(g.name, mask_value(g.value) if g.value else "-", str(g.rule), g.source,
                 ", ".join(g.used_by) or "(referenced, was missing)") for g in an.groups]
        grouped = {g.name for g in an.groups}
        values = an.values()
        for var, rule in an.secret_vars.items():
            if var not in grouped:
                value = values.get(var)
                rows.append((var, mask_value(value) if value else "-", str(rule),
                             "rotated" if var in an.rotated else "env",
                             ", ".join(dict.fromkeys(an.findings.refs.get(var, [])))))
        ctx.current.data.update(variables=len(an.groups), hardcoded=len(an.findings.occurrences),
                                files=an.compose_files, empty_kept=list(an.empties))
        if an.empties:
            ctx.warn(f"left empty on purpose, not filled: {', '.join(an.empties[:6])}"
                     + (f" (+{len(an.empties) - 6} more)" if len(an.empties) > 6 else ""))
        ctx.current.data["shared_values"] = shared_notes(an.groups)
        if rows:
            w = [max(len(r[i]) for r in rows + [("VARIABLE", "VALUE", "RULE", "SOURCE", "")])
                 for i in range(4)]
            ctx.current.details.append(
                f"{'VARIABLE':<{w[0]}}  {'VALUE':<{w[1]}}  {'RULE':<{w[2]}}  {'SOURCE':<{w[3]}}  USED BY")
            for r in rows:
                ctx.current.details.append(
                    f"{r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]:<{w[2]}}  {r[3]:<{w[3]}}  {r[4]}")
        ctx.current.details.extend(ctx.current.data["shared_values"])
        if ctx.options.get("show_secrets"):
            self._show(ctx, an)

    @staticmethod
    def _show(ctx: Context, an: core.Analysis) -> None:
        if ctx.json or not sys.stdout.isatty():
            ctx.warn("--show-secrets prints values only on a terminal (stdout is not one); "
                     f"read them in {env_rel(ctx)}")
            return
        for name, value in sorted(an.values().items()):
            if name in an.secret_vars:
                sys.stdout.write(f"  {name}={value}\n")  # the one opt-in, unmasked path
        sys.stdout.flush()

    def verify(self, ctx: Context) -> list[Criterion]:
        an = analysis(ctx)
        self._summary(ctx, an)
        current = {rel: ctx.read_bytes(rel) or b"" for rel in an.compose_files}
        docs = [yamlsrc.parse(rel, data) for rel, data in current.items()]
        left = _find(ctx, docs).occurrences
        crits = [Criterion(
            "no hardcoded secret in the compose files", not left,
            f"0 found in {', '.join(an.compose_files)}" if not left else
            f"{len(left)} left: " + ", ".join(f"{o.file}:{o.line} {o.key}" for o in left[:5]))]
        crits.extend(self._resolve(ctx, an, current))
        return crits

    def _resolve(self, ctx: Context, an: core.Analysis, current: dict[str, bytes]) -> list[Criterion]:
        names = RESOLVE_NAMES
        cmd = compose_command(ctx)
        if cmd is None:
            why = "no Compose v2 CLI (docker compose plugin or docker-compose v2) found"
            return [Criterion(names[0], None, why), Criterion(names[1], None, why)]
        rel = env_rel(ctx)
        digest = resolve_digest(ctx, an)
        known = ctx.proofs.get(RESOLVE_PROOF, digest)
        if known is not None and known.data.get("names") == list(names) and \
                len(known.data.get("evidence") or []) == len(names):
            from dataclasses import replace as _with

            return [Criterion(name, True, _with(known, evidence=text).describe())
                    for name, text in zip(names, known.data.get("evidence", []))]
        crits = self._resolve_now(ctx, an, cmd, rel, names)
        if len(crits) == 2 and all(c.met is True for c in crits):
            ctx.proofs.put(RESOLVE_PROOF, digest, crits[0].evidence,
                    {"names": list(names), "evidence": [c.evidence for c in crits]})
        return crits

    def _resolve_now(self, ctx: Context, an: core.Analysis, cmd: list[str], rel: str,
                     names: tuple[str, str]) -> list[Criterion]:
        tmp = scratch_dir("secrets")
        try:
            os.chmod(tmp, 0o700)
            files = []
            for i, (name, data) in enumerate(an.originals.items()):
                path = tmp / f"orig-{i}-{Path(name).name}"
                path.write_bytes(data)
                files.append(path)
            old_env = tmp / "orig.env"
            fd = os.open(old_env, os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, an.env.text.encode())
            os.close(fd)
            env_path = ctx.path(rel)
            if not env_path.is_file():
                env_path = tmp / "empty.env"
                env_path.write_bytes(b"")
            new_files = [ctx.path(f) for f in an.compose_files]
            # The two configs are independent: run them side by side (one wait, not two).
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=2) as pool:
                old_job = pool.submit(oracle.config, cmd, new_files[0].parent, files, old_env)
                rc, new_model, err = oracle.config(cmd, new_files[0].parent, new_files, env_path)
                orc, old_model, oerr = old_job.result()
            log = ctx.write_log("fix-secrets-compose-config.log", err) if err and not ctx.check else None
            missing = [ln for ln in err.splitlines() if "is not set" in ln or "missing" in ln]
            shown = " ".join(cmd)
            ok = rc == 0 and not missing
            evidence = f"`{shown} --env-file {rel} config`: exit {rc}" + (
                f"; {missing[0].strip()}" if missing else "") + (
                f"; {err.strip().splitlines()[-1]}" if rc and err.strip() else "") + (
                f" (log: {log.relative_to(ctx.target)})" if log else "")
            crits = [Criterion(names[0], ok, evidence)]
            if rc != 0 or orc != 0:
                crits.append(Criterion(names[1], None if orc != 0 else False,
                                       "original does not resolve: " + (oerr.strip().splitlines() or ["?"])[-1]
                                       if orc != 0 else "fixed files do not resolve"))
                return crits
            texts, same = resolve_criteria(ctx, an, ctx.read_bytes(rel), old_model, new_model)
            crits.append(Criterion(names[1], same, texts[0]))
            return crits
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


RESOLVE_NAMES = ("docker compose config resolves with the env file",
                 "resolved config unchanged except at secret positions")


def resolve_digest(ctx: Context, an: core.Analysis,
                   overlay: dict[str, bytes | None] | None = None) -> str:
    """The inputs of the compose step's two resolve criteria: the compose files and the env
    file as they are (or, with ``overlay``, as they will be once its bytes are written), the
    files compose reads besides them, the originals and the original env file, the rotated
    names, the compose CLI."""
    def read(rel: str) -> bytes | None:
        if overlay is not None and overlay.get(rel) is not None:
            return overlay[rel]
        return ctx.read_bytes(rel)

    rel = env_rel(ctx)
    d = compose_digest(ctx, "compose-resolve")
    _compose_reads(ctx, {f: read(f) or b"" for f in an.compose_files}, d, overlay)
    for name, data in an.originals.items():
        d.add(f"original:{name}", data)
    d.add("original-env", an.env.text).add("env-rel", rel).add("file:env", read(rel))
    d.add("rotate", repr(sorted(an.rotated)))
    return d.hexdigest()


def resolve_criteria(ctx: Context, an: core.Analysis, env_data: bytes | None, old: dict,
                     new: dict) -> tuple[list[str], bool]:
    """(the two evidence texts, met) of the resolve criteria for models ``old`` / ``new``,
    the env file holding ``env_data``."""
    rel = env_rel(ctx)
    mapping = {}
    values = envfile.parse_env(rel, env_data).values
    for g in an.groups:
        if values.get(g.name):
            mapping[values[g.name]] = g.resolved
    for var in an.rotated:
        if values.get(var) and an.env.values.get(var):
            mapping[values[var]] = an.env.values[var] or ""
    # Variables the original env file lacked: a reference to one resolved to "".
    filled = {v for k, v in values.items() if v and k not in an.env.values}
    diffs = compare.differences(old, new, mapping, filled)
    return [f"{len(mapping)} secret value(s) replaced consistently; all else equal"
            if not diffs else "differs at " + ", ".join(diffs[:5])], not diffs


class ExampleStep(_SecretsStep):
    name = "env-example"

    def _content(self, ctx: Context, an: core.Analysis) -> bytes | None:
        docs = [yamlsrc.parse(rel, data) for rel, data in an.new_compose.items()]
        rel = example_rel(ctx)
        return example.content(ctx.read_bytes(rel), an, _find(ctx, docs), an.template, rel)

    def plan(self, ctx: Context) -> list[Change]:
        an = proven(ctx)
        content = self._content(ctx, an)
        rel = example_rel(ctx)
        if content == ctx.read_bytes(rel):
            return []
        return [Change(rel, "write", f"{rel}: merge the variables (secret values empty)",
                       content=content)]

    def verify(self, ctx: Context) -> list[Criterion]:
        an = analysis(ctx)
        rel = example_rel(ctx)
        data = ctx.read_bytes(rel)
        if data is None:
            none_needed = self._content(ctx, an) is None
            return [Criterion(f"{EXAMPLE} holds no secret value", none_needed, f"{rel} absent"
                              + (" (no variable to list)" if none_needed else ""))]
        found = example.leaked(data.decode("utf-8", "replace"), example.live_values(an))
        n = sum(1 for ln in example.lines(data.decode("utf-8", "replace")) if ln.key)
        return [Criterion(f"{EXAMPLE} holds no secret value", not found,
                          f"{n} variable(s), no secret value" if not found
                          else "values present for " + ", ".join(f"{k} ({rel}:{i})"
                                                                  for k, i in found))]


def steps(ctx: Context) -> list[BaseStep]:
    return [ProveStep(), GitignoreStep(), EnvStep(), ComposeStep(), ExampleStep(),
            TrackedCredentialsStep()]
