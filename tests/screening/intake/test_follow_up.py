"""The follow-up check-in: its signed single-use link, two pages, one screened submission."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from screening.domain.intake import follow_up_submit
from screening.domain.queries.answers import submission_answers
from screening.domain.queries.records import submission_current_result
from screening.engine import contract
from screening.models import Reminder, ScreeningResult, Submission
from screening.reminders import links
from tests.conftest import (
    ALL_NO_RED_FLAGS,
    FOLLOW_UP_SYMPTOMS,
    INTAKE_MOMENT,
    VALID_ANSWERS,
    page_text,
)
from tests.factories import IntakeDraftFactory, PatientFactory, ReminderFactory, SubmissionFactory

THANK_YOU_URL = "/follow-up/thank-you/"
HELP_URL = "/follow-up/get-help-now/"


@pytest.fixture
def reminder(frozen_day, db) -> Reminder:
    """A sent follow-up reminder about a reviewed intake of a patient born 1 January 1980."""
    original = SubmissionFactory(
        patient=PatientFactory(date_of_birth=datetime.date(1980, 1, 1)),
        status=Submission.Status.REVIEWED,
        age_years=44,
        submitted_at=INTAKE_MOMENT - datetime.timedelta(weeks=9),
    )
    return ReminderFactory(
        kind=Reminder.Kind.FOLLOW_UP, submission=original, key=f"follow_up:{original.public_id}"
    )


@pytest.fixture
def token(reminder) -> str:
    return links.reminder_link_token(reminder)


def _urls(token: str) -> tuple[str, str]:
    return f"/follow-up/{token}/", f"/follow-up/{token}/urgent/"


def _answer(client: Client, token: str, **red_flags):
    """Both pages with the conftest's symptoms and no red flag unless given; the last response."""
    symptoms_url, urgent_url = _urls(token)
    client.post(symptoms_url, FOLLOW_UP_SYMPTOMS)
    return client.post(urgent_url, {**ALL_NO_RED_FLAGS, **red_flags})


def _follow_ups():
    return Submission.objects.filter(kind="follow_up")


# --- The pages ------------------------------------------------------------------------


def test_link_opens_the_symptoms_page_without_using_the_link(client, reminder, token):
    response = client.get(_urls(token)[0])
    page = response.content.decode()
    assert response.status_code == 200
    assert "How you feel now" in page
    assert 'name="fatigue_present"' in page
    assert 'name="chest_pain"' not in page
    assert 'value="save"' not in page  # no "save and come back later" here
    reminder.refresh_from_db()
    assert reminder.link_used_at is None


def test_symptoms_page_goes_on_to_the_urgent_page_without_using_the_link(client, reminder, token):
    symptoms_url, urgent_url = _urls(token)
    response = client.post(symptoms_url, FOLLOW_UP_SYMPTOMS)
    assert (response.status_code, response["Location"]) == (302, urgent_url)
    page = client.get(urgent_url).content.decode()
    assert 'name="chest_pain"' in page
    assert "Send my answers" in page
    assert f'href="{symptoms_url}"' in page  # back
    progress = client.session["follow_up"]
    assert list(progress) == [str(reminder.public_id)]  # keyed by the reminder, not in the URL
    assert list(progress[str(reminder.public_id)]) == ["symptoms"]
    reminder.refresh_from_db()
    assert reminder.link_used_at is None
    assert _follow_ups().count() == 0


def test_urgent_page_before_the_symptoms_page_goes_back_to_it(client, token):
    symptoms_url, urgent_url = _urls(token)
    assert client.get(urgent_url)["Location"] == symptoms_url
    response = client.post(urgent_url, ALL_NO_RED_FLAGS)
    assert response["Location"] == symptoms_url
    assert _follow_ups().count() == 0


def test_invalid_answers_show_the_errors_and_store_nothing(client, reminder, token):
    symptoms_url, urgent_url = _urls(token)
    response = client.post(symptoms_url, {**FOLLOW_UP_SYMPTOMS, "fatigue_severity": ""})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Tiredness or lack of energy: enter how much it bothers you, from 0 to 10" in page

    client.post(symptoms_url, FOLLOW_UP_SYMPTOMS)
    response = client.post(urgent_url, {**ALL_NO_RED_FLAGS, "chest_pain": ""})
    assert response.status_code == 200
    assert "Chest pain: select yes or no" in response.content.decode()
    reminder.refresh_from_db()
    assert reminder.link_used_at is None
    assert _follow_ups().count() == 0


