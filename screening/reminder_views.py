"""Reminder pages: the patient's one-click unsubscribe, and the staff list of failed
reminders with a retry button.

/unsubscribe/<token>/ (RFC 8058): GET shows a confirm button, POST records the opt-out.
Mail clients that offer "unsubscribe" POST `List-Unsubscribe=One-Click` to the same URL
without a CSRF token, so this one view is csrf_exempt; the signed token is what
authorises the change, and all it can do is stop emails to one address.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from screening import reminders
from screening.audit import audit_record
from screening.models import AuditEvent, Reminder
from screening.permissions import staff_view
from screening.unsubscribe import UnsubscribeInvalid, reminder_from_unsubscribe_token

FAILED_PAGE_SIZE = 100


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
            reminders.email_opt_out(reminder=reminder)
            return render(
                request, "reminders/unsubscribed.html", {"title": _("You are unsubscribed")}
            )
        return render(request, "reminders/unsubscribe.html", {"title": _("Stop these emails")})


def _failed_rows() -> list[dict]:
    """Reference (or the reminder's id), kind, error, attempts: nothing about health."""
    failed = (
        Reminder.objects.filter(status=Reminder.Status.FAILED)
        .select_related("submission")
        .order_by("-sending_at", "-pk")[:FAILED_PAGE_SIZE]
    )
    return [
        {
            "public_id": reminder.public_id,
            "reference": reminder.submission.reference if reminder.submission else "",
            "kind": reminder.get_kind_display(),
            "error": reminder.last_error,
            "attempts": reminder.attempts,
            "failed_at": reminder.sending_at or reminder.due_at,
        }
        for reminder in failed
    ]


@staff_view("screening.review_submission")
@require_http_methods(["GET", "POST"])
def reminders_failed(request: HttpRequest) -> HttpResponse:
    """Failed reminders with their error; POST `reminder=<public id>` retries one."""
    if request.method == "POST":
        return _retry(request)
    rows = _failed_rows()
    audit_record(
        request=request,
        action=AuditEvent.Action.VIEW,
        what="reminders.failed",
        detail={"rows": len(rows)},
    )
    return render(
        request, "staff/reminders_failed.html", {"title": "Failed reminders", "rows": rows}
    )


def _retry(request: HttpRequest) -> HttpResponse:
    try:
        public_id = uuid.UUID(request.POST.get("reminder", ""))
        reminder = Reminder.objects.select_related("patient").get(public_id=public_id)
    except (ValueError, Reminder.DoesNotExist):
        messages.error(request, "That reminder was not found; nothing changed.")
        return redirect("staff:reminders_failed")
    previous_error = reminder.last_error
    try:
        with transaction.atomic():
            reminders.reminder_retry(reminder=reminder, by=request.user)
            audit_record(
                request=request,
                action=AuditEvent.Action.CHANGE,
                what="reminder.retry",
                object_type="reminder",
                object_id=str(reminder.public_id),
                patient=reminder.patient,
                detail={"kind": reminder.kind, "previous_error": previous_error},
            )
    except reminders.NotFailed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The reminder will be sent again within a minute or two.")
    return redirect("staff:reminders_failed")
