"""The pages around the questions: the privacy notice, the accessibility statement, and
the patient's agreement before the first question ("Before you start").

No answer is asked before the agreement: the question pages send a draft without it here
(`screening.intake.views.question`). Saying no keeps nothing (the session's draft, if
any, is dropped) and says how else to reach the clinic.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from screening.intake import privacy
from screening.intake import steps as intake
from screening.intake.forms.consent import ConsentForm

# When this statement was last reviewed, and how (docs/testing-browser.md).
ACCESSIBILITY_REVIEWED = datetime.date(2026, 12, 2)


@require_http_methods(["GET"])
def privacy_notice(request: HttpRequest) -> HttpResponse:
    """The privacy notice: the clinic's own text, or the default one (`privacy`)."""
    context = {
        "title": _("Privacy notice"),
        "notice": privacy.privacy_notice(),
        **privacy.notice_values(),
    }
    return render(request, "screening/privacy.html", context)


@require_http_methods(["GET"])
def accessibility(request: HttpRequest) -> HttpResponse:
    """The accessibility statement (WCAG 2.2 AA, how it was tested, known limits)."""
    context = {
        "title": _("Accessibility statement"),
        "reviewed": ACCESSIBILITY_REVIEWED,
        "site_url": settings.SITE_URL,
        "session_hours": privacy.notice_values()["session_hours"],
    }
    return render(request, "screening/accessibility.html", context)


@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest) -> HttpResponse:
    """Before you start: the patient agrees to the use of their answers for their care
    (recorded in the draft with the notice's version and the time), or is told how else
    to contact the clinic."""
    draft = intake.draft_load(request.session)
    if request.method == "POST":
        form = ConsentForm(request.POST)
        if form.is_valid():
            if not form.agreed():
                intake.draft_clear(request.session)
                return redirect("screening:consent_declined")
            draft = privacy.consent_give(request.session, draft, today=timezone.localdate())
            unfinished = intake.first_unfinished_step(draft)
            return redirect(unfinished.url() if unfinished else reverse("screening:check"))
    else:
        agreed = draft is not None and draft.care_consent is not None
        form = ConsentForm(initial={"care_consent": "yes"} if agreed else {})
    context = {"title": _("Before you start"), "form": form, "back_url": reverse("screening:start")}
    return render(request, "screening/consent.html", context)


@require_http_methods(["GET"])
def consent_declined(request: HttpRequest) -> HttpResponse:
    """The patient did not agree: nothing was kept; here is how else to reach the clinic."""
    return render(
        request, "screening/consent_declined.html", {"title": _("You have not started the form")}
    )
