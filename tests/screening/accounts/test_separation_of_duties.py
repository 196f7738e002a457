"""Separation of duties (issue 12): a clinic admin ("nothing clinical") cannot give itself
or anyone a clinical role, nor take over a clinician's account by resetting their password
or second factor in the admin; every such change is audited."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
NEW_PASSWORD = "a brand new passphrase 42"


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


@pytest.fixture
def clinic_admin_client(clinic_admin) -> Client:
    return signed_in(Client(), clinic_admin)


def code_for(device: TOTPDevice) -> str:
    token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{token:0{device.digits}d}"


def user_form_data(client: Client, user: User, **changes) -> dict:
    """What the admin's user change form posts back unchanged, with `changes`."""
    form = client.get(f"/admin/auth/user/{user.pk}/change/").context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "groups": [g.pk for g in user.groups.all()],
            "is_active": "on" if user.is_active else "",
            "is_staff": "on" if user.is_staff else "",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2025-01-01",
            "date_joined_1": "00:00:00",
        }
    )
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_the_takeover_from_issue_12_fails(clock, clinic_admin_client, clinic_admin, clinician):
    """The attack as found: add self to the clinician group, reset a clinician's password,
    delete their authenticator, sign in as them."""
    clinician_group = Group.objects.get(name="clinician")

    # 1. Add itself to the clinician group.
    clinic_admin_client.post(
        f"/admin/auth/user/{clinic_admin.pk}/change/",
        user_form_data(
            clinic_admin_client,
            clinic_admin,
            groups=[g.pk for g in clinic_admin.groups.all()] + [clinician_group.pk],
        ),
    )
    # 2. Reset the clinician's password.
    clinic_admin_client.post(
        f"/admin/auth/user/{clinician.pk}/password/",
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    # 3. Delete the clinician's authenticator.
    device = clinician.totpdevice_set.get()
    clinic_admin_client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    # 4. Sign in as the clinician with the new password and a new authenticator.
    browser = Client()
    browser.post(
        "/staff/account/login/", {"username": "clinician", "password": NEW_PASSWORD, "next": ""}
    )
    enrolment = TOTPDevice.objects.filter(user=clinician, confirmed=False).first()
    if enrolment is not None:
        browser.get("/staff/account/enrol/")
        enrolment = TOTPDevice.objects.filter(user=clinician, confirmed=False).get()
        browser.post("/staff/account/enrol/", {"code": code_for(enrolment)})

    assert not clinic_admin.groups.filter(name="clinician").exists()
    clinician.refresh_from_db()
    assert not clinician.check_password(NEW_PASSWORD)
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert browser.get("/staff/").status_code != 200
    assert clinic_admin_client.get("/staff/").status_code == 403
