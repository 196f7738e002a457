"""The benchmarks' simulated patient (bench/patients.py) still walks today's intake.

The benchmarks and the load test run only in CI's service pass; when the intake gains a
page, their patient must learn it too. This walks the same journey in-process (Django's
WSGI app through httpx, no server) on the suite's database, so the ordinary pass catches
a page the simulated patient does not know.
"""

from __future__ import annotations

import datetime

import httpx
import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from bench import patients
from bench.harness import Browser
from screening.models import Submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://testserver"]  # the Origin it sends, as behind TLS
    # As Django's test client does: a request must not close the test's own connection
    # (on PostgreSQL that would end the test's transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    transport = httpx.WSGITransport(app=get_wsgi_application())
    try:
        yield Browser("http://testserver", transport=transport)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_the_simulated_patient_answers_every_page_and_sends_once(browser):
    answers = patients.pages(7, "journey", datetime.date.today())

    prepared = patients.walk_to_check(browser, answers, patients.Retry())
    patients.send(prepared, patients.Retry())
    patients.send(prepared, patients.Retry())  # the same final POST again: still one
    patients.see_done(prepared, patients.Retry())

    stored = Submission.objects.filter(patient__email=patients.patient_email(7, "journey"))
    assert stored.count() == 1


def test_the_simulated_patient_can_save_and_leave(browser):
    answers = patients.pages(8, "journey", datetime.date.today())

    assert patients.walk_to_check(browser, answers, patients.Retry(), save_at="symptoms") is None
    assert not Submission.objects.exists()
