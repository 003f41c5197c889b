"""The cache clean's one-pass delete (fsio.remove_many, used by CacheStep.apply) keeps every
guarantee of the per-path delete: it never follows a symlink out of the target or into a pruned
folder, never deletes a git-tracked file, and deletes everything it planned. The property test
compares a clean of generated small trees (caches, symlinks, tracked files, pruned folders) with
a slow reference rule written out file by file."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maestro_tasks.engine import Context, Masker
from maestro_tasks.engine.fsio import WriteError, remove_many
from maestro_tasks.engine.model import InputError
from maestro_tasks.engine.output import Reporter
from maestro_tasks.engine.runner import TaskSpec, run_steps
from maestro_tasks.testing.steps import CacheStep

GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}


def make(root: Path, rel: str, data: bytes = b"x") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def files_under(root: Path) -> set[str]:
    """Every non-folder entry (files and links, links not followed), relative."""
    out = set()
    for folder, dirs, files in os.walk(root):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            out.add(os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/"))
    return out


def clean(target: Path) -> None:
    ctx = Context(target=target)
    reporter = Reporter(Masker(), as_json=True, out=io.StringIO(), err=io.StringIO())
    result = run_steps(ctx, [(TaskSpec("t.caches", lambda c: [CacheStep()]), {})], reporter)
    assert result.ok, [s.summary for s in result.steps]


def test_remove_many_deletes_files_folders_and_nested_trees(tmp_path):
    make(tmp_path, "a/__pycache__/m.pyc")
    make(tmp_path, "a/__pycache__/deep/er/n.pyc")
    make(tmp_path, "a/b/__pycache__/o.pyc")
    make(tmp_path, "a/legacy.pyc")
    make(tmp_path, "a/keep.py")
    remove_many(tmp_path, ["a/b/__pycache__", "a/__pycache__", "a/legacy.pyc", "gone/x.pyc",
                           "a/missing.pyc"])
    assert files_under(tmp_path) == {"a/keep.py"}
    assert sorted(os.listdir(tmp_path / "a")) == ["b", "keep.py"]


def test_a_symlinked_folder_on_the_way_is_refused_not_followed(tmp_path):
    outside = tmp_path / "outside"
    make(outside, "__pycache__/x.pyc")
    target = tmp_path / "target"
    target.mkdir()
    (target / "pkg").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InputError, match="symlink"):
        remove_many(target, ["pkg/__pycache__"])
    assert (outside / "__pycache__/x.pyc").is_file()
    # even a link that stays inside the target is not followed
    make(target, "real/__pycache__/y.pyc")
    (target / "inner").symlink_to(target / "real", target_is_directory=True)
    with pytest.raises(InputError, match="symlink"):
        remove_many(target, ["inner/__pycache__"])
    assert (target / "real/__pycache__/y.pyc").is_file()


def test_links_inside_a_cache_are_unlinked_and_what_they_point_to_survives(tmp_path):
    outside = tmp_path / "outside"
    make(outside, "data/keep.txt")
    make(outside, "file.pyc")
    target = tmp_path / "target"
    make(target, "pkg/__pycache__/m.pyc")
    (target / "pkg/__pycache__/dirlink").symlink_to(outside / "data", target_is_directory=True)
    (target / "pkg/__pycache__/filelink.pyc").symlink_to(outside / "file.pyc")
    (target / "cachelink").symlink_to(outside / "data", target_is_directory=True)
    remove_many(target, ["pkg/__pycache__", "cachelink"])
    assert not (target / "pkg/__pycache__").exists() and not os.path.lexists(target / "cachelink")
    assert files_under(outside) == {"data/keep.txt", "file.pyc"}


def test_paths_that_leave_the_target_are_refused_before_anything_is_deleted(tmp_path):
    make(tmp_path, "t/__pycache__/m.pyc")
    make(tmp_path, "other/__pycache__/m.pyc")
    for bad in ("../other/__pycache__", "/etc", "a//b", "./__pycache__"):
        with pytest.raises(InputError):
            remove_many(tmp_path / "t", ["__pycache__", bad])
    assert (tmp_path / "t/__pycache__/m.pyc").is_file()
    assert (tmp_path / "other/__pycache__/m.pyc").is_file()


def test_a_file_it_cannot_delete_is_a_write_error_naming_the_cache_fake_unlink(tmp_path):
    """Fake: os.unlink is replaced, because as root a real permission fault needs the capability
    games of tests/reliability; this only proves the failure is reported, not swallowed."""
    make(tmp_path, "pkg/__pycache__/m.pyc")
    real_unlink = os.unlink

    def denied(path, *a, **kw):
        raise PermissionError(13, "Permission denied", str(path))

    os.unlink = denied
    try:
        with pytest.raises(WriteError, match=r"pkg/__pycache__: permission denied"):
            remove_many(tmp_path, ["pkg/__pycache__"])
    finally:
        os.unlink = real_unlink
    assert (tmp_path / "pkg/__pycache__/m.pyc").is_file()
    remove_many(tmp_path, ["pkg/__pycache__"])
    assert not (tmp_path / "pkg").joinpath("__pycache__").exists()


def test_tracked_bytecode_in_a_cache_folder_survives_the_step_and_the_rest_goes(tmp_path):
    make(tmp_path, "fixtures/__pycache__/kept.cpython-311.pyc")
    make(tmp_path, "fixtures/old.pyc")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True)
    subprocess.run(["git", "commit", "-qm", "fixtures"], cwd=tmp_path, check=True, env=GIT_ENV)
    make(tmp_path, "fixtures/__pycache__/stale.cpython-311.pyc")
    make(tmp_path, "pkg/__pycache__/m.pyc")
    clean(tmp_path)
    assert {f for f in files_under(tmp_path) if not f.startswith(".git/")} == {
        "fixtures/__pycache__/kept.cpython-311.pyc", "fixtures/old.pyc"}


# ---- property: the fast clean equals the slow rule on generated trees ---------------------

FOLDERS = ["", "a", "a/__pycache__", "__pycache__", "__pycache__/sub", "a/b/__pycache__",
           ".pytest_cache/v", "node_modules/p/__pycache__", ".venv/__pycache__",
           "env/__pycache__", "vendor/__pycache__"]
NAMES = ["m.pyc", "n.cpython-311.pyc", "o.pyo", "s.py", "pyvenv.cfg"]
KINDS = ["file", "tracked", "link-out", "link-in"]
LINK_DIRS = ["", "a", "a/b"]  # where a folder symlink may sit (to outside or inside)

PRUNED = {".git", "node_modules", ".venv", "venv", ".maestro", ".hg", ".svn"}


def reference_deleted(target: Path, entry: str, tracked: set[str]) -> bool:
    """The rule, slowly, for one non-folder entry found by os.walk (which does not follow links):
    it lies under no pruned folder and no virtualenv (a folder other than the target holding
    pyvenv.cfg); it is inside a __pycache__ / .pytest_cache folder, or is itself a regular
    .pyc / .pyo file; and git does not track it."""
    parts = entry.split("/")
    for i in range(1, len(parts)):
        folder = "/".join(parts[:i])
        if parts[i - 1] in ("__pycache__", ".pytest_cache"):  # its parent was walked
            return entry not in tracked
        if parts[i - 1] in PRUNED or (target / folder / "pyvenv.cfg").is_file():
            return False
    if (target / entry).is_symlink():
        return False
    return entry.endswith((".pyc", ".pyo")) and entry not in tracked


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(FOLDERS), st.sampled_from(NAMES),
                          st.sampled_from(KINDS)),
                min_size=1, max_size=14, unique_by=lambda t: t[:2]),
       st.lists(st.tuples(st.sampled_from(LINK_DIRS), st.sampled_from(["out", "in"])),
                max_size=2, unique_by=lambda t: t[0]))
def test_fast_clean_matches_the_slow_rule_on_generated_trees(tmp_path_factory, entries, links):
    base = tmp_path_factory.mktemp("prop")
    outside, target = base / "outside", base / "target"
    make(outside, "__pycache__/o.pyc")
    make(outside, "keep.pyc")
    make(target, ".git-placeholder")  # the target is never empty
    tracked: set[str] = set()
    for folder, name, kind in entries:
        rel = f"{folder}/{name}" if folder else name
        if kind == "link-out":
            make(target, folder + "/.d" if folder else ".d")
            (target / rel).symlink_to(outside / "keep.pyc")
        elif kind == "link-in":
            make(target, folder + "/.d" if folder else ".d")
            (target / rel).symlink_to(target / ".git-placeholder")
        else:
            make(target, rel)
            if kind == "tracked":
                tracked.add(rel)
    for where, to in links:  # a symlinked folder named like a cache, and one named plainly
        for name in ("__pycache__", "linked"):
            link = target / where / name
            if not os.path.lexists(link):
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(outside if to == "out" else target / "a"
                                if (target / "a").is_dir() else outside, target_is_directory=True)
    if tracked:
        subprocess.run(["git", "init", "-q"], cwd=target, check=True)
        subprocess.run(["git", "add", "-f", "--", *sorted(tracked)], cwd=target, check=True)
    before = {f for f in files_under(target) if not f.startswith(".git/")}
    expected = {f for f in before if not reference_deleted(target, f, tracked)}
    outside_before = {p: (outside / p).read_bytes() for p in files_under(outside)}
    clean(target)
    after = {f for f in files_under(target) if not f.startswith(".git/")}
    after.discard(".maestro")
    after = {f for f in after if not f.startswith(".maestro/")}
    assert after == expected
    assert {p: (outside / p).read_bytes() for p in files_under(outside)} == outside_before


def test_what_the_plan_saw_is_only_a_hint_a_changed_tree_is_still_deleted_safely(tmp_path):
    outside = tmp_path / "outside"
    make(outside, "data/keep.txt")
    target = tmp_path / "target"
    make(target, "a/__pycache__/m.pyc")
    make(target, "a/__pycache__/new-since-plan.pyc")
    make(target, "a/__pycache__/sub/deep.pyc")
    make(target, "b/__pycache__/x.pyc")
    make(target, "c/was-a-file.pyc/inside.pyc")
    make(target, "d/keep.py")
    (target / "d/__pycache__").symlink_to(outside / "data", target_is_directory=True)
    known = {"a/__pycache__": ("m.pyc", "gone.pyc"), "b/__pycache__": ("x.pyc",),
             "c/was-a-file.pyc": None, "d/__pycache__": ("keep.txt",)}
    remove_many(target, sorted(known), known)
    assert files_under(target) == {"d/keep.py"}
    assert files_under(outside) == {"data/keep.txt"}


def test_a_large_clean_in_parallel_slices_deletes_all_and_refuses_a_link_on_the_way(tmp_path):
    outside = tmp_path / "outside"
    make(outside, "__pycache__/x.pyc")
    target = tmp_path / "target"
    rels = []
    for i in range(2400):
        make(target, f"g{i % 7}/p{i}/__pycache__/m.pyc")
        make(target, f"g{i % 7}/p{i}/keep.py")
        rels.append(f"g{i % 7}/p{i}/__pycache__")
    remove_many(target, rels, {r: ("m.pyc",) for r in rels[::2]})
    assert files_under(target) == {f"g{i % 7}/p{i}/keep.py" for i in range(2400)}
    (target / "g0/zz").symlink_to(outside, target_is_directory=True)
    for i in range(2400):
        make(target, f"g{i % 7}/p{i}/__pycache__/m.pyc")
    with pytest.raises(InputError, match="symlink"):
        remove_many(target, rels + ["g0/zz/__pycache__"])
    assert (outside / "__pycache__/x.pyc").is_file()
    # the slice holding the link stops there; the other slices (g6: the last) ran to their end
    assert not [p for p in files_under(target) if p.startswith("g6/") and p.endswith(".pyc")]
