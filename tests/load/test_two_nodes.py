"""The two-node run (bench/load.py --two-nodes --quick; issue 15, "Beyond one machine"),
run by the suite's service pass.

Two gunicorns (own ports, own process groups) behind the Debian package's nginx running
docs/nginx.conf's site, two Celery workers and one beat, all on one PostgreSQL server and
the suite's Redis (REDIS_URL; the run's queue is its own). 50 simulated patients send 80
intakes through nginx while one web node is SIGKILLed with its workers and started again,
and one Celery worker is SIGKILLed with its pool. The script checks that every intake a
patient was told "sent" is stored exactly once and whole, that what nginx answered 502 was
never half stored, that no email went twice, and (before the load) that a session, a
staff lockout and a rate limit hold across both nodes; it exits 1 otherwise and this test
fails with its report. The counts are printed to the CI log either way.

It needs PostgreSQL on loopback (DATABASE_URL), Redis (REDIS_URL), nginx and openssl: without
them it fails (it is marked `services`, so the SQLite pass deselects it). Bounded: the load
stops after --time-limit seconds and this test kills the script after TIMEOUT. No timing
is asserted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from bench import cluster
from tests.load.bench_env import bench_env

BASE_DIR = Path(__file__).resolve().parents[2]
TIMEOUT = 600  # seconds; the run takes about 2 minutes on 2 busy cores
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")

pytestmark = pytest.mark.services


def _problems() -> list[str]:
    problems = []
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        problems.append("the database is not PostgreSQL (set DATABASE_URL)")
    elif (db.get("HOST") or "127.0.0.1") not in LOOPBACK_HOSTS:
        problems.append("DATABASE_URL must be on loopback")
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url or urlsplit(redis_url).hostname not in LOOPBACK_HOSTS:
        problems.append("REDIS_URL must name a Redis on loopback")
    if cluster.find_nginx() is None:
        problems.append("nginx is not installed (apt-get install nginx, or NGINX=path)")
    if not shutil.which("openssl"):
        problems.append("openssl is not on PATH")
    return problems


def test_two_web_nodes_behind_nginx_store_every_intake_once_through_kills(capsys):
    problems = _problems()
    if problems:
        pytest.fail("the two-node run needs: " + "; ".join(problems), pytrace=False)
    env = bench_env()
    env["BENCH_REDIS"] = os.environ["REDIS_URL"]
    run = subprocess.run(
        [sys.executable, "bench/load.py", "--two-nodes", "--quick", "--time-limit", "300"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    report = "\n".join(line for line in run.stdout.splitlines() if not line.startswith("{"))
    with capsys.disabled():  # the counts in CI's log, passed or failed
        print(f"\n--- bench/load.py --two-nodes --quick ---\n{report}\n---")
    assert run.returncode == 0, f"{report}\n{run.stderr[-3000:]}"
    assert "OK: two nodes behind nginx" in run.stdout
