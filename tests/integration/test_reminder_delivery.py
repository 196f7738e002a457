"""A reminder becomes due and is delivered exactly once, through the real pieces: intakes
posted to the web views, a clinician's decision, the dispatch task on a Celery worker
process (Redis broker, PostgreSQL test database) and an SMTP server on loopback. The
messages are read back and checked for the absence of health data."""

from __future__ import annotations

import datetime
import re
import secrets
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from screening import tasks
from screening.domain.review import review_record
from screening.models import IntakeDraft, Reminder, Review
from screening.reminders import links, scheduling
from tests.integration import outbox
from tests.integration.conftest import wait_until

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SEND_TIMEOUT = 45
LINK = re.compile(r"https?://[^\s<>\"]+")


def test_due_reminders_are_delivered_once_and_carry_no_health_data(
    workers, smtp, live_celery, clinic_midday
):
    # --- the events that cause reminders, through the real views and services ---
    name_a, name_b, name_c = (outbox.unique_name() for _ in range(3))
    address_a = f"a-{secrets.token_hex(3)}@example.com"
    address_b = f"b-{secrets.token_hex(3)}@example.com"
    address_c = f"c-{secrets.token_hex(3)}@example.com"
    clinician = outbox.clinician_on_duty()

    reviewed = outbox.intake_sent(name_a, address_a)
    note = "Tiredness and tingling, vegan on metformin: check B12 and folate"
    review_record(
        submission=reviewed,
        by=clinician,
        outcomes=[Review.Outcome.ORDER_B12_TEST],
        note=note,
    )
    draft = outbox.intake_saved_for_later(name_b, address_b)
    urgent = outbox.urgent_intake(name_c, address_c)
    assert urgent.level == "urgent"
    later = timezone.now() + datetime.timedelta(minutes=settings.ESCALATION_AFTER_MINUTES + 1)
    assert scheduling.reminders_schedule_escalations(now=later) == 1

    rows = list(Reminder.objects.order_by("pk"))
    assert sorted(row.kind for row in rows) == [
        "blood_test",
        "confirmation",
        "escalation",
        "follow_up",
        "intake_saved",
        "unfinished_intake",
        "urgent_new",
    ]
    # Sent at once (handed to the broker after the commit; no worker runs yet): the link
    # the patient asked for when saving, the sent form's confirmation, and the on-duty
    # clinician's "an urgent submission is waiting". None of the others is due yet.
    at_once = ("intake_saved", "confirmation", "urgent_new")
    assert {row.status for row in rows if row.kind not in at_once} == {"pending"}
    assert {row.status for row in rows if row.kind in at_once} <= {"pending", "queued"}
    assert all(row.due_at > timezone.now() for row in rows if row.kind not in at_once)
    ids = [row.pk for row in rows]
    outbox.make_due(ids)

    # --- beat's dispatch runs on a worker; the sends it enqueues go to the worker too ---
    worker = workers.start(concurrency=2)
    tasks.reminders_dispatch.delay()
    wait_until(
        lambda: outbox.all_final(ids),
        timeout=SEND_TIMEOUT,
        message=lambda: f"all reminders sent: {outbox.describe(ids)}\n{worker.log()[-3000:]}",
    )
    by_kind = {row.kind: row for row in Reminder.objects.filter(pk__in=ids)}
    assert {row.status for row in by_kind.values()} == {"sent"}, outbox.describe(ids)
    assert all(row.attempts == 1 and row.sent_at and not row.last_error for row in by_kind.values())

    # --- one message per reminder, to the right address ---
    received = smtp.handler.received()
    expected_ids = outbox.message_ids(by_kind.values())
    assert smtp.handler.count_by_message_id() == dict.fromkeys(expected_ids, 1)
    recipients = {msg.message_id: msg.rcpt_tos for msg in received}
    assert recipients[next(k for k, r in expected_ids.items() if r.kind == "follow_up")] == [
        address_a.lower()
    ]
    assert recipients[next(k for k, r in expected_ids.items() if r.kind == "blood_test")] == [
        address_a.lower()
    ]
    for kind in ("unfinished_intake", "intake_saved"):
        assert recipients[next(k for k, r in expected_ids.items() if r.kind == kind)] == [
            address_b.lower()
        ]
    for kind in ("escalation", "urgent_new"):
        assert recipients[next(k for k, r in expected_ids.items() if r.kind == kind)] == [
            clinician.email
        ]
    assert recipients[next(k for k, r in expected_ids.items() if r.kind == "confirmation")] == [
        address_a.lower()
    ]

    # --- no health data: not in the subject, the text, the HTML or any header ---
    reviewed_words = outbox.health_words_for(reviewed) + [note, "folate"]
    draft_words = outbox.GENERIC_HEALTH_WORDS + [name_b, *name_b.split()]
    urgent_words = outbox.health_words_for(urgent)
    # The check itself can see: a canary sentence trips it.
    canary = outbox.health_words_found(f"Dear {name_a}, tiredness; vegan.", reviewed_words)
    assert {name_a, "tiredness", "vegan"} <= set(canary)
    for msg in received:
        reminder = expected_ids[msg.message_id]
        whole = msg.raw.decode("utf-8", errors="replace") + "\n" + msg.text
        if reminder.kind in ("follow_up", "blood_test"):
            words = reviewed_words
        elif reminder.kind == "confirmation":
            # It gives the reference (the patient quotes it) and the same advice for
            # everyone on what to do if symptoms get worse ("chest pain ... call 999").
            general = {reviewed.reference.lower(), "chest pain"}
            words = [w for w in reviewed_words if str(w).lower() not in general]
        elif reminder.kind in ("unfinished_intake", "intake_saved"):
            words = draft_words
        else:
            # Staff: "an urgent submission has waited" is the point of the email; nothing
            # about which patient or what they answered.
            words = [w for w in urgent_words if w.lower() not in ("urgent",)]
            words += [name_a, name_b, address_c, urgent.reference]
            if reminder.kind == "escalation":  # the new urgent one links to its opaque id
                words.append(str(urgent.public_id))
        found = outbox.health_words_found(whole, [w for w in words if len(w) >= 3])
        assert found == [], f"{reminder.kind} email mentions {found}"

    # --- links are absolute, signed with this process's key, and name the reminder ---
    for kind, route_kind in (
        ("follow_up", "follow_up"),
        ("unfinished_intake", "unfinished"),
        ("intake_saved", "unfinished"),
    ):
        msg = next(m for m in received if expected_ids[m.message_id].kind == kind)
        urls = [u for u in LINK.findall(msg.text) if "/unsubscribe/" not in u]
        assert urls, f"{kind} email has no link"
        url = urlsplit(urls[0])
        assert f"{url.scheme}://{url.netloc}" == settings.SITE_URL.rstrip("/")
        token = url.path.rstrip("/").split("/")[-1]
        assert links.reminder_from_token(token, kind=kind) == by_kind[kind], route_kind
        assert msg.message["List-Unsubscribe"], "patient emails carry List-Unsubscribe"
    # The resume link, made by the worker, works in the patient's browser.
    resume = next(m for m in received if expected_ids[m.message_id].kind == "unfinished_intake")
    resume_path = urlsplit(
        next(u for u in LINK.findall(resume.text) if "/intake/resume/" in u)
    ).path
    browser = Client()
    assert browser.get(resume_path).status_code == 200  # "continue your form"
    assert IntakeDraft.objects.get(pk=draft.pk).data != {}
    response = browser.post(resume_path)
    assert response.status_code == 302, response.content[:300]
    assert IntakeDraft.objects.get(pk=draft.pk).data == {}  # back in the session only

    # --- exactly once: a second dispatch and a duplicate message for each send nothing ---
    again = [tasks.reminder_send.delay(reminder_id) for reminder_id in ids]
    again.append(tasks.reminders_dispatch.delay())
    for result in again:
        wait_until(
            lambda result=result: worker.task_done(result.id),
            timeout=SEND_TIMEOUT,
            message=lambda: f"duplicate tasks to finish:\n{worker.log()[-3000:]}",
        )
    for result in again[:-1]:
        assert "'skipped'" in worker.task_done(result.id)
    assert smtp.handler.count_by_message_id() == dict.fromkeys(expected_ids, 1)
    assert all(row.attempts == 1 for row in Reminder.objects.filter(pk__in=ids))
    assert outbox.statuses(ids) == {"sent": 7}


