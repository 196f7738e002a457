"""Save and come back later: the draft row, its one reminder, and the resume link."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from screening.domain.drafts import intake_draft_resume
from screening.domain.queries.answers import submission_answers
from screening.domain.queries.records import submission_current_result
from screening.intake import steps as intake
from screening.models import IntakeDraft, Reminder, Submission
from screening.reminders import links
from tests.conftest import (
    CHECK_URL,
    DONE_URL,
    HELP_URL,
    INTAKE_MOMENT,
    STEP_URLS,
    VALID_ANSWERS,
    VALID_PAGES,
)
from tests.factories import IntakeDraftFactory, ReminderFactory

SAVED_URL = "/intake/saved/"


def _save(journey, slug: str, **changes):
    """Press "Save and come back later" on a page, with its valid answers changed by `changes`."""
    return journey.post(STEP_URLS[slug], {**VALID_PAGES[slug], **changes, "action": "save"})


def _resume_url(reminder: Reminder) -> str:
    return f"/intake/resume/{links.reminder_link_token(reminder)}/"


def _saved_until_symptoms(journey) -> Reminder:
    """Answer about you, pregnancy and the symptoms checklist, then save on the symptoms'
    details page: what comes next is the urgent page."""
    journey.answer("about-you")
    journey.answer("pregnancy")
    journey.answer("symptoms")
    _save(journey, "symptom-details-1")
    return Reminder.objects.get(kind=Reminder.Kind.UNFINISHED_INTAKE)


# --- Saving ---------------------------------------------------------------------------


def test_save_button_is_on_every_page_after_about_you(journey):
    assert 'value="save"' not in journey.get(STEP_URLS["about-you"]).content.decode()
    journey.answer("about-you")
    for slug in [slug for slug in STEP_URLS if slug != "about-you"]:
        page = journey.get(STEP_URLS[slug]).content.decode()
        assert '<button type="submit" name="action" value="save"' in page, slug
        # Continue stays the first button: pressing Enter in a field continues.
        assert page.index(">Continue<") < page.index("Save and come back later")
        journey.answer(slug)


def test_without_email_consent_there_is_no_save_button_and_the_page_says_why(journey):
    journey.answer("about-you", contact_consent="no")
    page = journey.get(STEP_URLS["pregnancy"]).content.decode()
    assert 'value="save"' not in page
    assert "To save your answers and come back later, we email you a link." in page


def test_save_stores_the_draft_and_schedules_its_reminder(journey, settings):
    journey.answer("about-you")
    journey.answer("pregnancy")
    response = _save(journey, "symptoms")
    assert (response.status_code, response["Location"]) == (302, SAVED_URL)

    saved = IntakeDraft.objects.get()
    session_draft = journey.client.session["intake"]
    assert session_draft["saved_draft"] == str(saved.public_id)
    assert saved.email == "ann.example@example.com"
    assert saved.language == "en"
    assert saved.expires_at == INTAKE_MOMENT + datetime.timedelta(days=settings.INTAKE_DRAFT_DAYS)
    assert saved.submitted_at is None
    assert saved.data == {**session_draft, "saved_draft": None}  # the id comes with the link
    assert set(saved.data["steps"]) == {"about-you", "pregnancy", "symptoms"}
    reminder = Reminder.objects.get(kind=Reminder.Kind.UNFINISHED_INTAKE)
    assert (reminder.draft, reminder.status) == (saved, Reminder.Status.PENDING)
    link = Reminder.objects.get(kind=Reminder.Kind.INTAKE_SAVED)  # the link, sent at once
    assert (link.draft, link.status, link.due_at) == (saved, Reminder.Status.PENDING, INTAKE_MOMENT)
    assert Submission.objects.count() == 0


def test_save_retried_after_a_lost_response_makes_one_draft_and_one_reminder(journey, monkeypatch):
    """The database committed the draft but the response was lost (the connection died
    before the session was saved): pressing Save again must not make a second draft, nor
    a second reminder email."""
    from screening.web.sessions import SessionStore

    journey.answer("about-you")
    journey.answer("pregnancy")
    real_save = SessionStore.save
    calls = {"n": 0}

    def save_then_lose_the_response(self, must_create=False):
        calls["n"] += 1
        if calls["n"] == 2:  # the view's own save went through; the end-of-request one fails
            raise ConnectionError("connection lost")
        return real_save(self, must_create)

    monkeypatch.setattr(SessionStore, "save", save_then_lose_the_response)
    with pytest.raises(ConnectionError):
        _save(journey, "symptoms")
    monkeypatch.setattr(SessionStore, "save", real_save)

    response = _save(journey, "symptoms")

    assert (response.status_code, response["Location"]) == (302, SAVED_URL)
    assert IntakeDraft.objects.count() == 1
    assert Reminder.objects.filter(kind=Reminder.Kind.UNFINISHED_INTAKE).count() == 1


def test_saving_twice_updates_one_draft_with_one_reminder(journey):
    journey.answer("about-you")
    journey.answer("pregnancy")
    journey.answer("symptoms")
    _save(journey, "symptom-details-1")
    journey.get(STEP_URLS["urgent"])
    _save(journey, "urgent")

    saved = IntakeDraft.objects.get()
    assert set(saved.data["steps"]) == {
        "about-you",
        "pregnancy",
        "symptoms",
        "symptom-details-1",
        "urgent",
    }
    assert Reminder.objects.filter(kind=Reminder.Kind.UNFINISHED_INTAKE).count() == 1
    assert Reminder.objects.filter(kind=Reminder.Kind.INTAKE_SAVED).count() == 1
    assert {reminder.draft for reminder in Reminder.objects.all()} == {saved}


def test_save_with_invalid_answers_shows_the_errors_and_saves_nothing(journey):
    journey.answer("about-you")
    journey.answer("pregnancy")
    journey.answer("symptoms")
    response = _save(journey, "symptom-details-1", fatigue_severity="11")
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Tiredness or lack of energy: enter a whole number from 0 to 10" in page
    assert 'value="11"' in page  # what was typed is still there
    assert IntakeDraft.objects.count() == 0
    assert Reminder.objects.count() == 0
    assert "symptom-details-1" not in journey.client.session["intake"]["steps"]


def test_save_without_email_consent_keeps_the_answers_and_stays_on_the_page(journey):
    journey.answer("about-you", contact_consent="no")
    response = _save(journey, "pregnancy")
    assert (response.status_code, response["Location"]) == (302, STEP_URLS["pregnancy"])
    assert journey.client.session["intake"]["steps"]["pregnancy"] == {
        "pregnant": "no",
        "breastfeeding": "no",
    }
    assert IntakeDraft.objects.count() == 0
    page = journey.get(STEP_URLS["pregnancy"]).content.decode()
    assert "To save your answers and come back later, we need to email you a link." in page


def test_saved_page_says_an_email_will_come_and_shows_no_answers(journey):
    journey.answer("about-you")
    journey.answer("pregnancy")
    _save(journey, "symptoms")
    response = journey.get(SAVED_URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Your answers are saved" in page
    assert "We are sending an email now to the address you gave us" in page
    assert "It should arrive in the next few minutes." in page
    assert "If you have not sent the form in 24 hours, we will email you once more" in page
    assert "We keep your saved answers until 29 June 2025" in page
    assert f'href="{STEP_URLS["symptom-details-1"]}"' in page  # carry on now
    for private in ("Ann Example", "ann.example@example.com", "Tiredness", "1990"):
        assert private not in page


def test_saved_page_without_a_saved_draft_goes_to_the_start(journey):
    journey.answer("about-you")
    assert journey.get(SAVED_URL)["Location"] == "/"


def test_save_on_the_urgent_page_with_a_red_flag_stores_it_at_once_and_advises(journey):
    journey.answer_all(until="urgent")
    response = _save(journey, "urgent", chest_pain="yes")
    assert (response.status_code, response["Location"]) == (302, HELP_URL)

    submission = Submission.objects.get()
    assert submission_current_result(submission=submission).level == "urgent"
    saved = IntakeDraft.objects.get()
    assert saved.data["urgent_submission"] == str(submission.public_id)
    assert sorted(Reminder.objects.filter(draft=saved).values_list("kind", flat=True)) == [
        Reminder.Kind.INTAKE_SAVED,
        Reminder.Kind.UNFINISHED_INTAKE,
    ]


# --- Resuming -------------------------------------------------------------------------


def test_resume_link_get_asks_to_continue_and_does_not_use_the_link(journey):
    reminder = _saved_until_symptoms(journey)
    response = Client().get(_resume_url(reminder))
    assert response.status_code == 200
    assert "Continue my form" in response.content.decode()
    reminder.refresh_from_db()
    assert reminder.link_used_at is None
    assert IntakeDraft.objects.get().data != {}


def test_resume_restores_the_answers_and_goes_to_the_first_unanswered_page(journey):
    reminder = _saved_until_symptoms(journey)
    saved_steps = IntakeDraft.objects.get().data["steps"]
    browser = Client()

    response = browser.post(_resume_url(reminder))

    assert (response.status_code, response["Location"]) == (302, STEP_URLS["urgent"])
    session_draft = browser.session["intake"]
    assert session_draft["steps"] == saved_steps
    assert session_draft["saved_draft"] == str(reminder.draft.public_id)
    reminder.refresh_from_db()
    assert reminder.link_used_at is not None
    assert IntakeDraft.objects.get().data == {}  # the answers are back in the session
    page = browser.get(STEP_URLS["symptom-details-1"]).content.decode()
    assert 'name="fatigue_severity" value="7"' in page


def test_resume_with_every_page_answered_goes_to_check_your_answers(journey):
    journey.answer_all()
    _save(journey, "anything-else")
    reminder = Reminder.objects.get(kind=Reminder.Kind.UNFINISHED_INTAKE)
    assert Client().post(_resume_url(reminder))["Location"] == CHECK_URL


def test_resumed_intake_is_sent_once_and_marks_the_draft_sent(journey):
    reminder = _saved_until_symptoms(journey)
    journey.client = Client()
    journey.post(_resume_url(reminder), {})
    for slug in ("urgent", "risk-factors", "blood-tests", "anything-else"):
        journey.answer(slug)
    response = journey.submit()
    assert response["Location"] == DONE_URL

    submission = Submission.objects.get()
    assert submission_answers(submission=submission) == VALID_ANSWERS
    saved = IntakeDraft.objects.get()
    assert saved.submitted_at is not None
    assert saved.data == {}


def test_sending_in_the_same_session_after_saving_marks_the_draft_sent(journey):
    reminder = _saved_until_symptoms(journey)
    journey.answer_all()
    journey.submit()

    saved = IntakeDraft.objects.get()
    assert saved.submitted_at is not None
    assert saved.data == {}
    response = Client().get(_resume_url(reminder))
    assert response.status_code == 410
    assert "Your form has already been sent" in response.content.decode()
    reminder.refresh_from_db()
    assert reminder.link_used_at is None


def test_resume_link_works_once(journey):
    reminder = _saved_until_symptoms(journey)
    browser = Client()
    assert browser.post(_resume_url(reminder)).status_code == 302

    for response in (browser.post(_resume_url(reminder)), Client().get(_resume_url(reminder))):
        assert response.status_code == 410
        page = response.content.decode()
        assert "This link has already been used" in page
        assert 'href="/"' in page  # start again


def test_resume_service_lets_only_one_of_two_racing_requests_use_the_link(db):
    draft = IntakeDraftFactory(data={"steps": {}})
    reminder = ReminderFactory(kind=Reminder.Kind.UNFINISHED_INTAKE, submission=None, draft=draft)
    other_request_copy = Reminder.objects.get(pk=reminder.pk)

    assert intake_draft_resume(reminder=reminder) == {"steps": {}}
    with pytest.raises(links.LinkUsed):
        intake_draft_resume(reminder=other_request_copy)


def test_resume_link_expires(journey, time_machine, settings):
    reminder = _saved_until_symptoms(journey)
    url = _resume_url(reminder)
    time_machine.move_to(
        INTAKE_MOMENT + datetime.timedelta(days=settings.REMINDER_LINK_MAX_AGE_DAYS, seconds=1)
    )
    for response in (Client().get(url), Client().post(url)):
        assert response.status_code == 410
        assert "This link has expired" in response.content.decode()
    reminder.refresh_from_db()
    assert reminder.link_used_at is None


def test_resume_link_of_an_expired_draft_says_expired(journey, time_machine, settings):
    reminder = _saved_until_symptoms(journey)
    url = _resume_url(reminder)
    time_machine.move_to(
        INTAKE_MOMENT + datetime.timedelta(days=settings.INTAKE_DRAFT_DAYS, seconds=1)
    )
    response = Client().post(url)
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert "intake" not in Client().session


@pytest.mark.parametrize(
    "alter",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature
        lambda token: ("1" if token[0] == "0" else "0") + token[1:],  # the reminder id
        lambda token: "not-a-token",
    ],
    ids=["signature", "id", "garbage"],
)
def test_altered_resume_link_is_refused(journey, alter):
    reminder = _saved_until_symptoms(journey)
    token = alter(links.reminder_link_token(reminder))
    for response in (
        Client().get(f"/intake/resume/{token}/"),
        Client().post(f"/intake/resume/{token}/"),
    ):
        assert response.status_code == 400
        page = response.content.decode()
        assert "This link does not work" in page
        assert "Start again" in page
    reminder.refresh_from_db()
    assert reminder.link_used_at is None


def test_follow_up_link_is_refused_by_the_resume_page(db):
    reminder = ReminderFactory(kind=Reminder.Kind.FOLLOW_UP)
    response = Client().get(_resume_url(reminder))
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()


def test_resume_link_without_a_draft_is_refused(db):
    reminder = ReminderFactory(kind=Reminder.Kind.UNFINISHED_INTAKE, submission=None, draft=None)
    assert Client().post(_resume_url(reminder)).status_code == 400
    reminder.refresh_from_db()
    assert reminder.link_used_at is None


def test_resume_link_of_a_draft_with_nothing_to_restore_is_refused(db):
    reminder = ReminderFactory(
        kind=Reminder.Kind.UNFINISHED_INTAKE, submission=None, draft=IntakeDraftFactory(data={})
    )
    browser = Client()
    response = browser.post(_resume_url(reminder))
    assert response.status_code == 400
    assert "intake" not in browser.session


def test_saving_again_after_resuming_makes_a_new_draft_and_reminder(journey):
    first = _saved_until_symptoms(journey)
    journey.client = Client()
    journey.post(_resume_url(first), {})
    _save(journey, "urgent")

    assert IntakeDraft.objects.count() == 2
    second = Reminder.objects.filter(kind=first.kind).exclude(pk=first.pk).get()
    assert second.draft.data["steps"]["urgent"] == VALID_PAGES["urgent"]
    assert journey.client.session["intake"]["saved_draft"] == str(second.draft.public_id)
    assert second.status == Reminder.Status.PENDING


# --- The red-flag rule after resuming ---------------------------------------------------


def test_red_flag_after_resuming_is_stored_at_once(journey):
    reminder = _saved_until_symptoms(journey)
    journey.client = Client()
    journey.post(_resume_url(reminder), {})
    response = journey.answer("urgent", saddle_numbness="yes")

    assert response["Location"] == HELP_URL
    submission = Submission.objects.get()
    assert submission.is_complete is False
    result = submission_current_result(submission=submission)
    assert (result.level, result.red_flags) == ("urgent", ["saddle_numbness"])


def test_resumed_red_flag_intake_completes_the_same_submission(journey):
    journey.answer_all(until="urgent")
    _save(journey, "urgent", chest_pain="yes")
    urgent = Submission.objects.get()
    journey.client = Client()

    response = journey.post(
        _resume_url(Reminder.objects.get(kind=Reminder.Kind.UNFINISHED_INTAKE)), {}
    )

    assert response["Location"] == STEP_URLS["risk-factors"]
    assert journey.client.session["intake"]["urgent_submission"] == str(urgent.public_id)
    assert journey.get(STEP_URLS["urgent"])["Location"] == HELP_URL  # still locked
    journey.answer("risk-factors")
    journey.answer("blood-tests")
    journey.answer("anything-else")
    journey.submit()
    submission = Submission.objects.get()
    assert (submission.pk, submission.is_complete) == (urgent.pk, True)


def test_resumed_draft_with_an_unstored_red_flag_is_stored_at_once(journey):
    journey.answer_all(until="risk-factors")
    data = {**journey.client.session["intake"]}
    data["steps"]["urgent"] = {**data["steps"]["urgent"], "chest_pain": "yes"}
    draft = IntakeDraftFactory(data=data)
    reminder = ReminderFactory(kind=Reminder.Kind.UNFINISHED_INTAKE, submission=None, draft=draft)

    response = Client().post(_resume_url(reminder))

    assert response["Location"] == HELP_URL
    result = submission_current_result(submission=Submission.objects.get())
    assert (result.level, result.red_flags) == ("urgent", ["chest_pain"])


# --- The intake day -----------------------------------------------------------------------


def test_resume_moves_the_intake_day_to_today_and_works_out_the_age_again(journey, time_machine):
    journey.answer("about-you", dob_day="20", dob_month="6", dob_year="1990")  # 34 today
    assert journey.client.session["intake"]["steps"]["about-you"]["age_years"] == 34
    journey.answer("pregnancy")
    _save(journey, "symptoms")
    time_machine.move_to(INTAKE_MOMENT + datetime.timedelta(days=7), tick=False)
    browser = Client()

    browser.post(_resume_url(Reminder.objects.get(kind=Reminder.Kind.UNFINISHED_INTAKE)))

    draft = intake.draft_load(browser.session)
    assert draft.intake_date == datetime.date(2025, 6, 22)
    assert draft.steps["about-you"]["age_years"] == 35
