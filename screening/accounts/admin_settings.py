"""The admin's pages about how the clinic's system runs: the FHIR API's clients and the
periodic jobs (django-celery-beat: reminder schedules, retention, digests).

Every change here writes an audit event (`AuditedChangesAdmin`): a revoked API client,
a schedule moved, a job switched off or run by hand. The periodic-task list's bulk
actions (enable, disable, toggle, run) update rows without the change form, so each is
audited here, one event per task, in the same transaction as the update.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django_celery_beat.admin import (
    ClockedScheduleAdmin,
    CrontabScheduleAdmin,
    IntervalScheduleAdmin,
    PeriodicTaskAdmin,
    SolarScheduleAdmin,
)
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from screening.accounts.admin_audit import AuditedChangesAdmin
from screening.models import ApiClient


@admin.register(ApiClient)
class ApiClientAdmin(AuditedChangesAdmin, admin.ModelAdmin):
    """EHR clients of the FHIR API. Created with `manage.py create_api_client` (the token
    is shown once there); here a clinic admin can see them and revoke one (untick active)."""

    audit_what = "api_client"
    audit_object_type = "api_client"
    list_display = ("name", "scopes", "active", "created_at", "last_used_at")
    list_filter = ("active",)
    fields = ("name", "key_id", "scopes", "active", "created_at", "last_used_at")
    readonly_fields = ("name", "key_id", "scopes", "created_at", "last_used_at")

    def audit_object_id(self, obj: Any) -> str:
        return str(obj.key_id)  # the token's public half: names the client, opens nothing

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiClient | None = None) -> bool:
        return False  # revoke instead, so the audit trail keeps the client's name


class ClinicPeriodicTaskAdmin(AuditedChangesAdmin, PeriodicTaskAdmin):
    audit_what = "setting.periodic_task"

    def _audit_each(self, request: HttpRequest, queryset: QuerySet, action: str) -> None:
        for task in queryset:
            detail: dict[str, Any] = {"action": action}
            if action != "run":
                enabled = {"enable": True, "disable": False}.get(action, not task.enabled)
                detail.update(changed=["enabled"], values={"enabled": enabled})
            self.audit_event(request, task, detail)

    @admin.action(description=PeriodicTaskAdmin.enable_tasks.short_description)
    def enable_tasks(self, request: HttpRequest, queryset: QuerySet) -> None:
        with transaction.atomic():
            self._audit_each(request, queryset, "enable")
            super().enable_tasks(request, queryset)

    @admin.action(description=PeriodicTaskAdmin.disable_tasks.short_description)
    def disable_tasks(self, request: HttpRequest, queryset: QuerySet) -> None:
        with transaction.atomic():
            self._audit_each(request, queryset, "disable")
            super().disable_tasks(request, queryset)

    @admin.action(description=PeriodicTaskAdmin.toggle_tasks.short_description)
    def toggle_tasks(self, request: HttpRequest, queryset: QuerySet) -> None:
        with transaction.atomic():
            self._audit_each(request, queryset, "toggle")
            super().toggle_tasks(request, queryset)

    @admin.action(description=PeriodicTaskAdmin.run_tasks.short_description)
    def run_tasks(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._audit_each(request, queryset, "run")
        super().run_tasks(request, queryset)


class ClinicClockedScheduleAdmin(AuditedChangesAdmin, ClockedScheduleAdmin):
    audit_what = "setting.schedule"


class ClinicCrontabScheduleAdmin(AuditedChangesAdmin, CrontabScheduleAdmin):
    audit_what = "setting.schedule"


class ClinicSolarScheduleAdmin(AuditedChangesAdmin, SolarScheduleAdmin):
    audit_what = "setting.schedule"


class ClinicIntervalScheduleAdmin(AuditedChangesAdmin, IntervalScheduleAdmin):
    audit_what = "setting.schedule"


for model, model_admin in (
    (PeriodicTask, ClinicPeriodicTaskAdmin),
    (ClockedSchedule, ClinicClockedScheduleAdmin),
    (CrontabSchedule, ClinicCrontabScheduleAdmin),
    (SolarSchedule, ClinicSolarScheduleAdmin),
    (IntervalSchedule, ClinicIntervalScheduleAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
