"""Staff sign-in pages: password, authenticator enrolment or code, backup codes, sign-out;
a new password after an admin reset, and a signed-in staff member's own password change.

Plain function views: they parse the request, call `screening.accounts.signin` and render. The
flow and its audit events are described in `screening.accounts.signin` and docs/staff-access.md.
None of these views is wrapped in `staff_view`: they are how a user becomes verified.
"""

from __future__ import annotations

import base64
import datetime
from typing import cast

import segno
from axes.conf import settings as axes_settings  # Django's, with axes' defaults filled in
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from screening.accounts import signin
from screening.accounts.forms import (
    CodeForm,
    LoginForm,
    NewPasswordForm,
    PasswordConfirmForm,
    StaffPasswordChangeForm,
)
from screening.accounts.permissions import is_verified

GENERIC_LOGIN_ERROR = (
    "That username and password do not match an account. Check both and try again."
)
WRONG_CODE_ERROR = "That code did not work. Check it and try again."
WRONG_PASSWORD_ERROR = "That is not your current password."  # noqa: S105 (a message)


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """The page django-axes shows a locked-out account (settings.AXES_LOCKOUT_CALLABLE).
    It says neither which part was wrong nor whether the username exists."""
    cool_off = get_cool_off(request)
    context = {
        "title": "Too many attempts",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cool_off": _duration(cool_off) if cool_off else "",
    }
    return render(
        request,
        "staff/account/locked_out.html",
        context,
        status=axes_settings.AXES_HTTP_RESPONSE_CODE,
    )


def _duration(delta: datetime.timedelta) -> str:
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes < 120:
        return f"{minutes} minute{pluralize(minutes)}"
    hours = round(minutes / 60)
    return f"{hours} hours"


