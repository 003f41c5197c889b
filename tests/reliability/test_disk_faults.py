"""Real disk faults under ``week1.fix-secrets``: a full tmpfs (ENOSPC), a read-only bind mount
(EROFS), a folder without write permission for a root run that lacks CAP_DAC_OVERRIDE (EACCES:
as root, permission bits are otherwise ignored), and an immutable .env (``chattr +i``: EPERM).

Each fault: exit 1 or 2, one clear line naming the cause, no traceback, every file the original
or the complete new version, no temp file left; and once the fault is gone, a rerun converges.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from mt_testkit import require, tree_digest
from reliability_kit import (SECRET_TASK, WATCHED, assert_clean_error, run_in, seeded_copy,
                             snapshot)

PAGE = 4096


def outside_state(target):
    """Every file outside .maestro/ (mode and bytes)."""
    return {k: v for k, v in tree_digest(target).items() if not k.startswith(".maestro")}


def temp_files(target):
    return sorted(str(p.relative_to(target)) for p in target.rglob(".*.tmp"))


def assert_old_or_new(target, original, complete):
    now = snapshot(target)
    for name in WATCHED:
        if name == ".env" and now[name] is not None:
            # Secrets differ between runs: a complete .env has the whole generated block.
            assert now[name].rstrip().endswith(b"# <<< maestro-tasks week1.fix-secrets <<<")
            assert now[name].count(b"\n") == complete[name].count(b"\n")
        else:
            assert now[name] in (original[name], complete[name]), name


@pytest.fixture
def complete(fresh_target):
    """The files one undisturbed run produces (.env compared by shape)."""
    target = fresh_target("undisturbed")
    res = run_in(target, SECRET_TASK)
    assert res.returncode == 0, res.stdout + res.stderr
    return snapshot(target)


def test_full_disk_at_every_point_of_the_write_sequence(pristine, probed, complete, mount_tmpfs,
                                                        tmp_path):
    """ENOSPC with 0, 1, 2 … free pages: the run stops at a different write each time.
    (The target's baseline is recorded already, so each run goes straight to its writes.)"""
    disk = mount_tmpfs(tmp_path / "disk", "3m")
    original = snapshot(pristine)
    outcomes = []
    for free_pages in range(0, 14):
        target = disk / "t"
        shutil.rmtree(target, ignore_errors=True)
        seeded_copy(pristine, target, probed)
        before = outside_state(target)
        filler = disk / "filler"
        filler.unlink(missing_ok=True)
        st = os.statvfs(disk)
        size = st.f_bavail * st.f_frsize - free_pages * PAGE
        with open(filler, "wb") as out:
            out.truncate(0)
            try:
                out.write(b"\0" * size)
            except OSError:
                pass
        res = run_in(target, SECRET_TASK)
        if res.returncode == 0:
            outcomes.append((free_pages, "done"))
            break
        text = assert_clean_error(res, codes=(1,))
        assert "cannot write" in text and "no space left on device" in text
        assert_old_or_new(target, original, complete)
        assert temp_files(target) == []
        changed = [k for k, v in outside_state(target).items() if before.get(k) != v]
        failed_at = re.search(r"cannot write (\S+):", text).group(1)
        failed_at = re.sub(r"/\d{8}T[\d.]+Z/", "/<stamp>/", failed_at.replace(f"{target}/", ""))
        outcomes.append((free_pages, f"{failed_at} failed; before it: "
                                     + (" ".join(changed) or "no target file replaced")))
        # Space is back: the next run converges.
        filler.unlink()
        again = run_in(target, SECRET_TASK)
        assert again.returncode == 0, again.stdout + again.stderr
        assert_old_or_new(target, original, complete)
        assert snapshot(target)[".env"] is not None
    print("\nENOSPC outcomes (free pages → the write that failed; target files replaced before):")
    for pages, what in outcomes:
        print(f"  {pages:2d}  {what}")
    # The fault struck at several different points of the sequence, not only the first write.
    assert len({what.split(" failed")[0] for _, what in outcomes}) >= 4, outcomes
    assert outcomes[-1][1] == "done"


def test_read_only_mount(fresh_target, bind_readonly):
    target = fresh_target("ro")
    before = tree_digest(target)
    bind_readonly(target)
    res = run_in(target, SECRET_TASK)
    text = assert_clean_error(res, codes=(1,))
    assert "cannot write" in text and "read-only file system" in text
    # --check writes nothing, so it works on a read-only target: changes pending → exit 1.
    check = run_in(target, SECRET_TASK, "--check")
    assert check.returncode == 1 and "Traceback" not in check.stdout + check.stderr
    assert "pending" in check.stdout
    assert tree_digest(target) == before


def test_folder_without_write_permission(fresh_target):
    """Root without CAP_DAC_OVERRIDE obeys mode bits: a 0555 target gives a real EACCES."""
    setpriv = shutil.which("setpriv")
    require(setpriv is not None, "setpriv (util-linux)")
    target = fresh_target("noperm")
    (target / ".maestro").mkdir(mode=0o700)  # the state folder is writable, the target is not
    before = outside_state(target)
    os.chmod(target, 0o555)
    try:
        drop = [setpriv, "--bounding-set=-dac_override,-dac_read_search",
                "--inh-caps=-dac_override,-dac_read_search", "--"]
        probe = subprocess.run([*drop, "sh", "-c", f"touch '{target}/probe'"],
                               capture_output=True)
        require(probe.returncode != 0, "a way to drop CAP_DAC_OVERRIDE (setpriv --bounding-set)")
        res = run_in(target, SECRET_TASK, prefix=drop)
    finally:
        os.chmod(target, 0o755)
    text = assert_clean_error(res, codes=(1,))
    assert "permission denied" in text
    assert outside_state(target) == before
    assert temp_files(target) == []


def test_unreadable_env_is_an_input_error(fresh_target):
    setpriv = shutil.which("setpriv")
    require(setpriv is not None, "setpriv (util-linux)")
    target = fresh_target("unreadable")
    (target / ".env").write_text("POSTGRES_PASSWORD=kept-value-1234567890abcdefghijkl\n")
    os.chmod(target / ".env", 0o000)
    before = outside_state(target)
    drop = [setpriv, "--bounding-set=-dac_override,-dac_read_search",
            "--inh-caps=-dac_override,-dac_read_search", "--"]
    res = run_in(target, SECRET_TASK, prefix=drop)
    text = assert_clean_error(res, codes=(2,))
    assert ".env" in text and "permission denied" in text
    assert outside_state(target) == before


def test_immutable_env_file(fresh_target):
    """``chattr +i`` stops even root: replacing .env fails with EPERM."""
    chattr = shutil.which("chattr")
    require(chattr is not None, "chattr (e2fsprogs)")
    target = fresh_target("immutable")
    env = target / ".env"
    env.write_text("# team settings\nLOG_LEVEL=info\n")
    env.chmod(0o600)
    if subprocess.run([chattr, "+i", str(env)], capture_output=True).returncode != 0:
        require(False, "chattr +i on this file system")
    try:
        res = run_in(target, SECRET_TASK)
        assert env.read_text() == "# team settings\nLOG_LEVEL=info\n"
    finally:
        subprocess.run([chattr, "-i", str(env)], check=True)
    text = assert_clean_error(res, codes=(1,))
    assert "operation not permitted" in text
    assert temp_files(target) == []
