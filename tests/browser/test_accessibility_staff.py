"""Every staff page passes axe-core (WCAG 2.2 A/AA and best practices) with zero
violations, in Chromium at desktop size, with real data on it: the sign-in pages (with
their errors), the queue for both roles, a record with results, labs, decisions, tasks
and the severity chart, every form with its errors, the task pages, the merge and split
confirmations, and the admin index.

The pages are not listed by hand: `test_every_staff_page` walks the URL conf the way
tests/screening/staff/test_url_permissions.py does (through every include), so a new page
under /staff/ is checked the day it is added, and one that is not a page (CSV, POST
only) must be named in NOT_PAGES with the reason.
"""

from __future__ import annotations

import base64
import copy
import datetime
from dataclasses import replace
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from screening.domain.intake import intake_submit
from screening.domain.review import lab_result_add, review_record
from screening.models import Patient, Submission
from tests.browser.conftest import check_page
from tests.browser.helpers import BUTTON, sign_in, submit
from tests.conftest import PATIENT_DETAILS, STAFF_PASSWORD, VALID_ANSWERS
from tests.factories import ReminderFactory, TaskFactory
from tests.screening.staff.test_url_permissions import OBJECT_UUID, STAFF_ROUTES

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

FOCUS_ON_SUMMARY = "document.activeElement.classList.contains('staff-error-summary')"

# Pages the walk must reach (it may reach more: every route that answers HTML is checked).
CORE_PAGES = {
    "staff:dev_outbox",
    "staff:dev_outbox_email",
    "staff_account:login",
    "staff_account:backup_codes",
    "staff_account:password_change",
    "staff:queue",
    "staff:submission",
    "staff:submission_decision",
    "staff:submission_match",  # the second intake is a possible match of the first's record
    "staff:lab_add",
    "staff:patient",
    "staff:patient_merge",
    "staff:patient_split",
    "staff:reminders_failed",
    "staff:tasks",
    "staff:task_close",
    "staff:task_reassign",
    "staff:submission_close",
}


def _answers(**changes) -> dict:
    return {**copy.deepcopy(VALID_ANSWERS), **changes}


def clinic_data(clinician) -> Submission:
    """A patient with two intakes (so the record has a history and a chart), a decision,
    a clinician's lab result, a possible duplicate record, an overdue urgent intake and a
    failed reminder. The second intake and its patient get the walk's OBJECT_UUID."""
    now = timezone.now()
    first = intake_submit(
        answers=_answers(),
        patient_details=dict(PATIENT_DETAILS),
        idempotency_key="browser-1",
        language="en",
    )
    Submission.objects.filter(pk=first.pk).update(submitted_at=now - datetime.timedelta(days=60))
    review_record(
        submission=first,
        by=clinician,
        outcomes=["order_b12_test", "contact_patient"],
        note="Ordered a B12 test.\nAsked her to book a blood test.",
    )
    later = _answers()
    later["symptoms"]["fatigue"]["severity"] = 4
    later["symptoms"]["memory_or_concentration"] = {
        "present": True,
        "severity": 6,
        "duration_weeks": 3,
    }
    second = intake_submit(
        answers=later,
        patient_details=dict(PATIENT_DETAILS),
        idempotency_key="browser-2",
        language="en",
    )
    lab_result_add(
        submission=second,
        test="total_b12",
        value=Decimal("150"),
        unit="ng/L",
        date=timezone.localdate() - datetime.timedelta(days=3),
        by=clinician,
    )
    # Someone who may be the same person (same name and date of birth, another email).
    intake_submit(
        answers=_answers(),
        patient_details={**PATIENT_DETAILS, "email": "ann.other@example.com"},
        idempotency_key="browser-3",
        language="en",
    )
    urgent = intake_submit(
        answers=_answers(red_flags={**VALID_ANSWERS["red_flags"], "chest_pain": True}),
        patient_details={**PATIENT_DETAILS, "full_name": "Uma Urgent", "email": "uma@example.com"},
        idempotency_key="browser-4",
        language="en",
    )
    Submission.objects.filter(pk=urgent.pk).update(submitted_at=now - datetime.timedelta(hours=3))
    ReminderFactory(status="failed", attempts=5, last_error="SMTP 550: mailbox unavailable")
    # An overdue task on the second intake, with the walk's OBJECT_UUID.
    TaskFactory(
        public_id=OBJECT_UUID,
        submission=second,
        owner=clinician,
        due_on=timezone.localdate() - datetime.timedelta(days=1),
    )

    Submission.objects.filter(pk=second.pk).update(public_id=OBJECT_UUID)
    Patient.objects.filter(pk=second.patient_id).update(public_id=OBJECT_UUID)
    return Submission.objects.get(public_id=OBJECT_UUID)


