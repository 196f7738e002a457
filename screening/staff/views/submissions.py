"""One submission's record, and what a clinician does with it: assign, move, decide, add a
lab result."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from screening.accounts import access
from screening.accounts.access import StaffRequest
from screening.accounts.permissions import staff_view
from screening.domain import messages as patient_messages
from screening.domain import review, tasks
from screening.domain.queries import messages as message_queries
from screening.domain.queries import records
from screening.domain.queries import tasks as task_queries
from screening.domain.queries.queue import staff_reviewers
from screening.models import Submission
from screening.staff import display
from screening.staff.forms import LabResultForm, StatusChangeForm, posted
from screening.staff.task_forms import DecisionTasksForm
from screening.web.addresses import client_ip

# --- One submission's record ------------------------------------------------------

# The buttons the record page offers for review.MANUAL_TRANSITIONS.
TRANSITION_BUTTONS: dict[str, str] = {
    Submission.Status.IN_REVIEW: "Reopen for review (assign to me)",
    Submission.Status.NEW: "Release back to the queue (unassign)",
    Submission.Status.CLOSED: "Close",
}


def _record_url(submission: Submission) -> str:
    return reverse("staff:submission", args=[submission.public_id])


@staff_view("screening.review_submission")
@require_GET
def submission_detail(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
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
        # The messages section (staff/messages/_section.html).
        "patient_messages": message_queries.submission_messages(submission=submission),
        "message_refusal": patient_messages.message_refusal(submission=submission),
        "may_close": submission.status in tasks.CLOSABLE_STATUSES,
        "task_rows": task_queries.task_rows(
            tasks=task_queries.submission_tasks(submission=submission),
            today=timezone.localdate(),
        ),
    }
    return render(request, "staff/submission_detail.html", context)


@staff_view("screening.review_submission")
@require_POST
def submission_assign(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    """Assign to me: a new submission moves to in review."""
    submission = access.submission_for_staff(request, public_id, what="submission.assign")
    try:
        review.submission_assign(submission=submission, by=request.user, address=client_ip(request))
    except review.TransitionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{submission.reference} is assigned to you.")
    return redirect(_record_url(submission))


@staff_view("screening.review_submission")
@require_POST
def submission_status(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    """Release, reopen or close (review.MANUAL_TRANSITIONS)."""
    submission = access.submission_for_staff(request, public_id, what="submission.status")
    form = StatusChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That status change was not understood; nothing changed.")
        return redirect(_record_url(submission))
    try:
        review.submission_status_change(
            submission=submission,
            to_status=form.cleaned_data["to_status"],
            by=request.user,
            address=client_ip(request),
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
def submission_decision(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    """Record a decision: outcomes, a note (a Review) and the tasks it leaves; the status
    moves on."""
    submission = access.submission_for_staff(request, public_id, what="submission.review")
    form = DecisionTasksForm(
        posted(request),
        initial={"seen_review": tasks.latest_review_id(submission)},
        user=request.user,
        reviewers=staff_reviewers(),
        today=timezone.localdate(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            tasks.decision_record(
                submission=submission,
                by=request.user,
                address=client_ip(request),
                outcomes=form.cleaned_data["outcomes"],
                note=form.cleaned_data["note"],
                tasks=form.task_specs(),
                seen_review_id=form.cleaned_data["seen_review"],
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


# --- Lab results ----------------------------------------------------------------------


@staff_view("screening.review_submission")
@require_http_methods(["GET", "POST"])
def lab_add(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    """A clinician records a lab result; the submission is re-screened with it."""
    submission = access.submission_for_staff(request, public_id, what="lab_result.add")
    form = LabResultForm(posted(request))
    if request.method == "POST" and form.is_valid():
        _lab, result = review.lab_result_add(
            submission=submission,
            by=request.user,
            address=client_ip(request),
            **form.cleaned_data,
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
