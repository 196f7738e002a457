"""Faults on the way out: a worker killed mid-batch, four workers racing for the same due
set, and an SMTP server that refuses mail. Real worker processes, Redis, PostgreSQL and
SMTP on loopback; the outbox rows and the messages the server took are the evidence."""

from __future__ import annotations

import ast
import re
import signal
import time
from collections import Counter
from itertools import pairwise

import pytest
from django.test import Client

from screening import tasks
from screening.models import Reminder
from screening.reminders import delivery, dispatch
from screening.reminders.rows import INTERRUPTED
from tests.conftest import signed_in
from tests.integration import outbox
from tests.integration.conftest import wait_until

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SEND_TIMEOUT = 60
FAILED_PAGE = "/staff/reminders/failed/"


# The lease, scaled down from 30 s so that "about a minute" of recovery takes seconds here:
# the workers renew their stamps every LEASE / 3 s, and this process's dispatches (beat's,
# every minute in production) run every DISPATCH_EVERY s.
LEASE = 6
DISPATCH_EVERY = 1.0
LEASE_ENV = {"REMINDER_LEASE_SECONDS": str(LEASE)}


def _recovered_after(
    condition, *, since: float, timeout: float
) -> tuple[float, list[dispatch.Dispatched]]:
    """Run the dispatch every DISPATCH_EVERY s (beat's job) until `condition(runs)`
    holds; the seconds from `since` (time.monotonic()) and every run's counts."""
    runs: list[dispatch.Dispatched] = []
    deadline = time.monotonic() + timeout
    while True:
        runs.append(dispatch.reminders_dispatch())
        if condition(runs):
            return time.monotonic() - since, runs
        if time.monotonic() > deadline:
            pytest.fail(f"not recovered in {timeout:.0f} s: {runs}")
        time.sleep(DISPATCH_EVERY)


def _failed_page(clinician) -> str:
    response = signed_in(Client(), clinician).get(FAILED_PAGE)
    assert response.status_code == 200
    return response.content.decode()


def _outcomes(log: str) -> Counter:
    """What a worker's send tasks reported: `reminder_send` one outcome each,
    `reminders_send` (a dispatcher's chunk) a count per outcome."""
    counts = Counter(re.findall(r"\breminder_send\[[\w-]+\] succeeded in \S+ '(\w+)'", log))
    for result in re.findall(r"\breminders_send\[[\w-]+\] succeeded in \S+ (\{[^}]*\})", log):
        counts.update(ast.literal_eval(result))
    return counts


# --- (b) a worker killed in the middle of a batch -------------------------------------


