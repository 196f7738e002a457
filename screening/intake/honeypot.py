"""A spam honeypot on the public intake: a text field people never meet and bots fill in.

The field (`templates/screening/_honeypot.html`) is on "About you" and on "Check your
answers". It is moved off screen by a CSS class (no inline style: the CSP forbids it),
hidden from screen readers (`aria-hidden`), out of the keyboard's tab order
(`tabindex="-1"`), labelled "Leave this empty" for anyone who meets it anyway, and has
autocomplete off so a browser does not fill it in.

`honeypot_guard` wraps a view: a POST with the field filled in gets a neutral page (400)
before the view runs, so nothing is stored, not even a session draft; one log line says
which page, never what was sent.

No minimum-time check: a patient with a password manager can fill "About you" in seconds,
and the test client's journeys would need a clock for every page.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

FIELD = "website"  # a name bots like to fill; browsers do not autofill it


def filled(request: HttpRequest) -> bool:
    return request.method == "POST" and any(request.POST.getlist(FIELD))


def honeypot_guard(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not filled(request):
            return view(request, *args, **kwargs)
        match = request.resolver_match
        logger.warning(
            "Honeypot: a form was sent with the hidden field filled in (page %s); nothing stored",
            match.view_name if match else "unknown",
        )
        return render(
            request,
            "screening/form_not_accepted.html",
            {"title": _("Your form could not be sent")},
            status=400,
        )

    return wrapper