def test_sign_in_pages(desktop, clinician):
    desktop.goto("/staff/")
    assert desktop.url.endswith("/staff/account/login/?next=/staff/")
    check_page(desktop, "staff-login")
    desktop.fill("#id_username", "clinician")
    desktop.fill("#id_password", "not the password")
    submit(desktop, BUTTON)
    assert desktop.evaluate(FOCUS_ON_SUMMARY)
    check_page(desktop, "staff-login-errors")
    desktop.fill("#id_username", "clinician")
    desktop.fill("#id_password", STAFF_PASSWORD)
    submit(desktop, BUTTON)
    assert desktop.url.endswith("/staff/account/verify/")
    check_page(desktop, "staff-verify")
    desktop.fill("#id_code", "000000")
    submit(desktop, BUTTON)
    check_page(desktop, "staff-verify-errors")


def test_enrolment_and_backup_code_pages(desktop):
    user = User.objects.create_user(username="newcomer", password=STAFF_PASSWORD)
    desktop.goto("/staff/account/login/")
    desktop.fill("#id_username", "newcomer")
    desktop.fill("#id_password", STAFF_PASSWORD)
    submit(desktop, BUTTON)
    assert desktop.url.endswith("/staff/account/enrol/")
    check_page(desktop, "staff-enrol")
    submit(desktop, BUTTON)  # no code: a wrong one would throttle the device for a second
    assert desktop.locator(".invalid-feedback").count() == 1
    check_page(desktop, "staff-enrol-errors")

    # The key is on the page as text, as a person would type it into their app.
    key = "".join(desktop.locator("[aria-label=Key]").inner_text().split())
    secret = base64.b32decode(key + "=" * (-len(key) % 8))
    device = TOTPDevice(user=user, key=secret.hex())
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    desktop.fill("#id_code", f"{totp.token():06d}")
    submit(desktop, BUTTON)
    assert desktop.url.endswith("/staff/account/backup-codes/")
    assert len(desktop.locator("main ul li").all_inner_texts()) == 10
    check_page(desktop, "staff-backup-codes-new")
    desktop.goto("/staff/account/backup-codes/")
    check_page(desktop, "staff-backup-codes")


