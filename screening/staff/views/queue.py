"""The review queue and its CSV export."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET

from screening import labels
from screening.accounts.access import CLINICAL_PERMISSION, StaffRequest
from screening.accounts.permissions import staff_view
from screening.domain.audit import audit_record
from screening.domain.queries.queue import (
    queue_level_counts,
    queue_rows,
    queue_submissions,
    staff_reviewers,
)
from screening.engine import contract
from screening.models import AuditEvent, Submission
from screening.staff import display, exports
from screening.staff.forms import QueueFilterForm
from screening.web.addresses import client_ip

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

QUEUE_PAGE_SIZE = 25
# The queue pages through at most this many rows (40 pages): nobody reads further, the
# filters and the search find older ones, and counting or skipping every match of a broad
# filter over 100,000 submissions is what made such pages slow (docs/performance.md).
QUEUE_MAX_ROWS = 1000


class QueuePaginator(Paginator):
    """Pages over the first `max_rows` rows of a queryset only.

    The count reads the ids of at most one more than `max_rows` matches (unordered, so the
    database may find them in whatever order is cheapest); `more` tells whether there
    were more. A page picks its rows' ids first, then fetches those rows with their joins
    and subqueries: the rows skipped are never joined nor given their current result.

    When every match was counted (no more than `max_rows`), the page's ids are picked among
    those counted, by primary key, and sorted: at most `max_rows` rows. Otherwise they are
    read in queue order (`OFFSET` over the ordered ids, off an index): many matches are
    met early on. Left to itself, PostgreSQL chose that walk for a search it guessed would
    match 5,000 patients and that matched 228 (a whole name at a million submissions:
    79,000 index entries and a patient lookup each, 660 ms; bench/README.md).
    """

    object_list: QuerySet[Submission]

    def __init__(self, object_list: QuerySet[Submission], per_page: int, *, max_rows: int) -> None:
        super().__init__(object_list, per_page)
        self.max_rows = max_rows

    @cached_property
    def _first_ids(self) -> list[int]:
        return list(self.object_list.order_by().values_list("pk", flat=True)[: self.max_rows + 1])

    @cached_property
    def count(self) -> int:
        return min(len(self._first_ids), self.max_rows)

    @property
    def more(self) -> bool:
        return len(self._first_ids) > self.max_rows

    def page(self, number: int | str) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        ordered = self.object_list
        if not self.more:
            ordered = ordered.filter(pk__in=sorted(self._first_ids))
        page_ids = ordered.values("pk")[bottom:top]
        return Page(self.object_list.filter(pk__in=page_ids), number, self)


def _queue_filter_form(request: StaffRequest) -> tuple[QueueFilterForm, bool]:
    clinical = request.user.has_perm(CLINICAL_PERMISSION)
    form = QueueFilterForm(request.GET or None, clinical=clinical, reviewers=staff_reviewers())
    return form, clinical


def _level_count_rows() -> list[tuple[str, StrOrPromise, int, bool]]:
    """(level, label, count, more): `more` when there are more than QUEUE_MAX_ROWS, which
    the page shows as "1,000+" (exact counts read every open row, on every page)."""
    counts = queue_level_counts(cap=QUEUE_MAX_ROWS)
    return [
        (
            level,
            labels.LEVEL_LABELS[level],
            min(counts[level], QUEUE_MAX_ROWS),
            counts[level] > QUEUE_MAX_ROWS,
        )
        for level in contract.LEVELS
    ]


@staff_view("screening.view_queue")
@require_GET
def queue(request: StaffRequest) -> HttpResponse:
    """The review queue. Receptionists see names, contact details and status only."""
    form, clinical = _queue_filter_form(request)
    submissions = queue_submissions(
        user=request.user, clinical=clinical, **(form.filters() if form.is_bound else {})
    )
    paginator = QueuePaginator(submissions, QUEUE_PAGE_SIZE, max_rows=QUEUE_MAX_ROWS)
    page = paginator.get_page(request.GET.get("page"))
    rows = display.queue_lines(
        queue_rows(
            submissions=page.object_list,
            now=timezone.now(),
            highlight_minutes=settings.QUEUE_URGENT_HIGHLIGHT_MINUTES,
            clinical=clinical,
        )
    )
    audit_record(
        by=request.user,
        address=client_ip(request),
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


# --- CSV export -----------------------------------------------------------------------


@staff_view("screening.export_queue")
@require_GET
def queue_export(request: StaffRequest) -> HttpResponseBase:
    """The queue with the current filters as CSV, streamed; audited with the row count."""
    form, clinical = _queue_filter_form(request)
    if form.is_bound and not form.is_valid():
        messages.error(request, "The export was not made: fix the filters first.")
        return redirect(f"{reverse('staff:queue')}?{request.GET.urlencode()}")
    submissions = queue_submissions(
        user=request.user, clinical=clinical, **(form.filters() if form.is_bound else {})
    )
    now = timezone.now()
    audit_record(
        by=request.user,
        address=client_ip(request),
        action=AuditEvent.Action.EXPORT,
        what="queue.export",
        detail={
            "rows": submissions.count(),
            "filters": form.applied() if form.is_bound else {},
        },
    )
    rows = exports.queue_csv_rows(
        submissions,
        clinical=clinical,
        now=now,
        highlight_minutes=settings.QUEUE_URGENT_HIGHLIGHT_MINUTES,
    )
    response = StreamingHttpResponse(exports.csv_file(rows), content_type="text/csv; charset=utf-8")
    filename = f"queue-{timezone.localtime(now):%Y-%m-%d-%H%M}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
