"""Session rows hold intake drafts (names, dates of birth, symptoms): expired rows are
deleted on a schedule, and erasing a patient deletes the sessions that mention them."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from screening import schedules, tasks
from screening.domain import retention, sessions
from screening.models import Patient, Reminder
from screening.reminders import links
from screening.web.sessions import SessionStore
from tests.conftest import (
    ALL_NO_RED_FLAGS,
    CONSENT_URL,
    FOLLOW_UP_SYMPTOMS,
    STEP_URLS,
    VALID_PAGES,
    Journey,
)
from tests.factories import ReminderFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 6, 15, 11, 0, tzinfo=datetime.UTC)


def _session(*, expires_in: datetime.timedelta, **data) -> str:
    store = SessionStore()
    store.update(data)
    store.set_expiry(timezone.now() + expires_in)
    store.save()
    return store.session_key


# --- clearing expired sessions ------------------------------------------------------------


def test_expired_sessions_are_deleted_and_live_ones_kept(time_machine):
    time_machine.move_to(NOW, tick=False)
    expired = _session(expires_in=-datetime.timedelta(seconds=1), intake={"name": "Ann"})
    live = _session(expires_in=datetime.timedelta(minutes=5), intake={"name": "Bea"})

    assert sessions.sessions_clear_expired(now=timezone.now()) == 1

    assert set(Session.objects.values_list("session_key", flat=True)) == {live}
    assert not Session.objects.filter(session_key=expired).exists()


def test_clearing_twice_deletes_nothing_more(time_machine):
    time_machine.move_to(NOW, tick=False)
    _session(expires_in=-datetime.timedelta(hours=1))
    _session(expires_in=datetime.timedelta(hours=1))

    assert sessions.sessions_clear_expired(now=timezone.now()) == 1
    assert sessions.sessions_clear_expired(now=timezone.now()) == 0
    assert Session.objects.count() == 1


def test_an_abandoned_intake_is_gone_after_the_session_age(client, time_machine, settings):
    """A patient stops after "About you": the row (name, email, date of birth) is deleted
    by the first run after SESSION_COOKIE_AGE without a request."""
    time_machine.move_to(NOW, tick=False)
    client.post(CONSENT_URL, {"care_consent": "yes"})
    client.post(STEP_URLS["about-you"], VALID_PAGES["about-you"])
    assert Session.objects.count() == 1

    time_machine.move_to(NOW + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60))
    assert tasks.sessions_clear.delay().get() == 0
    time_machine.move_to(NOW + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60))
    assert tasks.sessions_clear.delay().get() == 1

    assert Session.objects.count() == 0


def test_sessions_are_cleared_every_quarter_hour_from_the_schedule():
    (periodic,) = [
        p for p in schedules.periodic_tasks() if p.task == "screening.tasks.sessions_clear"
    ]
    assert periodic.schedule == schedules.Every(minutes=15)
    assert periodic.name == "Clear expired sessions"


# --- erasure ------------------------------------------------------------------------------


@pytest.fixture
def browsers(frozen_day, clinician_client):
    """Ann sent an intake (her browser keeps its reference) and has a follow-up under
    way in another browser and a new intake in a third; Bea has an intake in progress;
    a clinician is signed in."""
    ann_sent = Journey(Client())
    ann_sent.answer_all()
    ann_sent.submit()
    patient = Patient.objects.get()
    follow_up = ReminderFactory(kind=Reminder.Kind.FOLLOW_UP, submission=patient.submissions.get())
    ann_follow_up = Client()
    token = links.reminder_link_token(follow_up)
    ann_follow_up.post(f"/follow-up/{token}/", FOLLOW_UP_SYMPTOMS)
    ann_again = Client()  # the email as typed: other capitals
    ann_again.post(CONSENT_URL, {"care_consent": "yes"})
    ann_again.post(
        STEP_URLS["about-you"], {**VALID_PAGES["about-you"], "email": " ANN.EXAMPLE@example.com"}
    )
    bea = Client()
    bea.post(CONSENT_URL, {"care_consent": "yes"})
    bea.post(
        STEP_URLS["about-you"],
        {**VALID_PAGES["about-you"], "full_name": "Bea", "email": "bea@example.com"},
    )
    keys = {
        name: browser.session.session_key
        for name, browser in {
            "ann_sent": ann_sent.client,
            "ann_follow_up": ann_follow_up,
            "ann_again": ann_again,
            "bea": bea,
            "clinician": clinician_client,
        }.items()
    }
    assert None not in keys.values()
    assert Session.objects.count() == 5
    return {"patient": patient, "keys": keys}


def _left(keys: dict[str, str]) -> set[str]:
    stored = set(Session.objects.values_list("session_key", flat=True))
    return {name for name, key in keys.items() if key in stored}


def test_erasing_a_patient_deletes_the_sessions_that_mention_them(browsers, clinician):
    erased = retention.patient_erase(
        patient=browsers["patient"], reason="patient_request", by=clinician
    )

    assert _left(browsers["keys"]) == {"bea", "clinician"}
    assert erased.sessions == 3


def test_erasing_through_the_staff_page_deletes_the_sessions(browsers, clinician_client):
    patient = browsers["patient"]
    response = clinician_client.post(
        f"/staff/patients/{patient.public_id}/erase/",
        {"reason": "patient_request", "confirmation": "ERASE"},
    )

    assert response.status_code == 302
    assert _left(browsers["keys"]) == {"bea", "clinician"}


def test_the_erase_page_says_forms_under_way_go_too(clinician_client, browsers):
    page = clinician_client.get(f"/staff/patients/{browsers['patient'].public_id}/erase/")
    assert "any form the patient is filling in now" in page.content.decode()


def test_a_follow_up_in_progress_is_found_by_its_reminder(browsers, clinician):
    """The follow-up's session holds no name or email, only the reminder's id and answers."""
    key = browsers["keys"]["ann_follow_up"]
    data = Session.objects.get(session_key=key).get_decoded()
    assert "Ann" not in str(data)

    retention.patient_erase(patient=browsers["patient"], reason="patient_request", by=clinician)

    assert not Session.objects.filter(session_key=key).exists()


def test_the_retention_run_leaves_live_sessions_alone(browsers, settings):
    """Retention erases records years after their last submission; a session naming the
    same email is that person's new visit, not the old record, and ends on its own."""
    settings.RETENTION_DAYS = 1
    Patient.objects.update(created_at=NOW - datetime.timedelta(days=400))
    browsers["patient"].submissions.update(submitted_at=NOW - datetime.timedelta(days=400))

    run = retention.retention_apply(now=timezone.now())

    assert run.erased == [str(browsers["patient"].public_id)]
    assert Session.objects.count() == 5


