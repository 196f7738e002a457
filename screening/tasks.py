"""Celery tasks: thin wrappers that take ids; the logic is in `screening.reminders` (dispatch,
delivery, scheduling).

Periodic ones are declared in `screening.schedules` and stored by
`manage.py setup_periodic_tasks`. Nothing here depends on eager mode: a worker imports
this module through `app.autodiscover_tasks()`, and every process at start-up
(`ScreeningConfig.ready`), so that `reminders.dispatch` can publish `reminders_send` by
its name (this module imports the dispatch, not the other way round).
"""

from __future__ import annotations

import datetime

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from screening.domain import retention, scheduler, sessions
from screening.reminders import delivery, dispatch, scheduling
from screening.web import health


@shared_task(name="screening.tasks.reminders_send")
def reminders_send(reminder_ids: list[int]) -> dict[str, int]:
    """Send the reminders one dispatch claimed (REMINDER_SEND_CHUNK ids), one by one over
    one SMTP connection. Idempotent per id: an id already sent, or taken by another
    worker, is skipped. Ids that hit a transient SMTP error are tried again after their
    backoff, in a task of their own; ids this run did not reach (it stops after half the
    soft time limit, or after a send interrupted by a non-SMTP error) go to a new task."""
    batch = delivery.reminders_deliver(
        reminder_ids=reminder_ids, budget=settings.CELERY_TASK_SOFT_TIME_LIMIT / 2
    )
    for wait, ids in sorted(batch.retry.items()):
        reminders_send.apply_async((ids,), countdown=wait)
    if batch.unsent:
        reminders_send.delay(batch.unsent)
    return dict(batch.outcomes)


@shared_task(bind=True, name="screening.tasks.reminder_send")
def reminder_send(self: Task, reminder_id: int) -> str:
    """Send one claimed reminder (a chunk of one; messages published before chunks, and
    tests). Idempotent: a second delivery of the same id sends nothing. Transient SMTP
    errors retry with a short, bounded backoff."""
    sent = delivery.reminder_deliver(reminder_id=reminder_id)
    if sent.retry_in is not None:
        raise self.retry(countdown=sent.retry_in, max_retries=settings.REMINDER_MAX_ATTEMPTS - 1)
    return sent.outcome


# Draining a backlog: a dispatch that claimed a full batch sends itself again at once, up to
# this many rounds (20,000 rows at the default batch of 200), pausing while the workers
# still have this many batches queued; the every-minute run stays the floor.
DRAIN_MAX_ROUNDS = 100
DRAIN_MAX_QUEUED_BATCHES = 4
DRAIN_PAUSE_SECONDS = 5


@shared_task(name="screening.tasks.reminders_dispatch")
def reminders_dispatch(drain_round: int = 0) -> dict[str, int]:
    """Every minute: claim due reminders and enqueue them after commit; while a full
    batch was claimed, again at once (docs/reminders.md, "Draining a backlog")."""
    dispatched = dispatch.reminders_dispatch(now=timezone.now())
    if dispatched.claimed >= settings.REMINDER_BATCH_SIZE and drain_round < DRAIN_MAX_ROUNDS:
        backed_up = dispatch.queued_count() >= settings.REMINDER_BATCH_SIZE * (
            DRAIN_MAX_QUEUED_BATCHES
        )
        reminders_dispatch.apply_async(
            kwargs={"drain_round": drain_round + 1},
            countdown=DRAIN_PAUSE_SECONDS if backed_up else 0,
        )
    return {
        "claimed": dispatched.claimed,
        "requeued": dispatched.requeued,
        "interrupted": dispatched.interrupted,
        "deferred": dispatched.deferred,
    }


@shared_task(name="screening.tasks.reminders_schedule_escalations")
def reminders_schedule_escalations() -> int:
    """Every five minutes: urgent submissions left waiting go to the clinicians on duty
    (one email for several from one client); then client tags a day old are cleared."""
    now = timezone.now()
    scheduled = scheduling.reminders_schedule_escalations(now=now)
    scheduling.client_tags_clear(now=now)
    return scheduled


# A daily job runs at most once in this long (screening/domain/scheduler.py): a beat
# restarted after a kill, or a second beat, may send it again within the day.
DAILY_JOB_PERIOD = datetime.timedelta(hours=20)


@shared_task(name="screening.tasks.reminders_schedule_digest")
def reminders_schedule_digest() -> int:
    """Daily at DIGEST_HOUR: the queue digest for clinicians."""
    if not scheduler.periodic_run_claim(job="digest", period=DAILY_JOB_PERIOD):
        return 0
    return scheduling.reminders_schedule_digest(now=timezone.now())


@shared_task(name="screening.health.beat_heartbeat")
def beat_heartbeat() -> str:
    """Every minute: record that beat sent a job and a worker ran it (/health/ reads it)."""
    return health.heartbeat_record()


@shared_task(name="screening.retention.retention_run")
def retention_run() -> dict[str, int]:
    """Daily: erase up to RETENTION_BATCH_SIZE records past the retention period (the
    rest follow on the next days) and delete long-expired saved intakes."""
    if not scheduler.periodic_run_claim(job="retention", period=DAILY_JOB_PERIOD):
        return {"erased": 0, "saved_intakes_deleted": 0}
    run = retention.retention_apply(now=timezone.now(), limit=settings.RETENTION_BATCH_SIZE)
    return {"erased": len(run.erased), "saved_intakes_deleted": run.drafts_deleted}


@shared_task(name="screening.tasks.sessions_clear")
def sessions_clear() -> int:
    """Every 15 minutes: delete expired sessions, which may still hold an abandoned
    intake draft (name, date of birth, symptoms). Idempotent."""
    return sessions.sessions_clear_expired(now=timezone.now())
