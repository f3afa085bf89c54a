"""benchmarks/gpu/lib.sh: the sweep's shell functions, run by bash as sweep.sh runs them."""
import shutil
import subprocess
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu" / "lib.sh"
pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def wait_for_rows(runs: Path, name: str, script: str = "", poll: float = 0.05) -> int:
    """Run wait_for_rows in bash with `script` (a job's writes) in the background; its status."""
    cmd = f'source "{LIB}"; ( {script or ":"} ) & wait_for_rows "{runs}" "{name}"; status=$?; wait; exit $status'
    return subprocess.run(["bash", "-c", cmd], env={"POLL_S": str(poll), "PATH": "/usr/bin:/bin"}, timeout=30).returncode


def test_rows_and_exit_line_written_between_two_polls_count_as_finished(tmp_path):
    # the job of 2026-12-04: rows and "exit 0" both appeared while the waiter slept
    job = f'sleep 0.2; echo "[]" > {tmp_path}/tok-s0.rows.json; echo "[sweep 386s] tok-s0 exit 0" >> {tmp_path}/done.log'
    assert wait_for_rows(tmp_path, "tok-s0", job, poll=1.0) == 0


def test_a_job_that_ended_without_rows_is_a_failure(tmp_path):
    job = f'sleep 0.2; echo "[sweep 12s] tok-s0 exit 1" >> {tmp_path}/done.log'
    assert wait_for_rows(tmp_path, "tok-s0", job) == 1


def test_another_jobs_exit_line_does_not_end_the_wait(tmp_path):
    job = (f'echo "[sweep 5s] tok-s1 exit 1" >> {tmp_path}/done.log; sleep 0.3; '
           f'echo "[]" > {tmp_path}/tok-s0.rows.json; echo "[sweep 9s] tok-s0 exit 0" >> {tmp_path}/done.log')
    assert wait_for_rows(tmp_path, "tok-s0", job) == 0
