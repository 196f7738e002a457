"""Rate limits on the public POSTs (screening.web.ratelimit): per address, per window, 429 with
nothing stored, GETs and staff pages not counted, a cache outage lets patients through."""

from __future__ import annotations

import datetime
import json
import logging

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from screening.models import EmailOptOut, IntakeDraft, Submission
from screening.web import ratelimit
from tests.conftest import CONSENT_URL, INTAKE_MOMENT, STEP_URLS, VALID_PAGES, page_text
from tests.factories import SubmissionFactory
from tests.security.support import FHIR_JSON, FHIR_POST_URL, api_token, bearer, fhir_payload

ABOUT_YOU = STEP_URLS["about-you"]
PUBLIC_POST_URLS = [
    "/",
    CONSENT_URL,
    ABOUT_YOU,
    STEP_URLS["symptoms"],
    "/intake/check/",
    "/intake/resume/not-a-token/",
    "/follow-up/not-a-token/",
    "/follow-up/not-a-token/urgent/",
    "/unsubscribe/not-a-token/",
]


@pytest.fixture
def limit(settings):
    """Set the intake limit: `limit("3/10m")`."""

    def set_limit(rate: str) -> None:
        settings.INTAKE_RATE_LIMIT = rate

    return set_limit


# --- The setting ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("60/10m", ratelimit.Rate(count=60, seconds=600)),
        ("5/s", ratelimit.Rate(count=5, seconds=1)),
        ("1000/h", ratelimit.Rate(count=1000, seconds=3600)),
        ("2/90s", ratelimit.Rate(count=2, seconds=90)),
        ("off", None),
    ],
)
def test_parse_rate(text, rate):
    assert ratelimit.parse_rate(text) == rate


@pytest.mark.parametrize(
    "text", ["", "60", "60/", "0/10m", "60/0m", "60/10d", "-1/m", "60 / 10m", "OFF", "6O/m"]
)
def test_a_malformed_rate_is_refused(text):
    with pytest.raises(ImproperlyConfigured, match="60/10m"):
        ratelimit.parse_rate(text)


def test_a_malformed_setting_stops_the_middleware_at_start_up(settings):
    settings.FHIR_RATE_LIMIT = "lots"
    with pytest.raises(ImproperlyConfigured, match="'lots'"):
        ratelimit.RateLimitMiddleware(lambda request: None)


def test_the_production_defaults():
    from django.conf import settings

    assert ratelimit.rate_for(ratelimit.INTAKE) == ratelimit.Rate(count=60, seconds=600)
    assert settings.FHIR_RATE_LIMIT == "600/10m"


# --- Patient pages ----------------------------------------------------------------------


def test_over_the_limit_the_send_is_refused_with_a_clear_page_and_stores_nothing(journey, limit):
    limit(f"{len(STEP_URLS) + 1}/10m")
    journey.answer_all()  # the agreement, then one POST per page
    key = journey.idempotency_key()

    response = journey.submit(key)

    assert response.status_code == 429
    assert response["Retry-After"] == "600"  # the clock is frozen at the window's start
    page = response.content.decode()
    assert "<title>Too many attempts from your connection – Your clinic</title>" in page
    assert "Nothing from it was saved." in page
    assert "Please wait 10 minutes and try again." in page
    assert "call 999 now" in page_text(page)
    assert Submission.objects.count() == 0
    assert journey.client.session["intake"]["idempotency_key"] == key  # the draft is kept


def test_after_the_window_the_same_send_goes_through(journey, limit, time_machine):
    limit(f"{len(STEP_URLS) + 1}/10m")
    journey.answer_all()
    key = journey.idempotency_key()
    assert journey.submit(key).status_code == 429
    time_machine.move_to(INTAKE_MOMENT + datetime.timedelta(minutes=9, seconds=59), tick=False)
    assert journey.submit(key).status_code == 429

    time_machine.move_to(INTAKE_MOMENT + datetime.timedelta(minutes=10), tick=False)

    response = journey.submit(key)
    assert response.status_code == 302
    assert response["Location"] == "/intake/done/"
    assert Submission.objects.count() == 1


def test_retry_after_counts_down_to_the_end_of_the_window(client, db, limit, time_machine):
    limit("1/10m")
    time_machine.move_to(INTAKE_MOMENT + datetime.timedelta(minutes=7, seconds=30), tick=False)
    client.post("/")

    response = client.post("/")

    assert response.status_code == 429
    assert response["Retry-After"] == "150"
    assert "Please wait 3 minutes and try again." in response.content.decode()


def test_the_page_names_the_clinics_phone_when_there_is_one(client, db, limit, settings):
    limit("1/10m")
    settings.CLINIC_PHONE = "01632 960 000"
    client.post("/")
    page = client.post("/").content.decode()
    assert "If you need to speak to the clinic now, call 01632 960 000." in page_text(page)


