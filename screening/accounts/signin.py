"""Staff sign-in: password, then a second factor, and the audit events of signing in and out.

A correct password does not sign anyone in. It starts a *pending* sign-in, kept in the
session for PENDING_MAX_SECONDS: the user id, the `next` page and how many wrong codes
were tried. Only a valid authenticator code (or a backup code) turns it into a Django
login, verified for django-otp, so `request.user` is never authenticated with the
password alone.

Wrong codes count towards django-axes' lockout exactly like wrong passwords: each one
sends Django's `user_login_failed` signal for the username, so AXES_FAILURE_LIMIT
failures of either kind lock the account (per username and address). A pending
sign-in also ends after AXES_FAILURE_LIMIT wrong codes, whatever axes says (a
safeguard for when axes is switched off or the address changes).

Audit events (no password, code or unknown username is ever written):
- LOGIN          "account.login"        after the second factor, by `signin_complete`
- LOGIN_FAILED   "account.login"        a wrong password (Django's signal) or a wrong code
- LOGOUT         "account.logout"       any logout (Django's signal); detail.reason
- CHANGE         "account.totp"         an authenticator enrolled
- CHANGE         "account.backup_codes" backup codes issued
- CHANGE         "account.password"     a password chosen by its owner (domain.staff_accounts)
- CHANGE         "account.reset"        a reset completed (a new authenticator after a reset)

After an admin reset (a `CredentialReset`, screening.domain.staff_accounts) the pending
sign-in goes through two more steps before anything opens: a new password, then a new
authenticator (`signin_next_step`); `signin_complete` refuses while a reset is open.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AbstractBaseUser, User
from django.contrib.auth.signals import user_logged_out, user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from screening.domain.staff_accounts import (
    credential_reset_complete,
    credential_reset_pending,
    password_set,
)
from screening.models import AuditEvent
from screening.web.addresses import client_ip

PENDING_KEY = "staff_signin_pending"
NEW_BACKUP_CODES_KEY = "staff_new_backup_codes"
PENDING_MAX_SECONDS = 10 * 60  # time to find the phone after typing the password
BACKUP_CODE_COUNT = 10
DASHBOARD_URL = "/staff/"

# Why a session was logged out, read by the user_logged_out receiver (see `logout_reason`).
LOGOUT_REASON_ATTR = "staff_logout_reason"


# --- the pending sign-in ---------------------------------------------------------------


def safe_next_url(request: HttpRequest, url: str | None) -> str:
    """`url` if it stays on this site, otherwise the dashboard. Never an open redirect."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return DASHBOARD_URL


def signin_pending_start(request: HttpRequest, *, user: AbstractBaseUser, next_url: str) -> None:
    """After a correct password: remember who is signing in, in a fresh session key.

    Anyone already signed in on this browser is signed out first (audited)."""
    if request.user.is_authenticated:
        logout(request, reason="new_sign_in")
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user_id": user.pk,
        "backend": user.backend,  # set by authenticate(); login() needs it with two backends
        "started": int(time.time()),
        "next": safe_next_url(request, next_url),
        "failures": 0,
        "enrol_device_id": None,
    }


def _pending(request: HttpRequest) -> dict | None:
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return None
    if int(time.time()) - pending["started"] > PENDING_MAX_SECONDS:
        signin_pending_clear(request)
        return None
    return pending


def signin_pending_user(request: HttpRequest) -> User | None:
    """The user who typed a correct password in this session and still owes a code."""
    pending = _pending(request)
    if pending is None:
        return None
    user = auth.get_user_model()._default_manager.filter(pk=pending["user_id"]).first()
    if user is None or not user.is_active:
        signin_pending_clear(request)
        return None
    return user


def signin_pending_clear(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


def has_authenticator(user: AbstractBaseUser) -> bool:
    """A confirmed TOTP device: without one, the next step is enrolment."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def signin_next_step(user: User) -> str:
    """The page (URL name) that comes after the password for this user: after an admin
    reset, a new password and then a new authenticator; otherwise enrolment for someone
    without an authenticator, or their code."""
    reset = credential_reset_pending(user=user)
    if reset is not None:
        if reset.password_changed_at is None:
            return "staff_account:new_password"
        return "staff_account:enrol"
    return "staff_account:verify" if has_authenticator(user) else "staff_account:enrol"


def reset_password_chosen(request: HttpRequest, *, user: User, password: str) -> None:
    """The first step after a reset: the staff member's own new password (audited)."""
    password_set(user=user, raw_password=password, address=client_ip(request), how="after_reset")


def password_change_own(request: HttpRequest, *, user: User, password: str) -> None:
    """A signed-in staff member changed their password, having typed the current one
    (audited). Their other sessions end; this one is kept (update_session_auth_hash)."""
    password_set(user=user, raw_password=password, address=client_ip(request), how="own")
    auth.update_session_auth_hash(request, user)


def password_confirm_failed(request: HttpRequest, *, user: User) -> bool:
    """A wrong current password on a signed-in page (changing the password, new backup
    codes) counts like a wrong password at sign-in. True when the account is now locked
    out: the caller signs the user out."""
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.get_username()},
        request=request,
        stage="password_confirm",
    )
    return bool(getattr(request, "axes_locked_out", False))


# --- second factor ---------------------------------------------------------------------


def normalise_code(code: str) -> str:
    """Codes are typed with spaces or dashes and in any case; compare without them."""
    return "".join(ch for ch in code if ch.isalnum()).lower()