def test_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    workers, smtp, live_celery, settings
):
    settings.REMINDER_LEASE_SECONDS = LEASE  # this process's dispatches
    rows = outbox.due_follow_ups(16)
    ids = [row.pk for row in rows]
    by_message_id = outbox.message_ids(rows)
    smtp.handler.delay = 0.1
    # The 5th message is taken by the server, which then waits before saying "250": the
    # worker sending it is stuck mid-send, slow but alive, and then killed.
    smtp.handler.hold_at(5, seconds=45)

    # EMAIL_TIMEOUT longer than the hold: the worker waits for the answer, alive.
    first = workers.start(concurrency=2, env={**LEASE_ENV, "EMAIL_TIMEOUT": "60"})
    assert dispatch.reminders_dispatch().claimed == 16
    wait_until(
        smtp.handler.held.is_set,
        timeout=SEND_TIMEOUT,
        message=lambda: f"the 5th message: {outbox.describe(ids)}\n{first.log()[-2000:]}",
    )
    held = smtp.handler.received()[4].message_id
    held_row = by_message_id[held]

    # A second worker, for what the first leaves (all 16 are one chunk, the first's).
    second = workers.start(concurrency=2, env=LEASE_ENV)

    # Slow but alive: two leases later, its heartbeat has kept every dispatch off it.
    held_since = time.monotonic()
    _took, runs = _recovered_after(
        lambda runs: time.monotonic() > held_since + 2 * LEASE, since=held_since, timeout=3 * LEASE
    )
    assert sum(run.interrupted + run.requeued for run in runs) == 0, runs
    assert Reminder.objects.get(pk=held_row.pk).status == "sending"

    first.kill(signal.SIGKILL)  # the worker and its pool processes, no warm shutdown
    first.process.wait(timeout=10)
    killed = time.monotonic()

    at_kill = outbox.statuses(ids)
    assert at_kill["sent"] >= 1, at_kill  # some went out before the kill...
    assert at_kill["sending"] >= 1, at_kill  # ...one was mid-send (the held one)...
    assert at_kill["queued"] >= 1, at_kill  # ...and some had not started: mid-batch
    assert sum(at_kill.values()) == 16  # nothing lost from the outbox
    received_at_kill = len(smtp.handler.received())

    # What the killed worker held (acks_late) is not redelivered before the broker's
    # visibility timeout (an hour): its rows wait in sending and queued until their lease
    # runs out, then the next dispatch fails the one whose data went (never resent: SMTP
    # may have taken it) and enqueues the rest again, for the second worker.
    took, runs = _recovered_after(
        lambda runs: (
            not Reminder.objects.filter(pk__in=ids, status="sending").exists()
            and sum(run.requeued for run in runs) > 0
        ),
        since=killed,
        timeout=4 * LEASE,
    )
    interrupted = sum(run.interrupted for run in runs)
    assert 1 <= interrupted <= 2, runs  # at most what the killed worker was sending
    # Recovered one lease after the worker's last beat (every LEASE / 3 s), plus at most
    # one dispatch period: 30 s + a minute at most with the defaults, about a minute.
    assert took <= LEASE + DISPATCH_EVERY + 3, (took, runs)
    assert not any(run.interrupted or run.requeued for run in runs[:1]), runs  # not at once
    print(f"worker SIGKILL: recovered {took:.1f} s after the kill (lease {LEASE} s)")
    wait_until(
        lambda: outbox.all_final(ids) and second.idle(),
        timeout=SEND_TIMEOUT,
        message=lambda: f"all final: {outbox.describe(ids)}\n{second.log()[-2000:]}",
    )

    counts = smtp.handler.count_by_message_id()
    assert set(counts) <= set(by_message_id)
    assert max(counts.values()) == 1, f"a reminder was received twice: {counts}"
    final = {row.pk: row for row in Reminder.objects.filter(pk__in=ids)}
    failed = [row for row in final.values() if row.status == "failed"]
    for message_id, row in by_message_id.items():
        row = final[row.pk]
        assert row.status in ("sent", "failed"), row.status
        if row.status == "sent":
            assert counts[message_id] == 1, row.key
        else:
            assert row.last_error.startswith(INTERRUPTED), row.last_error
            assert counts[message_id] <= 1
    # The held message reached the server, so its reminder must not go out again.
    assert final[by_message_id[held].pk].status == "failed"
    assert counts[held] == 1
    assert 1 <= len(failed) <= 2  # at most what the killed worker was sending (concurrency)
    assert len(smtp.handler.received()) > received_at_kill  # the batch went on after
    assert outbox.statuses(ids)["sent"] == 16 - len(failed)

    # Failed ones are on the staff page, with the retry button and the error.
    page = _failed_page(outbox.clinician_on_duty())
    for row in failed:
        assert f'value="{row.public_id}"' in page
    assert "interrupted while sending" in page


# --- (c) four workers on the same due set -------------------------------------------


def test_four_workers_on_the_same_due_set_send_each_reminder_once(workers, smtp, live_celery):
    rows = outbox.due_follow_ups(40)
    ids = [row.pk for row in rows]
    by_message_id = outbox.message_ids(rows)
    smtp.handler.delay = 0.05
    env = {"REMINDER_BATCH_SIZE": "10"}  # each dispatcher claims a slice of the due set
    four = [workers.start(concurrency=1, env=env, wait=False) for _ in range(4)]
    for worker in four:
        workers.wait_ready(worker)

    # Four dispatch runs at once, one per worker, and a duplicate send for every reminder
    # (a redelivered message): they all race for the same 40 rows.
    for _ in range(4):
        tasks.reminders_dispatch.delay()
    for reminder_id in ids:
        tasks.reminder_send.delay(reminder_id)

    def quiet():
        return live_celery.queue_length() == 0 and all(worker.idle() for worker in four)

    wait_until(quiet, timeout=SEND_TIMEOUT, steady_for=1, message=lambda: outbox.describe(ids))
    # Whatever the four runs left (a dispatcher skips rows another has locked) goes now.
    claimed_here = dispatch.reminders_dispatch().claimed
    wait_until(
        lambda: outbox.all_final(ids) and quiet(),
        timeout=SEND_TIMEOUT,
        message=lambda: f"all sent: {outbox.describe(ids)}",
    )

    assert outbox.statuses(ids) == {"sent": 40}
    assert smtp.handler.count_by_message_id() == dict.fromkeys(by_message_id, 1)
    assert {row.attempts for row in Reminder.objects.filter(pk__in=ids)} == {1}

    # Every id was handled twice: once from a dispatcher's chunk, once as a duplicate.
    # (What this process's last dispatch claimed went to the workers too.)
    wait_until(
        lambda: sum(sum(_outcomes(w.log()).values()) for w in four) >= 80,
        timeout=SEND_TIMEOUT,
        message=lambda: "80 sends to finish",
    )
    logs = [worker.log() for worker in four]
    claimed = [
        int(n) for log in logs for n in re.findall(r"reminders dispatched: (\d+) claimed", log)
    ]
    assert sum(claimed) + claimed_here == 40, claimed  # every row claimed exactly once
    assert max(claimed, default=0) <= 10
    outcomes = [_outcomes(log) for log in logs]
    assert sum(outcomes, Counter()) == {"sent": 40, "skipped": 40}  # every duplicate skipped
    sent_by_worker = [counts["sent"] for counts in outcomes]
    assert sum(1 for sent in sent_by_worker if sent) >= 2, sent_by_worker  # really shared


