"""The development outbox (staff/dev/outbox/): every email the app wrote, in full.

Development only (`dev_mail.outbox_enabled`: DEBUG with the file backend); 404 in
production, where email goes out by SMTP and is never kept. The 404 comes before the
sign-in check, so production does not even say the page exists.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from screening.accounts.access import StaffRequest
from screening.accounts.permissions import staff_view
from screening.domain.audit import audit_record
from screening.models import AuditEvent
from screening.web import dev_mail
from screening.web.addresses import client_ip


def development_only(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """404 unless the outbox is on; keeps the wrapped view's `staff_permission`."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not dev_mail.outbox_enabled():
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _audit(request: StaffRequest, what: str, detail: dict[str, Any]) -> None:
    audit_record(
        by=request.user,
        address=client_ip(request),
        action=AuditEvent.Action.VIEW,
        what=what,
        detail=detail,
    )


@development_only
@staff_view("screening.view_queue")
@require_GET
def outbox(request: StaffRequest) -> HttpResponse:
    """The emails written, newest first: when, to whom, the subject."""
    emails = dev_mail.outbox_list()
    _audit(request, "dev.outbox", {"rows": len(emails)})
    context = {"title": "Development outbox", "emails": emails, "limit": dev_mail.OUTBOX_LIMIT}
    return render(request, "staff/dev_outbox.html", context)


@development_only
@staff_view("screening.view_queue")
@require_GET
def outbox_email(request: StaffRequest, name: str) -> HttpResponse:
    """One email: its text part with working links, and its HTML part's source."""
    message = dev_mail.outbox_read(name)
    if message is None:
        raise Http404
    _audit(request, "dev.outbox.email", {"email": name})
    return render(
        request, "staff/dev_outbox_email.html", {"title": message.subject, "email": message}
    )