def _locked_out(request: HttpRequest, user: User) -> HttpResponse | None:
    """The lockout page if this username is locked out from this address."""
    if AxesProxyHandler.is_allowed(request, {"username": user.get_username()}):
        return None
    signin.signin_pending_clear(request)
    return locked_out(request)


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """Username and password. A match starts a pending sign-in; the second factor follows.

    `authenticate(request=...)` lets django-axes count failures and refuse a locked-out
    account; its middleware then answers with `locked_out` (AXES_LOCKOUT_CALLABLE)."""
    if request.method == "POST":
        form = LoginForm(request.POST)
        if form.is_valid():
            user = authenticate(
                request=request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
            if user is not None:
                signin.signin_pending_start(request, user=user, next_url=form.cleaned_data["next"])
                return redirect(signin.signin_next_step(user))
            form.add_error(None, GENERIC_LOGIN_ERROR)
    else:
        form = LoginForm(initial={"next": request.GET.get("next", "")})
    return render(request, "staff/account/login.html", {"form": form, "title": "Sign in"})


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second factor for a user who has an authenticator: its code or a backup code."""
    user = signin.signin_pending_user(request)
    if user is None:
        return redirect("staff_account:login")
    if (step := signin.signin_next_step(user)) != "staff_account:verify":
        return redirect(step)
    if (lockout := _locked_out(request, user)) is not None:
        return lockout
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = signin.second_factor_match(user=user, code=form.cleaned_data["code"])
        if device is not None:
            return redirect(signin.signin_complete(request, user=user, device=device))
        if signin.second_factor_failed(request, user=user):
            if (lockout := _locked_out(request, user)) is not None:
                return lockout
            messages.error(request, "Too many wrong codes. Sign in again.")
            return redirect("staff_account:login")
        form.add_error("code", WRONG_CODE_ERROR)
    return render(request, "staff/account/verify.html", {"form": form, "title": "Enter your code"})


@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in (or after an admin reset): add an authenticator app by QR code or key,
    confirm it with one code, then see the backup codes once."""
    user = signin.signin_pending_user(request)
    if user is None:
        return redirect("staff_account:login")
    # Never a second authenticator on a password alone, except after an admin reset
    # (which removed the old ones), and then only once a new password is chosen.
    if (step := signin.signin_next_step(user)) != "staff_account:enrol":
        return redirect(step)
    if (lockout := _locked_out(request, user)) is not None:
        return lockout
    device = signin.totp_enrolment_device(request, user=user)
    form = CodeForm(request.POST or None, allow_backup_code=False)
    if request.method == "POST" and form.is_valid():
        codes = signin.totp_enrolment_confirm(
            request, user=user, device=device, code=form.cleaned_data["code"]
        )
        if codes is not None:
            next_url = signin.signin_complete(request, user=user, device=device)
            request.session[signin.NEW_BACKUP_CODES_KEY] = {"codes": codes, "next": next_url}
            return redirect("staff_account:backup_codes")
        form.add_error("code", WRONG_CODE_ERROR)
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    context = {
        "form": form,
        "title": "Set up your authenticator app",
        # Inline SVG made here: no image request, no script, nothing sent elsewhere.
        "qr_svg": segno.make(device.config_url, error="m").svg_inline(
            scale=4,
            border=4,
            light="#fff",
            svgclass="totp-qr",
            title="QR code to add this account to an authenticator app",
        ),
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        "issuer": settings.OTP_TOTP_ISSUER,
        "username": user.get_username(),
    }
    return render(request, "staff/account/enrol.html", context)


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def new_password(request: HttpRequest) -> HttpResponse:
    """After an admin reset: the staff member chooses their own password (the one the
    admin set stops working), then enrols a new authenticator."""
    user = signin.signin_pending_user(request)
    if user is None:
        return redirect("staff_account:login")
    if (step := signin.signin_next_step(user)) != "staff_account:new_password":
        return redirect(step)
    if (lockout := _locked_out(request, user)) is not None:
        return lockout
    form = NewPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        signin.reset_password_chosen(
            request, user=user, password=form.cleaned_data["new_password1"]
        )
        return redirect("staff_account:enrol")
    context = {"form": form, "title": "Choose a new password"}
    return render(request, "staff/account/new_password.html", context)


def _password_refused(request: HttpRequest, user: User) -> HttpResponse | None:
    """A wrong current password was typed on a signed-in page: counted like a wrong
    password at sign-in. At the lockout limit the user is signed out (the lockout page)."""
    if signin.password_confirm_failed(request, user=user):
        signin.logout(request, reason="locked_out")
        return locked_out(request)
    return None


@never_cache
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """A signed-in staff member changes their own password, typing the current one."""
    if not is_verified(request):
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
    user = cast(User, request.user)  # signed in: is_verified says so
    form = StaffPasswordChangeForm(user, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            signin.password_change_own(
                request, user=user, password=form.cleaned_data["new_password1"]
            )
            messages.success(request, "Your password has been changed.")
            return redirect("staff_account:password_change")
        if form.has_error("old_password", "password_incorrect") and (
            refused := _password_refused(request, user)
        ):
            return refused
    context = {"form": form, "title": "Change your password"}
    return render(request, "staff/account/password_change.html", context)


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def backup_codes(request: HttpRequest) -> HttpResponse:
    """Backup codes: shown once right after they are made; POST (with the password
    again: a signed-in session alone must not mint codes) makes a new set."""
    if not is_verified(request):
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
    user = cast(User, request.user)  # signed in: is_verified says so
    form = PasswordConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if user.check_password(form.cleaned_data["password"]):
            codes = signin.backup_codes_replace(request, user=user)
            request.session[signin.NEW_BACKUP_CODES_KEY] = {"codes": codes, "next": None}
            return redirect("staff_account:backup_codes")
        if (refused := _password_refused(request, user)) is not None:
            return refused
        form.add_error("password", WRONG_PASSWORD_ERROR)
    new = request.session.pop(signin.NEW_BACKUP_CODES_KEY, None)
    context = {
        "title": "Backup codes",
        "form": form,
        "new_codes": new["codes"] if new else None,
        "continue_url": (new or {}).get("next") or signin.DASHBOARD_URL,
        "remaining": signin.backup_codes_remaining(user=user),
    }
    return render(request, "staff/account/backup_codes.html", context)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """Sign out (POST only, so a link or an image cannot sign anyone out)."""
    signin.signin_pending_clear(request)
    if request.user.is_authenticated:
        signin.logout(request, reason="signed_out")
        messages.info(request, "You have signed out.")
    return redirect("staff_account:login")
