"""The cache walk finds every cache and never enters a pruned folder."""

from __future__ import annotations

from pathlib import Path

from maestro_tasks.engine import Context
from maestro_tasks.testing.caches import find_caches, summarize
from maestro_tasks.testing.steps import CacheStep


def make(root: Path, rel: str, size: int = 10) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return path


SENTINELS = ["node_modules/pkg/__pycache__/x.pyc", ".venv/lib/__pycache__/x.pyc",
             ".git/hooks/__pycache__/x.pyc", "env311/pyvenv.cfg", "env311/lib/__pycache__/x.pyc",
             "vendor/keep/__pycache__/x.pyc", "venv/stray.pyc", ".maestro/__pycache__/x.pyc"]


def build(root: Path) -> None:
    make(root, "pkg/__pycache__/mod.cpython-311.pyc", 100)
    make(root, "pkg/__pycache__/other.cpython-311.pyc", 50)
    make(root, "pkg/sub/__pycache__/a.pyc", 7)
    make(root, "legacy.pyc", 3)
    make(root, "old.pyo", 4)
    make(root, ".pytest_cache/v/cache/nodeids", 20)
    make(root, "pkg/real.py", 5)
    for rel in SENTINELS:
        make(root, rel)


def test_finds_caches_with_counts_and_bytes(tmp_path):
    build(tmp_path)
    found = find_caches(tmp_path, ["vendor"])
    assert [e.path for e in found] == [".pytest_cache", "legacy.pyc", "old.pyo", "pkg/__pycache__",
                                       "pkg/sub/__pycache__"]
    assert summarize(found) == {"pycache_dirs": 2, "pytest_cache_dirs": 1,
                                "stray_bytecode_files": 2, "files": 6, "bytes": 184}


def test_symlinked_folders_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    make(outside, "__pycache__/x.pyc")
    target = tmp_path / "target"
    target.mkdir()
    (target / "link").symlink_to(outside, target_is_directory=True)
    assert find_caches(target) == []


def test_cache_step_deletes_caches_and_every_sentinel_survives(tmp_path):
    build(tmp_path)
    ctx = Context(target=tmp_path, settings={"cache_prune": ["vendor"]})
    step = CacheStep()
    changes = step.plan(ctx)
    assert {c.action for c in changes} == {"delete"}
    step.apply(ctx, changes)
    for rel in SENTINELS:
        assert (tmp_path / rel).is_file(), rel
    assert (tmp_path / "pkg/real.py").is_file()
    assert not (tmp_path / "pkg/__pycache__").exists()
    assert not (tmp_path / ".pytest_cache").exists()
    assert step.plan(Context(target=tmp_path, settings={"cache_prune": ["vendor"]})) == []
