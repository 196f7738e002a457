"""The clinician dashboard under /staff/: plain function views.

Every view is wrapped in `permissions.staff_view(permission)`. A view parses the request,
gets a patient's record only through `screening.access` (404 for anyone who may not see
it, and the audit event), calls one service or selector, and renders. Every change and
every export writes an audit event in the same transaction as the change.
"""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from screening import contract, labels, selectors
from screening.access import CLINICAL_PERMISSION
from screening.audit import audit_record
from screening.models import AuditEvent
from screening.permissions import staff_view
from screening.staff_forms import QueueFilterForm

QUEUE_PAGE_SIZE = 25


def _queue_filter_form(request: HttpRequest) -> tuple[QueueFilterForm, bool]:
    clinical = request.user.has_perm(CLINICAL_PERMISSION)
    form = QueueFilterForm(
        request.GET or None, clinical=clinical, reviewers=selectors.staff_reviewers()
    )
    return form, clinical


def _level_count_rows() -> list[tuple[str, str, int]]:
    counts = selectors.queue_level_counts()
    return [(level, labels.LEVEL_LABELS[level], counts[level]) for level in contract.LEVELS]


@staff_view("screening.view_queue")
def queue(request: HttpRequest) -> HttpResponse:
    """The review queue. Receptionists see names, contact details and status only."""
    form, clinical = _queue_filter_form(request)
    submissions = selectors.queue_submissions(
        user=request.user, clinical=clinical, **(form.filters() if form.is_bound else {})
    )
    page = Paginator(submissions, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.queue_rows(
        submissions=page.object_list,
        now=timezone.now(),
        highlight_minutes=settings.QUEUE_URGENT_HIGHLIGHT_MINUTES,
    )
    audit_record(
        request=request,
        action=AuditEvent.Action.VIEW,
        what="queue.list",
        detail={
            "filters": form.applied() if form.is_bound else {},
            "page": page.number,
            "rows": len(rows),
        },
    )
    context = {
        "title": "Review queue",
        "form": form,
        "page": page,
        "rows": rows,
        "clinical": clinical,
        "level_count_rows": _level_count_rows() if clinical else None,
        "highlight_minutes": settings.QUEUE_URGENT_HIGHLIGHT_MINUTES,
        "may_export": request.user.has_perm("screening.export_queue"),
    }
    return render(request, "staff/queue.html", context)
