"""Reminder dispatch: 10,000 due reminders out through two Celery workers to an SMTP sink.

    .venv/bin/python bench/bench_reminders.py             # 10,000 reminders
    .venv/bin/python bench/bench_reminders.py --quick     # 500 (CI)
    .venv/bin/python bench/bench_reminders.py --batch-size 10000 --once   # one dispatch run

In a database of its own (clinic_bench_reminders_<pid>, dropped afterwards), production settings: N
follow-up reminders are due (each for its own reviewed submission and patient, scheduled
as `scheduling.reminder_schedule_follow_up` would store them, in bulk). Two `celery
worker` processes (--concurrency 2 each, the Procfile's default; the shared Redis, a
queue of this run's own via CELERY_QUEUE) send them to an aiosmtpd sink on 127.0.0.1,
REMINDER_SEND_CHUNK reminders per task over one SMTP connection (--chunk).
This process runs `reminders_dispatch` (what beat runs every minute) back to back
until nothing is due, or with --once a single time, and the clock runs from the first
dispatch until every row is sent. Reported: seconds, emails per second, statuses, and
Message-IDs received more than once (must be none). Target (issue 15, bench/README.md):
under 20 s for 10,000.
"""

from __future__ import annotations

import argparse
import datetime
import email.parser
import email.policy
import os
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness  # noqa: E402
from bench.load import midday_zone  # noqa: E402

DATABASE = f"clinic_bench_reminders_{os.getpid()}"  # concurrent runs never share one
BATCH = 5000


class HeaderSink(harness.SmtpSink):
    """The loopback sink, reading only each message's headers for its Message-ID: it runs
    on the same two cores as the workers, and parsing every whole message with the
    modern email policy cost it about a core's half at 10,000 emails (a real mail server
    runs elsewhere). It counts by Message-ID exactly as before."""

    parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)

    async def handle_DATA(self, server, session, envelope):
        headers = self.parser.parsebytes(envelope.content)
        with self.lock:
            self.by_message_id[str(headers.get("Message-ID", "")).strip()] += 1
            now = time.perf_counter()
            self.first_at = self.first_at or now
            self.last_at = now
        return "250 Message accepted"


