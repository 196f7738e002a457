"""The admin's "Clinic settings" page: the clinic's name, phone, address, logo, urgent
lines, patient email hours, reply-time promise and privacy notice, one page, no deploy.

There is one row (`ClinicSettings`). The list goes straight to it; until a clinic admin
first saves, the form shows the environment's first values (`first_row`). A save goes
through `clinic_settings_save` (a new privacy text gets a new version; the shared cache
is refreshed on commit, so the next page and email carry the change) and writes an audit
event (`AuditedChangesAdmin`: who, which fields, when, from which address). Clinic admins
(`screening.change_clinicsettings`) and superusers may edit; clinicians and receptionists
have no way into the admin.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from screening.accounts.admin_audit import AuditedChangesAdmin
from screening.domain.clinic import clinic_settings_save
from screening.domain.queries.clinic import first_row
from screening.models import ClinicSettings
from screening.models.clinic import SINGLETON_ID


@admin.register(ClinicSettings)
class ClinicSettingsAdmin(AuditedChangesAdmin, admin.ModelAdmin):
    audit_what = "setting.clinic"
    audit_object_type = "clinic_settings"
    fieldsets = (
        (None, {"fields": ("name", "phone", "address", "contact_email", "logo")}),
        (
            "Urgent care lines (shown to patients)",
            {"fields": ("emergency_number", "urgent_advice_number", "crisis_line")},
        ),
        ("Emails and replies", {"fields": ("patient_email_hours", "reply_working_days")}),
        (
            "Privacy notice",
            {"fields": ("privacy_notice_text", "privacy_notice_text_es", "privacy_notice_version")},
        ),
        (None, {"fields": ("updated_at",)}),
    )
    readonly_fields = ("privacy_notice_version", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # one row: its change page stands in for "add" until first saved

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        found = super().get_object(request, object_id, from_field)
        if found is None and object_id == str(SINGLETON_ID):
            return first_row()
        return found

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """No list of one: straight to the settings (the permission is checked there)."""
        return HttpResponseRedirect(
            reverse("admin:screening_clinicsettings_change", args=[SINGLETON_ID])
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        clinic_settings_save(row=obj, changed=form.changed_data)
