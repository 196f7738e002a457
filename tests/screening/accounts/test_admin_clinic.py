"""The clinic's own settings in the admin (issue 14): a clinic admin changes them without
a deploy, the next page and the next email carry them, every change is audited, and only
clinic admins and superusers may make one."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.test import Client

from screening.intake import privacy
from screening.models import AuditEvent, ClinicSettings
from screening.reminders import delivery
from tests.conftest import signed_in
from tests.screening import reminder_support as support
from tests.screening.accounts.test_admin_audit_settings import edit

pytestmark = pytest.mark.django_db

URL = "/admin/screening/clinicsettings/1/change/"
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clinic_admin_client(clinic_admin) -> Client:
    return signed_in(Client(), clinic_admin)


@pytest.fixture
def first_values(settings):
    """The environment's values, as a clinic deployed before issue 14 had them."""
    settings.CLINIC_NAME = "Riverside Surgery"
    settings.CLINIC_PHONE = "01632 960 000"
    settings.PATIENT_EMAIL_HOURS = "00:00-24:00"  # whatever the hour the test runs
    return settings


def save(client: Client, capture, **changes):
    """Post the settings form with `changes`, running what waits for the commit."""
    with capture(execute=True):
        return edit(client, URL, **changes)


def test_the_form_starts_with_the_environments_values(clinic_admin_client, first_values):
    response = clinic_admin_client.get(URL)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert (form.initial["name"], form.initial["phone"]) == ("Riverside Surgery", "01632 960 000")
    assert form.initial["emergency_number"] == "999"
    assert ClinicSettings.objects.count() == 0  # nothing stored until the admin saves


def test_the_list_goes_straight_to_the_one_row(clinic_admin_client):
    response = clinic_admin_client.get("/admin/screening/clinicsettings/")
    assert (response.status_code, response["Location"]) == (302, URL)


def test_a_changed_phone_is_on_the_next_page_and_in_the_next_email(
    time_machine, clinic_admin_client, first_values, django_capture_on_commit_callbacks
):
    """The issue's "Done means": a clinic admin changes the clinic's phone number and the
    next email carries it (and the next page), with no restart."""
    support.frozen_at(time_machine)
    page = Client().get("/privacy/").content.decode()
    assert '<a href="tel:01632960000" class="tel">01632 960 000</a>' in page

    response = save(clinic_admin_client, django_capture_on_commit_callbacks, phone="020 7946 0123")

    assert response.status_code == 302
    page = Client().get("/privacy/").content.decode()
    assert '<a href="tel:02079460123" class="tel">020 7946 0123</a>' in page
    assert "01632 960 000" not in page
    reminder = support.queued(support.follow_up_due())
    batch = delivery.reminders_deliver(reminder_ids=[reminder.pk])
    assert batch.outcomes == {"sent": 1}
    [email] = mail.outbox
    assert "Phone: 020 7946 0123" in email.body
    assert "01632 960 000" not in email.body
    html = email.alternatives[0][0]
    assert '<a href="tel:02079460123" class="tel">020 7946 0123</a>' in html


def test_a_change_is_audited_who_what_when_from_where(
    time_machine,
    clinic_admin_client,
    clinic_admin,
    first_values,
    django_capture_on_commit_callbacks,
):
    time_machine.move_to(START, tick=False)

    save(
        clinic_admin_client,
        django_capture_on_commit_callbacks,
        phone="020 7946 0123",
        reply_working_days="3",
    )

    [event] = AuditEvent.objects.filter(what="setting.clinic")
    assert (event.actor, event.action, event.object_type, event.object_id) == (
        clinic_admin,
        "change",
        "clinic_settings",
        "1",
    )
    assert event.detail == {"changed": ["phone", "reply_working_days"]}
    assert (event.ip_address, event.created_at) == ("127.0.0.1", START)
    assert ClinicSettings.objects.get().reply_working_days == 3


def test_a_superuser_may_change_them(admin_client, django_capture_on_commit_callbacks):
    response = save(admin_client, django_capture_on_commit_callbacks, name="Hillside Practice")
    assert response.status_code == 302
    assert ClinicSettings.objects.get().name == "Hillside Practice"


@pytest.mark.parametrize("persona", ["clinician_client", "receptionist_client"])
def test_clinicians_and_receptionists_cannot_open_or_change_them(request, persona):
    client = request.getfixturevalue(persona)

    assert client.get(URL).status_code == 302  # to sign in: they are not admin staff
    response = client.post(URL, {"name": "Taken over", "phone": "0800 000 000"})

    assert response.status_code == 302
    assert "/login/" in response["Location"]
    assert ClinicSettings.objects.count() == 0
    assert not AuditEvent.objects.filter(what="setting.clinic").exists()