def test_progress_is_kept_per_link(client, token, reminder):
    other = ReminderFactory(kind=Reminder.Kind.FOLLOW_UP)
    other_token = links.reminder_link_token(other)
    client.post(_urls(token)[0], FOLLOW_UP_SYMPTOMS)
    assert client.get(_urls(other_token)[1])["Location"] == _urls(other_token)[0]
    assert client.get(_urls(token)[1]).status_code == 200


# --- Sending --------------------------------------------------------------------------


def test_sending_stores_one_screened_follow_up_of_the_same_patient(client, reminder, token):
    response = _answer(client, token)
    assert (response.status_code, response["Location"]) == (302, THANK_YOU_URL)

    original = reminder.submission
    follow_up = _follow_ups().get()
    assert follow_up.follow_up_of == original
    assert follow_up.patient == original.patient
    assert follow_up.age_years == 45  # on 15 June 2025, born 1 January 1980
    assert follow_up.is_complete is True
    assert follow_up.questionnaire_version == original.questionnaire_version
    assert follow_up.status == Submission.Status.NEW
    assert submission_answers(submission=follow_up) == {
        "age_years": 45,
        # carried forward from the original (the factory's omnivore woman, no treatment)
        "sex": "female",
        "diet": "omnivore",
        "b12_treatment": "none",
        "symptoms": VALID_ANSWERS["symptoms"],
        "red_flags": VALID_ANSWERS["red_flags"],
    }
    result = follow_up.results.get()
    # Symptoms without a risk factor: recorded, not flagged (A2).
    assert (result.level, result.trigger) == ("no_flag", ScreeningResult.Trigger.INTAKE)
    assert follow_up.level == "no_flag"
    reminder.refresh_from_db()
    assert reminder.link_used_at is not None
    assert str(reminder.public_id) not in client.session.get("follow_up", {})
    assert Submission.objects.count() == 2


def test_thank_you_page_is_neutral(client, token):
    _answer(client, token)
    page = client.get(THANK_YOU_URL).content.decode()
    follow_up = _follow_ups().get()
    assert "Thank you" in page
    assert "A clinician at Your clinic will look at your answers." in page
    assert f'class="reference">{follow_up.reference}<' in page
    lowered = page.lower()
    for word in ("deficien", "diagnos", "urgent", "routine", "review soon", "score", "level"):
        assert word not in lowered


def test_red_flag_is_urgent_at_once_with_the_intakes_advice(client, token):
    response = _answer(client, token, chest_pain="yes", thoughts_of_self_harm="yes")
    assert response["Location"] == HELP_URL

    follow_up = _follow_ups().get()
    result = submission_current_result(submission=follow_up)
    assert (result.level, result.red_flags) == ("urgent", ["chest_pain", "thoughts_of_self_harm"])
    assert follow_up.level_rank == contract.LEVELS.index("urgent")
    page = client.get(HELP_URL).content.decode()
    assert "Get help now" in page
    assert "Call 999 now" in page_text(page)
    assert "contact Samaritans on 116 123" in page_text(page)
    assert f'class="reference">{follow_up.reference}<' in page
    assert "Continue with the remaining questions" not in page


def test_second_post_gets_the_used_page_and_stores_nothing(client, token):
    _answer(client, token)
    response = client.post(_urls(token)[1], ALL_NO_RED_FLAGS)
    assert response.status_code == 410
    page = response.content.decode()
    assert "This link has already been used" in page
    assert "the clinic has them: you do not need to do anything" in page
    assert _follow_ups().count() == 1


def test_second_browser_gets_the_used_page(client, token):
    browser = Client()
    browser.post(_urls(token)[0], FOLLOW_UP_SYMPTOMS)  # both opened the link
    _answer(client, token)

    for response in (browser.get(_urls(token)[0]), browser.post(_urls(token)[1], ALL_NO_RED_FLAGS)):
        assert response.status_code == 410
        assert "This link has already been used" in response.content.decode()
    assert _follow_ups().count() == 1


def test_risk_factors_carry_forward_so_the_follow_up_is_screened_like_an_intake(reminder):
    original = reminder.submission
    original.diet = "vegan"
    original.save()
    answers = {"symptoms": VALID_ANSWERS["symptoms"], "red_flags": VALID_ANSWERS["red_flags"]}

    follow_up = follow_up_submit(
        original=original, answers=answers, reminder=reminder, language="en"
    )

    assert submission_answers(submission=follow_up)["diet"] == "vegan"
    # numbness (neurological, B2) with a risk factor (vegan, C1): A1 met, review soon (D2)
    assert follow_up.results.get().level == "review_soon"
    original.refresh_from_db()
    assert original.diet == "vegan"  # the original is not changed


