"""The console script and `invoke` expose the same lazy namespace."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from mt_testkit import REPO, run_cli

HEAVY = ("docker", "ruamel", "cryptography", "rich", "tomlkit", "dotenv")


def test_list_imports_no_heavy_library():
    script = (
        "import sys\n"
        "from invoke import Program\n"
        "from maestro_tasks import namespace\n"
        "Program(namespace=namespace()).run(['invoke', '--list'], exit=False)\n"
        f"heavy = [m for m in sys.modules if m.split('.')[0] in {HEAVY!r}]\n"
        "print('HEAVY=' + ','.join(sorted(heavy)))\n"
    )
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=REPO, check=True)
    assert "week1" in res.stdout and "demo" in res.stdout
    assert res.stdout.strip().splitlines()[-1] == "HEAVY="


def test_invoke_and_console_script_list_the_same_tasks():
    via_invoke = run_cli("--list", tool="invoke")
    via_script = run_cli("--list", cwd=REPO.parent)
    assert via_invoke.returncode == 0 and via_script.returncode == 0

    def names(text):
        return sorted(line.split()[0] for line in text.splitlines()
                      if line.startswith("  ") and line.split())

    assert names(via_invoke.stdout) == names(via_script.stdout)
    assert "demo" in names(via_script.stdout)
    assert any(n.startswith("week1.") for n in names(via_script.stdout))


def test_every_task_documents_every_flag():
    listing = run_cli("--list", "--list-format", "json", tool="invoke")
    tree = json.loads(listing.stdout)

    def walk(coll, prefix=""):
        for t in coll["tasks"]:
            yield prefix + t["name"]
        for sub in coll["collections"]:
            yield from walk(sub, prefix + sub["name"] + ".")

    for name in walk(tree):
        res = run_cli(name, "--help")
        assert res.returncode == 0, res.stderr
        for line in res.stdout.splitlines():
            stripped = line.strip()
            if stripped.startswith("-"):
                # "  -t STRING, --target=STRING   help text": a flag line must carry help text.
                assert "  " in stripped, f"{name}: undocumented flag: {stripped}"


def test_target_from_flag_env_and_invoke_yaml(tmp_path):
    chosen, other = tmp_path / "chosen", tmp_path / "other"
    chosen.mkdir()
    other.mkdir()
    (other / "invoke.yaml").write_text(f"maestro:\n  target: {chosen}\n")

    def target_of(*args, cwd, env=None):
        res = run_cli("week1.ci-init", "--check", "--json", *args, cwd=cwd, env=env)
        assert res.returncode == 1, res.stderr  # the workflow is missing: check mode exit 1
        return json.loads(res.stdout)["target"]

    assert target_of(cwd=other) == str(chosen)                    # invoke.yaml in the cwd
    assert target_of(cwd=tmp_path, env={"INVOKE_MAESTRO_TARGET": str(other)}) == str(other)
    assert target_of("--target", str(other), cwd=other) == str(other)   # the flag wins
    assert target_of(cwd=chosen) == str(chosen)                   # else the cwd
    assert list(chosen.iterdir()) == []                           # check mode wrote nothing


def test_missing_target_exits_2_with_one_line(tmp_path):
    res = run_cli("week1.ci-init", "--target", str(tmp_path / "nope"))
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and "does not exist" in res.stderr
    assert "Traceback" not in res.stderr


def test_console_script_behaves_exactly_like_invoke(example_copy, tmp_path):
    """`maestro-tasks week1.fix-secrets --target P --json` == `invoke week1.fix-secrets …`."""
    import shutil

    first = run_cli("week1.fix-secrets", "--target", str(example_copy))
    assert first.returncode == 0, first.stdout + first.stderr
    twin = tmp_path / "twin"
    shutil.copytree(example_copy, twin, symlinks=True)  # same .env: no fresh secrets differ

    def normalised(res, target):
        # A reused proof names its inputs' digest and when it was proven: per copy, not per
        # entry point.
        doc = json.loads(res.stdout, object_hook=lambda d: {
            k: re.sub(r"proven for inputs [0-9a-f]+…, unchanged since [^)]+",
                      "proven for inputs <digest>, unchanged since <time>", v)
            if isinstance(v, str) else v for k, v in d.items()})
        doc.pop("duration_s")
        assert doc.pop("target") == str(target)
        return res.returncode, res.stderr, doc

    for extra in ((), ("--check",), ("--rotate", "NOPE")):
        args = ("week1.fix-secrets", "--json", *extra, "--target")
        via_script = run_cli(*args, str(example_copy), cwd=tmp_path)
        via_invoke = run_cli(*args, str(twin), tool="invoke")
        assert via_script.returncode == via_invoke.returncode
        if via_script.returncode == 2:
            assert via_script.stderr == via_invoke.stderr != ""
            continue
        assert normalised(via_script, example_copy) == normalised(via_invoke, twin)
