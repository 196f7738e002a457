"""The staff list of failed reminders, paged, with retry buttons (staff/reminders/failed/).

A row that may have reached the patient (its send was cut short after the message data
went to the server) says so, and its retry asks the clinician to confirm they checked.
"Retry all shown" retries only the rows on the page whose retries ran out on temporary
errors: a refused address or an email that may have arrived needs a person's decision.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from screening.accounts.access import StaffRequest
from screening.accounts.permissions import staff_view
from screening.domain import retries
from screening.domain.audit import audit_record
from screening.models import AuditEvent, Reminder
from screening.reminders.rows import may_have_reached_the_patient
from screening.web.addresses import client_ip

FAILED_PAGE_SIZE = 50
Failure = Reminder.Failure


def _failed_page(number: str | None) -> Page:
    failed = (
        Reminder.objects.filter(status=Reminder.Status.FAILED)
        .select_related("submission")
        .order_by("-sending_at", "-pk")
    )
    return Paginator(failed, FAILED_PAGE_SIZE).get_page(number)


def _row(reminder: Reminder) -> dict:
    """Reference (or the reminder's id), kind, error, attempts: nothing about health."""
    return {
        "public_id": reminder.public_id,
        "reference": reminder.submission.reference if reminder.submission else "",
        "kind": reminder.get_kind_display(),
        "error": reminder.last_error,
        "attempts": reminder.attempts,
        "failed_at": reminder.sending_at or reminder.due_at,
        "may_have_reached": _may_have_reached(reminder),
        "transient": _temporary(reminder),
    }


@staff_view("screening.review_submission")
@require_http_methods(["GET", "POST"])
def reminders_failed(request: StaffRequest) -> HttpResponse:
    """Failed reminders with their error; POST `reminder=<public id>` retries one, POST
    `retry_all=<page>` the temporary failures on that page."""
    if request.method == "POST":
        if "retry_all" in request.POST:
            return _retry_all(request)
        return _retry(request)
    page = _failed_page(request.GET.get("page"))
    rows = [_row(reminder) for reminder in page.object_list]
    audit_record(
        by=request.user,
        address=client_ip(request),
        action=AuditEvent.Action.VIEW,
        what="reminders.failed",
        detail={"rows": len(rows), "page": page.number},
    )
    return render(
        request,
        "staff/reminders_failed.html",
        {
            "title": "Failed reminders",
            "rows": rows,
            "page": page,
            "transient_shown": sum(row["transient"] for row in rows),
        },
    )


def _back(page_number: object = None) -> HttpResponse:
    url = reverse("staff:reminders_failed")
    try:
        number = int(str(page_number))
    except ValueError:
        return redirect(url)
    return redirect(f"{url}?page={number}" if number > 1 else url)


def _retry(request: StaffRequest) -> HttpResponse:
    back = _back(request.POST.get("page"))
    try:
        public_id = uuid.UUID(request.POST.get("reminder", ""))
        reminder = Reminder.objects.select_related("patient").get(public_id=public_id)
    except (ValueError, Reminder.DoesNotExist):
        messages.error(request, "That reminder was not found; nothing changed.")
        return back
    if _may_have_reached(reminder) and request.POST.get("checked") != "yes":
        messages.error(
            request,
            "This email may have reached the patient. Check with them first, then tick "
            "“I checked: they did not get it” and press Retry; nothing changed.",
        )
        return back
    try:
        retries.failed_reminder_retry(
            reminder=reminder, by=request.user, address=client_ip(request)
        )
    except retries.NotFailed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The reminder will be sent again within a minute or two.")
    return back


def _may_have_reached(reminder: Reminder) -> bool:
    """Marked so, or failed before `failure` existed with an interrupted send's error."""
    return reminder.failure == Failure.MAY_HAVE_REACHED or may_have_reached_the_patient(
        reminder.last_error
    )


def _temporary(reminder: Reminder) -> bool:
    """Retries ran out on temporary errors only: safe to retry in bulk."""
    return reminder.failure == Failure.RETRIES_RAN_OUT and not _may_have_reached(reminder)


def _retry_all(request: StaffRequest) -> HttpResponse:
    """The temporary failures of the page the clinician saw (the same page number and
    order; a row that failed since may move onto it, which is harmless: it is temporary
    too)."""
    page = _failed_page(request.POST.get("retry_all"))
    retried = 0
    for reminder in page.object_list:
        if not _temporary(reminder):
            continue
        try:
            retries.failed_reminder_retry(
                reminder=reminder, by=request.user, address=client_ip(request)
            )
        except retries.NotFailed:
            continue
        retried += 1
    if retried:
        messages.success(
            request,
            f"{retried} reminder{'s' if retried != 1 else ''} will be sent again within a "
            "minute or two.",
        )
    else:
        messages.info(request, "No reminder on that page failed on temporary errors only.")
    return _back(request.POST.get("retry_all"))