def test_two_racing_posts_store_one_follow_up(reminder):
    """Both requests read the link as unused; the compare-and-set lets one through."""
    other_request_copy = Reminder.objects.get(pk=reminder.pk)
    answers = {"symptoms": VALID_ANSWERS["symptoms"], "red_flags": VALID_ANSWERS["red_flags"]}

    follow_up_submit(
        original=reminder.submission, answers=answers, reminder=reminder, language="en"
    )
    with pytest.raises(links.LinkUsed):
        follow_up_submit(
            original=reminder.submission,
            answers=answers,
            reminder=other_request_copy,
            language="en",
        )
    assert _follow_ups().count() == 1


def test_follow_up_of_another_submission_is_refused(reminder):
    answers = {"symptoms": VALID_ANSWERS["symptoms"], "red_flags": VALID_ANSWERS["red_flags"]}
    with pytest.raises(ValueError, match="not about this submission"):
        follow_up_submit(
            original=SubmissionFactory(), answers=answers, reminder=reminder, language="en"
        )
    reminder.refresh_from_db()
    assert reminder.link_used_at is None
    assert _follow_ups().count() == 0


def test_answers_breaking_the_contract_store_nothing_and_keep_the_link(reminder):
    answers = {"symptoms": {"fatigue": {"present": True, "severity": 11}}, "red_flags": {}}
    with pytest.raises(ValueError, match="severity"):
        follow_up_submit(
            original=reminder.submission, answers=answers, reminder=reminder, language="en"
        )
    assert Reminder.objects.get(pk=reminder.pk).link_used_at is None
    assert _follow_ups().count() == 0


def test_done_pages_without_a_follow_up_go_to_the_start(client, db):
    assert client.get(THANK_YOU_URL)["Location"] == "/"
    assert client.get(HELP_URL)["Location"] == "/"


# --- Links that do not work -------------------------------------------------------------


def test_expired_link(client, reminder, token, time_machine, settings):
    time_machine.move_to(
        INTAKE_MOMENT + datetime.timedelta(days=settings.REMINDER_LINK_MAX_AGE_DAYS, seconds=1)
    )
    for response in (
        client.get(_urls(token)[0]),
        client.post(_urls(token)[0], FOLLOW_UP_SYMPTOMS),
        client.post(_urls(token)[1], ALL_NO_RED_FLAGS),
    ):
        assert response.status_code == 410
        page = response.content.decode()
        assert "This link has expired" in page
        assert "If you want to tell the clinic how you are, contact them." in page
    reminder.refresh_from_db()
    assert reminder.link_used_at is None
    assert _follow_ups().count() == 0


def test_link_expiring_between_the_pages_stores_nothing(client, reminder, token, time_machine):
    client.post(_urls(token)[0], FOLLOW_UP_SYMPTOMS)
    time_machine.move_to(INTAKE_MOMENT + datetime.timedelta(days=31))
    assert client.post(_urls(token)[1], ALL_NO_RED_FLAGS).status_code == 410
    assert _follow_ups().count() == 0


@pytest.mark.parametrize(
    "alter",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature
        lambda token: ("1" if token[0] == "0" else "0") + token[1:],  # the reminder id
        lambda token: "not-a-token",
    ],
    ids=["signature", "id", "garbage"],
)
def test_altered_link(client, reminder, token, alter):
    altered = alter(token)
    for response in (
        client.get(_urls(altered)[0]),
        client.post(_urls(altered)[1], ALL_NO_RED_FLAGS),
    ):
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()
    reminder.refresh_from_db()
    assert reminder.link_used_at is None


def test_link_of_another_kind_of_reminder(client, db, frozen_day):
    for other in (
        ReminderFactory(
            kind=Reminder.Kind.UNFINISHED_INTAKE, submission=None, draft=IntakeDraftFactory()
        ),
        ReminderFactory(kind=Reminder.Kind.BLOOD_TEST),
    ):
        response = client.get(_urls(links.reminder_link_token(other))[0])
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()


def test_follow_up_link_without_a_submission(client, db, frozen_day):
    orphan = ReminderFactory(kind=Reminder.Kind.FOLLOW_UP, submission=None)
    response = client.get(_urls(links.reminder_link_token(orphan))[0])
    assert response.status_code == 400


# --- The clinic's view ------------------------------------------------------------------


def test_follow_up_appears_in_the_patients_history_and_chart(
    clinician_client, client, reminder, token
):
    _answer(client, token)
    follow_up = _follow_ups().get()
    page = clinician_client.get(f"/staff/submissions/{reminder.submission.public_id}/")
    html = page.content.decode()
    assert page.status_code == 200
    history = html[html.index('id="history-heading"') :]
    assert follow_up.reference in history
    assert "Tiredness or lack of energy 7" in history  # the follow-up's severity, in the table
    assert "15 Jun 2025" in history  # the follow-up's date, as a row and a chart point
