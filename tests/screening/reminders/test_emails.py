"""The reminder emails (screening/reminders/emails.py): no health information and no name in
patient emails, the clinic and the link in every one, one-click unsubscribe headers,
the recipient's language, counts only for staff."""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.urls import resolve
from django.utils import timezone, translation

from screening import labels
from screening.domain.intake import intake_submit
from screening.domain.review import review_record
from screening.models import Reminder, Review
from screening.reminders import delivery, emails, links, scheduling
from tests.factories import SubmissionFactory
from tests.screening import reminder_support as support
from tests.screening.reminder_support import NOON

pytestmark = pytest.mark.django_db

URL = re.compile(r"https?://[^\s\"<>]+")


@pytest.fixture
def clock(time_machine):
    return support.frozen_at(time_machine)


@pytest.fixture
def clinic(settings):
    settings.CLINIC_NAME = "Riverside Surgery"
    settings.CLINIC_PHONE = "01632 960 999"
    settings.SITE_URL = "https://intake.example.org"
    return settings


@pytest.fixture
def decided_intake(clock, clinic, answers, patient_details, clinician):
    """Ann Example's intake (tiredness, numbness, vegan, metformin, a low-ish B12),
    decided by a clinician: order a B12 test. Returns the submission."""
    submission = intake_submit(
        answers=answers, patient_details=patient_details, idempotency_key="k" * 32, language="en"
    )
    review_record(
        submission=submission,
        by=clinician,
        outcomes=[Review.Outcome.ORDER_B12_TEST],
        note="B12 borderline, order active B12",
    )
    return submission


def _patient_reminders(submission, language: str) -> list[Reminder]:
    draft = support.draft_saved(email=submission.patient.email, language=language)
    scheduling.reminder_schedule_unfinished_intake(draft=draft)
    scheduling.reminder_schedule_confirmation(submission=submission)
    scheduling.reminder_schedule_intake_saved(draft=draft)
    Reminder.objects.update(language=language)
    return list(Reminder.objects.select_related("submission__patient", "draft").order_by("kind"))


def _build(reminder: Reminder):
    builder = {
        Reminder.Kind.FOLLOW_UP: emails.follow_up,
        Reminder.Kind.BLOOD_TEST: emails.blood_test,
        Reminder.Kind.UNFINISHED_INTAKE: emails.unfinished_intake,
        Reminder.Kind.CONFIRMATION: emails.confirmation,
        Reminder.Kind.INTAKE_SAVED: emails.unfinished_intake,
    }[reminder.kind]
    return builder(reminder)


def _texts(message) -> dict[str, str]:
    return {
        "subject": message.subject,
        "text": message.body,
        "html": message.alternatives[0][0],
    }


def _without_urls(text: str) -> str:
    """Tokens in links are random: a signature could spell anything."""
    return URL.sub("<url>", text)


def _forbidden(submission) -> list[str]:
    """Everything the patient told us or the clinic decided, in words."""
    present = [code for code, row in submission.symptoms.values_list("code", "present") if row]
    words = [
        submission.patient.full_name,
        *submission.patient.full_name.split(),
        submission.patient.email,
        submission.patient.phone,
        submission.reference,
        *(str(labels.SYMPTOM_LABELS[code]) for code in present),
        *(str(label) for label in labels.LEVEL_LABELS.values()),
        *(str(label) for label in labels.LAB_TEST_LABELS.values()),
        *(str(label) for label in labels.MEDICINE_LABELS.values()),
        *(str(label) for label in labels.DIET_LABELS.values()),
        *(str(label) for label in Review.Outcome.labels),
        "B12",
        "vitamin",
        "blood",
        "test",
        "deficien",
        "symptom",
        "anaemia",
        "urgent",
        "result",
        "numb",
        "tired",
        "vegan",
        "metformin",
    ]
    return [word for word in words if word]


