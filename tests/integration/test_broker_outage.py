"""Redis stops while intakes arrive. The intakes and their outbox rows are written to
PostgreSQL regardless; reminders go out, once each, when Redis is back.

This test runs its own redis-server on a free loopback port (no persistence, so a
restart loses every message, as a crashed broker would): the shared Redis is never
stopped."""

from __future__ import annotations

import logging
import secrets

import pytest

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
