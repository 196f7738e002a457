"""The clinician dashboard under /staff/: plain function views.

Every view is wrapped in `permissions.staff_view(permission)`. A view parses the request,
gets a patient's record only through `screening.accounts.access` (404 for anyone who may not see
it, and the audit event), calls one service or selector, and renders. Every change and
every export writes an audit event in the same transaction as the change.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from screening import labels
from screening.accounts import access
from screening.accounts.access import CLINICAL_PERMISSION
from screening.accounts.permissions import staff_view
from screening.domain import exports as patient_exports
from screening.domain import patients, retention, review
from screening.domain.audit import audit_record
from screening.domain.queries import records
from screening.domain.queries.queue import (
    queue_level_counts,
    queue_rows,
    queue_submissions,
    staff_reviewers,
)
from screening.engine import contract
from screening.models import AuditEvent, Patient, Submission
from screening.staff import display, exports
from screening.staff.forms import (
    DecisionForm,
    LabResultForm,
    MergeConfirmForm,
    MergeTargetForm,
    PatientEraseForm,
    QueueFilterForm,
    SplitForm,
    StatusChangeForm,
)

QUEUE_PAGE_SIZE = 25
# The queue pages through at most this many rows (40 pages): nobody reads further, the
# filters and the search find older ones, and counting or skipping every match of a broad
# filter over 100,000 submissions is what made such pages slow (docs/performance.md).
QUEUE_MAX_ROWS = 1000


class QueuePaginator(Paginator):
    """Pages over the first `max_rows` rows of a queryset only.

    The count stops at one more than `max_rows` (and is unordered, so the database may
    count the matches in whatever order is cheapest); `more` tells whether there were
    more. A page picks its rows' ids first (`OFFSET` over the ordered ids alone, off an
    index), then fetches those rows with their joins and subqueries: the rows skipped are
    never joined nor given their current result.
    """

    def __init__(self, object_list, per_page, *, max_rows: int) -> None:
        super().__init__(object_list, per_page)
        self.max_rows = max_rows

    @cached_property
    def _count_to_one_more(self) -> int:
        return self.object_list.order_by().values("pk")[: self.max_rows + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._count_to_one_more, self.max_rows)

    @property
    def more(self) -> bool:
        return self._count_to_one_more > self.max_rows

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        page_ids = self.object_list.values("pk")[bottom:top]
        return self._get_page(self.object_list.filter(pk__in=page_ids), number, self)


def _queue_filter_form(request: HttpRequest) -> tuple[QueueFilterForm, bool]:
    clinical = request.user.has_perm(CLINICAL_PERMISSION)
    form = QueueFilterForm(request.GET or None, clinical=clinical, reviewers=staff_reviewers())
    return form, clinical


def _level_count_rows() -> list[tuple[str, str, int]]:
    counts = queue_level_counts()
    return [(level, labels.LEVEL_LABELS[level], counts[level]) for level in contract.LEVELS]


@staff_view("screening.view_queue")
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
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


# --- One submission's record ------------------------------------------------------

# The buttons the record page offers for review.MANUAL_TRANSITIONS.
TRANSITION_BUTTONS = {
    Submission.Status.IN_REVIEW: "Reopen for review (assign to me)",
    Submission.Status.NEW: "Release back to the queue (unassign)",
    Submission.Status.CLOSED: "Close",
}


def _posted(request: HttpRequest):
    """The POST data to bind a form to (even when empty), or None on GET."""
    return request.POST if request.method == "POST" else None


def _record_url(submission: Submission) -> str:
    return reverse("staff:submission", args=[submission.public_id])


@staff_view("screening.review_submission")
@require_GET
def submission_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Everything about one submission: answers, results, history, labs, reviews."""
    submission = access.submission_for_staff(request, public_id)
    record = records.submission_record(submission=submission)
    context = {
        "title": f"Submission {submission.reference}",
        **display.record_page(record),
        "transitions": [
            (status, TRANSITION_BUTTONS[status])
            for status in review.MANUAL_TRANSITIONS[submission.status]
        ],
        "may_assign": submission.status in review.DECIDABLE_STATUSES
        and submission.assignee_id != request.user.pk,
        "may_decide": submission.status in review.DECIDABLE_STATUSES,
        "may_merge": request.user.has_perm("screening.merge_patients"),
    }
    return render(request, "staff/submission_detail.html", context)


