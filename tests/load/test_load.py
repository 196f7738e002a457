"""The bounded load test with faults (bench/load.py --quick --faults), run by the suite.

50 simulated patients send 150 intakes through gunicorn, PostgreSQL, a private
redis-server and two Celery workers, while PostgreSQL's connections are terminated
three times, a worker is SIGKILLed and restarted twice, and Redis is stopped and
restarted. The script asserts every intake answered "sent" is stored exactly once and
no reminder email is delivered twice, and exits 1 otherwise; this test runs it in a
subprocess (its own database, clinic_load_<pid>, and processes) and fails with its report.

It needs PostgreSQL (the suite's DATABASE_URL) and redis-server on PATH; without them it
is skipped, or failed when REQUIRE_SERVICES=1 (CI). Bounded: the script stops its load
after --time-limit seconds and this test kills it after TIMEOUT. No timing is asserted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.load.bench_env import bench_env

BASE_DIR = Path(__file__).resolve().parents[2]
TIMEOUT = 900  # seconds; the run takes about 2 minutes on 2 quiet cores

pytestmark = pytest.mark.services


def _problems() -> list[str]:
    problems = []
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        problems.append("the database is not PostgreSQL (set DATABASE_URL)")
    elif (db.get("HOST") or "127.0.0.1") not in ("127.0.0.1", "localhost"):
        problems.append("DATABASE_URL must be on loopback")
    if not shutil.which("redis-server"):
        problems.append("redis-server is not on PATH")
    return problems


def test_intakes_under_load_and_faults_are_stored_once_and_reminders_sent_at_most_once():
    problems = _problems()
    if problems:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("REQUIRE_SERVICES=1 but " + "; ".join(problems), pytrace=False)
        pytest.skip("load test needs: " + "; ".join(problems))
    env = bench_env()
    run = subprocess.run(
        [sys.executable, "bench/load.py", "--quick", "--faults", "--time-limit", "600"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    report = "\n".join(line for line in run.stdout.splitlines() if not line.startswith("{"))
    assert run.returncode == 0, f"{report}\n{run.stderr[-3000:]}"
    assert "OK: every intake sent is stored exactly once" in run.stdout
