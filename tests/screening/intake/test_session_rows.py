"""The intake keeps nothing in django_session until the patient sends a page, and the
draft it keeps there has a bounded age (INTAKE_SESSION_DRAFT_HOURS).

An abandoned draft in a session row holds a name, a date of birth and symptoms: a
visitor who only looks at the pages, a link checker or a crawler must not leave rows
behind (each GET a row was a row per visit), and a session kept alive by activity must
not keep a draft for ever.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from screening.intake import steps as intake
from screening.models import Reminder
from screening.reminders import links
from screening.reminders.unsubscribe import unsubscribe_url
from tests.conftest import CHECK_URL, CONSENT_URL, INTAKE_MOMENT, STEP_URLS, VALID_PAGES
from tests.factories import IntakeDraftFactory, ReminderFactory, SubmissionFactory
from tests.screening.staff import test_url_permissions as url_walk

pytestmark = pytest.mark.django_db

# Every patient page, found by the URL walk (path parameters get a made-up value).
PATIENT_ROUTES = [
    route for route in url_walk.ROUTES if route.name.split(":")[0] in {"screening", "reminders"}
]


def _sessions() -> int:
    return Session.objects.count()


def _email_link_pages() -> list[str]:
    """The pages links in emails open, with working tokens."""
    follow_up = ReminderFactory(kind=Reminder.Kind.FOLLOW_UP, submission=SubmissionFactory())
    resume = ReminderFactory(
        kind=Reminder.Kind.UNFINISHED_INTAKE, submission=None, draft=IntakeDraftFactory()
    )
    token = links.reminder_link_token(follow_up)
    return [
        f"/follow-up/{token}/",
        f"/follow-up/{token}/urgent/",
        f"/intake/resume/{links.reminder_link_token(resume)}/",
        urlsplit(unsubscribe_url(follow_up)).path,
    ]


def test_the_walk_finds_every_question_page():
    paths = {route.path for route in PATIENT_ROUTES}
    assert set(STEP_URLS.values()) | {"/", CHECK_URL} <= paths


def test_looking_at_every_patient_page_keeps_no_session(frozen_day):
    seen = []
    for url in [*(route.path for route in PATIENT_ROUTES), *_email_link_pages()]:
        response = Client().get(url)
        seen.append((url, response.status_code))
        assert _sessions() == 0, url
        assert "sessionid" not in response.cookies, url
    assert (CONSENT_URL, 200) in seen  # the first page that asks anything
    assert ("/", 200) in seen


def test_one_browser_walking_the_question_pages_keeps_no_session(client, frozen_day):
    for url in ["/", *STEP_URLS.values(), CHECK_URL, "/intake/done/", "/intake/saved/"]:
        client.get(url, follow=True)
    assert _sessions() == 0


def test_choosing_a_language_keeps_no_session(client, db):
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    assert response.status_code == 302
    client.get(STEP_URLS["about-you"])
    assert _sessions() == 0


def test_the_agreement_sent_without_agreeing_keeps_no_session(client, frozen_day):
    response = client.post(CONSENT_URL, {})
    assert response.status_code == 200
    assert _sessions() == 0


def test_a_question_sent_before_the_agreement_keeps_no_session(client, frozen_day):
    response = client.post(STEP_URLS["about-you"], VALID_PAGES["about-you"])
    assert response.status_code == 302
    assert response["Location"] == CONSENT_URL
    assert _sessions() == 0


def _agree(client) -> None:
    assert client.post(CONSENT_URL, {"care_consent": "yes"}).status_code == 302


def test_the_first_page_sent_makes_the_session(journey):
    journey.get("/")
    journey.get(CONSENT_URL)
    assert _sessions() == 0

    journey.consent()  # the agreement is the first page sent
    assert _sessions() == 1
    response = journey.answer("about-you")

    assert response.status_code == 302
    session = Session.objects.get()
    assert session.get_decoded()["intake"]["steps"]["about-you"]["full_name"] == "Ann Example"
    journey.answer("pregnancy")
    assert _sessions() == 1


def test_the_first_page_starts_the_draft_on_the_day_it_is_sent(client, time_machine):
    """The page was opened before midnight and sent after it (within the session's idle
    time): the intake day is the day it was sent."""
    time_machine.move_to(INTAKE_MOMENT + datetime.timedelta(hours=11, minutes=30), tick=False)
    client.get("/")
    client.get(CONSENT_URL)
    time_machine.move_to(INTAKE_MOMENT + datetime.timedelta(hours=12, minutes=30), tick=False)

    _agree(client)
    client.post(STEP_URLS["about-you"], VALID_PAGES["about-you"])

    draft = intake.draft_load(client.session)
    assert draft.intake_date == INTAKE_MOMENT.date() + datetime.timedelta(days=1)


# --- the draft's age -----------------------------------------------------------------------


def test_a_draft_older_than_its_limit_is_dropped_from_the_session(client, time_machine, settings):
    """A session kept alive (a request each hour, never idle for SESSION_COOKIE_AGE)
    still loses the draft INTAKE_SESSION_DRAFT_HOURS after it started."""
    settings.INTAKE_SESSION_DRAFT_HOURS = 12
    time_machine.move_to(INTAKE_MOMENT, tick=False)
    _agree(client)
    client.post(STEP_URLS["about-you"], VALID_PAGES["about-you"])
    for hour in range(1, 12):
        time_machine.move_to(INTAKE_MOMENT + datetime.timedelta(hours=hour), tick=False)
        assert client.get(STEP_URLS["pregnancy"]).status_code == 200, hour

    time_machine.move_to(INTAKE_MOMENT + datetime.timedelta(hours=12, minutes=1), tick=False)
    response = client.get(STEP_URLS["pregnancy"])

    assert response.status_code == 302
    assert response["Location"] == CONSENT_URL
    stored = Session.objects.get().get_decoded()
    assert "intake" not in stored
    assert "Ann Example" not in str(stored)


def test_a_draft_within_its_limit_is_kept(client, time_machine, settings):
    settings.INTAKE_SESSION_DRAFT_HOURS = 12
    time_machine.move_to(INTAKE_MOMENT, tick=False)
    _agree(client)
    client.post(STEP_URLS["about-you"], VALID_PAGES["about-you"])
    time_machine.move_to(INTAKE_MOMENT + datetime.timedelta(hours=1), tick=False)

    assert client.get(STEP_URLS["pregnancy"]).status_code == 200
    assert "intake" in Session.objects.get().get_decoded()


def test_a_restored_draft_starts_its_session_life_again(client, time_machine, settings):
    """Resuming a saved intake puts it in the session as new: its age counts from then."""
    settings.INTAKE_SESSION_DRAFT_HOURS = 12
    time_machine.move_to(INTAKE_MOMENT, tick=False)
    session = {}
    draft = intake.draft_new(today=INTAKE_MOMENT.date())
    data = draft.as_data()
    later = INTAKE_MOMENT + datetime.timedelta(days=3)
    time_machine.move_to(later, tick=False)

    restored = intake.draft_restore(session, data=data, saved_draft="x", today=later.date())

    assert restored.started_at == later
    assert intake.draft_load(session) == restored


def test_a_draft_from_before_the_limit_existed_counts_from_its_intake_day(time_machine, settings):
    """A session draft written before started_at was kept: its age counts from the start
    of its intake day (clinic time)."""
    settings.INTAKE_SESSION_DRAFT_HOURS = 6
    time_machine.move_to(INTAKE_MOMENT, tick=False)  # midday
    session = {}
    data = intake.draft_new(today=INTAKE_MOMENT.date()).as_data()
    del data["started_at"]
    session[intake.SESSION_KEY] = data

    assert intake.draft_load(session) is None  # 12 hours since the day began
    assert intake.SESSION_KEY not in session
    settings.INTAKE_SESSION_DRAFT_HOURS = 13
    session[intake.SESSION_KEY] = data
    assert intake.draft_load(session) is not None
