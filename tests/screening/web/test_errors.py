"""Error pages: the patient's language, the site's design, what to do next; no detail of
the error, and no database needed for a 500 (screening/web/errors.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from tests.conftest import page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing_urls(settings):
    settings.ROOT_URLCONF = "tests.screening.web.urls_failing"
    settings.CLINIC_PHONE = "01632 960 000"


@pytest.fixture
def patient():
    return Client(raise_request_exception=False)


def test_a_failed_page_is_a_500_in_the_sites_design_with_what_to_do(failing_urls, patient):
    response = patient.get("/intake/failing/")

    assert response.status_code == 500
    text = page_text(response.content.decode())
    assert "Sorry, there is a problem with the service" in text
    assert "Try again in a few minutes." in text
    assert "call 01632 960 000" in text
    assert 'href="tel:01632960000"' in response.content.decode()
    assert "css/site.css" in response.content.decode()
    assert "Server Error (500)" not in text
    assert "Ann Example" not in text and "RuntimeError" not in text


def test_after_a_failed_form_the_500_says_to_press_the_button_again(failing_urls, patient):
    response = patient.post("/intake/failing/", {"anything": "x"})

    assert response.status_code == 500
    text = page_text(response.content.decode())
    assert "Go back and press the button again" in text
    assert "it will not be sent twice" in text


def test_the_500_page_is_in_the_patients_language(failing_urls, patient):
    patient.cookies["django_language"] = "es"
    response = patient.post("/intake/failing/")

    assert response.status_code == 500
    text = page_text(response.content.decode())
    assert '<html lang="es">' in response.content.decode()
    assert "Sorry, there is a problem" not in text
    assert "no se enviará dos veces" in text


def test_the_500_page_follows_the_browsers_language_without_a_cookie(failing_urls):
    patient = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
    response = patient.get("/intake/failing/")

    assert '<html lang="es">' in response.content.decode()


def test_a_staff_page_500_is_in_english(failing_urls):
    staff = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="es")
    response = staff.get("/staff/failing/")

    assert response.status_code == 500
    assert '<html lang="en">' in response.content.decode()


def test_the_500_page_reads_nothing_from_the_database(failing_urls, patient, monkeypatch):
    """A 500 often comes from a database that is down: the page must still render."""
    from screening.web import errors

    def no_database(*args, **kwargs):
        raise AssertionError("the 500 page queried the database")

    with connection.execute_wrapper(no_database):
        response = errors.server_error(patient.get("/intake/failing/").wsgi_request)

    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()


def test_an_unknown_page_is_a_404_in_the_sites_design(patient):
    patient.cookies["django_language"] = "es"
    response = patient.get("/intake/no-such-page/")

    assert response.status_code == 404
    text = page_text(response.content.decode())
    assert '<html lang="es">' in response.content.decode()
    assert "Not Found" not in text
    assert "/intake/no-such-page/" not in text  # the path is not echoed


def test_a_form_too_large_is_a_400_page_not_a_bare_one(patient, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = patient.post("/intake/before-you-start/", {"care_consent": "x" * 5000})

    assert response.status_code == 400
    text = page_text(response.content.decode())
    assert "The page could not be sent" in text
    assert "Bad Request" not in text


def test_maintenance_mode_answers_503_with_retry_after_on_every_page(patient, settings):
    settings.MAINTENANCE_MODE = True
    settings.MAINTENANCE_RETRY_AFTER = 900

    for path in ("/", "/intake/before-you-start/", "/staff/"):
        response = patient.get(path)
        assert response.status_code == 503, path
        assert response["Retry-After"] == "900"
        assert "This service is not available at the moment" in page_text(response.content.decode())
    assert patient.post("/intake/before-you-start/", {"care_consent": "yes"}).status_code == 503


def test_maintenance_mode_keeps_the_health_check_and_speaks_spanish(patient, settings):
    settings.MAINTENANCE_MODE = True
    patient.cookies["django_language"] = "es"

    assert patient.get("/health/").status_code in (200, 503)
    assert "Retry-After" not in patient.get("/health/")
    page = patient.get("/intake/before-you-start/")
    assert '<html lang="es">' in page.content.decode()
    assert "This service is not available" not in page_text(page.content.decode())


def test_without_maintenance_mode_pages_are_served(patient):
    assert patient.get("/").status_code == 200


def test_the_500_page_shows_the_clinics_saved_phone_from_the_cache(failing_urls, patient):
    """A clinic admin's saved phone (cached on save) is on the 500 page, without a query."""
    import dataclasses

    from django.core.cache import cache

    from screening.domain.queries import clinic as clinic_queries

    saved = dataclasses.replace(clinic_queries.first_values(), phone="01632 960 999")
    cache.set(clinic_queries.CACHE_KEY, dataclasses.asdict(saved))
    try:
        response = patient.get("/intake/failing/")
    finally:
        cache.delete(clinic_queries.CACHE_KEY)

    assert "call 01632 960 999" in page_text(response.content.decode())
