"""Redis stops while intakes arrive. The intakes and their outbox rows are written to
PostgreSQL regardless; reminders go out, once each, when Redis is back.

This test runs its own redis-server on a free loopback port (no persistence, so a
restart loses every message, as a crashed broker would): the shared Redis is never
stopped."""

from __future__ import annotations

import logging
import secrets
import time

import pytest
from django.utils import timezone

from screening.domain.review import review_record
from screening.models import IntakeDraft, Reminder, Review, Submission
from screening.reminders import dispatch, emails
from tests.integration import outbox
from tests.integration.conftest import wait_until

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SEND_TIMEOUT = 60


@pytest.fixture
def broker_url(private_redis) -> str:
    """This module's broker: the private redis-server, for this process and the worker."""
    return private_redis.url


def _arrivals(count: int, clinician, tag: str) -> tuple[list[Submission], list[IntakeDraft]]:
    """`count` intakes sent on the web and decided by a clinician (follow-up and blood test
    reminders), and `count` saved to finish later (resume reminders)."""
    sent, saved = [], []
    for index in range(count):
        submission = outbox.intake_sent(
            outbox.unique_name(), f"{tag}-sent{index}-{secrets.token_hex(3)}@example.com"
        )
        review_record(
            submission=submission,
            by=clinician,
            outcomes=[Review.Outcome.ORDER_B12_TEST],
            note="",
        )
        sent.append(submission)
        saved.append(
            outbox.intake_saved_for_later(
                outbox.unique_name(), f"{tag}-saved{index}-{secrets.token_hex(3)}@example.com"
            )
        )
    return sent, saved


def _reminders_of(sent: list[Submission], saved: list[IntakeDraft]) -> list[Reminder]:
    rows = list(Reminder.objects.filter(submission__in=sent)) + list(
        Reminder.objects.filter(draft__in=saved)
    )
    return sorted(rows, key=lambda row: row.pk)


def test_intakes_arriving_while_redis_is_down_are_kept_and_reminded_once_it_is_back(
    private_redis, workers, smtp, live_celery, caplog
):
    clinician = outbox.clinician_on_duty()
    worker = workers.start(concurrency=1)

    private_redis.stop()

    # Intakes arrive while the broker is down: nothing on the web path needs it.
    early_sent, early_saved = _arrivals(2, clinician, "early")
    early = _reminders_of(early_sent, early_saved)
    # A sent intake: its confirmation, then the review's follow-up and blood test; a
    # saved one: the link asked for, and the reminder if it is not finished.
    assert sorted(row.kind for row in early) == sorted(
        ["confirmation", "follow_up", "blood_test"] * 2 + ["intake_saved", "unfinished_intake"] * 2
    )
    outbox.make_due([row.pk for row in early])

    # A dispatch run during the outage claims the due rows but cannot hand them over:
    # it says so in the log and puts them back to pending at once.
    with caplog.at_level(logging.ERROR, logger="screening.reminders.dispatch"):
        dispatch.reminders_dispatch()
    assert outbox.statuses([row.pk for row in early]) == {"pending": len(early)}
    assert any(m.startswith("broker unreachable (") for m in caplog.messages), caplog.messages
    logged = "\n".join(caplog.messages)
    assert not any(emails.recipient(row) in logged for row in early)  # no address logged

    # More intakes arrive, still during the outage.
    late_sent, late_saved = _arrivals(2, clinician, "late")
    late = _reminders_of(late_sent, late_saved)
    outbox.make_due([row.pk for row in late])
    assert Submission.objects.filter(pk__in=[s.pk for s in early_sent + late_sent]).count() == 4
    assert IntakeDraft.objects.filter(pk__in=[d.pk for d in early_saved + late_saved]).count() == 4
    rows = early + late
    ids = [row.pk for row in rows]
    assert len(ids) == 20
    assert smtp.handler.received() == []

    # Redis is back, empty: whatever was in it is gone. The worker reconnects by itself.
    private_redis.start()
    wait_until(
        lambda: worker.log().count("Connected to redis://") >= 2,
        timeout=SEND_TIMEOUT,
        message=lambda: f"the worker to reconnect:\n{worker.log()[-2000:]}",
    )

    # The next dispatch sends them all, those it handed back during the outage included.
    assert dispatch.reminders_dispatch().claimed == len(ids)
    wait_until(
        lambda: outbox.all_final(ids) and worker.idle(),
        timeout=SEND_TIMEOUT,
        steady_for=1,
        message=lambda: f"all sent: {outbox.describe(ids)}\n{worker.log()[-2000:]}",
    )

    assert outbox.statuses(ids) == {"sent": 20}
    assert smtp.handler.count_by_message_id() == dict.fromkeys(outbox.message_ids(rows), 1)
    assert {row.attempts for row in Reminder.objects.filter(pk__in=ids)} == {1}


# The lease scaled down from 30 s (tests/integration/test_reminder_faults.py does the same).
LEASE = 6
DISPATCH_EVERY = 1.0


def test_messages_lost_in_a_broker_restart_are_sent_again_by_the_next_dispatch_once(
    private_redis, workers, smtp, live_celery, settings
):
    """Rows queued, their messages waiting in the broker: older than the lease they are
    a backlog, left alone. Redis restarts empty: the next dispatch finds them lost
    (older than the lease, nothing waiting) and enqueues them again; each sent once."""
    settings.REMINDER_LEASE_SECONDS = LEASE
    rows = outbox.due_follow_ups(30)
    ids = [row.pk for row in rows]

    assert dispatch.reminders_dispatch().claimed == 30  # no worker yet: they wait
    assert dispatch.broker_waiting() == 2  # two chunks of REMINDER_SEND_CHUNK (20)
    wait_until(
        lambda: (
            Reminder.objects.filter(
                pk__in=ids, queued_at__lt=timezone.now() - dispatch.lease()
            ).count()
            == 30
        ),
        timeout=3 * LEASE,
        interval=0.5,
        message=lambda: outbox.describe(ids),
    )
    backlog = dispatch.reminders_dispatch()
    assert (backlog.requeued, backlog.claimed) == (0, 0)  # waiting in the broker: a backlog

    private_redis.stop()
    private_redis.start()  # empty: the two messages are gone
    fault = time.monotonic()
    assert dispatch.broker_waiting() == 0
    worker = workers.start(concurrency=2, env={"REMINDER_LEASE_SECONDS": str(LEASE)})

    runs = []
    while not outbox.all_final(ids):
        runs.append(dispatch.reminders_dispatch())
        assert time.monotonic() - fault < SEND_TIMEOUT, f"{runs}\n{worker.log()[-2000:]}"
        time.sleep(DISPATCH_EVERY)
    took = time.monotonic() - fault
    print(f"broker restarted empty: all sent {took:.1f} s after the restart")

    assert sum(run.requeued for run in runs) == 30, runs
    assert runs[0].requeued == 30  # the first dispatch after the fault: already past the lease
    assert outbox.statuses(ids) == {"sent": 30}
    assert smtp.handler.count_by_message_id() == dict.fromkeys(outbox.message_ids(rows), 1)
    assert {row.attempts for row in Reminder.objects.filter(pk__in=ids)} == {1}