def test_locked_out_page(desktop, clinician, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        desktop.goto("/staff/account/login/")
        desktop.fill("#id_username", "clinician")
        desktop.fill("#id_password", "wrong")
        submit(desktop, BUTTON)
    assert desktop.locator("h1").inner_text() == "Too many attempts"
    check_page(desktop, "staff-locked-out")


def _development_outbox(settings, tmp_path) -> str:
    """Turn the development outbox on (it is 404 otherwise) with one email in it; the
    path of that email's page."""
    from django.core.mail import EmailMultiAlternatives, get_connection

    from screening.web import dev_mail

    settings.DEBUG = True
    settings.EMAIL_BACKEND = dev_mail.BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    message = EmailMultiAlternatives(
        subject="You have a message from your clinic",
        body="Open it:\nhttp://127.0.0.1:8000/follow-up/a-long-signed-token-that-does-not-wrap/\n",
        to=["ann@example.com"],
    )
    message.attach_alternative("<p><a href='http://x.example/'>Open it</a></p>", "text/html")
    get_connection(dev_mail.BACKEND).send_messages([message])
    return f"/staff/dev/outbox/{dev_mail.outbox_list()[0].name}/"


def test_every_staff_page(desktop, clinician, settings, tmp_path):
    submission = clinic_data(clinician)
    email_page = _development_outbox(settings, tmp_path)
    sign_in(desktop, clinician, STAFF_PASSWORD)
    checked, not_pages = [], {}
    for route in STAFF_ROUTES:
        if route.name == "staff:dev_outbox_email":
            route = replace(route, path=email_page)
        # Asked first with the page's cookies: a browser cannot show a download or an
        # empty 405. Only a POST-only route or a download (attachment) is not a page.
        probe = desktop.request.get(route.path, max_redirects=0)
        kind = probe.headers.get("content-type", "").split(";")[0]
        if probe.status == 405 or kind != "text/html":
            not_pages[route.name] = (probe.status, kind)
            assert probe.status == 405 or (
                probe.status == 200
                and probe.headers.get("content-disposition", "").startswith("attachment")
            ), f"{route}: {probe.status} {kind} is neither a page nor a download"
            continue
        response = desktop.goto(route.path)
        assert response.status == 200, f"{route}: {response.status}"
        check_page(desktop, "staff-" + route.name.replace(":", "-"))
        checked.append(route.name)
    assert set(checked) >= CORE_PAGES
    assert not_pages.keys() >= {
        "staff:export",
        "staff:submission_assign",
        "staff:submission_status",
    }
    # The walk saw real data, not empty pages; and a level is never shown by colour alone.
    desktop.goto("/staff/")
    assert desktop.locator("tbody tr").count() == 4
    assert set(desktop.locator("tbody .level").all_inner_texts()) == {"Urgent", "Review soon"}
    assert "Waiting over" in desktop.locator(".queue-row-overdue").inner_text()
    desktop.goto(f"/staff/submissions/{submission.public_id}/")
    assert desktop.locator("svg.severity-chart").count() == 1
    assert desktop.get_by_text("Total B12", exact=False).count() >= 1


def test_staff_forms_with_errors_and_confirmations(desktop, clinician):
    submission = clinic_data(clinician)
    sign_in(desktop, clinician, STAFF_PASSWORD)
    record = f"/staff/submissions/{submission.public_id}"
    patient = f"/staff/patients/{submission.patient.public_id}"

    desktop.goto("/staff/?status=nonsense&submitted_from=yesterday")
    assert desktop.locator(".staff-error-summary").count() == 1
    check_page(desktop, "staff-queue-filter-errors")
    desktop.goto(f"{record}/decision/")
    submit(desktop, "main form:not([action]) button[type=submit]")
    assert desktop.evaluate(FOCUS_ON_SUMMARY)
    check_page(desktop, "staff-decision-errors")
    desktop.goto(f"{record}/labs/add/")
    desktop.fill("#id_value", "lots")
    submit(desktop, "main form:not([action]) button[type=submit]")
    assert desktop.evaluate(FOCUS_ON_SUMMARY)
    check_page(desktop, "staff-lab-add-errors")

    desktop.goto(f"{patient}/merge/")
    submit(desktop, "main form:not([action]) button[type=submit]")
    check_page(desktop, "staff-merge-errors")
    desktop.locator("input[name=candidate]").first.check()
    submit(desktop, "main form:not([action]) button[type=submit]")
    assert desktop.locator("h1").inner_text() == "Confirm the merge"
    check_page(desktop, "staff-merge-confirm")

    desktop.goto(f"{patient}/split/")
    submit(desktop, "main form:not([action]) button[type=submit]")
    check_page(desktop, "staff-split-errors")
    desktop.locator("input[name=submissions]").first.check()
    desktop.fill("#id_email", "someone.else@example.com")
    submit(desktop, "main form:not([action]) button[type=submit]")
    assert desktop.locator("h1").inner_text() == "Confirm the split"
    check_page(desktop, "staff-split-confirm")


def test_queue_as_the_receptionist_sees_it(desktop, clinician, receptionist):
    clinic_data(clinician)
    sign_in(desktop, receptionist, STAFF_PASSWORD)
    assert desktop.locator("tbody tr").count() == 4
    check_page(desktop, "staff-queue-receptionist")


def test_admin_index(desktop, admin_user):
    admin_user.set_password(STAFF_PASSWORD)
    admin_user.save()
    TOTPDevice.objects.create(user=admin_user, name="default", confirmed=True)
    sign_in(desktop, admin_user, STAFF_PASSWORD)
    desktop.goto("/admin/")
    assert desktop.locator("h1").count() >= 1
    check_page(desktop, "admin-index")
