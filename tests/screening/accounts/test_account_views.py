"""Staff sign-in: password, authenticator enrolment or code, backup codes, lockout, sign-out.

django-axes is on in these tests (AXES_ENABLED is not overridden) and keeps its counts
in the test database, so every test starts with no failures recorded.
"""

from __future__ import annotations

import datetime
import json
import re

import pytest
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from screening.accounts import signin
from screening.models import AuditEvent
from tests.conftest import STAFF_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = "/staff/account/login/"
VERIFY_URL = "/staff/account/verify/"
ENROL_URL = "/staff/account/enrol/"
BACKUP_CODES_URL = "/staff/account/backup-codes/"
LOGOUT_URL = "/staff/account/logout/"
DASHBOARD_URL = "/staff/"
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock(time_machine):
    """A clock that only moves when told: TOTP codes depend on it, and a code is accepted
    once per 30-second step."""
    time_machine.move_to(START, tick=False)
    return time_machine


@pytest.fixture
def newcomer(db) -> User:
    """A clinician the admin has just created: a password, no authenticator yet."""
    from django.contrib.auth.models import Group

    user = User.objects.create_user(username="newcomer", password=STAFF_PASSWORD)
    user.groups.add(Group.objects.get(name="clinician"))
    return user


def code_for(device: TOTPDevice) -> str:
    """The code an authenticator app shows now for this device's secret."""
    token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{token:0{device.digits}d}"


def wrong_code_for(device: TOTPDevice) -> str:
    return f"{(int(code_for(device)) + 500_000) % 1_000_000:06d}"


def password_step(client: Client, username: str, password: str = STAFF_PASSWORD, next=""):
    return client.post(LOGIN_URL, {"username": username, "password": password, "next": next})


def is_verified(client: Client) -> bool:
    """Signed in past the second factor, as the staff pages see it."""
    return client.get(BACKUP_CODES_URL).status_code == 200


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# --- password -------------------------------------------------------------------------