def generate(count: int) -> list[int]:
    """`count` due follow-up reminders, each for its own patient; their ids."""
    from django.utils import timezone

    from screening.models import Patient, Reminder, Submission, new_reference

    now = timezone.now()
    ids: list[int] = []
    for start in range(0, count, BATCH):
        size = min(BATCH, count - start)
        patients = Patient.objects.bulk_create(
            Patient(
                full_name=f"Reminder Patient {start + i}",
                email=f"reminder{start + i}@example.com",
                date_of_birth=datetime.date(1970, 1, 1 + i % 28),
                contact_consent=True,
            )
            for i in range(size)
        )
        submissions = Submission.objects.bulk_create(
            Submission(
                reference=new_reference(),
                patient=patient,
                questionnaire_version="1",
                is_complete=True,
                status="reviewed",
                idempotency_key=uuid.uuid4().hex,
                age_years=55,
            )
            for patient in patients
        )
        rows = Reminder.objects.bulk_create(
            Reminder(
                key=f"follow_up:{submission.public_id}",
                kind=Reminder.Kind.FOLLOW_UP,
                due_at=now - datetime.timedelta(minutes=1),
                patient=submission.patient,
                submission=submission,
                language="en",
            )
            for submission in submissions
        )
        ids += [row.pk for row in rows]
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 reminders: CI")
    parser.add_argument("--reminders", type=int)
    parser.add_argument("--batch-size", type=int, help="REMINDER_BATCH_SIZE (default 200)")
    parser.add_argument("--chunk", type=int, help="REMINDER_SEND_CHUNK (default 20)")
    parser.add_argument("--once", action="store_true", help="one dispatch run, as beat's")
    parser.add_argument("--concurrency", type=int, default=2, help="pool of each worker")
    parser.add_argument("--conn-max-age", default="0", help="DATABASE_CONN_MAX_AGE")
    parser.add_argument("--time-limit", type=float, default=600)
    args = parser.parse_args()
    count = args.reminders or (500 if args.quick else 10_000)

    print(harness.header(f"bench_reminders: {count:,} due reminders, 2 Celery workers"))
    harness.database_create(DATABASE)
    queue = f"bench-reminders-{harness.new_run_id()}"
    extra = {"REMINDER_BATCH_SIZE": str(args.batch_size)} if args.batch_size else {}
    if args.chunk:
        extra["REMINDER_SEND_CHUNK"] = str(args.chunk)
    with HeaderSink() as sink:
        env = harness.app_env(
            DATABASE,
            PATIENT_EMAIL_HOURS="00:00-23:59",
            CLINIC_TIME_ZONE=midday_zone(),
            CELERY_QUEUE=queue,
            CELERY_TASK_ALWAYS_EAGER="false",
            DATABASE_CONN_MAX_AGE=str(args.conn_max_age),
            **sink.env(),
            **extra,
        )
        harness.app_prepare(env)
        harness.django_setup(env)
        from django.conf import settings

        import clinic.celery  # noqa: F401 - this process publishes reminders_send
        from screening.models import Reminder
        from screening.reminders import dispatch, emails

        generate(count)
        rows = Reminder.objects.all()
        message_ids = {emails.message_id(row) for row in rows.select_related("submission")}
        workers = [
            harness.CeleryWorker(env, queue, f"{queue}-w{n}", concurrency=args.concurrency).start()
            for n in (1, 2)
        ]
        try:
            print(
                f"2 worker processes, --concurrency={args.concurrency} each; "
                f"DATABASE_CONN_MAX_AGE={args.conn_max_age}; "
                f"REMINDER_BATCH_SIZE={settings.REMINDER_BATCH_SIZE}; "
                f"REMINDER_SEND_CHUNK={settings.REMINDER_SEND_CHUNK}; dispatch "
                + ("once" if args.once else "back to back until nothing is due")
            )
            cpu_before = sum(worker.cpu_seconds() for worker in workers)
            started, dispatch_cpu = time.perf_counter(), time.process_time()
            own_cpu = os.times()
            dispatch_runs = 0
            while True:
                claimed = dispatch.reminders_dispatch().claimed
                dispatch_runs += 1
                if args.once or not claimed:
                    break
            dispatched_at = time.perf_counter() - started
            dispatch_cpu = time.process_time() - dispatch_cpu
            harness.wait_until(
                lambda: not rows.exclude(status__in=("sent", "failed", "cancelled")).exists(),
                timeout=args.time_limit,
                interval=0.5,
                what="every reminder to be sent",
            )
            elapsed = time.perf_counter() - started
            worker_cpu = sum(worker.cpu_seconds() for worker in workers) - cpu_before
            own = os.times()
            own_cpu_seconds = own.user + own.system - own_cpu.user - own_cpu.system
        finally:
            for worker in workers:
                worker.stop()
        statuses = dict(Counter(rows.values_list("status", flat=True)))
        duplicates = {mid: n for mid, n in sink.by_message_id.items() if n > 1}
        unknown = set(sink.by_message_id) - message_ids

    print(
        f"{dispatch_runs} dispatch runs, the last one {dispatched_at:.1f} s after the first "
        f"(this process's CPU: {dispatch_cpu * 1000 / count:.1f} ms per reminder claimed)"
    )
    print(
        f"{count:,} reminders in {elapsed:.1f} s: {count / elapsed:.0f} emails/s "
        f"(target: 10,000 in under 20 s)"
    )
    print(
        f"Celery workers' CPU: {worker_cpu * 1000 / count:.1f} ms per email; this process "
        f"(dispatch, SMTP sink, polling): {own_cpu_seconds * 1000 / count:.1f} ms per email"
    )
    load = os.getloadavg()
    print(f"load average after {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"statuses: {statuses}; SMTP receipts {sink.received():,}")
    print(f"Message-IDs received more than once: {len(duplicates)}; unknown: {len(unknown)}")
    harness.database_drop(DATABASE)
    if duplicates or unknown or statuses != {"sent": count}:
        raise SystemExit("FAILED: every reminder must be sent exactly once")


if __name__ == "__main__":
    main()
