"""Tasks in the admin: read-only, and only for superusers (no role is given the task
permissions: a task's kind and note are clinical, and clinicians work them at
/staff/tasks/). Every view is audited, as the staff pages are (AuditedAdminMixin)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from screening.accounts.admin import AuditedAdminMixin
from screening.models import Patient, Task


@admin.register(Task)
class TaskAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_what = "admin.task"
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

    def audited_patient(self, obj: Task) -> Patient:
        return obj.submission.patient

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Task | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Task | None = None) -> bool:
        return False