def test_the_page_is_in_the_patients_language(client, db, limit):
    limit("1/10m")
    client.post("/", HTTP_ACCEPT_LANGUAGE="es")

    response = client.post("/", HTTP_ACCEPT_LANGUAGE="es")

    page = response.content.decode()
    assert response.status_code == 429
    assert '<html lang="es">' in page
    assert "Demasiados intentos desde su conexión" in page
    assert "Too many" not in page


def test_a_refused_about_you_post_keeps_nothing(client, frozen_day, db, limit):
    limit("1/10m")
    client.post("/")

    response = client.post(ABOUT_YOU, VALID_PAGES["about-you"])

    assert response.status_code == 429
    assert "intake" not in client.session
    assert "Ann Example" not in response.content.decode()
    assert IntakeDraft.objects.count() == 0


@pytest.mark.parametrize("url", PUBLIC_POST_URLS)
def test_every_public_post_counts(client, db, limit, url):
    limit("1/10m")
    first = client.post(url)
    assert first.status_code != 429

    assert client.post(url).status_code == 429


def test_public_posts_share_one_counter(client, db, limit):
    limit("3/10m")
    assert [client.post(url).status_code == 429 for url in PUBLIC_POST_URLS[:4]] == [
        False,
        False,
        False,
        True,
    ]


def test_unsubscribe_over_the_limit_records_no_opt_out(db, limit):
    from screening.reminders.unsubscribe import unsubscribe_url
    from tests.factories import ReminderFactory

    limit("1/10m")
    path = "/unsubscribe/" + unsubscribe_url(ReminderFactory()).rsplit("/unsubscribe/", 1)[1]
    client = Client()
    client.post("/")

    assert client.post(path).status_code == 429
    assert EmailOptOut.objects.count() == 0


def test_gets_are_not_counted(client, db, limit):
    limit("1/10m")
    assert {client.get(CONSENT_URL).status_code for _ in range(5)} == {200}
    assert client.post("/").status_code == 302


def test_staff_posts_are_not_counted(clinician_client, limit):
    limit("1/10m")
    submission = SubmissionFactory()
    url = f"/staff/submissions/{submission.public_id}/assign/"
    assert [clinician_client.post(url).status_code for _ in range(3)] == [302, 302, 302]


def test_each_address_has_its_own_counter(db, limit):
    limit("1/10m")
    first, second = Client(REMOTE_ADDR="203.0.113.5"), Client(REMOTE_ADDR="203.0.113.6")
    assert first.post("/").status_code == 302
    assert first.post("/").status_code == 429
    assert second.post("/").status_code == 302


def test_an_ipv6_network_of_64_shares_a_counter(db, limit):
    limit("1/10m")
    assert Client(REMOTE_ADDR="2001:db8:1:2::1").post("/").status_code == 302
    assert Client(REMOTE_ADDR="2001:db8:1:2:ffff::9").post("/").status_code == 429
    assert Client(REMOTE_ADDR="2001:db8:1:3::1").post("/").status_code == 302


def test_an_ipv4_mapped_address_is_its_ipv4_address(db, limit):
    limit("1/10m")
    assert Client(REMOTE_ADDR="203.0.113.5").post("/").status_code == 302
    assert Client(REMOTE_ADDR="::ffff:203.0.113.5").post("/").status_code == 429


def test_forwarded_headers_do_not_reset_the_counter(client, db, limit):
    limit("1/10m")
    client.post("/", HTTP_X_FORWARDED_FOR="198.51.100.1")
    response = client.post("/", HTTP_X_FORWARDED_FOR="198.51.100.2", HTTP_X_REAL_IP="198.51.100.2")
    assert response.status_code == 429


def test_the_cache_holds_no_address(db, limit):
    from django.core.cache import cache

    limit("5/10m")
    Client(REMOTE_ADDR="203.0.113.77").post("/")
    keys = list(cache._cache.keys())  # the local-memory cache of the tests
    assert len(keys) == 1
    assert "203.0.113.77" not in keys[0]
    assert keys[0].startswith(f":1:ratelimit:intake:{ratelimit.address_key('203.0.113.77')}:")


def test_off_turns_the_limit_off(client, db, limit):
    limit("off")
    assert {client.post("/").status_code for _ in range(70)} == {302}


class DownCache:
    def add(self, *args, **kwargs):
        raise ConnectionError("Error 111 connecting to redis:6379")


@pytest.fixture
def outage(monkeypatch):
    """A fresh outage log and a clock the test moves (time.monotonic in ratelimit)."""
    clock = {"now": 1000.0}
    monkeypatch.setattr(ratelimit, "cache_outage", ratelimit.CacheOutage())
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: clock["now"])
    return clock


