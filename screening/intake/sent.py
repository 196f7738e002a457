"""After sending: a question page or the check page opened again (the browser's Back
button, a bookmark) says the form was sent, with its reference, instead of starting a
new form. The pages send `Cache-Control: no-store` (`screening.web.headers`), so Back
asks the server again and this page is what it answers.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from screening.domain.queries import records
from screening.intake.steps import DONE_SESSION_KEY


def already_sent(request: HttpRequest) -> HttpResponse | None:
    """ "You have already sent this" for a browser that sent a form and has no draft now;
    None if it has not sent one (or the submission is gone)."""
    public_id = request.session.get(DONE_SESSION_KEY, {}).get("submission")
    submission = records.submission_by_public_id(public_id=public_id) if public_id else None
    if submission is None:
        return None
    context = {"title": _("You have already sent this form"), "submission": submission}
    return render(request, "screening/already_sent.html", context)
