"""Which language a page is in.

Patient pages (and patient emails) are in English or Spanish (settings.LANGUAGES).
Django's LocaleMiddleware picks the language of a request: the one the patient chose with
the switch on every patient page (Django's `set_language` view stores it in a cookie),
else the browser's preference, else English. See docs/languages.md.

Staff pages are in English whatever the browser, a language cookie left by trying the
patient form, or the patient's language: clinical labels (symptoms, red flags, levels)
must read the same for the whole team. `StaffPagesInEnglishMiddleware`, right after
LocaleMiddleware, switches the staff dashboard, staff sign-in and the admin to
LANGUAGE_CODE. Stored answers are codes, so they read in English there whatever language
they were given in; the record says which language that was.

A link in an email (resume a saved form, the follow-up check-in) opens in the email's
language, which is the patient's, unless this browser has a language chosen with the
switch: `link_language_use` activates it and `link_language_remember` keeps it (the same
cookie the switch sets) for the pages that follow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

# URL namespaces (clinic/urls.py) whose pages are for clinic staff only.
STAFF_NAMESPACES = frozenset({"staff", "staff_account", "admin"})


class StaffPagesInEnglishMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        match = request.resolver_match
        if match is not None and STAFF_NAMESPACES.intersection(match.namespaces):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE


def link_language_use(request: HttpRequest, language: str) -> str | None:
    """Show this page in `language` (an email's) unless the patient chose one with the
    switch. Returns the language activated, or None."""
    if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return None
    if language not in dict(settings.LANGUAGES):
        return None
    translation.activate(language)
    request.LANGUAGE_CODE = language
    return language


def link_language_remember(response: HttpResponse, language: str | None) -> HttpResponse:
    """Keep the language `link_language_use` activated for the next pages."""
    if language is not None:
        language_remember(response, language)
    return response


def language_remember(response: HttpResponse, language: str) -> HttpResponse:
    """Show the next pages in `language`, with the cookie Django's set_language view sets
    (same name and attributes): also the switch on a question page, which keeps what was
    typed (`screening.intake.typed`)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
