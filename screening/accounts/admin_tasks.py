"""Tasks in the admin: read-only, and only for superusers (no role is given the task
permissions: a task's kind and note are clinical, and clinicians work them at
/staff/tasks/). Every view is audited, as the staff pages are."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from screening.domain.audit import audit_record
from screening.models import AuditEvent, Task
from screening.web.addresses import client_ip


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("submission", "kind", "owner", "due_on", "closed_at", "outcome")
    list_filter = ("kind", "outcome")
    list_select_related = ("submission", "owner")
    search_fields = ("submission__reference",)
    fields = (
        "submission",
        "review",
        "kind",
        "owner",
        "due_on",
        "created_by",
        "created_at",
        "closed_at",
        "closed_by",
        "outcome",
        "note",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Task | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Task | None = None) -> bool:
        return False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        task = self.get_object(request, object_id)
        if task is not None and response.status_code == 200:
            audit_record(
                by=request.user,
                address=client_ip(request),
                action=AuditEvent.Action.VIEW,
                what="admin.task",
                object_type="task",
                object_id=str(task.public_id),
                patient=task.submission.patient,
            )
        return response

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if response.status_code == 200:
            audit_record(
                by=request.user,
                address=client_ip(request),
                action=AuditEvent.Action.VIEW,
                what="admin.task_list",
                detail={"searched": bool(request.GET.get("q"))},
            )
        return response
