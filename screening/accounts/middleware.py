"""Sign staff out after STAFF_IDLE_TIMEOUT_SECONDS without a request.

A clinic computer left signed in shows patient records to whoever sits down next. The
time of each signed-in request is kept in the session; a request that comes after a
longer gap logs the user out (audited as LOGOUT with reason "idle") and goes to the
sign-in page, which then returns to the page that was asked for (for a GET).

Patients are never signed in, so the intake is untouched. Installed after the auth,
OTP and messages middleware.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from screening.accounts import signin

LAST_ACTIVITY_KEY = "staff_last_activity"


class StaffIdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY_KEY)
            if last is not None and now - last > settings.STAFF_IDLE_TIMEOUT_SECONDS:
                signin.logout(request, reason="idle")
                minutes = max(1, settings.STAFF_IDLE_TIMEOUT_SECONDS // 60)
                messages.info(
                    request,
                    f"You were signed out after {minutes} minutes without activity. "
                    "Sign in again to continue.",
                )
                if request.method != "GET":  # a form sent after the timeout is not replayed
                    return redirect(settings.LOGIN_URL)
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)