def _outage_lines(caplog) -> list[tuple[str, str]]:
    return [
        (r.levelname, r.getMessage())
        for r in caplog.records
        if r.name == "screening.web.ratelimit" and "Rate limit" in r.getMessage()
    ]


def test_a_cache_that_does_not_answer_lets_patients_through_and_logs_once(
    client, db, limit, monkeypatch, caplog, outage
):
    limit("1/10m")
    monkeypatch.setattr(ratelimit, "cache", DownCache())

    assert [client.post("/").status_code for _ in range(3)] == [302, 302, 302]
    assert _outage_lines(caplog) == [
        (
            "ERROR",
            "Rate limit not checked: the cache did not answer "
            "(logged once per 60 s while it lasts)",
        )
    ]


def test_a_long_cache_outage_is_logged_once_a_minute_with_a_count_then_its_end(
    client, db, limit, monkeypatch, caplog, outage
):
    limit("100/10m")
    real_cache = ratelimit.cache
    monkeypatch.setattr(ratelimit, "cache", DownCache())
    for _ in range(5):
        client.post("/")
    outage["now"] += 61
    client.post("/")  # a minute on: one line, counting the 4 unlogged and itself
    outage["now"] += 10
    client.post("/")
    monkeypatch.setattr(ratelimit, "cache", real_cache)  # the cache answers again
    client.post("/")
    client.post("/")

    assert [line for _, line in _outage_lines(caplog)][1:] == [
        "Rate limit still not checked: the cache did not answer; "
        "5 more requests let through unchecked since the last line",
        "Rate limit checked again: the cache answers; 7 requests were let through "
        "unchecked during the outage",
    ]


def test_the_first_refusal_in_a_window_is_logged_once_without_the_address(db, limit, caplog):
    limit("1/10m")
    client = Client(REMOTE_ADDR="203.0.113.9")
    with caplog.at_level(logging.WARNING, logger="screening.web.ratelimit"):
        for _ in range(4):
            client.post("/")
    lines = [r.getMessage() for r in caplog.records if r.name == "screening.web.ratelimit"]
    assert lines == [
        "Rate limit reached: 1 POSTs in 600 s (intake, client "
        f"{ratelimit.address_key('203.0.113.9')[:12]}); answering 429"
    ]
    assert "203.0.113.9" not in caplog.text


def test_counting_across_the_window_edge():
    rate = ratelimit.Rate(count=2, seconds=60)
    start = 1_750_000_020.0  # a whole minute
    hits = [
        ratelimit.hit(scope="intake", address="192.0.2.1", rate=rate, now=start + offset)
        for offset in (0, 30, 59.9, 60, 61, 62)
    ]
    assert [h.count for h in hits] == [1, 2, 3, 1, 2, 3]
    assert [h.allowed for h in hits] == [True, True, False, True, True, False]
    assert [h.retry_after for h in hits] == [60, 30, 1, 60, 59, 58]


# --- The FHIR API -----------------------------------------------------------------------


def test_fhir_post_over_its_limit_is_an_operation_outcome_and_stores_nothing(
    client, db, settings, frozen_day
):
    settings.FHIR_RATE_LIMIT = "1/10m"
    token = api_token()
    first = client.post(
        FHIR_POST_URL, json.dumps(fhir_payload("qr-1")), content_type=FHIR_JSON, **bearer(token)
    )
    assert first.status_code == 201

    response = client.post(
        FHIR_POST_URL, json.dumps(fhir_payload("qr-2")), content_type=FHIR_JSON, **bearer(token)
    )

    assert response.status_code == 429
    assert response["Content-Type"] == "application/fhir+json"
    assert response["Retry-After"] == "600"
    assert json.loads(response.content) == {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "throttled",
                "diagnostics": "Too many requests from this address: retry after 600 seconds",
            }
        ],
    }
    assert Submission.objects.count() == 1


def test_fhir_and_patient_pages_have_separate_counters(client, db, settings, limit):
    limit("1/10m")
    settings.FHIR_RATE_LIMIT = "1/10m"
    assert client.post("/").status_code == 302
    assert client.post(FHIR_POST_URL, "{}", content_type=FHIR_JSON).status_code == 401
    assert client.post(FHIR_POST_URL, "{}", content_type=FHIR_JSON).status_code == 429
    assert client.post("/").status_code == 429


def test_fhir_reads_are_not_counted(client, db, settings):
    settings.FHIR_RATE_LIMIT = "1/10m"
    token = api_token()
    statuses = {
        client.get("/fhir/Bundle", {"_since": "2025-01-01T00:00:00Z"}, **bearer(token)).status_code
        for _ in range(3)
    }
    assert statuses == {200}


def test_journey_helper_is_not_limited_by_default(journey):
    """The production default (60 in 10 minutes) leaves room for a whole intake with
    mistakes: here, every page three times."""
    for _ in range(3):
        journey.answer_all()
    assert journey.submit().status_code == 302