# --- (d) the SMTP server refuses mail -----------------------------------------------


def test_smtp_refusals_transient_retry_with_backoff_permanent_fail_with_error(
    workers, smtp, live_celery, settings
):
    transient_once, transient_always, permanent_data, permanent_rcpt = outbox.due_follow_ups(4)
    ids = [transient_once.pk, transient_always.pk, permanent_data.pk, permanent_rcpt.pk]
    address = {row.pk: row.patient.email for row in Reminder.objects.select_related("patient")}
    busy = "451 4.3.0 Mail server temporarily busy"
    smtp.handler.refuse_for(address[transient_once.pk], busy)
    smtp.handler.refuse_for(address[transient_always.pk], busy, busy, busy)
    smtp.handler.refuse_for(address[permanent_data.pk], "554 5.6.0 Message rejected")
    smtp.handler.refuse_for(address[permanent_rcpt.pk], "550 5.1.1 No such mailbox", stage="rcpt")
    # Three attempts, 3 s then 6 s apart (REMINDER_RETRY_BACKOFF_SECONDS, doubled).
    settings.REMINDER_RETRY_BACKOFF_SECONDS = 3
    first_wait, second_wait = delivery.retry_backoff(1), delivery.retry_backoff(2)
    assert (first_wait, second_wait) == (3, 6)
    worker = workers.start(
        concurrency=2,
        env={"REMINDER_MAX_ATTEMPTS": "3", "REMINDER_RETRY_BACKOFF_SECONDS": "3"},
    )
    assert dispatch.reminders_dispatch().claimed == 4

    # Permanent refusals fail at once; transient ones wait for their retry meanwhile.
    wait_until(
        lambda: (
            Reminder.objects.filter(pk__in=ids[2:], status="failed").count() == 2
            and Reminder.objects.filter(pk__in=ids[:2], attempts=1, status="queued").count() == 2
        ),
        timeout=SEND_TIMEOUT,
        interval=0.1,
        message=lambda: f"first attempts: {outbox.describe(ids)}\n{worker.log()[-2000:]}",
    )
    waiting = Reminder.objects.get(pk=transient_once.pk)
    assert "451" in waiting.last_error  # the error is kept while it waits
    assert smtp.handler.received() == []

    wait_until(
        lambda: outbox.all_final(ids),
        timeout=first_wait + second_wait + SEND_TIMEOUT,
        interval=0.5,
        message=lambda: f"retries: {outbox.describe(ids)}\n{worker.log()[-2000:]}",
    )
    final = {row.pk: row for row in Reminder.objects.filter(pk__in=ids)}

    # 451 once: sent on the second attempt, after the first backoff.
    sent = final[transient_once.pk]
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 2, "")
    refusals = {r.rcpt_tos[0]: [] for r in smtp.handler.refused()}
    for refusal in smtp.handler.refused():
        refusals[refusal.rcpt_tos[0]].append(refusal)
    delivered = [m for m in smtp.handler.received() if m.rcpt_tos == [address[sent.pk]]]
    assert len(delivered) == 1
    assert delivered[0].at - refusals[address[sent.pk]][0].at >= first_wait - 0.5

    # 451 every time: failed after REMINDER_MAX_ATTEMPTS, with the last error, not sent;
    # the wait before the third attempt was twice the first.
    gave_up = final[transient_always.pk]
    assert (gave_up.status, gave_up.attempts) == ("failed", 3)
    assert "451" in gave_up.last_error
    tries = [refusal.at for refusal in refusals[address[gave_up.pk]]]
    assert len(tries) == 3
    waits = [later - earlier for earlier, later in pairwise(tries)]
    assert waits[0] >= first_wait - 0.5, waits
    assert waits[1] >= second_wait - 0.5, waits
    assert waits[1] > waits[0], waits

    # 5xx: failed after one attempt, the error kept (without the address).
    for row, code in ((final[permanent_data.pk], "554"), (final[permanent_rcpt.pk], "550")):
        assert (row.status, row.attempts) == ("failed", 1), row.key
        assert code in row.last_error
        assert address[row.pk] not in row.last_error
        assert len(refusals[address[row.pk]]) == 1

    assert Counter(m.rcpt_tos[0] for m in smtp.handler.received()) == {address[sent.pk]: 1}
    page = _failed_page(outbox.clinician_on_duty())
    for row in (gave_up, final[permanent_data.pk], final[permanent_rcpt.pk]):
        assert f'value="{row.public_id}"' in page
