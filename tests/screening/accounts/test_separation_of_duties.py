"""Separation of duties (issue 12): a clinic admin ("nothing clinical") cannot give itself
or anyone a clinical role, nor take over a clinician's account by resetting their password
or second factor in the admin. A superuser can; such a reset removes the second factor and
is audited (who, what, whom, when, from where). The sign-in that follows a reset is in
test_credential_reset.py."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from screening.models import AuditEvent, CredentialReset
from tests.conftest import STAFF_PASSWORD, signed_in

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
NEW_PASSWORD = "a brand new passphrase 42"
PASSWORD_FORM = {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}


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


def role(name: str) -> Group:
    return Group.objects.get(name=name)


def user_form(user: User, *, groups: list[Group] | None = None, **changes) -> dict:
    """What the admin's user change form posts for `user`, unchanged except for `groups`
    and `changes` (a checkbox: "on" ticked, None unticked)."""
    User.objects.filter(pk=user.pk).update(date_joined=START)  # whole seconds: no change
    joined = timezone.localtime(START)
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else None,
        "is_staff": "on" if user.is_staff else None,
        "is_superuser": "on" if user.is_superuser else None,
        "date_joined_0": joined.strftime("%Y-%m-%d"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
        # A field with a callable default also posts its initial value (as browsers do).
        "initial-date_joined_0": joined.strftime("%Y-%m-%d"),
        "initial-date_joined_1": joined.strftime("%H:%M:%S"),
        "groups": [g.pk for g in (user.groups.all() if groups is None else groups)],
        **changes,
    }
    return {key: value for key, value in data.items() if value not in (None, "")}


def change_user(client: Client, user: User, **kwargs):
    return client.post(f"/admin/auth/user/{user.pk}/change/", user_form(user, **kwargs))


def events(what: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(what=what).order_by("id"))


# --- the attack as found ------------------------------------------------------------------


def test_the_takeover_from_issue_12_fails(clock, clinic_admin_client, clinic_admin, clinician):
    """A clinic admin adds itself to the clinician group, resets a clinician's password,
    deletes their authenticator and signs in as them. Each step is refused."""
    own_groups = list(clinic_admin.groups.all())
    made_clinician = change_user(
        clinic_admin_client, clinic_admin, groups=[*own_groups, role("clinician")]
    )
    password = clinic_admin_client.post(f"/admin/auth/user/{clinician.pk}/password/", PASSWORD_FORM)
    device = clinician.totpdevice_set.get()
    deleted = clinic_admin_client.post(
        f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"}
    )
    browser = Client()
    signed_in_as_them = browser.post(
        "/staff/account/login/", {"username": "clinician", "password": NEW_PASSWORD, "next": ""}
    )

    assert made_clinician.status_code == 200  # the form again, with its error
    assert not clinic_admin.groups.filter(name="clinician").exists()
    assert password.status_code == 403
    clinician.refresh_from_db()
    assert clinician.check_password(STAFF_PASSWORD)
    assert deleted.status_code == 403
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert signed_in_as_them.status_code == 200  # the sign-in form again: wrong password
    assert browser.get("/staff/").status_code == 302
    assert clinic_admin_client.get("/staff/").status_code == 403
    assert not CredentialReset.objects.exists()


# --- clinical roles -----------------------------------------------------------------------


def test_clinic_admin_cannot_give_itself_a_clinical_role(clinic_admin_client, clinic_admin):
    response = change_user(
        clinic_admin_client,
        clinic_admin,
        groups=[*clinic_admin.groups.all(), role("clinician")],
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["groups"] == ["Only a superuser can grant or remove a clinical role (clinician)."]
    assert list(clinic_admin.groups.values_list("name", flat=True)) == ["clinic_admin"]
    assert not events("account.user")


def test_clinic_admin_cannot_give_anyone_a_clinical_role(clinic_admin_client, receptionist):
    response = change_user(
        clinic_admin_client, receptionist, groups=[role("receptionist"), role("clinician")]
    )

    assert "groups" in response.context["adminform"].form.errors
    assert not receptionist.groups.filter(name="clinician").exists()


def test_clinic_admin_cannot_take_a_clinical_role_away(clinic_admin_client, clinician):
    response = change_user(clinic_admin_client, clinician, groups=[])

    assert "groups" in response.context["adminform"].form.errors
    assert clinician.groups.filter(name="clinician").exists()


def test_clinic_admin_puts_a_clinician_on_duty_and_it_is_audited(
    clock, clinic_admin_client, clinic_admin, clinician
):
    """on_duty is not clinical (it opens nothing): rota changes stay with clinic admins."""
    response = change_user(
        clinic_admin_client, clinician, groups=[role("clinician"), role("on_duty")]
    )

    assert response.status_code == 302
    assert clinician.groups.filter(name="on_duty").exists()
    [event] = events("account.user")
    assert (event.actor, event.action, event.object_type, event.object_id) == (
        clinic_admin,
        "change",
        "user",
        str(clinician.pk),
    )
    assert event.detail == {
        "changed": ["groups"],
        "groups_added": ["on_duty"],
        "groups_removed": [],
    }
    assert (event.ip_address, event.created_at) == ("127.0.0.1", START)


def test_superuser_grants_a_clinical_role_and_it_is_audited(admin_client, admin_user, receptionist):
    response = change_user(admin_client, receptionist, groups=[role("clinician")])

    assert response.status_code == 302
    assert receptionist.groups.filter(name="clinician").exists()
    [event] = events("account.user")
    assert event.actor == admin_user
    assert event.object_id == str(receptionist.pk)
    assert event.detail["groups_added"] == ["clinician"]
    assert event.detail["groups_removed"] == ["receptionist"]


def test_a_change_to_an_account_is_audited_with_yes_no_values_only(
    clinic_admin_client, clinic_admin, receptionist
):
    change_user(clinic_admin_client, receptionist, is_active=None, email="new@clinic.example")

    [event] = events("account.user")
    assert event.detail == {"changed": ["email", "is_active"], "values": {"is_active": False}}
    assert "new@clinic.example" not in str(event.detail)  # whom: by id, never by name


def test_clinic_admin_cannot_change_a_role_from_the_group_side(clinic_admin_client):
    """Roles (groups) are read-only for clinic admins; the group form has no members."""
    clinician_group = role("clinician")
    response = clinic_admin_client.post(
        f"/admin/auth/group/{clinician_group.pk}/change/", {"name": "clinician", "permissions": []}
    )
    page = clinic_admin_client.get(f"/admin/auth/group/{clinician_group.pk}/change/")

    assert response.status_code == 403
    assert clinician_group.permissions.count() == 4
    assert b'name="users"' not in page.content and b'name="user_set"' not in page.content


def test_a_superusers_change_to_a_role_is_audited(admin_client, admin_user):
    group = role("receptionist")
    export = group.permissions.model.objects.get(codename="export_queue")
    admin_client.post(
        f"/admin/auth/group/{group.pk}/change/",
        {"name": "receptionist", "permissions": [p.pk for p in (*group.permissions.all(), export)]},
    )

    [event] = events("account.group")
    assert (event.actor, event.object_type, event.object_id) == (admin_user, "group", str(group.pk))
    assert event.detail["changed"] == ["permissions"]
    assert event.detail["permissions_added"] == [str(export)]


# --- passwords ----------------------------------------------------------------------------


def test_clinic_admin_cannot_reset_a_clinicians_password(clinic_admin_client, clinician):
    url = f"/admin/auth/user/{clinician.pk}/password/"

    assert clinic_admin_client.get(url).status_code == 403
    assert clinic_admin_client.post(url, PASSWORD_FORM).status_code == 403
    clinician.refresh_from_db()
    assert clinician.check_password(STAFF_PASSWORD)
    page = clinic_admin_client.get(f"/admin/auth/user/{clinician.pk}/change/").content.decode()
    assert "Only a superuser can reset the password or second factor" in page


def test_clinic_admin_resets_a_receptionists_password_as_an_audited_reset(
    clock, clinic_admin_client, clinic_admin, receptionist
):
    StaticDevice.objects.create(user=receptionist, name="Backup codes", confirmed=True)

    response = clinic_admin_client.post(
        f"/admin/auth/user/{receptionist.pk}/password/", PASSWORD_FORM
    )

    assert response.status_code == 302
    receptionist.refresh_from_db()
    assert receptionist.check_password(NEW_PASSWORD)
    assert not TOTPDevice.objects.filter(user=receptionist).exists()
    assert not StaticDevice.objects.filter(user=receptionist).exists()
    reset = CredentialReset.objects.get(user=receptionist)
    assert (reset.requested_by, reset.reason, reset.password_changed_at) == (
        clinic_admin,
        "password",
        None,
    )
    [event] = events("account.reset")
    assert (event.actor, event.object_type, event.object_id, event.ip_address) == (
        clinic_admin,
        "user",
        str(receptionist.pk),
        "127.0.0.1",
    )
    assert event.detail == {
        "reason": "password",
        "authenticators_removed": 1,
        "backup_code_sets_removed": 1,
    }
    assert NEW_PASSWORD not in str(event.detail)


def test_superuser_resets_a_clinicians_password(admin_client, admin_user, clinician):
    response = admin_client.post(f"/admin/auth/user/{clinician.pk}/password/", PASSWORD_FORM)

    assert response.status_code == 302
    assert CredentialReset.objects.get(user=clinician).requested_by == admin_user
    assert not TOTPDevice.objects.filter(user=clinician).exists()
    [event] = events("account.reset")
    assert (event.actor, event.object_id, event.detail["reason"]) == (
        admin_user,
        str(clinician.pk),
        "password",
    )


def test_an_invalid_admin_password_form_resets_nothing(admin_client, clinician):
    response = admin_client.post(
        f"/admin/auth/user/{clinician.pk}/password/",
        {"usable_password": "true", "password1": "short", "password2": "short"},
    )

    assert response.status_code == 200
    assert TOTPDevice.objects.filter(user=clinician).exists()
    assert not CredentialReset.objects.exists()
    assert not events("account.reset")


def test_own_password_in_the_admin_goes_to_the_staff_page_that_asks_for_the_current_one(
    clinic_admin_client, clinic_admin
):
    response = clinic_admin_client.post(
        f"/admin/auth/user/{clinic_admin.pk}/password/", PASSWORD_FORM
    )

    assert response["Location"] == "/staff/account/password/"
    clinic_admin.refresh_from_db()
    assert clinic_admin.check_password(STAFF_PASSWORD)


def test_an_account_made_in_the_admin_must_choose_its_own_password(clinic_admin_client):
    response = clinic_admin_client.post(
        "/admin/auth/user/add/",
        {"username": "newstaff", "usable_password": "true", **PASSWORD_FORM},
    )

    assert response.status_code == 302
    user = User.objects.get(username="newstaff")
    assert CredentialReset.objects.get(user=user).reason == "new_account"
    [added] = events("account.user")
    assert (added.object_id, added.detail) == (str(user.pk), {"added": True})


# --- second factors -----------------------------------------------------------------------


def test_clinic_admin_cannot_delete_a_clinicians_authenticator_or_backup_codes(
    clinic_admin_client, clinician
):
    totp_device = clinician.totpdevice_set.get()
    static = StaticDevice.objects.create(user=clinician, name="Backup codes", confirmed=True)

    one = clinic_admin_client.post(
        f"/admin/otp_totp/totpdevice/{totp_device.pk}/delete/", {"post": "yes"}
    )
    bulk = clinic_admin_client.post(
        "/admin/otp_totp/totpdevice/",
        {"action": "delete_selected", "_selected_action": [totp_device.pk], "post": "yes"},
    )
    codes = clinic_admin_client.post(
        f"/admin/otp_static/staticdevice/{static.pk}/delete/", {"post": "yes"}
    )

    assert (one.status_code, bulk.status_code, codes.status_code) == (403, 403, 403)
    assert TOTPDevice.objects.filter(pk=totp_device.pk).exists()
    assert StaticDevice.objects.filter(pk=static.pk).exists()
    assert not AuditEvent.objects.filter(what__startswith="account.").exists()


def test_clinic_admin_resets_a_receptionists_authenticator(
    clinic_admin_client, clinic_admin, receptionist
):
    device = receptionist.totpdevice_set.get()

    response = clinic_admin_client.post(
        f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=receptionist).exists()
    assert CredentialReset.objects.get(user=receptionist).reason == "totp"
    [event] = events("account.reset")
    assert (event.actor, event.object_id, event.detail["reason"]) == (
        clinic_admin,
        str(receptionist.pk),
        "totp",
    )


def test_superuser_resets_a_clinicians_backup_codes_in_bulk(admin_client, admin_user, clinician):
    static = StaticDevice.objects.create(user=clinician, name="Backup codes", confirmed=True)

    response = admin_client.post(
        "/admin/otp_static/staticdevice/",
        {"action": "delete_selected", "_selected_action": [static.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert not StaticDevice.objects.filter(user=clinician).exists()
    assert not TOTPDevice.objects.filter(user=clinician).exists()  # every second factor
    assert CredentialReset.objects.get(user=clinician).reason == "backup_codes"
    [event] = events("account.reset")
    assert (event.actor, event.object_id) == (admin_user, str(clinician.pk))


def test_deleting_an_unfinished_enrolment_is_audited_but_is_no_reset(admin_client, clinician):
    unconfirmed = TOTPDevice.objects.create(user=clinician, name="left over", confirmed=False)

    admin_client.post(f"/admin/otp_totp/totpdevice/{unconfirmed.pk}/delete/", {"post": "yes"})

    assert not TOTPDevice.objects.filter(pk=unconfirmed.pk).exists()
    assert TOTPDevice.objects.filter(user=clinician, confirmed=True).exists()
    assert not CredentialReset.objects.exists()
    [event] = events("account.totp")
    assert (event.object_id, event.detail) == (str(clinician.pk), {"deleted": True})


def test_a_superuser_adding_an_authenticator_for_someone_is_audited(
    admin_client, admin_user, receptionist
):
    response = admin_client.post(
        "/admin/otp_totp/totpdevice/add/",
        {
            "user": receptionist.pk,
            "name": "spare",
            "confirmed": "on",
            "key": "3132333435363738393031323334353637383930",
            "step": 30,
            "t0": 0,
            "digits": 6,
            "tolerance": 1,
            "drift": 0,
            "throttling_failure_count": 0,
        },
    )

    assert response.status_code == 302
    [event] = events("account.totp")
    assert (event.actor, event.object_id, event.detail) == (
        admin_user,
        str(receptionist.pk),
        {"added": True},
    )
    assert "3132" not in str(event.detail)
