"""The page for a link from an email that does not work (altered, expired, used), shared
by the resume, follow-up and message pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from screening.reminders import links

# Why a link from an email does not work, with its HTTP status.
LINK_PROBLEMS = {
    "invalid": (gettext_lazy("This link does not work"), 400),
    "expired": (gettext_lazy("This link has expired"), 410),
    "used": (gettext_lazy("This link has already been used"), 410),
    "sent": (gettext_lazy("Your form has already been sent"), 410),
}


def link_problem(request: HttpRequest, *, problem: str, purpose: str) -> HttpResponse:
    """The page for an altered, expired or used link. `purpose`: "resume" or "follow_up"."""
    title, status = LINK_PROBLEMS[problem]
    context = {"title": title, "problem": problem, "purpose": purpose}
    return render(request, "screening/link_problem.html", context, status=status)


def link_error_problem(error: Exception) -> str:
    if isinstance(error, links.LinkExpired):
        return "expired"
    if isinstance(error, links.LinkUsed):
        return "used"
    return "invalid"


LINK_ERRORS = (links.LinkInvalid, links.LinkExpired, links.LinkUsed)