def second_factor_match(*, user: User, code: str) -> Device | None:
    """The user's device that accepts `code`: six digits go to the authenticator, anything
    else to the backup codes (a used backup code is deleted by django-otp). Each device
    throttles after a wrong code (1 s, 2 s, 4 s, ...)."""
    code = normalise_code(code)
    if len(code) == 6 and code.isdigit():
        devices = TOTPDevice.objects.devices_for_user(user, confirmed=True)
    else:
        devices = StaticDevice.objects.devices_for_user(user, confirmed=True)
    with transaction.atomic():
        for device in devices.select_for_update():
            if device.verify_token(code):
                return device
    return None


def second_factor_failed(request: HttpRequest, *, user: User) -> bool:
    """Count a wrong code like a wrong password. True when this sign-in must stop: axes
    has locked the account out (its middleware then answers with the lockout page), or
    this pending sign-in has used up its tries."""
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.get_username()},
        request=request,
        stage="second_factor",
    )
    pending = request.session[PENDING_KEY]
    pending["failures"] += 1
    request.session.modified = True
    locked_out = getattr(request, "axes_locked_out", False)
    if locked_out or pending["failures"] >= settings.AXES_FAILURE_LIMIT:
        signin_pending_clear(request)
        return True
    return False


def signin_complete(request: HttpRequest, *, user: User, device: Device) -> str:
    """Both factors passed: log in, mark the session verified, audit. Returns `next`.
    Never while an admin reset is open (the new password and authenticator come first)."""
    if credential_reset_pending(user=user) is not None:
        raise PermissionDenied("A credential reset is still open.")
    pending = request.session.pop(PENDING_KEY)
    auth.login(request, user, backend=pending["backend"])
    otp_login(request, device)
    _event(
        request,
        actor=user,
        action=AuditEvent.Action.LOGIN,
        what="account.login",
        detail={"second_factor": "backup_code" if isinstance(device, StaticDevice) else "totp"},
    )
    return pending["next"]


# --- enrolment and backup codes --------------------------------------------------------


def totp_enrolment_device(request: HttpRequest, *, user: User) -> TOTPDevice:
    """The unconfirmed authenticator for this pending sign-in, made on first sight.

    A new secret per sign-in: an unconfirmed device left by an earlier session (perhaps
    by someone else who knew the password) is thrown away, never reused."""
    pending = request.session[PENDING_KEY]
    device = TOTPDevice.objects.filter(
        pk=pending["enrol_device_id"], user=user, confirmed=False
    ).first()
    if device is None:
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
        pending["enrol_device_id"] = device.pk
        request.session.modified = True
    return device


@transaction.atomic
def totp_enrolment_confirm(
    request: HttpRequest, *, user: User, device: TOTPDevice, code: str
) -> list[str] | None:
    """Confirm the authenticator with its first code, issue backup codes and sign in.
    Returns the new backup codes (to show once), or None if the code is wrong."""
    if not device.verify_token(normalise_code(code)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    credential_reset_complete(user=user, device=device, address=client_ip(request))
    _event(
        request,
        actor=user,
        action=AuditEvent.Action.CHANGE,
        what="account.totp",
        object_type="user",
        object_id=str(user.pk),
        detail={"enrolled": True},
    )
    codes = backup_codes_replace(request, user=user)
    return codes


@transaction.atomic
def backup_codes_replace(request: HttpRequest, *, user: User) -> list[str]:
    """New single-use backup codes; every older code stops working.

    The device row is kept (only its tokens change), so a session verified with a backup
    code stays verified."""
    device = StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    StaticToken.objects.filter(device__user=user).delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    _event(
        request,
        actor=user,
        action=AuditEvent.Action.CHANGE,
        what="account.backup_codes",
        object_type="user",
        object_id=str(user.pk),
        detail={"issued": len(codes)},
    )
    return codes


def backup_codes_remaining(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- logout and the audit receivers ----------------------------------------------------


def logout(request: HttpRequest, *, reason: str) -> None:
    """Django's logout, with the reason recorded in the LOGOUT event."""
    setattr(request, LOGOUT_REASON_ATTR, reason)
    auth.logout(request)


def _event(
    request: HttpRequest,
    *,
    actor: User | None,
    action: str,
    what: str,
    object_type: str = "",
    object_id: str = "",
    detail: dict,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor,
        actor_username=actor.get_username() if actor else "",
        action=action,
        what=what,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
        ip_address=client_ip(request),
    )


def on_user_login_failed(
    sender: object, credentials: dict, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """LOGIN_FAILED for a wrong password or code. The username is kept only when it names
    an account: a typed unknown name may be a password typed in the wrong box."""
    if request is None:  # authenticate() called outside a request: not a sign-in page
        return
    user_model = auth.get_user_model()
    username = credentials.get(user_model.USERNAME_FIELD) or ""
    actor = (
        user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
        if username
        else None
    )
    _event(
        request,
        actor=actor,
        action=AuditEvent.Action.LOGIN_FAILED,
        what="account.login",
        detail={
            "stage": kwargs.get("stage", "password"),
            "known_user": actor is not None,
            "locked_out": bool(getattr(request, "axes_locked_out", False)),
        },
    )


def on_user_logged_out(
    sender: object, request: HttpRequest | None, user: User | None, **kwargs: Any
) -> None:
    """LOGOUT for every logout: the sign-out button, Django's admin, the idle timeout."""
    if user is None or request is None:
        return
    _event(
        request,
        actor=user,
        action=AuditEvent.Action.LOGOUT,
        what="account.logout",
        detail={"reason": getattr(request, LOGOUT_REASON_ATTR, "signed_out")},
    )


def connect_signals() -> None:
    """Called from ScreeningConfig.ready(), after django-axes has connected its own
    receivers, so `request.axes_locked_out` is already decided when we read it."""
    user_login_failed.connect(on_user_login_failed, dispatch_uid="screening.login_failed")
    user_logged_out.connect(on_user_logged_out, dispatch_uid="screening.logged_out")