def test_a_session_that_cannot_be_read_is_left_alone(db, clinician):
    Session.objects.create(
        session_key="x" * 32, session_data="not signed", expire_date=timezone.now()
    )

    assert sessions.sessions_mentioning_delete(values={"ann@example.com"}) == 0
    assert Session.objects.count() == 1


def test_the_one_session_among_many_is_found(db):
    """The erasure decodes every row (signed JSON, not searchable in SQL), in chunks;
    measured at about 0.2 ms a row on an idle core (docs/security.md, "Data hygiene")."""
    expire = timezone.now() + datetime.timedelta(hours=1)
    store = SessionStore()
    rows = [
        Session(
            session_key=f"{n:032d}",
            session_data=store.encode(
                {"intake": {"steps": {"about-you": {"email": f"p{n}@example.com"}}}}
            ),
            expire_date=expire,
        )
        for n in range(1200)
    ]
    Session.objects.bulk_create(rows)

    assert sessions.sessions_mentioning_delete(values={"P1199@example.com"}) == 1
    assert sessions.sessions_mentioning_delete(values={"p1@example.com"}) == 1  # not p10, p11
    assert Session.objects.count() == 1198


def test_a_session_is_found_by_any_key_or_value_in_it(db):
    """The search looks at every key and value in the session, whatever the page, and
    compares without regard to case."""
    key = _session(
        expires_in=datetime.timedelta(hours=1),
        follow_up={"5f0c2a9e-0000-4000-8000-000000000001": {"urgent": ALL_NO_RED_FLAGS}},
    )
    _session(expires_in=datetime.timedelta(hours=1), follow_up={"other": {}})

    assert sessions.sessions_mentioning_delete(values={"5F0C2A9E-0000-4000-8000-000000000001"}) == 1
    assert not Session.objects.filter(session_key=key).exists()
