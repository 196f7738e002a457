"""Django's admin behind the same two-step sign-in as the staff pages.

`clinic/apps.py` makes ClinicAdminSite the default admin site, so every
ModelAdmin registered with `@admin.register` is covered. django-otp's OTPAdminSite
counts a user as admin staff only once verified by a second factor; the admin's own
login form is replaced by a redirect to our sign-in page, so there is one way in,
with enrolment, backup codes, lockout and audit events.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django_otp.admin import OTPAdminSite

from screening.accounts.signin import safe_next_url


class ClinicAdminSite(OTPAdminSite):
    name = "admin"  # django-otp's default is "otpadmin"; the URLs stay admin:*
    site_header = "Clinic administration"
    site_title = "Clinic administration"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """Send admin sign-in to the staff sign-in page, then back to the admin."""
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse(
            "admin:index", current_app=self.name
        )
        return redirect_to_login(safe_next_url(request, next_url), settings.LOGIN_URL)
