"""Tasks: "My tasks" and the clinic's open tasks, closing and reassigning a task, and
closing a submission with a reason.

Receptionists see the task list (that tasks exist: reference, patient, owner, due date),
never what a task is (its kind) or its note; the other pages are for clinicians.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from screening.accounts import access
from screening.accounts.access import StaffRequest
from screening.accounts.permissions import staff_view
from screening.domain import tasks as task_services
from screening.domain.audit import audit_record
from screening.domain.queries import tasks as task_queries
from screening.domain.queries.queue import staff_reviewers
from screening.domain.review import TransitionNotAllowed
from screening.models import AuditEvent, Submission, Task
from screening.staff.forms import posted
from screening.staff.task_forms import SubmissionCloseForm, TaskCloseForm, TaskReassignForm
from screening.web.addresses import client_ip

TASKS_PAGE_SIZE = 50
CLINICAL_PERMISSION = "screening.review_submission"


def _record_url(submission: Submission) -> str:
    return reverse("staff:submission", args=[submission.public_id])


@staff_view("screening.view_queue")
@require_GET
def tasks_list(request: StaffRequest) -> HttpResponse:
    """A clinician's open tasks ("My tasks"), or every open task of the clinic
    (?show=all; the only list a receptionist has), soonest due first, overdue highlighted."""
    clinical = request.user.has_perm(CLINICAL_PERMISSION)
    scope = task_queries.TASKS_SCOPE_MINE
    if not clinical or request.GET.get("show") == task_queries.TASKS_SCOPE_ALL:
        scope = task_queries.TASKS_SCOPE_ALL
    owner = request.user if scope == task_queries.TASKS_SCOPE_MINE else None
    today = timezone.localdate()
    page = Paginator(task_queries.open_tasks(owner=owner), TASKS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = task_queries.task_rows(tasks=list(page.object_list), today=today)
    audit_record(
        by=request.user,
        address=client_ip(request),
        action=AuditEvent.Action.VIEW,
        what="tasks.list",
        detail={"scope": scope, "page": page.number, "rows": len(rows)},
    )
    context = {
        "title": "My tasks" if scope == task_queries.TASKS_SCOPE_MINE else "All open tasks",
        "scope": scope,
        "clinical": clinical,
        "page": page,
        "rows": rows,
        "counts": task_queries.task_counts(owner=owner, today=today),
    }
    return render(request, "staff/tasks/list.html", context)


def _task_for_staff(request: StaffRequest, public_id: uuid.UUID, *, what: str) -> Task:
    """The task, through its submission's audited access (404 for an unknown id)."""
    task = task_queries.task_by_public_id(public_id=public_id)
    if task is None:
        raise Http404
    task.submission = access.submission_for_staff(request, task.submission.public_id, what=what)
    return task


def _next_url(request: StaffRequest, task: Task) -> str:
    """Back to the task list when the form was opened from it, else to the record."""
    if request.GET.get("from") == "tasks":
        return reverse("staff:tasks")
    return _record_url(task.submission)


@staff_view("screening.review_submission")
@require_http_methods(["GET", "POST"])
def task_close(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    """Close a task with its outcome (done, no answer, declined) and an optional note."""
    task = _task_for_staff(request, public_id, what="task.close")
    if not task.is_open:
        messages.error(request, "This task is already closed.")
        return redirect(_record_url(task.submission))
    form = TaskCloseForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            change = task_services.task_close(
                task=task,
                by=request.user,
                address=client_ip(request),
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except TransitionNotAllowed as error:
            messages.error(request, str(error))
        else:
            text = f"Task closed: {task.get_kind_display()}, {task.get_outcome_display().lower()}."
            if change is not None:
                text += f" Its last task is closed: {task.submission.reference} is now reviewed."
            messages.success(request, text)
        return redirect(_next_url(request, task))
    context = {"title": f"Close a task: {task.submission.reference}", "task": task, "form": form}
    return render(request, "staff/tasks/close.html", context)


@staff_view("screening.review_submission")
@require_http_methods(["GET", "POST"])
def task_reassign(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    """Give an open task to another clinician, or move its due date."""
    task = _task_for_staff(request, public_id, what="task.reassign")
    if not task.is_open:
        messages.error(request, "This task is already closed.")
        return redirect(_record_url(task.submission))
    form = TaskReassignForm(
        posted(request),
        initial={"owner": str(task.owner_id), "due_on": task.due_on},
        reviewers=staff_reviewers(),
        today=timezone.localdate(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            task_services.task_reassign(
                task=task,
                by=request.user,
                address=client_ip(request),
                owner=form.cleaned_data["owner"],
                due_on=form.cleaned_data["due_on"],
            )
        except TransitionNotAllowed as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                f"Task {task.get_kind_display().lower()} is now {task.owner.get_username()}'s, "
                f"due {task.due_on:%d %b %Y}.",
            )
        return redirect(_next_url(request, task))
    context = {"title": f"Reassign a task: {task.submission.reference}", "task": task, "form": form}
    return render(request, "staff/tasks/reassign.html", context)


@staff_view("screening.review_submission")
@require_http_methods(["GET", "POST"])
def submission_close(request: StaffRequest, public_id: uuid.UUID) -> HttpResponse:
    """Close a submission with a reason, whatever tasks are still open (they are cancelled)."""
    submission = access.submission_for_staff(request, public_id, what="submission.close")
    form = SubmissionCloseForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            task_services.submission_close(
                submission=submission,
                by=request.user,
                address=client_ip(request),
                reason=form.cleaned_data["reason"],
            )
        except TransitionNotAllowed as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{submission.reference} is now closed.")
        return redirect(_record_url(submission))
    context = {
        "title": f"Close with a reason: {submission.reference}",
        "submission": submission,
        "form": form,
        "open_tasks": [
            task for task in task_queries.submission_tasks(submission=submission) if task.is_open
        ],
        "may_close": submission.status in task_services.CLOSABLE_STATUSES,
    }
    return render(request, "staff/tasks/submission_close.html", context)