@pytest.mark.parametrize("language", ["en", "es"])
def test_patient_emails_carry_no_health_information_and_no_name(decided_intake, language):
    forbidden = _forbidden(decided_intake)
    built = _patient_reminders(decided_intake, language)
    assert [reminder.kind for reminder in built] == [
        "blood_test",
        "confirmation",
        "follow_up",
        "intake_saved",
        "unfinished_intake",
    ]

    for reminder in built:
        for part, text in _texts(_build(reminder)).items():
            if reminder.kind == "confirmation" and part != "subject":
                # The one thing the confirmation adds (issue 13): the form's reference,
                # once; nothing else the patient said, not even "B12" around it.
                assert _without_urls(text).count(decided_intake.reference) == 1
                text = text.replace(decided_intake.reference, "<reference>")
                text = re.sub(r"\breferencia\b|\breference\b", "<word>", text, flags=re.I)
            found = [word for word in forbidden if word.lower() in _without_urls(text).lower()]
            assert found == [], f"{reminder.kind} {part} ({language}) mentions {found}"


@pytest.mark.parametrize("language", ["en", "es"])
def test_patient_emails_name_the_clinic_and_how_to_reach_it(decided_intake, language):
    for reminder in _patient_reminders(decided_intake, language):
        texts = _texts(_build(reminder))
        assert "Riverside Surgery" in texts["subject"]
        assert "Riverside Surgery" in texts["text"]
        assert "Riverside Surgery" in texts["html"]
        assert "01632 960 999" in texts["text"]
        assert "01632 960 999" in texts["html"]


@pytest.mark.parametrize(
    ("kind", "route"),
    [
        ("follow_up", "screening:follow_up"),
        ("unfinished_intake", "screening:intake_resume"),
        ("intake_saved", "screening:intake_resume"),
    ],
)
def test_patient_email_links_to_its_page_with_a_working_single_use_token(
    decided_intake, kind, route
):
    reminder = next(r for r in _patient_reminders(decided_intake, "en") if r.kind == kind)
    texts = _texts(_build(reminder))

    link = links.reminder_link_url(reminder, route)
    assert link.startswith("https://intake.example.org/")
    assert link in texts["text"]
    assert f'href="{link}"' in texts["html"]
    match = resolve(urlsplit(link).path)
    assert f"{match.namespace}:{match.url_name}" == route
    assert links.reminder_from_token(match.kwargs["token"], kind=kind) == reminder


def test_blood_test_email_has_no_link_but_the_privacy_and_unsubscribe_ones(decided_intake):
    reminder = Reminder.objects.get(kind=Reminder.Kind.BLOOD_TEST)
    message = emails.blood_test(reminder)

    assert URL.findall(message.body) == [
        "https://intake.example.org/privacy/",
        message.extra_headers["List-Unsubscribe"][1:-1],
    ]
    assert "Please contact the clinic on 01632 960 999." in message.body


def test_patient_emails_offer_one_click_unsubscribe(decided_intake):
    for reminder in _patient_reminders(decided_intake, "en"):
        message = _build(reminder)
        header = message.extra_headers["List-Unsubscribe"]
        url = header[1:-1]

        assert header == f"<{url}>"
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert url.startswith("https://intake.example.org/unsubscribe/")
        assert resolve(urlsplit(url).path).url_name == "unsubscribe"
        assert url in message.body
        assert f'href="{url}"' in message.alternatives[0][0]
        # The URL carries no address.
        assert reminder.submission is None or reminder.submission.patient.email not in url


def test_email_goes_to_the_patient_from_the_clinic(decided_intake, settings):
    settings.DEFAULT_FROM_EMAIL = "Riverside Surgery <no-reply@riverside.example>"
    reminder = Reminder.objects.get(kind=Reminder.Kind.FOLLOW_UP)

    message = emails.follow_up(reminder)

    assert message.to == ["ann.example@example.com"]
    assert message.from_email == "Riverside Surgery <no-reply@riverside.example>"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_message_id_is_derived_from_the_reminder_key(decided_intake):
    follow_up = Reminder.objects.get(kind=Reminder.Kind.FOLLOW_UP)
    blood_test = Reminder.objects.get(kind=Reminder.Kind.BLOOD_TEST)

    first = emails.follow_up(follow_up).message()["Message-ID"]
    again = emails.follow_up(follow_up).message()["Message-ID"]
    other = emails.blood_test(blood_test).message()["Message-ID"]

    assert first == again
    assert first != other
    assert re.fullmatch(r"<reminder\.[0-9a-f]{32}@intake\.example\.org>", first)


