"""The patient's one-click unsubscribe (the staff list of failed reminders is in
`screening.staff.views.reminders`).

/unsubscribe/<token>/ (RFC 8058): GET shows a confirm button, POST records the opt-out.
Mail clients that offer "unsubscribe" POST `List-Unsubscribe=One-Click` to the same URL
without a CSRF token, so this one view is csrf_exempt; the signed token is what
authorises the change, and all it can do is stop emails to one address.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from screening.reminders.opt_out import email_opt_out
from screening.reminders.unsubscribe import UnsubscribeInvalid, reminder_from_unsubscribe_token


@csrf_exempt  # RFC 8058 one-click POSTs come from mail clients, without a CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        reminder = reminder_from_unsubscribe_token(token)
    except UnsubscribeInvalid:
        return render(
            request,
            "reminders/unsubscribe_invalid.html",
            {"title": _("This link does not work")},
            status=404,
        )
    with translation.override(reminder.language):  # the language the email was in
        if request.method == "POST":
            email_opt_out(reminder=reminder)
            return render(
                request, "reminders/unsubscribed.html", {"title": _("You are unsubscribed")}
            )
        return render(request, "reminders/unsubscribe.html", {"title": _("Stop these emails")})