def test_admin_staff_without_the_permission_are_refused(clinic_admin):
    clinic_admin.groups.clear()  # admin staff, but no longer a clinic admin
    client = signed_in(Client(), clinic_admin)

    assert client.get(URL).status_code == 403
    assert client.post(URL, {"name": "Taken over"}).status_code == 403
    assert ClinicSettings.objects.count() == 0


def test_there_is_nothing_to_add_or_delete(clinic_admin_client):
    assert clinic_admin_client.get("/admin/screening/clinicsettings/add/").status_code == 403
    assert clinic_admin_client.get(URL.replace("change", "delete")).status_code == 403


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "call reception", "Enter one phone number"),
        ("phone", "12", "Enter one phone number"),
        ("phone", "01632 960 000 or 01632 960 001", "Enter one phone number"),
        ("emergency_number", "", "This field is required."),
        ("urgent_advice_number", "one-one-one", "Enter one phone number"),
        ("crisis_line", "the Samaritans", "Include the phone number to call"),
        ("patient_email_hours", "8am to 8pm", "must look like 08:00-20:00"),
        ("patient_email_hours", "20:00-08:00", "must start before it ends"),
        ("patient_email_hours", "24:00-08:00", "not start there"),
        ("reply_working_days", "31", "less than or equal to 30"),
        ("contact_email", "not an address", "Enter a valid email address."),
        ("logo", "../clinic/settings.py", "Name a picture"),
        ("logo", "https://example.org/logo.png", "Name a picture"),
        ("logo", "clinic/missing.png", "Name a picture"),
        ("logo", "css/site.css", "Name a picture"),
    ],
)
def test_bad_values_are_refused_by_the_field_and_nothing_is_stored(
    clinic_admin_client, django_capture_on_commit_callbacks, field, value, message
):
    response = save(clinic_admin_client, django_capture_on_commit_callbacks, **{field: value})

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert ClinicSettings.objects.count() == 0
    assert not AuditEvent.objects.filter(what="setting.clinic").exists()


def test_the_logo_is_a_static_file_shown_in_the_header(
    clinic_admin_client, django_capture_on_commit_callbacks
):
    response = save(
        clinic_admin_client, django_capture_on_commit_callbacks, logo="admin/img/icon-yes.svg"
    )

    assert response.status_code == 302
    page = Client().get("/privacy/").content.decode()
    assert '<img class="site-logo" src="/static/admin/img/icon-yes.svg" alt=""' in page


def test_the_address_is_in_every_pages_footer_escaped(
    clinic_admin_client, django_capture_on_commit_callbacks
):
    save(
        clinic_admin_client,
        django_capture_on_commit_callbacks,
        address="1 High Street\nRiverside <RV1 1AA>",
    )

    page = Client().get("/accessibility/").content.decode()
    assert "1 High Street<br>Riverside &lt;RV1 1AA&gt;</address>" in page


def test_a_new_privacy_text_is_a_new_version_that_new_agreements_record(
    clinic_admin_client, django_capture_on_commit_callbacks, journey
):
    default_version = privacy.privacy_notice().version

    save(
        clinic_admin_client,
        django_capture_on_commit_callbacks,
        privacy_notice_text="Riverside Surgery keeps your answers safe.",
    )
    first = privacy.privacy_notice().version
    save(
        clinic_admin_client,
        django_capture_on_commit_callbacks,
        privacy_notice_text_es="Riverside Surgery guarda sus respuestas.",
    )
    second = privacy.privacy_notice().version
    save(clinic_admin_client, django_capture_on_commit_callbacks, name="Riverside Practice")

    assert len({default_version, first, second}) == 3
    assert first.startswith("text-") and second.startswith("text-")
    assert privacy.privacy_notice().version == second  # another field: the same notice
    page = journey.client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "<p>Riverside Surgery guarda sus respuestas.</p>" in page
    journey.consent()
    assert journey.client.session["intake"]["care_consent"]["version"] == second


def test_the_first_save_keeps_the_privacy_file_and_its_version(
    clinic_admin_client, settings, tmp_path, django_capture_on_commit_callbacks
):
    notice = tmp_path / "privacy.txt"
    notice.write_text("Our own notice.", encoding="utf-8")
    settings.PRIVACY_NOTICE_FILE = str(notice)
    before = privacy.privacy_notice().version

    save(clinic_admin_client, django_capture_on_commit_callbacks, phone="020 7946 0123")
    notice.write_text("Changed on disk: no longer read.", encoding="utf-8")

    assert ClinicSettings.objects.get().privacy_notice_text == "Our own notice."
    assert privacy.privacy_notice().version == before
    assert privacy.privacy_notice().own_text == "<p>Our own notice.</p>"