def test_email_is_rendered_in_the_recipient_language(decided_intake):
    reminder = Reminder.objects.get(kind=Reminder.Kind.FOLLOW_UP)
    reminder.language = "es"

    with translation.override("en"):
        message = emails.follow_up(reminder)
        assert translation.get_language() == "en"

    assert '<html lang="es">' in message.alternatives[0][0]


def test_subject_is_one_line(decided_intake):
    for reminder in _patient_reminders(decided_intake, "en"):
        assert "\n" not in _build(reminder).subject


# --- staff ----------------------------------------------------------------------------


def test_escalation_email_says_only_that_an_urgent_submission_waits(clock, clinic, settings):
    settings.ESCALATION_AFTER_MINUTES = 45
    user = support.staff("onduty", support.CLINICIAN, support.ON_DUTY)
    submission = SubmissionFactory(
        level="urgent", status="new", submitted_at=NOON - datetime.timedelta(hours=2)
    )
    scheduling.reminders_schedule_escalations(now=timezone.now())

    message = emails.escalation(Reminder.objects.get())

    assert message.to == [user.email]
    assert message.subject == "An urgent submission has waited over 45 minutes"
    assert "https://intake.example.org/staff/" in message.body
    assert 'href="https://intake.example.org/staff/"' in message.alternatives[0][0]
    for text in (message.subject, message.body, message.alternatives[0][0]):
        assert submission.reference not in text
        assert submission.patient.full_name not in text
        assert submission.patient.email not in text
    assert "List-Unsubscribe" not in message.extra_headers


def test_digest_has_counts_only(clock, clinic):
    user = support.staff("doc", support.CLINICIAN)
    open_ones = [
        SubmissionFactory(
            level="urgent", status="new", submitted_at=NOON - datetime.timedelta(hours=3)
        ),
        SubmissionFactory(level="urgent", status="in_review"),
        SubmissionFactory(level="routine", status="awaiting_test"),
    ]
    closed = SubmissionFactory(level="review_soon", status="reviewed")
    scheduling.reminders_schedule_digest(now=timezone.now())
    reminder = Reminder.objects.get()

    message = emails.digest(reminder, **delivery.digest_numbers(timezone.now()))

    assert message.to == [user.email]
    assert message.subject == "Review queue: 3 open submissions"
    assert "- Urgent: 2\n- Review soon: 0\n- Routine: 1\n- No flag: 0" in message.body
    assert "The longest a new submission has waited: 3\xa0hours." in message.body
    assert "https://intake.example.org/staff/" in message.body
    html = message.alternatives[0][0]
    assert '<tr><th scope="row">Urgent</th><td>2</td></tr>' in html
    for submission in [*open_ones, closed]:
        for text in (message.subject, message.body, html):
            assert submission.reference not in text
            assert submission.patient.full_name not in text
    assert "List-Unsubscribe" not in message.extra_headers


def test_digest_with_nobody_waiting(clock, clinic):
    support.staff("doc", support.CLINICIAN)
    scheduling.reminders_schedule_digest(now=timezone.now())

    message = emails.digest(Reminder.objects.get(), **delivery.digest_numbers(timezone.now()))

    assert message.subject == "Review queue: 0 open submissions"
    assert "No new submission is waiting to be picked up." in message.body


def test_unfinished_intake_email_promises_no_longer_than_the_draft_is_kept(clock, clinic):
    clinic.REMINDER_LINK_MAX_AGE_DAYS = 30
    draft = support.draft_saved(expires_at=timezone.now() + datetime.timedelta(days=13, hours=2))
    scheduling.reminder_schedule_unfinished_intake(draft=draft)
    reminder = Reminder.objects.select_related("draft").get(kind="unfinished_intake")

    message = emails.unfinished_intake(reminder)

    assert "The link works once, for 13 days." in message.body
    assert "30 days" not in message.body
