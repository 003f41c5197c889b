"""Two ``week1.fix-secrets`` runs on one target at once: one writer at a time, one result.

The second run waits for the target lock (up to 10 s) and then finds nothing to do, or gives up
with "locked by PID …" naming the holder. A ``--check`` run takes no lock and may run alongside:
it must never see a half-written file (exit 0 or 1, never an input error).
"""

from __future__ import annotations

import io
import subprocess
import sys
import time

from dotenv import dotenv_values

from reliability_kit import CLI, SECRET_TASK, cli_env

ROUNDS = 3
BLOCK = b"# >>> maestro-tasks week1.fix-secrets"


def launch(target, *args, delay="0.02"):
    return subprocess.Popen([CLI, SECRET_TASK, *args], cwd=target, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=cli_env(MAESTRO_TEST_WRITE_DELAY_S=delay))


def finish(proc):
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def test_second_run_waits_or_reports_the_holder(fresh_target):
    # A target whose lock is held (by a live process) for longer than the lock timeout:
    # started first, so its 10 s wait overlaps the rounds below.
    held = fresh_target("held")
    (held / ".maestro").mkdir(mode=0o700)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; "
         "from maestro_tasks.engine.lock import TargetLock; "
         f"TargetLock(Path({str(held / '.maestro' / 'lock')!r})).acquire(); "
         "print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        blocked = launch(held)

        for round_ in range(ROUNDS):
            target = fresh_target(f"round-{round_}")
            first = launch(target)
            second = launch(target)
            checker = launch(target, "--check", delay="")
            results = [finish(p) for p in (first, second, checker)]
            (rc1, out1, err1), (rc2, out2, err2), (rc3, out3, err3) = results
            for rc, out, err in results:
                assert "Traceback" not in out + err
            # The check run saw whole files only: pending (1) or done (0), never bad input (2).
            assert rc3 in (0, 1), out3 + err3
            # Exactly one run wrote; the other waited and found nothing to do, or was locked out.
            writers = [o for o in (out1, out2) if "2 ok, 4 changed" in o]  # prove and tracked-credentials read only
            assert len(writers) == 1, out1 + out2
            for rc, out, err in ((rc1, out1, err1), (rc2, out2, err2)):
                if out in writers:
                    assert rc == 0, out + err
                elif rc == 0:
                    assert "6 ok, 0 changed" in out, out  # all six steps: nothing to do
                else:
                    assert rc == 1 and "locked by PID" in err, out + err
            env = (target / ".env").read_bytes()
            assert env.count(BLOCK) == 1, "two runs both appended a block of secrets"
            values = dotenv_values(stream=io.StringIO(env.decode()))
            assert len(values) == 7 and all(values.values())
            # A third, sequential run agrees nothing is left to do.
            settle = subprocess.run([CLI, SECRET_TASK, "--check"], cwd=target, env=cli_env(),
                                    capture_output=True, text=True)
            assert settle.returncode == 0, settle.stdout + settle.stderr
            assert (target / ".env").read_bytes() == env

        started = time.monotonic()
        rc, out, err = finish(blocked)
        assert rc == 1, out + err
        assert f"locked by PID {holder.pid}" in err
        assert "Traceback" not in out + err
        assert not (held / ".env").exists() and b"/.env" not in (held / ".gitignore").read_bytes()
        assert time.monotonic() - started < 15
    finally:
        holder.kill()
        holder.wait()
