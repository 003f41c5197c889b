"""Generated secrets: at least 128 bits each (alphabet and length), and never from ``random``.

The entropy of a value is computed from its rule's declared alphabet and its length; the
samples must really use that alphabet (all of it, nothing outside it), or the count would lie.
The second test runs fix-secrets with the ``random`` module replaced by one whose every use
outside tempfile's name generator is recorded and raises: the run must still succeed.
"""

from __future__ import annotations

import base64
import io
import math
import os
import string
import subprocess
import sys

import pytest
from dotenv import dotenv_values

from maestro_tasks.resources import REPO_ROOT
from maestro_tasks.secrets import envfile, rules
from maestro_tasks.secrets.generate import generate
from reliability_kit import SECRET_TASK, cli_env, run_in

ALNUM = set(string.ascii_letters + string.digits)
ALPHABETS = {
    "password": ALNUM,
    "token": ALNUM,
    "hex": set("0123456789abcdef"),
}


def entropy_bits(value: str, rule: rules.Rule) -> float:
    """Bits of a uniformly generated value of this rule (checks it is in the alphabet)."""
    if rule.kind in ALPHABETS:
        alphabet = ALPHABETS[rule.kind]
        assert set(value.lower() if rule.kind == "hex" else value) <= alphabet, rule
        return len(value) * math.log2(len(alphabet))
    if rule.kind in ("base64", "base64url", "fernet"):
        decode = base64.b64decode if rule.kind == "base64" else base64.urlsafe_b64decode
        return len(decode(value)) * 8
    raise AssertionError(f"unknown rule kind {rule.kind}")


@pytest.mark.parametrize("rule", [rules.parse_rule(k) for k in rules.KINDS], ids=str)
def test_minimum_rules_give_128_bits_from_their_whole_alphabet(rule):
    samples = [generate(rule) for _ in range(400)]
    assert len(set(samples)) == len(samples)
    for value in samples:
        assert entropy_bits(value, rule) >= 128, (rule, len(value))
    if rule.kind in ALPHABETS:
        used = set("".join(samples))
        # 400 values of >= 32 characters: every symbol of the alphabet shows up.
        assert used == ALPHABETS[rule.kind], sorted(ALPHABETS[rule.kind] - used)


def test_every_value_of_a_real_run_has_128_bits(fresh_target):
    target = fresh_target("t")
    res = run_in(target, SECRET_TASK)
    assert res.returncode == 0, res.stdout + res.stderr
    values = dotenv_values(stream=io.StringIO((target / ".env").read_text()))
    template = envfile.parse_template(".env.template", (REPO_ROOT / ".env.template").read_bytes())
    assert len(values) == 7
    for name, value in values.items():
        rule = template.get(name) or rules.rule_for(name, value)
        assert entropy_bits(value, rule) >= 128, name


# Runs before anything else in the child: ``random`` is replaced for every later import.
POISON = r'''
import os, sys, types, random as real
LOG = os.environ["POISON_LOG"]

def caller_allowed():
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_globals.get("__name__") == "tempfile":
            return True  # temp file names: not secret
        frame = frame.f_back
    return False

def poisoned(name):
    def use(*args, **kwargs):
        where = sys._getframe(1)
        with open(LOG, "a") as log:
            log.write(f"random.{name} from {where.f_globals.get('__name__')}:{where.f_lineno}\n")
        raise RuntimeError(f"random.{name} used")
    return use

class Random(real.Random):
    def random(self):
        return super().random() if caller_allowed() else poisoned("Random.random")()
    def getrandbits(self, k):
        return super().getrandbits(k) if caller_allowed() else poisoned("Random.getrandbits")()

fake = types.ModuleType("random")
for name in dir(real):
    value = getattr(real, name)
    fake.__dict__[name] = poisoned(name) if callable(value) and not isinstance(value, type) \
        else value
fake.Random = Random
fake.SystemRandom = real.SystemRandom  # the CSPRNG (os.urandom) that `secrets` builds on
sys.modules["random"] = fake
sys.modules.pop("secrets", None)
sys.modules.pop("tempfile", None)
'''


def run_poisoned(cwd, code: str, log) -> subprocess.CompletedProcess[str]:
    env = cli_env(POISON_LOG=str(log))
    return subprocess.run([sys.executable, "-c", POISON + code], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_random_module_is_never_used_for_secrets(fresh_target, tmp_path):
    log = tmp_path / "random-uses.log"
    # The poison works: a direct use is recorded and raises.
    control = run_poisoned(tmp_path, "import random; random.choice('ab')", log)
    assert control.returncode != 0 and "random.choice" in log.read_text()
    log.unlink()

    target = fresh_target("t")
    res = run_poisoned(target, "import sys; sys.argv = ['maestro-tasks', "
                       f"{SECRET_TASK!r}]; from maestro_tasks.cli import main; main()", log)
    assert res.returncode == 0, res.stdout + res.stderr
    assert not log.exists() or log.read_text() == "", log.read_text()
    values = dotenv_values(stream=io.StringIO((target / ".env").read_text()))
    assert len(values) == 7 and all(len(v) >= 32 for v in values.values())
    assert os.stat(target / ".env").st_mode & 0o777 == 0o600
