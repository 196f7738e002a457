"""The limit on intakes *stored* per client (INTAKE_SUBMIT_RATE_LIMIT, screening.web.ratelimit):
a red flag stores an urgent submission after three or four POSTs, so the POST limit alone
let one address store (and escalate to every clinician on duty) over a hundred urgent
submissions an hour. A red flag's early store and a send count the same; a send that
completes the submission a red flag stored does not count again. Over the limit a patient
with a red flag is still told where to get care today, in their language."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.utils.html import strip_tags

from screening.models import Submission
from screening.web import ratelimit
from tests.conftest import ALL_NO_RED_FLAGS, INTAKE_MOMENT, STEP_URLS, Journey

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.20"


@pytest.fixture
def stored_limit(settings, frozen_day):
    def set_limit(rate: str) -> None:
        settings.INTAKE_SUBMIT_RATE_LIMIT = rate

    return set_limit


def _patient(address: str = ADDRESS, **headers: str) -> Journey:
    """A new browser (a new session: a new intake) from `address`."""
    return Journey(Client(REMOTE_ADDR=address, **headers))


def _red_flag(patient: Journey, *flags: str):
    """Answer the pages up to the urgent one with `flags` answered yes: the urgent POST's
    response (a redirect to "Get help now" when stored)."""
    patient.answer_all(until="urgent")
    return patient.post(
        STEP_URLS["urgent"], {**ALL_NO_RED_FLAGS, **dict.fromkeys(flags or ["chest_pain"], "yes")}
    )


def _full_send(patient: Journey):
    patient.answer_all()
    return patient.submit()


def test_the_production_default_is_ten_stored_intakes_an_hour():
    from django.conf import settings

    assert settings.INTAKE_SUBMIT_RATE_LIMIT == "10/h"
    assert ratelimit.rate_for(ratelimit.INTAKE_SUBMIT) == ratelimit.Rate(count=10, seconds=3600)


def test_one_address_stores_at_most_ten_urgent_intakes_an_hour_with_the_defaults(
    frozen_day, time_machine
):
    """The issue's case: a new session every three minutes for an hour, each answering a
    red flag yes, stays under the POST limit (four POSTs each); before this limit every
    one of the twenty was stored as an urgent submission."""
    statuses = []
    for minute in range(0, 60, 3):
        time_machine.move_to(INTAKE_MOMENT + datetime.timedelta(minutes=minute), tick=False)
        statuses.append(_red_flag(_patient()).status_code)

    assert statuses == [302] * 10 + [429] * 10
    assert Submission.objects.count() == 10
    assert set(Submission.objects.values_list("level", flat=True)) == {"urgent"}


def test_over_the_limit_a_red_flag_post_says_where_to_get_care_first(stored_limit):
    stored_limit("1/h")
    assert _red_flag(_patient()).status_code == 302

    response = _red_flag(
        _patient(), "sudden_one_sided_weakness_or_speech_difficulty", "thoughts_of_self_harm"
    )

    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    page = response.content.decode()
    assert "<title>Get help now – Your clinic</title>" in page
    lead = "Some of your answers mean you need care today. We could not send your answers"
    assert lead in page
    text = strip_tags(page)  # the emergency number is a tel: link
    assert text.index(lead) < text.index("Call 999 now") < text.index("Nothing from it was saved.")
    assert "Think FAST:" in page  # the stroke advice
    assert "Get mental health support today" in page
    assert "Please wait 60 minutes and try again." in page
    assert Submission.objects.count() == 1


def test_the_red_flag_429_page_is_in_the_patients_language(stored_limit):
    stored_limit("1/h")
    _red_flag(_patient())

    response = _red_flag(_patient(HTTP_ACCEPT_LANGUAGE="es"), "chest_pain")

    assert response.status_code == 429
    page = response.content.decode()
    assert '<html lang="es">' in page
    assert "No pudimos enviar sus respuestas" in page
    assert "Llame ahora al 999" in strip_tags(page)  # the number is a tel: link
    assert "We could not" not in page


def test_a_send_and_a_red_flag_count_the_same(stored_limit):
    stored_limit("2/h")
    assert _full_send(_patient()).status_code == 302
    assert _red_flag(_patient()).status_code == 302

    assert _full_send(_patient()).status_code == 429
    assert _red_flag(_patient()).status_code == 429
    assert Submission.objects.count() == 2


def test_a_refused_send_stores_nothing_and_keeps_the_draft(stored_limit):
    stored_limit("1/h")
    _full_send(_patient())
    patient = _patient()
    patient.answer_all()
    key = patient.idempotency_key()

    response = patient.submit(key)

    assert response.status_code == 429
    assert "Nothing from it was saved." in response.content.decode()
    assert "We could not send your answers" not in response.content.decode()  # no red flag
    assert Submission.objects.count() == 1
    assert patient.client.session["intake"]["idempotency_key"] == key


def test_sending_the_rest_of_an_urgent_intake_is_not_a_second_intake(stored_limit):
    stored_limit("1/h")
    patient = _patient()
    assert _red_flag(patient).status_code == 302
    for slug in ("risk-factors", "blood-tests", "anything-else"):
        patient.answer(slug)

    response = patient.submit()

    assert response.status_code == 302
    assert response["Location"] == "/intake/done/"
    submission = Submission.objects.get()
    assert (submission.is_complete, submission.level) == (True, "urgent")


def test_each_address_has_its_own_stored_intake_counter(stored_limit):
    stored_limit("1/h")
    assert _red_flag(_patient("203.0.113.21")).status_code == 302
    assert _red_flag(_patient("203.0.113.21")).status_code == 429
    assert _red_flag(_patient("203.0.113.22")).status_code == 302


def test_off_turns_the_stored_intake_limit_off(stored_limit):
    stored_limit("off")
    assert [_red_flag(_patient()).status_code for _ in range(3)] == [302, 302, 302]


def test_a_malformed_stored_intake_limit_stops_the_app_at_start_up(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.INTAKE_SUBMIT_RATE_LIMIT = "ten an hour"
    with pytest.raises(ImproperlyConfigured, match="'ten an hour'"):
        ratelimit.RateLimitMiddleware(lambda request: None)


# --- The client tag: which client sent an intake, without its address ------------------


def test_an_intake_from_the_web_carries_its_clients_tag_and_not_its_address(frozen_day):
    _red_flag(_patient())
    _full_send(_patient())
    _full_send(_patient("203.0.113.99"))

    tags = list(Submission.objects.order_by("pk").values_list("client_tag", flat=True))
    assert all(re.fullmatch(r"[0-9a-f]{32}", tag) for tag in tags)
    assert tags[0] == tags[1] != tags[2]
    assert not any(ADDRESS in tag or "203.0.113.99" in tag for tag in tags)


def test_a_tag_links_one_clients_intakes_within_one_clock_hour_only():
    from django.test import RequestFactory

    request = RequestFactory().get("/", REMOTE_ADDR=ADDRESS)
    hour = 1_750_000_000 - 1_750_000_000 % 3600
    assert ratelimit.client_tag(request, now=hour) == ratelimit.client_tag(request, now=hour + 3599)
    assert ratelimit.client_tag(request, now=hour) != ratelimit.client_tag(request, now=hour + 3600)
    # Not the rate limit's key for the same address: the tag is salted apart.
    assert ratelimit.client_tag(request, now=hour) != ratelimit.address_key(ADDRESS)
