"""Audit events for changes made in Django's admin: who, what, whom, when, from where.

`AuditedChangesAdmin` writes one CHANGE event per added, changed or deleted row, in the
admin's own transaction (the change form and the delete page are atomic; a bulk delete
is made atomic here), through `screening.domain.audit.audit_record`. The event names the
row by an opaque id (`audit_object_id`: a user's id for anything about a staff account)
and says which fields changed, never their values, except yes/no fields (`values`) and
the names of roles or permissions added to or removed from a many-to-many field
(`<field>_added`, `<field>_removed`): none of them personal data.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, cast

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from screening.domain.audit import audit_record
from screening.models import AuditEvent
from screening.web.addresses import client_ip


def form_changes(form: forms.ModelForm, formsets: Iterable[Any], *, change: bool) -> dict:
    """What a saved admin form changed, for an audit event's detail."""
    if not change:
        detail: dict[str, Any] = {"added": True}
    else:
        detail = {"changed": sorted(form.changed_data)}
    for name in form.changed_data if change else ():
        field = form.fields.get(name)
        value = form.cleaned_data.get(name)
        if isinstance(value, bool):
            detail.setdefault("values", {})[name] = value
        elif isinstance(field, forms.ModelMultipleChoiceField):
            before = {getattr(item, "pk", item) for item in form.initial.get(name) or ()}
            after = {item.pk for item in value or ()}
            related = cast(QuerySet, field.queryset)  # a ModelForm's field always has one
            labels = related.filter(pk__in=before ^ after)
            detail[f"{name}_added"] = sorted(str(o) for o in labels if o.pk in after - before)
            detail[f"{name}_removed"] = sorted(str(o) for o in labels if o.pk in before - after)
    for formset in formsets:
        counts = {
            "added": len(getattr(formset, "new_objects", ())),
            "changed": len(getattr(formset, "changed_objects", ())),
            "deleted": len(getattr(formset, "deleted_objects", ())),
        }
        if any(counts.values()):
            detail[formset.model._meta.model_name] = counts
    return detail


class AuditedChangesAdmin(admin.ModelAdmin):
    """A ModelAdmin whose every add, change and delete writes an AuditEvent.

    Subclasses name the event (`audit_what`) and may name the row differently
    (`audit_object_type`, `audit_object_id`; the model's name and primary key by default).
    Put it first among the bases, before the ModelAdmin it audits."""

    audit_what: ClassVar[str] = ""
    audit_object_type: ClassVar[str] = ""

    def audit_object_id(self, obj: Any) -> str:
        return str(obj.pk)

    def audit_event(self, request: HttpRequest, obj: Model, detail: dict) -> None:
        audit_record(
            by=request.user,
            address=client_ip(request),
            action=AuditEvent.Action.CHANGE,
            what=self.audit_what,
            object_type=self.audit_object_type or obj._meta.model_name or "",
            object_id=self.audit_object_id(obj),
            detail=detail,
        )

    def audit_deletion_detail(self, obj: Any) -> dict:
        return {"deleted": True}

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        self.audit_event(request, form.instance, form_changes(form, formsets, change=change))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            self.audit_event(request, obj, self.audit_deletion_detail(obj))
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        with transaction.atomic():
            for obj in queryset:
                self.audit_event(request, obj, self.audit_deletion_detail(obj))
            super().delete_queryset(request, queryset)
