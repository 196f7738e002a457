"""After an admin reset (issue 12): the staff member's next sign-in must choose a new
password and enrol a new authenticator before /staff/ or /admin/ opens; until then
nothing else of the sign-in does."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from screening.accounts import signin
from screening.domain.staff_accounts import credentials_reset
from screening.models import AuditEvent, CredentialReset
from tests.conftest import STAFF_PASSWORD, signed_in

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
ADMIN_SET = "temporary password 2026"
OWN = "only I know this one 77"
LOGIN_URL = "/staff/account/login/"
NEW_PASSWORD_URL = "/staff/account/new-password/"
ENROL_URL = "/staff/account/enrol/"
VERIFY_URL = "/staff/account/verify/"


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def code_for(device: TOTPDevice) -> str:
    token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{token:0{device.digits}d}"


def password_step(client: Client, username: str, password: str, next: str = ""):
    return client.post(LOGIN_URL, {"username": username, "password": password, "next": next})


def new_password_step(client: Client, password: str = OWN):
    return client.post(NEW_PASSWORD_URL, {"new_password1": password, "new_password2": password})


def enrol_step(client: Client, user: User):
    client.get(ENROL_URL)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    return client.post(ENROL_URL, {"code": code_for(device)})


@pytest.fixture
def reset_clinician(clinician, admin_user) -> User:
    """A clinician whose password a superuser set to ADMIN_SET in the admin."""
    admin_client = signed_in(Client(), _with_device(admin_user))
    response = admin_client.post(
        f"/admin/auth/user/{clinician.pk}/password/",
        {"usable_password": "true", "password1": ADMIN_SET, "password2": ADMIN_SET},
    )
    assert response.status_code == 302
    return clinician


def _with_device(user: User) -> User:
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return user


def test_after_a_reset_the_next_sign_in_needs_a_new_password_and_a_new_authenticator(
    clock, client, reset_clinician
):
    first = password_step(client, "clinician", ADMIN_SET, next="/admin/")
    assert first["Location"] == NEW_PASSWORD_URL
    # Nothing opens, and no step can be skipped.
    assert client.get("/staff/")["Location"].startswith(LOGIN_URL)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    assert client.get(VERIFY_URL)["Location"] == NEW_PASSWORD_URL
    assert client.get(ENROL_URL)["Location"] == NEW_PASSWORD_URL
    assert not TOTPDevice.objects.filter(user=reset_clinician).exists()

    again = new_password_step(client, ADMIN_SET)
    assert again.status_code == 200
    assert "Choose a new password, not the one you signed in with." in again.content.decode()

    chosen = new_password_step(client)
    assert chosen["Location"] == ENROL_URL
    assert client.get("/staff/")["Location"].startswith(LOGIN_URL)
    assert client.get(VERIFY_URL)["Location"] == ENROL_URL

    enrolled = enrol_step(client, reset_clinician)
    assert enrolled["Location"] == "/staff/account/backup-codes/"
    assert client.get("/staff/").status_code == 200
    assert not CredentialReset.objects.exists()
    reset_clinician.refresh_from_db()
    assert reset_clinician.check_password(OWN)
    assert not reset_clinician.check_password(ADMIN_SET)
    whats = list(
        AuditEvent.objects.filter(actor=reset_clinician, what__startswith="account.")
        .order_by("id")
        .values_list("what", "detail")
    )
    assert whats == [
        ("account.password", {"how": "after_reset"}),
        ("account.reset", {"completed": True}),
        ("account.totp", {"enrolled": True}),
        ("account.backup_codes", {"issued": 10}),
        ("account.login", {"second_factor": "totp"}),
    ]


def test_an_authenticator_added_after_the_reset_does_not_skip_enrolment(
    clock, client, reset_clinician
):
    """Even one a superuser added for them: the new one is theirs, the other is removed."""
    added = _with_device(reset_clinician).totpdevice_set.get()
    password_step(client, "clinician", ADMIN_SET)
    new_password_step(client)

    assert client.post(VERIFY_URL, {"code": code_for(added)})["Location"] == ENROL_URL
    enrol_step(client, reset_clinician)

    assert client.get("/staff/").status_code == 200
    assert list(TOTPDevice.objects.filter(user=reset_clinician)) != [added]
    assert not TOTPDevice.objects.filter(pk=added.pk).exists()


def test_a_reset_ends_the_staff_members_open_sessions(clinician, admin_user):
    """Their second factor is gone, so a session they had open is no longer verified."""
    theirs = signed_in(Client(), clinician)
    assert theirs.get("/staff/").status_code == 200

    credentials_reset(user=clinician, by=admin_user, address="127.0.0.1", reason="totp")

    assert theirs.get("/staff/")["Location"].startswith(LOGIN_URL)


def test_a_reset_of_the_second_factor_also_asks_for_a_new_password(clock, client, clinician):
    StaticDevice.objects.create(user=clinician, name="Backup codes", confirmed=True)
    credentials_reset(user=clinician, by=None, address=None, reason="backup_codes")

    response = password_step(client, "clinician", STAFF_PASSWORD)

    assert response["Location"] == NEW_PASSWORD_URL
    assert not StaticDevice.objects.filter(user=clinician).exists()


def test_a_new_account_chooses_its_own_password_at_first_sign_in(clock, clinic_admin):
    admin = signed_in(Client(), clinic_admin)
    admin.post(
        "/admin/auth/user/add/",
        {
            "username": "newstaff",
            "usable_password": "true",
            "password1": ADMIN_SET,
            "password2": ADMIN_SET,
        },
    )
    browser = Client()

    assert password_step(browser, "newstaff", ADMIN_SET)["Location"] == NEW_PASSWORD_URL
    assert new_password_step(browser)["Location"] == ENROL_URL
    enrol_step(browser, User.objects.get(username="newstaff"))
    assert not CredentialReset.objects.exists()


def test_sign_in_cannot_complete_while_a_reset_is_open(rf, clinician, admin_user):
    credentials_reset(user=clinician, by=admin_user, address=None, reason="password")
    device = TOTPDevice.objects.create(user=clinician, name="x", confirmed=True)
    request = rf.post("/")

    with pytest.raises(PermissionDenied):
        signin.signin_complete(request, user=clinician, device=device)