def test_login_page_shows_the_form(client):
    response = client.get(LOGIN_URL + "?next=/staff/queue/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="username"' in page
    assert 'name="password"' in page
    assert 'value="/staff/queue/"' in page  # next carried through the form


def test_login_correct_password_new_user_goes_to_enrolment_not_signed_in(client, newcomer):
    response = password_step(client, "newcomer")
    assert response.status_code == 302
    assert response["Location"] == ENROL_URL
    # The password alone signs nobody in.
    assert "_auth_user_id" not in client.session
    assert client.get(DASHBOARD_URL)["Location"].startswith(LOGIN_URL)
    assert events(AuditEvent.Action.LOGIN) == []


def test_login_correct_password_enrolled_user_goes_to_verify(client, clinician):
    response = password_step(client, "clinician")
    assert response["Location"] == VERIFY_URL
    assert "_auth_user_id" not in client.session


def test_login_wrong_password_generic_error_and_audited(client, clinician):
    response = password_step(client, "clinician", "not the password")
    page = response.content.decode()
    assert response.status_code == 200
    assert "That username and password do not match an account." in page
    assert "_auth_user_id" not in client.session
    [event] = events(AuditEvent.Action.LOGIN_FAILED)
    assert event.actor == clinician
    assert event.actor_username == "clinician"
    assert event.what == "account.login"
    assert event.detail == {"stage": "password", "known_user": True, "locked_out": False}
    assert event.ip_address == "127.0.0.1"
    assert "not the password" not in json.dumps(event.detail)


def test_login_unknown_username_same_error_and_name_not_recorded(client, clinician):
    wrong_password = password_step(client, "clinician", "not the password").content.decode()
    unknown_user = password_step(client, "my-password-typed-here").content.decode()
    message = "That username and password do not match an account."
    assert message in wrong_password
    assert message in unknown_user
    event = events(AuditEvent.Action.LOGIN_FAILED)[-1]
    assert event.actor is None
    assert event.actor_username == ""
    assert event.detail == {"stage": "password", "known_user": False, "locked_out": False}
    everything = json.dumps([e.detail for e in AuditEvent.objects.all()])
    assert "my-password-typed-here" not in everything
    assert STAFF_PASSWORD not in everything


def test_login_empty_form_is_an_error_not_an_attempt(client, clinician):
    response = client.post(LOGIN_URL, {"username": "", "password": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert AccessAttempt.objects.count() == 0


def test_login_inactive_user_refused_like_a_wrong_password(client, clinician):
    clinician.is_active = False
    clinician.save()
    response = password_step(client, "clinician")
    assert response.status_code == 200
    assert "That username and password do not match an account." in response.content.decode()


def test_lockout_after_failure_limit_even_with_the_right_password(client, clinician):
    assert settings.AXES_ENABLED is True
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert password_step(client, "clinician", "wrong").status_code == 200
    last_failure = password_step(client, "clinician", "wrong")
    assert last_failure.status_code == 429
    right_password = password_step(client, "clinician")
    page = right_password.content.decode()
    assert right_password.status_code == 429
    assert "Too many attempts" in page
    assert "ask your clinic admin" in page
    assert "clinician" not in page.split('id="main"')[1]  # the page does not name the account
    assert signin.PENDING_KEY not in client.session
    assert client.get(VERIFY_URL)["Location"] == LOGIN_URL
    failures = events(AuditEvent.Action.LOGIN_FAILED)
    assert len(failures) == limit + 1
    assert failures[-1].detail["locked_out"] is True


def test_lockout_counts_per_username_and_address_and_per_address(settings):
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"], "ip_address"]


def test_lockout_of_an_account_does_not_reach_other_addresses(client, clinician):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(client, "clinician", "wrong")
    assert password_step(client, "clinician").status_code == 429
    other_address = Client(REMOTE_ADDR="192.0.2.7")
    assert password_step(other_address, "clinician")["Location"] == VERIFY_URL


def test_lockout_locks_the_address_for_every_username(client, clinician, receptionist):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(client, "clinician", "wrong")
    locked = password_step(client, "receptionist")
    assert locked.status_code == 429
    assert "Too many attempts" in locked.content.decode()
    other_address = Client(REMOTE_ADDR="192.0.2.7")
    assert password_step(other_address, "receptionist")["Location"] == VERIFY_URL


def test_one_address_trying_many_usernames_is_locked_out(client, clinician, receptionist):
    usernames = [f"guess{n}" for n in range(settings.AXES_FAILURE_LIMIT - 1)] + ["clinician"]
    statuses = [password_step(client, username, "wrong").status_code for username in usernames]

    # One failure per username, none near the limit; the address reaches it on the last.
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert AccessAttempt.objects.filter(username="clinician").get().failures_since_start == 1

    assert password_step(client, "receptionist").status_code == 429  # the right password
    assert password_step(client, "another-guess", "wrong").status_code == 429
    other_address = Client(REMOTE_ADDR="192.0.2.7")
    assert password_step(other_address, "receptionist")["Location"] == VERIFY_URL
    failures = events(AuditEvent.Action.LOGIN_FAILED)
    assert failures[-1].detail["locked_out"] is True


def test_one_failure_below_the_limit_from_an_address_still_lets_staff_in(client, receptionist):
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        assert password_step(client, f"guess{n}", "wrong").status_code == 200
    assert password_step(client, "receptionist")["Location"] == VERIFY_URL


def test_a_full_sign_in_clears_the_address_count(client, clinician, receptionist, clock):
    limit = settings.AXES_FAILURE_LIMIT
    for n in range(limit - 1):
        password_step(client, f"guess{n}", "wrong")
    password_step(client, "receptionist")
    device = receptionist.totpdevice_set.get()
    assert client.post(VERIFY_URL, {"code": code_for(device)}).status_code == 302
    client.post(LOGOUT_URL)

    statuses = [password_step(client, f"again{n}", "wrong").status_code for n in range(limit)]

    assert statuses == [200] * (limit - 1) + [429]


def test_locked_address_lifted_by_axes_reset_of_the_address(client, clinician, receptionist):
    for n in range(settings.AXES_FAILURE_LIMIT):
        password_step(client, f"guess{n}", "wrong")
    assert password_step(client, "receptionist").status_code == 429
    axes_reset(ip="127.0.0.1")
    assert password_step(client, "receptionist")["Location"] == VERIFY_URL


def test_lockout_lifted_by_axes_reset(client, clinician):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(client, "clinician", "wrong")
    assert password_step(client, "clinician").status_code == 429
    axes_reset(username="clinician")
    assert password_step(client, "clinician")["Location"] == VERIFY_URL


def test_lockout_cools_off_after_the_configured_time(client, clinician, clock):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(client, "clinician", "wrong")
    assert password_step(client, "clinician").status_code == 429
    clock.shift(datetime.timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1))
    assert password_step(client, "clinician")["Location"] == VERIFY_URL


# --- enrolment --------------------------------------------------------------------------


def test_enrol_page_shows_inline_svg_qr_and_the_key(client, newcomer):
    password_step(client, "newcomer")
    response = client.get(ENROL_URL)
    page = response.content.decode()
    device = TOTPDevice.objects.get(user=newcomer)
    assert response.status_code == 200
    assert device.confirmed is False
    assert '<svg width="' in page
    assert 'class="totp-qr"' in page
    assert "<img" not in page  # the QR code is never fetched from anywhere
    assert "<script" not in page
    assert "style=" not in page
    secret = signin_secret(device)
    shown = re.search(r'aria-label="Key">([A-Z2-7 ]+)<', page).group(1)
    assert shown.replace(" ", "") == secret


def signin_secret(device: TOTPDevice) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode().rstrip("=")


def test_enrol_reload_keeps_the_secret_new_sign_in_gets_a_new_one(client, newcomer):
    password_step(client, "newcomer")
    client.get(ENROL_URL)
    first = TOTPDevice.objects.get(user=newcomer)
    client.get(ENROL_URL)
    assert TOTPDevice.objects.get(user=newcomer) == first
    other_browser = Client()
    password_step(other_browser, "newcomer")
    other_browser.get(ENROL_URL)
    second = TOTPDevice.objects.get(user=newcomer)  # still exactly one device
    assert second.pk != first.pk
    assert second.key != first.key


def test_enrol_with_a_valid_code_confirms_issues_backup_codes_and_signs_in(client, newcomer, clock):
    password_step(client, "newcomer", next="/staff/?level=urgent")
    client.get(ENROL_URL)
    device = TOTPDevice.objects.get(user=newcomer)

    response = client.post(ENROL_URL, {"code": code_for(device)})

    assert response.status_code == 302
    assert response["Location"] == BACKUP_CODES_URL
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    tokens = set(StaticToken.objects.filter(device__user=newcomer).values_list("token", flat=True))
    assert len(tokens) == signin.BACKUP_CODE_COUNT == 10

    shown = client.get(BACKUP_CODES_URL).content.decode()
    assert all(token in shown for token in tokens)
    assert 'href="/staff/?level=urgent"' in shown  # continue to where they were going
    shown_again = client.get(BACKUP_CODES_URL).content.decode()
    assert not any(token in shown_again for token in tokens)  # shown once
    assert "You have 10 unused backup codes." in shown_again

    [login] = events(AuditEvent.Action.LOGIN)
    assert login.actor == newcomer
    assert login.detail == {"second_factor": "totp"}
    whats = sorted(e.what for e in events(AuditEvent.Action.CHANGE))
    assert whats == ["account.backup_codes", "account.totp"]
    assert client.get(DASHBOARD_URL).status_code == 200


def test_enrol_wrong_code_refused(client, newcomer, clock):
    password_step(client, "newcomer")
    client.get(ENROL_URL)
    device = TOTPDevice.objects.get(user=newcomer)
    response = client.post(ENROL_URL, {"code": wrong_code_for(device)})
    assert response.status_code == 200
    assert "That code did not work." in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False
    assert "_auth_user_id" not in client.session
    assert not StaticDevice.objects.filter(user=newcomer).exists()


def test_enrol_refuses_a_backup_code_shape(client, newcomer):
    password_step(client, "newcomer")
    client.get(ENROL_URL)
    response = client.post(ENROL_URL, {"code": "abcdefgh"})
    assert "Enter the 6-digit code from your authenticator app." in response.content.decode()


def test_enrol_not_offered_to_a_user_who_has_an_authenticator(client, clinician):
    """A password alone must never add a second authenticator."""
    password_step(client, "clinician")
    response = client.get(ENROL_URL)
    assert response["Location"] == VERIFY_URL
    assert TOTPDevice.objects.filter(user=clinician).count() == 1


def test_enrol_and_verify_need_a_password_first(client):
    assert client.get(ENROL_URL)["Location"] == LOGIN_URL
    assert client.get(VERIFY_URL)["Location"] == LOGIN_URL
    assert client.post(VERIFY_URL, {"code": "123456"})["Location"] == LOGIN_URL


def test_pending_sign_in_expires(client, clinician, clock):
    password_step(client, "clinician")
    assert client.get(VERIFY_URL).status_code == 200
    clock.shift(datetime.timedelta(seconds=signin.PENDING_MAX_SECONDS + 1))
    device = clinician.totpdevice_set.get()
    response = client.post(VERIFY_URL, {"code": code_for(device)})
    assert response["Location"] == LOGIN_URL
    assert "_auth_user_id" not in client.session


# --- verify -----------------------------------------------------------------------------


def test_verify_with_the_authenticator_code_signs_in_and_follows_next(client, clinician, clock):
    password_step(client, "clinician", next="/staff/?page=2")
    device = clinician.totpdevice_set.get()
    response = client.post(VERIFY_URL, {"code": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == "/staff/?page=2"
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get(DASHBOARD_URL).status_code == 200
    [login] = events(AuditEvent.Action.LOGIN)
    assert (login.actor, login.what, login.detail) == (
        clinician,
        "account.login",
        {"second_factor": "totp"},
    )


def test_verify_code_typed_with_a_space(client, clinician, clock):
    password_step(client, "clinician")
    code = code_for(clinician.totpdevice_set.get())
    response = client.post(VERIFY_URL, {"code": f"{code[:3]} {code[3:]}"})
    assert response["Location"] == DASHBOARD_URL


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/staff/", "//evil.example/", "http://testserver.evil.example/"],
)
def test_unsafe_next_is_ignored(client, clinician, clock, next_url):
    password_step(client, "clinician", next=next_url)
    response = client.post(VERIFY_URL, {"code": code_for(clinician.totpdevice_set.get())})
    assert response["Location"] == DASHBOARD_URL


def test_wrong_code_refused_and_audited(client, clinician, clock):
    password_step(client, "clinician")
    device = clinician.totpdevice_set.get()
    response = client.post(VERIFY_URL, {"code": wrong_code_for(device)})
    assert response.status_code == 200
    assert "That code did not work." in response.content.decode()
    assert "_auth_user_id" not in client.session
    [event] = events(AuditEvent.Action.LOGIN_FAILED)
    assert event.actor == clinician
    assert event.detail == {"stage": "second_factor", "known_user": True, "locked_out": False}
    assert wrong_code_for(device) not in json.dumps(event.detail)
    # The right code still works once the device's short throttle has passed.
    clock.shift(datetime.timedelta(seconds=30))
    assert client.post(VERIFY_URL, {"code": code_for(device)})["Location"] == DASHBOARD_URL


def test_a_code_is_accepted_once(client, clinician, clock):
    device = clinician.totpdevice_set.get()
    code = code_for(device)
    password_step(client, "clinician")
    assert client.post(VERIFY_URL, {"code": code})["Location"] == DASHBOARD_URL
    replay = Client()
    password_step(replay, "clinician")
    response = replay.post(VERIFY_URL, {"code": code})
    assert response.status_code == 200
    assert "That code did not work." in response.content.decode()


def test_wrong_codes_count_towards_the_lockout(client, clinician, clock):
    password_step(client, "clinician")
    device = clinician.totpdevice_set.get()
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        clock.shift(datetime.timedelta(seconds=60))  # past the device throttle
        assert client.post(VERIFY_URL, {"code": wrong_code_for(device)}).status_code == 200
    clock.shift(datetime.timedelta(seconds=60))
    response = client.post(VERIFY_URL, {"code": wrong_code_for(device)})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert signin.PENDING_KEY not in client.session
    # Locked out: the right password and then the right code do not get in.
    assert password_step(client, "clinician").status_code == 429
    failures = events(AuditEvent.Action.LOGIN_FAILED)
    assert [e.detail["stage"] for e in failures[:limit]] == ["second_factor"] * limit


def test_password_failures_and_code_failures_add_up(client, clinician, clock):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        password_step(client, "clinician", "wrong")
    password_step(client, "clinician")
    response = client.post(VERIFY_URL, {"code": wrong_code_for(clinician.totpdevice_set.get())})
    assert response.status_code == 429


def test_pending_sign_in_ends_after_too_many_wrong_codes_without_axes(
    client, clinician, clock, settings
):
    settings.AXES_ENABLED = False
    password_step(client, "clinician")
    device = clinician.totpdevice_set.get()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(VERIFY_URL, {"code": wrong_code_for(device)})
    response = client.post(VERIFY_URL, {"code": wrong_code_for(device)})
    assert response["Location"] == LOGIN_URL
    assert signin.PENDING_KEY not in client.session


# --- backup codes -----------------------------------------------------------------------


def enrol_backup_codes(user: User) -> list[str]:
    device = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    codes = ["aaaa2222", "bbbb3333", "cccc4444"]
    for code in codes:
        device.token_set.create(token=code)
    return codes


def test_backup_code_signs_in_once(client, clinician, clock):
    codes = enrol_backup_codes(clinician)
    password_step(client, "clinician")
    response = client.post(VERIFY_URL, {"code": codes[0].upper()})
    assert response["Location"] == DASHBOARD_URL
    assert events(AuditEvent.Action.LOGIN)[0].detail == {"second_factor": "backup_code"}
    assert not StaticToken.objects.filter(token=codes[0]).exists()

    client.post(LOGOUT_URL)
    clock.shift(datetime.timedelta(seconds=60))
    password_step(client, "clinician")
    response = client.post(VERIFY_URL, {"code": codes[0]})
    assert response.status_code == 200
    assert "That code did not work." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_backup_codes_page_needs_a_verified_sign_in(client, clinician):
    assert client.get(BACKUP_CODES_URL)["Location"].startswith(LOGIN_URL)
    client.force_login(clinician)  # a password, no second factor
    assert client.get(BACKUP_CODES_URL)["Location"].startswith(LOGIN_URL)
    assert client.post(BACKUP_CODES_URL)["Location"].startswith(LOGIN_URL)
    assert not StaticToken.objects.exists()


def test_backup_codes_regenerate_replaces_old_codes_and_is_audited(clinician_client, clinician):
    old = enrol_backup_codes(clinician)
    response = clinician_client.post(BACKUP_CODES_URL, {"password": STAFF_PASSWORD})
    assert response["Location"] == BACKUP_CODES_URL
    page = clinician_client.get(BACKUP_CODES_URL).content.decode()
    new = list(StaticToken.objects.filter(device__user=clinician).values_list("token", flat=True))
    assert len(new) == 10
    assert all(code in page for code in new)
    assert not StaticToken.objects.filter(token__in=old).exists()
    [event] = events(AuditEvent.Action.CHANGE)
    assert (event.actor, event.what, event.detail) == (
        clinician,
        "account.backup_codes",
        {"issued": 10},
    )
    assert not any(code in json.dumps(event.detail) for code in new)


def test_backup_codes_regenerate_keeps_a_backup_code_session_verified(client, clinician, clock):
    codes = enrol_backup_codes(clinician)
    password_step(client, "clinician")
    client.post(VERIFY_URL, {"code": codes[1]})
    response = client.post(BACKUP_CODES_URL, {"password": STAFF_PASSWORD})
    assert response["Location"] == BACKUP_CODES_URL
    assert not StaticToken.objects.filter(token__in=codes).exists()
    assert is_verified(client)


# --- logout -----------------------------------------------------------------------------


def test_logout_is_post_only(clinician_client):
    assert clinician_client.get(LOGOUT_URL).status_code == 405
    assert is_verified(clinician_client)


def test_logout_signs_out_and_is_audited(clinician_client, clinician):
    response = clinician_client.post(LOGOUT_URL)
    assert response["Location"] == LOGIN_URL
    assert "_auth_user_id" not in clinician_client.session
    assert clinician_client.get(DASHBOARD_URL)["Location"].startswith(LOGIN_URL)
    [event] = events(AuditEvent.Action.LOGOUT)
    assert (event.actor, event.what, event.detail) == (
        clinician,
        "account.logout",
        {"reason": "signed_out"},
    )
    assert "You have signed out." in clinician_client.get(LOGIN_URL).content.decode()


def test_logout_when_not_signed_in_writes_nothing(client):
    assert client.post(LOGOUT_URL)["Location"] == LOGIN_URL
    assert AuditEvent.objects.count() == 0


def test_signing_in_as_someone_else_signs_the_first_user_out(clinician_client, receptionist):
    password_step(clinician_client, "receptionist")
    assert "_auth_user_id" not in clinician_client.session
    [event] = events(AuditEvent.Action.LOGOUT)
    assert event.actor_username == "clinician"
    assert event.detail == {"reason": "new_sign_in"}


# --- Django's admin -------------------------------------------------------------------


def test_admin_login_goes_to_the_staff_sign_in(client):
    response = client.get("/admin/login/?next=/admin/auth/user/")
    assert response["Location"] == LOGIN_URL + "?next=/admin/auth/user/"
    evil = client.get("/admin/login/?next=https://evil.example/")
    assert evil["Location"] == LOGIN_URL + "?next=/staff/"


def test_admin_refuses_a_superuser_with_only_a_password(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_admin_superuser_signs_in_with_both_factors(client, admin_user, clock):
    device = TOTPDevice.objects.create(user=admin_user, name="phone", confirmed=True)
    response = password_step(client, admin_user.username, "password", next="/admin/")
    assert response["Location"] == VERIFY_URL
    response = client.post(VERIFY_URL, {"code": code_for(device)})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_admin_never_shows_a_staff_members_secret_or_backup_codes(admin_client, clinician):
    device = clinician.totpdevice_set.get()
    codes = enrol_backup_codes(clinician)
    config = admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/")
    qrcode = admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/")
    change = admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    static = StaticDevice.objects.get(user=clinician)
    static_change = admin_client.get(f"/admin/otp_static/staticdevice/{static.pk}/change/")
    assert config.status_code in (403, 404)
    assert qrcode.status_code in (403, 404)
    assert change.status_code == 200
    assert device.key not in change.content.decode()
    assert static_change.status_code == 200
    assert not any(code in static_change.content.decode() for code in codes)