def test_saving_for_later_emails_the_link_at_once_and_it_resumes_the_same_day(
    workers, smtp, live_celery, clinic_midday, time_machine
):
    """The patient presses "Save and come back later": the very next dispatch, on a
    worker, sends the link through the real SMTP server (only that one: the later
    reminder waits its hours). Hours later, the session long gone, the link from the
    message puts the answers back in a new browser."""
    name, address = outbox.unique_name(), f"s-{secrets.token_hex(3)}@example.com"
    draft = outbox.intake_saved_for_later(name, address)
    link, later = (
        Reminder.objects.get(draft=draft, kind=kind)
        for kind in ("intake_saved", "unfinished_intake")
    )
    assert link.due_at <= timezone.now() < later.due_at

    worker = workers.start(concurrency=1)
    tasks.reminders_dispatch.delay()
    wait_until(
        lambda: outbox.all_final([link.pk]),
        timeout=SEND_TIMEOUT,
        message=lambda: f"the link sent: {outbox.describe([link.pk])}\n{worker.log()[-3000:]}",
    )
    link.refresh_from_db()
    later.refresh_from_db()
    assert (link.status, later.status) == ("sent", "pending")
    [message] = smtp.handler.received()
    assert message.rcpt_tos == [address.lower()]
    assert message.message_id in outbox.message_ids([link])
    whole = message.raw.decode("utf-8", errors="replace") + "\n" + message.text
    words = outbox.GENERIC_HEALTH_WORDS + [name, *name.split()]
    assert outbox.health_words_found(whole, [w for w in words if len(w) >= 3]) == []

    path = urlsplit(next(u for u in LINK.findall(message.text) if "/intake/resume/" in u)).path
    time_machine.move_to(
        timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE + 3600)
    )
    browser = Client()
    assert browser.get(path).status_code == 200
    response = browser.post(path)
    assert response["Location"] == "/intake/urgent/"
    assert browser.session["intake"]["steps"]["about-you"]["full_name"] == name
    assert IntakeDraft.objects.get(pk=draft.pk).data == {}
