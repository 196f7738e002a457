"""Save and come back later the same day, in Chromium on a phone, in English and in
Spanish: the patient saves, the saved page says the email is on its way, the outbox's
dispatch sends it at once (the in-memory email backend), the page then says it was sent
(and, after saving again, when, and that no second email was sent); the link from the
email, opened in a fresh browser (the first one's session gone), brings the answers back
and the patient sends the form. axe-core on every page and state, screenshots saved
(artifacts/screenshots/save-resume-*)."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from screening.models import IntakeDraft, Reminder, Submission
from screening.reminders import dispatch
from tests.browser.conftest import check_page
from tests.browser.helpers import SAVE, answer, answer_until, fill, submit
from tests.conftest import STEP_URLS, VALID_PAGES

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORDS = {
    "en": {
        "saved": "Your answers are saved",
        "sending": "We are sending an email now to the address you gave us",
        "sent": "We have sent an email to the address you gave us",
        "sent_before": "so we have not sent another email",
        "subject": "Your link to come back to your form",
        "continue": "Continue my form",
    },
    "es": {
        "saved": "Sus respuestas están guardadas",
        "sending": "Ahora le estamos enviando un correo electrónico a la dirección que nos dio",
        "sent": "Le hemos enviado un correo electrónico a la dirección que nos dio",
        "sent_before": "así que no le hemos enviado otro correo",
        "subject": "Su enlace para volver a su formulario",
        "continue": "Continuar mi formulario",
    },
}


def _in_language(page, language: str) -> None:
    page.goto("/")
    if language == "es":
        with page.expect_navigation():
            page.locator("header").get_by_role("button", name="Español").click()
    assert page.locator("html").get_attribute("lang") == language


def _dispatch() -> None:
    """Beat's every-minute dispatch: it claims the due rows and (Celery eager) sends them."""
    dispatch.reminders_dispatch(now=timezone.now())


@pytest.mark.parametrize("language", ["en", "es"])
def test_save_get_the_link_at_once_and_finish_in_another_browser(
    phone, new_page, mailoutbox, live_server, settings, language
):
    settings.SITE_URL = live_server.url
    words = WORDS[language]
    name = f"save-resume-{language}"
    _in_language(phone, language)
    answer_until(phone, stop="symptoms")
    fill(phone, VALID_PAGES["symptoms"])
    submit(phone, SAVE)

    assert phone.url.endswith("/intake/saved/")
    assert phone.locator("h1").inner_text() == words["saved"]
    assert words["sending"] in phone.locator("main").inner_text()
    check_page(phone, f"{name}-saved-sending")

    _dispatch()
    [email] = mailoutbox
    assert email.subject.startswith(words["subject"])
    assert email.to == ["ann.example@example.com"]
    [link] = set(re.findall(rf"{re.escape(live_server.url)}/intake/resume/[^/\s]+/", email.body))
    phone.reload()
    assert words["sent"] in phone.locator("main").inner_text()
    check_page(phone, f"{name}-saved-sent")

    # A little later, one page more, saved again: the link already sent opens it all.
    phone.goto(STEP_URLS["symptom-details-1"])
    fill(phone, VALID_PAGES["symptom-details-1"])
    submit(phone, SAVE)
    _dispatch()
    assert len(mailoutbox) == 1
    assert words["sent_before"] in phone.locator("main").inner_text()
    check_page(phone, f"{name}-saved-sent-before")

    # Later that day, from the email, in a browser without the first one's session.
    later = new_page(
        is_mobile=True, has_touch=True, locale="es-ES" if language == "es" else "en-GB"
    )
    later.goto(link)
    assert later.locator("html").get_attribute("lang") == language  # the email's language
    check_page(later, f"{name}-resume")
    with later.expect_navigation():
        later.locator("main").get_by_role("button", name=words["continue"]).click()
    assert later.url.endswith(STEP_URLS["urgent"])
    for slug in ("urgent", "risk-factors", "blood-tests", "anything-else"):
        answer(later, slug)
    assert later.url.endswith("/intake/check/")
    submit(later)
    assert later.url.endswith("/intake/done/")
    check_page(later, f"{name}-done")

    submission = Submission.objects.get()
    assert submission.is_complete
    assert submission.symptoms.filter(code="fatigue", present=True).exists()
    assert IntakeDraft.objects.get().submitted_at is not None
    # The later reminder is not sent: the form was sent (and its link was used with this one).
    reminder = Reminder.objects.get(kind=Reminder.Kind.UNFINISHED_INTAKE)
    assert reminder.link_used_at is not None
    assert (
        reminder.status == Reminder.Status.PENDING
    )  # cancelled when due (test_resume_link_at_once)
