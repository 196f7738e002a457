"""The pages a patient sees when something fails: in their language, in the site's
design, saying what to do next; never a stack trace, a path or Django's bare English.

Django renders the 400 and 500 pages without a request context, and a 500 may come from
a database that is down, so `bad_request` and `server_error` read nothing from the
database: the language comes from the request's cookie or Accept-Language header (the
patient's choice, as LocaleMiddleware reads it), the clinic's details from the cached
clinic settings when the cache holds them, else the environment's first values.
The 403 and 404 pages are plain templates (templates/403.html, 404.html) that Django
renders with the request, like any page.

Maintenance: with MAINTENANCE_MODE=true every page but /health/ answers 503 with a
Retry-After header (`MaintenanceModeMiddleware`), for a deploy that must stop writes
(docs/production.md, "Maintenance").
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from screening.domain.queries import clinic as clinic_queries
from screening.web.phones import tel_links

HEALTH_PATH = "/health/"


def _language(request: HttpRequest) -> str:
    """The patient's language without the session (which may be what failed); staff
    pages and the admin are in English (StaffPagesInEnglishMiddleware)."""
    if request.path.startswith(("/staff/", "/admin/")):
        return "en"
    try:
        return translation.get_language_from_request(request)
    except Exception:  # noqa: BLE001 - an error page must render whatever the request holds
        return settings.LANGUAGE_CODE


def _page(request: HttpRequest, template: str, title: Callable[[], str], **extra) -> str:
    clinic = clinic_queries.clinic_settings_without_database()
    with translation.override(_language(request)):
        context = {
            "title": title(),
            "clinic_name": clinic.name,
            "clinic_phone": tel_links(clinic.phone),
            "emergency_number": tel_links(clinic.emergency_number),
            "sent_a_form": request.method == "POST",
            "LANGUAGE_CODE": translation.get_language(),
            **extra,
        }
        return render_to_string(template, context)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. After a failed POST the patient is told to send again: every form
    that stores something is idempotent (the intake's key, single-use links), so it is
    never stored twice."""
    html = _page(
        request, "errors/500.html", lambda: _("Sorry, there is a problem with the service")
    )
    return HttpResponse(html, status=500)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400: a request Django refused before any view (too large a form, a
    malformed header)."""
    html = _page(request, "errors/400.html", lambda: _("The page could not be sent"))
    return HttpResponse(html, status=400)


class MaintenanceModeMiddleware:
    """With MAINTENANCE_MODE on, every page is a 503 "not available" page (the health
    check still answers, so a monitor sees the app itself)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.MAINTENANCE_MODE or request.path == HEALTH_PATH:
            return self.get_response(request)
        html = _page(
            request, "errors/503.html", lambda: _("This service is not available at the moment")
        )
        response = HttpResponse(html, status=503)
        response["Retry-After"] = str(settings.MAINTENANCE_RETRY_AFTER)
        return response
