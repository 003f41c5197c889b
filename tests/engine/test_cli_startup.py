"""The console script and `invoke` expose the same lazy namespace."""

from __future__ import annotations

import json
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
