"""Two beats on two "machines" at once: each periodic job runs once per period.

Two real `celery -A clinic beat` processes, each with its own working directory, schedule
file and host name, share the test's PostgreSQL database and Redis queue, as two machines
would (clinic/beat.py, screening/domain/scheduler.py). A real worker runs what they send.
With a 6 s scheduler lease, a job every 2 s and one every 12 s:

- the first beat holds the lease and sends; the second logs that it waits, and /health/
  reports a standby scheduler while both run;
- the first is killed (SIGKILL: no clean release) right after the 12 s job ran; the second
  takes over when the lease runs out;
- seen from the worker, no job ran twice inside its period (the standby read when each job
  last ran, not its own start-up copy), and the 2 s job's longest gap is the takeover.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from screening.models import Heartbeat
from tests.integration.conftest import BASE_DIR, CELERY_BIN, wait_until

pytestmark = [
    pytest.mark.services,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LEASE = 6  # seconds: SCHEDULER_LEASE_SECONDS for both beats (60 in production)
FAST = 2  # seconds between runs of the fast job
SLOW = 12  # and of the slow one: longer than the lease, so a stale standby would repeat it
FAST_TASK = "screening.health.beat_heartbeat"  # real tasks, harmless to run often
SLOW_TASK = "screening.tasks.sessions_clear"
WAIT_LINE = "waits: another beat holds the scheduler lease"
HOLD_LINE = re.compile(r"beat \S+:\d+:\w+ holds the scheduler lease")  # the holder id
SLACK = 3.0  # seconds of scheduling and start-up noise on a loaded 2-core machine


@dataclass
class Beat:
    machine: str
    process: subprocess.Popen
    directory: Path

    @property
    def log_path(self) -> Path:
        return self.directory / "beat.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def holds_lease(self) -> bool:
        holder = Heartbeat.objects.filter(name="scheduler").values_list("holder", flat=True)
        return any(f":{self.process.pid}:" in value for value in holder)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def beats(workers, tmp_path, request):
    """`beats(machine)` starts `celery -A clinic beat` as if on another machine: its own
    working directory, schedule file and HOSTNAME; same database and broker as the
    workers. Every beat is stopped after the test; their logs are printed if it failed."""
    started: list[Beat] = []

    def start(machine: str) -> Beat:
        directory = tmp_path / machine
        directory.mkdir()
        env = workers.environment(
            {
                "SCHEDULER_LEASE_SECONDS": str(LEASE),
                "HOSTNAME": machine,
                "PYTHONPATH": str(BASE_DIR),  # the project, from another working directory
            }
        )
        command = [
            str(CELERY_BIN),
            "-A",
            "clinic",
            "beat",
            "--loglevel=INFO",
            f"--schedule={directory / 'celerybeat-schedule'}",
        ]
        with (directory / "beat.log").open("wb") as log:
            process = subprocess.Popen(
                command,
                cwd=directory,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        beat = Beat(machine, process, directory)
        started.append(beat)
        return beat

    try:
        yield start
    finally:
        for beat in started:
            beat.stop()
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            for beat in started:
                sys.stderr.write(f"--- beat {beat.machine} ---\n{beat.log()[-4000:]}\n")


def _every(name: str, task: str, seconds: int) -> PeriodicTask:
    interval, _ = IntervalSchedule.objects.get_or_create(
        every=seconds, period=IntervalSchedule.SECONDS
    )
    return PeriodicTask.objects.create(name=name, task=task, interval=interval)


def _runs(worker_log: str, task: str) -> list[float]:
    """When the worker received each message of `task` (epoch seconds), in order."""
    times = []
    for line in worker_log.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        message = record.get("message", "")
        if message.startswith(f"Task {task}[") and message.endswith("received"):
            times.append(datetime.datetime.fromisoformat(record["time"]).timestamp())
    return times


def _gaps(times: list[float]) -> list[float]:
    return [round(later - earlier, 2) for earlier, later in zip(times, times[1:], strict=False)]


def test_two_beats_on_two_machines_run_each_job_once_per_period(workers, beats, client):
    PeriodicTask.objects.update(enabled=False)  # only the test's two jobs
    _every("itest fast", FAST_TASK, FAST)
    _every("itest slow", SLOW_TASK, SLOW)
    worker = workers.start(concurrency=2)

    first = beats("machine-a")
    wait_until(first.holds_lease, timeout=40, message=lambda: f"machine-a to lead:\n{first.log()}")
    second = beats("machine-b")
    wait_until(
        lambda: WAIT_LINE in second.log(),
        timeout=40,
        message=lambda: f"machine-b to wait:\n{second.log()}",
    )
    health = wait_until(
        lambda: (answer := client.get("/health/").json())["status"] == "ok" and answer,
        timeout=2 * FAST + SLACK,
        message="/health/ to pass (the heartbeat written by the worker)",
    )
    assert health["checks"]["beat"]["standby_scheduler"] is True

    wait_until(
        lambda: _runs(worker.log(), SLOW_TASK),
        timeout=SLOW + 20,
        message=lambda: f"the slow job's first run:\n{worker.log()[-3000:]}",
    )
    assert not second.holds_lease() and not HOLD_LINE.search(second.log())
    first.stop(signal.SIGKILL)  # the machine dies: the lease is not released
    killed_at = time.time()

    wait_until(
        second.holds_lease,
        timeout=LEASE + SLACK,
        message=lambda: f"machine-b to take over:\n{second.log()}",
    )
    took_over_at = time.time()
    wait_until(
        lambda: len(_runs(worker.log(), SLOW_TASK)) >= 2,
        timeout=SLOW + SLACK,
        message=lambda: f"the slow job's second run:\n{worker.log()[-3000:]}",
    )
    time.sleep(FAST + 1)  # a fast run or two after the slow one
    second.stop()
    wait_until(worker.idle, timeout=10, message="the worker to finish what it received")

    fast, slow = _runs(worker.log(), FAST_TASK), _runs(worker.log(), SLOW_TASK)
    print(  # noqa: T201 - the counts, for the CI log
        f"two beats: fast job {len(fast)} runs, gaps {_gaps(fast)}; slow job {len(slow)} "
        f"runs, gaps {_gaps(slow)}; takeover {took_over_at - killed_at:.1f} s after the kill"
    )
    assert len(slow) == 2 and _gaps(slow)[0] >= SLOW - 1, "the slow job ran twice in a period"
    assert min(_gaps(fast)) >= FAST - 0.5, "the fast job ran twice in a period"
    assert max(_gaps(fast)) <= LEASE + FAST + SLACK, "a gap longer than the takeover"
    assert HOLD_LINE.search(second.log())
    assert any(at > took_over_at for at in fast), "the standby sent nothing after taking over"
    assert not any(at > killed_at + 0.5 and at < took_over_at - 1 for at in fast)
    assert second.log().count(WAIT_LINE) == 1  # logged once a minute, not once a try
    # Beat keeps its schedule in the database: no file on either machine.
    assert not list(first.directory.glob("celerybeat-schedule*"))
    assert not list(second.directory.glob("celerybeat-schedule*"))