@staff_view("screening.review_submission")
@require_POST
def submission_assign(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Assign to me: a new submission moves to in review."""
    submission = access.submission_for_staff(request, public_id, what="submission.assign")
    try:
        with transaction.atomic():
            review.submission_assign(submission=submission, clinician=request.user)
            _audit_change(
                request,
                submission,
                what="submission.assign",
                detail={"assignee": request.user.get_username(), "status": submission.status},
            )
    except review.TransitionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{submission.reference} is assigned to you.")
    return redirect(_record_url(submission))


@staff_view("screening.review_submission")
@require_POST
def submission_status(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Release, reopen or close (review.MANUAL_TRANSITIONS)."""
    submission = access.submission_for_staff(request, public_id, what="submission.status")
    form = StatusChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That status change was not understood; nothing changed.")
        return redirect(_record_url(submission))
    try:
        with transaction.atomic():
            change = review.submission_status_change(
                submission=submission, to_status=form.cleaned_data["to_status"], by=request.user
            )
            _audit_change(
                request,
                submission,
                what="submission.status",
                detail={"from_status": change.from_status, "to_status": change.to_status},
            )
    except review.TransitionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"{submission.reference} is now {submission.get_status_display().lower()}."
        )
    return redirect(_record_url(submission))


@staff_view("screening.review_submission")
@require_http_methods(["GET", "POST"])
def submission_decision(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Record a decision: outcomes and a note (a Review), which moves the status on."""
    submission = access.submission_for_staff(request, public_id, what="submission.review")
    form = DecisionForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                decision = review.review_record(
                    submission=submission,
                    clinician=request.user,
                    outcomes=form.cleaned_data["outcomes"],
                    note=form.cleaned_data["note"],
                )
                _audit_change(
                    request,
                    submission,
                    what="submission.review",
                    detail={"review_id": decision.pk, "status": submission.status},
                )
        except review.TransitionNotAllowed as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                f"Decision recorded; {submission.reference} is now "
                f"{submission.get_status_display().lower()}.",
            )
        return redirect(_record_url(submission))
    context = {
        "title": f"Record a decision: {submission.reference}",
        "submission": submission,
        "form": form,
        "current_result": records.submission_current_result(submission=submission),
    }
    return render(request, "staff/submission_decision.html", context)


def _audit_change(request: HttpRequest, submission: Submission, *, what: str, detail: dict):
    audit_record(
        request=request,
        action=AuditEvent.Action.CHANGE,
        what=what,
        object_type="submission",
        object_id=str(submission.public_id),
        patient=submission.patient,
        detail={"reference": submission.reference, **detail},
    )


# --- Lab results ----------------------------------------------------------------------


@staff_view("screening.review_submission")
@require_http_methods(["GET", "POST"])
def lab_add(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """A clinician records a lab result; the submission is re-screened with it."""
    submission = access.submission_for_staff(request, public_id, what="lab_result.add")
    form = LabResultForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            lab, result = review.lab_result_add(
                submission=submission, entered_by=request.user, **form.cleaned_data
            )
            _audit_change(
                request,
                submission,
                what="lab_result.add",
                detail={
                    "lab_result_id": lab.pk,
                    "screening_result_id": result.pk if result else None,
                },
            )
        if result is None:
            messages.success(request, "Lab result added. The screening result did not change.")
        else:
            messages.success(
                request,
                "Lab result added. A new screening result was stored next to the old one: "
                f"{result.get_level_display()}, B12 {result.get_b12_status_display().lower()}.",
            )
        return redirect(_record_url(submission))
    context = {
        "title": f"Add a lab result: {submission.reference}",
        "submission": submission,
        "form": form,
    }
    return render(request, "staff/lab_form.html", context)


# --- CSV export -----------------------------------------------------------------------


@staff_view("screening.export_queue")
@require_GET
def queue_export(request: HttpRequest) -> HttpResponse:
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
        request=request,
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
    response = StreamingHttpResponse(exports.csv_lines(rows), content_type="text/csv")
    filename = f"queue-{timezone.localtime(now):%Y-%m-%d-%H%M}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- Patients: record, merge, split ---------------------------------------------------


def _patient_url(patient: Patient) -> str:
    return reverse("staff:patient", args=[patient.public_id])


@staff_view("screening.review_submission")
@require_GET
def patient_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """One patient: details, submissions, and any merge history. An erased record's old
    link (a bookmark, the audit trail) says when and why it was erased: 410 Gone."""
    try:
        patient = access.patient_for_staff(request, public_id)
    except access.PatientErased as erased:
        context = {"title": "Patient record erased", "tombstone": erased.tombstone}
        return render(request, "staff/patient_erased.html", context, status=410)
    context = {
        "title": f"Patient {patient.full_name}",
        **records.patient_record(patient=patient),
        "may_merge": request.user.has_perm("screening.merge_patients")
        and patient.merged_into_id is None,
    }
    return render(request, "staff/patient_detail.html", context)


def _audit_patient_change(request: HttpRequest, patient: Patient, *, what: str, detail: dict):
    audit_record(
        request=request,
        action=AuditEvent.Action.CHANGE,
        what=what,
        object_type="patient",
        object_id=str(patient.public_id),
        patient=patient,
        detail=detail,
    )


@staff_view("screening.merge_patients")
@require_http_methods(["GET", "POST"])
def patient_merge(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Merge this record into another: choose, confirm, merge."""
    source = access.patient_for_staff(request, public_id, what="patient.merge")
    if source.merged_into_id is not None:
        messages.error(request, "This record has already been merged into another.")
        return redirect(_patient_url(source))

    if request.method == "POST" and "confirm" in request.POST:
        confirm = MergeConfirmForm(request.POST)
        if not confirm.is_valid():
            messages.error(request, "The merge was not understood; nothing changed.")
            return redirect(reverse("staff:patient_merge", args=[source.public_id]))
        target = access.patient_for_staff(
            request, confirm.cleaned_data["target"], what="patient.merge"
        )
        try:
            with transaction.atomic():
                moved = patients.patient_merge(source=source, target=target, by=request.user)
                _audit_patient_change(
                    request,
                    source,
                    what="patient.merge",
                    detail={
                        "source": str(source.public_id),
                        "target": str(target.public_id),
                        "submissions": moved.submissions,
                        "lab_results": moved.lab_results,
                    },
                )
        except patients.PatientChangeNotAllowed as error:
            messages.error(request, str(error))
            return redirect(_patient_url(source))
        messages.success(
            request,
            f"Merged: {len(moved.submissions)} submission(s) and {moved.lab_results} lab "
            "result(s) moved to this record.",
        )
        return redirect(_patient_url(target))

    form = MergeTargetForm(
        _posted(request),
        source=source,
        candidates=records.patient_merge_candidates(patient=source),
    )
    if request.method == "POST" and form.is_valid():
        target = access.patient_for_staff(
            request, form.cleaned_data["target"].public_id, what="patient.merge"
        )
        context = {
            "title": "Confirm the merge",
            "source": source,
            "target": target,
            "source_submissions": list(records.patient_submissions(patient=source)),
            "target_submissions": list(records.patient_submissions(patient=target)),
            "confirm": MergeConfirmForm(initial={"target": target.public_id}),
        }
        return render(request, "staff/patient_merge_confirm.html", context)
    context = {"title": "Merge patient records", "patient": source, "form": form}
    return render(request, "staff/patient_merge.html", context)


@staff_view("screening.merge_patients")
@require_http_methods(["GET", "POST"])
def patient_split(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Move some submissions to a new record: choose and give details, confirm, split."""
    patient = access.patient_for_staff(request, public_id, what="patient.split")
    if patient.merged_into_id is not None:
        messages.error(request, "This record has been merged into another; split that one.")
        return redirect(_patient_url(patient))
    form = SplitForm(
        _posted(request),
        patient=patient,
        submissions=list(records.patient_submissions(patient=patient)),
    )
    if request.method == "POST" and form.is_valid():
        if "confirm" not in request.POST:
            context = {"title": "Confirm the split", "patient": patient, "form": form}
            return render(request, "staff/patient_split_confirm.html", context)
        try:
            with transaction.atomic():
                new_patient, moved = patients.patient_split(
                    patient=patient,
                    submissions=form.cleaned_data["submissions"],
                    by=request.user,
                    details=form.details(),
                )
                _audit_patient_change(
                    request,
                    patient,
                    what="patient.split",
                    detail={
                        "source": str(patient.public_id),
                        "new_patient": str(new_patient.public_id),
                        "submissions": moved.submissions,
                        "lab_results": moved.lab_results,
                    },
                )
        except patients.PatientChangeNotAllowed as error:
            messages.error(request, str(error))
            return redirect(_patient_url(patient))
        messages.success(
            request, f"Split: {len(moved.submissions)} submission(s) moved to this new record."
        )
        return redirect(_patient_url(new_patient))
    context = {"title": "Split a patient record", "patient": patient, "form": form}
    return render(request, "staff/patient_split.html", context)


# --- Patients: export and erase (screening.domain.retention) -----------------------------------


@staff_view("screening.review_submission")
@require_GET
def patient_export(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Everything stored about one patient record, as a JSON download; audited EXPORT."""
    patient = access.patient_for_staff(request, public_id, what="patient.export")
    now = timezone.now()
    record = patient_exports.patient_export(patient=patient, now=now)
    audit_record(
        request=request,
        action=AuditEvent.Action.EXPORT,
        what="patient.export",
        object_type="patient",
        object_id=str(patient.public_id),
        patient=patient,
        detail={
            "format": patient_exports.EXPORT_FORMAT,
            "submissions": len(record["submissions"]),
            "lab_results": len(record["lab_results"]),
        },
    )
    response = JsonResponse(record, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="patient-{patient.public_id}.json"'
    response["Cache-Control"] = "no-store"
    return response


@staff_view("screening.review_submission")
@require_http_methods(["GET", "POST"])
def patient_erase(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Erase a record on request: a confirm page with a reason and ERASE typed out; the
    record, its submissions and answers go, a tombstone and the audit trail stay."""
    patient = access.patient_for_staff(request, public_id, what="patient.erase")
    form = PatientEraseForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            erased = retention.patient_erase(patient=patient, reason=form.cleaned_data["reason"])
            _audit_patient_change(
                request,
                patient,
                what="patient.erase",
                detail={
                    "reason": form.cleaned_data["reason"],
                    "submissions": erased.submissions,
                    "lab_results": erased.lab_results,
                    "merged_records": erased.public_ids[1:],
                },
            )
        messages.success(
            request,
            f"The record was erased: {erased.submissions} submission(s) and "
            f"{erased.lab_results} lab result(s) removed. Its id {patient.public_id} and "
            "the audit trail are kept.",
        )
        return redirect("staff:queue")
    context = {
        "title": "Erase a patient record",
        "patient": patient,
        "form": form,
        "summary": retention.patient_erase_summary(patient=patient),
    }
    return render(request, "staff/patient_erase.html", context)
