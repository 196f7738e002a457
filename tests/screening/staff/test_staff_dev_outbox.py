"""The development outbox (screening/staff/views/dev_outbox.py): every email in full with
a working link in development; 404 in production, before any sign-in check."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from screening.models import AuditEvent
from screening.reminders import delivery
from screening.web import dev_mail
from tests.screening import reminder_support as support

pytestmark = pytest.mark.django_db

OUTBOX = "/staff/dev/outbox/"


@pytest.fixture
def development(settings, tmp_path):
    settings.DEBUG = True
    settings.EMAIL_BACKEND = dev_mail.BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.SITE_URL = "http://testserver"
    return settings


def _follow_up_sent(time_machine) -> None:
    support.frozen_at(time_machine)
    reminder = support.queued(support.follow_up_due())
    assert delivery.reminder_deliver(reminder_id=reminder.pk).outcome == "sent"


def test_the_demo_follow_up_email_is_readable_and_its_link_opens_the_form(
    development, clinician_client, time_machine
):
    _follow_up_sent(time_machine)

    listing = clinician_client.get(OUTBOX)
    assert listing.status_code == 200
    (name,) = re.findall(r'href="/staff/dev/outbox/([0-9a-f-]+)/"', listing.content.decode())
    page = clinician_client.get(f"{OUTBOX}{name}/").content.decode()
    (link,) = re.findall(r'<a href="(http://testserver/follow-up/[^"]+)"', page)

    form = Client().get(link.removeprefix("http://testserver"))
    assert form.status_code == 200
    assert [template.name for template in form.templates][0] == "screening/question.html"
    assert "[redacted]" not in page


def test_viewing_the_outbox_is_audited(development, clinician_client, clinician, time_machine):
    _follow_up_sent(time_machine)

    clinician_client.get(OUTBOX)

    event = AuditEvent.objects.get(what="dev.outbox")
    assert (event.actor, event.action, event.detail) == (clinician, "view", {"rows": 1})


def test_an_unknown_email_is_404(development, clinician_client):
    assert clinician_client.get(f"{OUTBOX}20261202-093000-000000000000/").status_code == 404
    assert clinician_client.get(f"{OUTBOX}x/").status_code == 404


def test_in_development_anonymous_users_are_sent_to_sign_in(development, client):
    for url in (OUTBOX, f"{OUTBOX}x/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/account/login/")


def test_in_development_a_user_without_a_role_is_refused(development, outsider_client):
    assert outsider_client.get(OUTBOX).status_code == 403


@pytest.mark.parametrize("url", [OUTBOX, f"{OUTBOX}20261202-093000-000000000000/"])
def test_in_production_the_outbox_does_not_exist(settings, client, clinician_client, url):
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert client.get(url).status_code == 404
    assert clinician_client.get(url).status_code == 404
    assert client.post(url).status_code == 404
