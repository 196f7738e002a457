"""A printable copy of the answers from the confirmation page (issue 13): the answers sent,
the reference and the date, never the screening level; only in the session that sent
them, for a while; no personal data in its URL; never cached."""

from __future__ import annotations

import datetime

from django.test import Client

from screening import labels
from screening.intake import answers_copy
from screening.models import Submission
from tests.conftest import ANSWERS_COPY_URL, DONE_URL, INTAKE_MOMENT, page_text


def _sent(journey) -> Submission:
    journey.answer_all()
    journey.submit()
    return Submission.objects.get()


def test_the_confirmation_page_offers_the_copy(journey):
    _sent(journey)
    page = journey.get(DONE_URL).content.decode()
    assert f'<a href="{ANSWERS_COPY_URL}">Print your answers</a>' in page
    assert "You can see them here for 30 minutes after sending." in page_text(page)


def test_the_copy_has_the_answers_the_reference_and_the_date_not_the_level(journey):
    submission = _sent(journey)
    response = journey.get(ANSWERS_COPY_URL)
    assert response.status_code == 200
    html = response.content.decode()
    text = page_text(html)

    assert "<title>Your answers – Your clinic</title>" in html
    assert f'<strong class="reference">{submission.reference}</strong>' in html
    assert "Date sent 15 June 2025" in text
    for answer in ("Ann Example", "3 April 1990", "Tiredness or lack of energy", "Metformin"):
        assert answer in text, answer
    assert "return=check" not in html  # a copy, not the check page: no Change links
    assert "Send my answers" not in text
    # This intake's level ("urgent" is also a section's word: "Urgent symptoms").
    assert submission.level in ("review_soon", "routine")
    assert str(labels.LEVEL_LABELS[submission.level]) not in text
    assert submission.level not in html.split("<main", 1)[1]
    assert "level" not in text.lower()
    assert "It is not a diagnosis" in text
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert ANSWERS_COPY_URL == "/intake/done/your-answers/"  # names nothing


def test_the_copy_in_spanish(journey):
    journey.client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    _sent(journey)
    text = page_text(journey.get(ANSWERS_COPY_URL).content.decode())
    assert "Sus respuestas" in text
    assert "Fecha de envío 15 de junio de 2025" in text
    assert "Imprimir" in page_text(journey.get(DONE_URL).content.decode())


def test_another_browser_gets_nothing(journey, db):
    _sent(journey)
    response = Client().get(ANSWERS_COPY_URL)
    assert (response.status_code, response["Location"]) == (302, "/")


def test_after_a_while_the_copy_is_gone_from_the_session(journey, time_machine):
    _sent(journey)
    time_machine.move_to(
        INTAKE_MOMENT + datetime.timedelta(minutes=answers_copy.COPY_MINUTES), tick=False
    )
    response = journey.get(ANSWERS_COPY_URL)
    assert (response.status_code, response["Location"]) == (302, DONE_URL)
    assert answers_copy.SESSION_KEY not in journey.client.session
    page = journey.get(DONE_URL).content.decode()
    assert "Print your answers" not in page
    assert Submission.objects.get().reference in page  # the confirmation itself stays


def test_the_copy_is_of_the_last_form_sent(journey):
    first = _sent(journey)
    assert journey.get(ANSWERS_COPY_URL).status_code == 200
    # The confirmation now names another submission (a second intake in this session):
    # the copy of the first is not shown under its reference.
    session = journey.client.session
    session["intake_done"]["submission"] = "00000000-0000-0000-0000-000000000000"
    session.save()
    assert journey.get(ANSWERS_COPY_URL)["Location"] == DONE_URL
    assert first.reference not in journey.get(DONE_URL).content.decode()
