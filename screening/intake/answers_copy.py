"""The printable copy of the answers just sent, linked from the confirmation page.

The check page's POST keeps the sent answers in the session (`copy_keep`) for
COPY_MINUTES, tied to the submission the confirmation page shows; after that, or once
another intake is sent, the copy is dropped, so a shared computer does not show them to
the next person. The page (`answers_copy`) is the check page's summary without "Change"
links, with the reference and the date sent, never the screening level; its print
stylesheet (static/css/site.css, "@media print") leaves out the site's header, footer and
buttons. The URL names nothing; the response is never cached.
"""

from __future__ import annotations

import datetime

from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from screening.domain.queries import records
from screening.intake.display import check_sections
from screening.intake.steps import DONE_SESSION_KEY, Draft

SESSION_KEY = "intake_sent_copy"
COPY_MINUTES = 30


def copy_keep(session: SessionBase, draft: Draft, submission: str) -> None:
    """Keep the answers of `draft`, just sent as `submission`, for COPY_MINUTES."""
    until = timezone.now() + datetime.timedelta(minutes=COPY_MINUTES)
    session[SESSION_KEY] = {
        "submission": submission,
        "until": until.isoformat(),
        "intake_date": draft.intake_date.isoformat(),
        "steps": draft.steps,
    }


def copy_load(session: SessionBase, submission: str | None) -> Draft | None:
    """The answers sent as `submission`, while their copy lasts (else it is dropped)."""
    copy = session.get(SESSION_KEY)
    if not copy:
        return None
    until = datetime.datetime.fromisoformat(copy["until"])
    if copy["submission"] != submission or until <= timezone.now():
        session.pop(SESSION_KEY, None)
        return None
    intake_date = datetime.date.fromisoformat(copy["intake_date"])
    return Draft(idempotency_key="", intake_date=intake_date, steps=copy["steps"])


@never_cache
@require_http_methods(["GET"])
def answers_copy(request: HttpRequest) -> HttpResponse:
    """Your answers, to print or save: only in the session that sent them, for a while."""
    public_id = request.session.get(DONE_SESSION_KEY, {}).get("submission")
    draft = copy_load(request.session, public_id)
    submission = records.submission_by_public_id(public_id=public_id) if draft else None
    if draft is None or submission is None:
        return redirect("screening:done" if public_id else "screening:start")
    context = {
        "title": _("Your answers"),
        "submission": submission,
        "sections": check_sections(draft),
        "done_url": reverse("screening:done"),
    }
    return render(request, "screening/answers_copy.html", context)
