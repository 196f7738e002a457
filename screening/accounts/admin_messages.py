"""The message templates clinicians send to patients, edited by a clinic admin; every
change is audited (`AuditedChangesAdmin`)."""

from __future__ import annotations

from django.contrib import admin

from screening.accounts.admin_audit import AuditedChangesAdmin
from screening.models import MessageTemplate


@admin.register(MessageTemplate)
class MessageTemplateAdmin(AuditedChangesAdmin, admin.ModelAdmin):
    audit_what = "admin.message_template"
    list_display = ("name", "active")
    list_filter = ("active",)
    fields = ("name", "body_en", "body_es", "active")
    search_fields = ("name",)
