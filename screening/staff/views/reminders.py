"""The staff list of failed reminders, with a retry button (staff/reminders/failed/)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from screening.accounts.access import StaffRequest
from screening.accounts.permissions import staff_view
from screening.domain import retries
from screening.domain.audit import audit_record
from screening.models import AuditEvent, Reminder
from screening.web.addresses import client_ip

FAILED_PAGE_SIZE = 100


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
def reminders_failed(request: StaffRequest) -> HttpResponse:
    """Failed reminders with their error; POST `reminder=<public id>` retries one."""
    if request.method == "POST":
        return _retry(request)
    rows = _failed_rows()
    audit_record(
        by=request.user,
        address=client_ip(request),
        action=AuditEvent.Action.VIEW,
        what="reminders.failed",
        detail={"rows": len(rows)},
    )
    return render(
        request, "staff/reminders_failed.html", {"title": "Failed reminders", "rows": rows}
    )


def _retry(request: StaffRequest) -> HttpResponse:
    try:
        public_id = uuid.UUID(request.POST.get("reminder", ""))
        reminder = Reminder.objects.select_related("patient").get(public_id=public_id)
    except (ValueError, Reminder.DoesNotExist):
        messages.error(request, "That reminder was not found; nothing changed.")
        return redirect("staff:reminders_failed")
    try:
        retries.failed_reminder_retry(
            reminder=reminder, by=request.user, address=client_ip(request)
        )
    except retries.NotFailed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The reminder will be sent again within a minute or two.")
    return redirect("staff:reminders_failed")
