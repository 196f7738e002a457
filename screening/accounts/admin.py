"""Django admin for clinic admins: see a stored submission with its answers and results.

Answers and screening results are read-only here: they are what the patient said and
what the rules said at the time. Only a submission's workflow status can be changed.
Staff accounts, roles and second factors are in `admin_staff.py`; API clients and
schedules in `admin_settings.py`.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib import admin
from django.db.models import Model, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse

from screening.domain.audit import audit_record
from screening.labels import LEVEL_LABELS
from screening.models import (
    AuditEvent,
    ConditionAnswer,
    LabResult,
    MedicineAnswer,
    Patient,
    RedFlagAnswer,
    ScreeningResult,
    Submission,
    SymptomAnswer,
)
from screening.web.addresses import client_ip


class ReadOnlyInline(admin.TabularInline):
    """An inline that shows rows and never adds, changes or deletes them."""

    extra = 0
    can_delete = False
    fields: ClassVar[tuple[str, ...]] = ()  # every field of the row, all read-only

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_readonly_fields(
        self, request: HttpRequest, obj: Model | None = None
    ) -> tuple[str, ...]:
        return self.fields


class SymptomInline(ReadOnlyInline):
    model = SymptomAnswer
    fields = ("code", "present", "severity", "duration_weeks", "sites", "both_sides")


class RedFlagInline(ReadOnlyInline):
    model = RedFlagAnswer
    fields = ("code", "answer")


class MedicineInline(ReadOnlyInline):
    model = MedicineAnswer
    fields = ("code",)


class ConditionInline(ReadOnlyInline):
    model = ConditionAnswer
    fields = ("code",)


class LabResultInline(ReadOnlyInline):
    model = LabResult
    fields = ("test", "value", "unit", "date", "source", "entered_by", "created_at")


class ScreeningResultInline(ReadOnlyInline):
    model = ScreeningResult
    fields = (
        "created_at",
        "trigger",
        "rules_version",
        "level",
        "possible_b12_deficiency",
        "b12_status",
        "red_flags",
        "reasons",
        "suggested_actions",
    )


class SubmissionInline(ReadOnlyInline):
    model = Submission
    fields = ("reference", "submitted_at", "status", "is_complete")
    show_change_link = True


class AuditedAdminMixin(admin.ModelAdmin):
    """Every admin view of a patient's record writes an audit event, as staff pages do.
    For the admins of Patient, Submission and Task (admin_tasks.py)."""

    audit_what = ""

    def audited_patient(self, obj: Any) -> Patient:
        """The patient whose record the viewed object belongs to."""
        return obj if isinstance(obj, Patient) else obj.patient

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = self.get_object(request, object_id)
        if obj is not None and response.status_code == 200:
            audit_record(
                by=request.user,
                address=client_ip(request),
                action=AuditEvent.Action.VIEW,
                what=self.audit_what,
                object_type=type(obj).__name__.lower(),
                object_id=str(obj.public_id),
                patient=self.audited_patient(obj),
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
                what=f"{self.audit_what}_list",
                # Whether a search was made, never its words: they may be a name.
                detail={"searched": bool(request.GET.get("q"))},
            )
        return response


@admin.register(Patient)
class PatientAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_what = "admin.patient"
    list_display = ("full_name", "email", "date_of_birth", "contact_consent", "created_at")
    search_fields = ("full_name", "email")
    readonly_fields = ("public_id", "created_at")
    inlines = [SubmissionInline]


ANSWER_FIELDS = (
    "age_years",
    "sex",
    "pregnant",
    "breastfeeding",
    "diet",
    "alcohol_units_per_week",
    "medicines_answered",
    "conditions_answered",
    "family_history",
    "b12_treatment",
)


@admin.register(Submission)
class SubmissionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_what = "admin.submission"
    list_display = (
        "reference",
        "submitted_at",
        "current_level",
        "status",
        "is_complete",
        "patient",
    )
    list_filter = ("status", "is_complete", "results__level")
    search_fields = ("reference", "patient__full_name", "patient__email")
    list_select_related = ("patient",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "reference",
                    "patient",
                    "status",
                    "is_complete",
                    "submitted_at",
                    "completed_at",
                    "questionnaire_version",
                    "language",
                    "public_id",
                )
            },
        ),
        ("Answers", {"fields": ANSWER_FIELDS}),
    )
    readonly_fields = (
        "reference",
        "patient",
        "is_complete",
        "submitted_at",
        "completed_at",
        "questionnaire_version",
        "language",
        "public_id",
        *ANSWER_FIELDS,
    )
    inlines = [
        ScreeningResultInline,
        RedFlagInline,
        SymptomInline,
        MedicineInline,
        ConditionInline,
        LabResultInline,
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # submissions come from patients, through the intake

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # The current (latest) result's level in the same query: no query per row.
        latest = ScreeningResult.objects.filter(submission=OuterRef("pk")).order_by(
            "-created_at", "-id"
        )
        return (
            super()
            .get_queryset(request)
            .annotate(latest_level=Subquery(latest.values("level")[:1]))
        )

    @admin.display(description="Current level", ordering="latest_level")
    def current_level(self, submission: Submission) -> str:
        # latest_level: annotated by get_queryset above, so mypy cannot know it.
        return str(LEVEL_LABELS.get(submission.latest_level, "-"))  # type: ignore[attr-defined]


@admin.register(ScreeningResult)
class ScreeningResultAdmin(admin.ModelAdmin):
    list_display = ("submission", "level", "possible_b12_deficiency", "created_at", "trigger")
    list_filter = ("level", "trigger", "possible_b12_deficiency")
    search_fields = ("submission__reference",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: ScreeningResult | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: ScreeningResult | None = None
    ) -> bool:
        return False


@admin.register(LabResult)
class LabResultAdmin(admin.ModelAdmin):
    list_display = ("patient", "test", "value", "unit", "date", "source", "created_at")
    list_filter = ("test", "source")
    search_fields = ("patient__full_name", "submission__reference")
    readonly_fields = ("patient", "submission", "entered_by", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LabResult | None = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log, for clinic admins (screening.view_auditevent): read-only for everyone,
    superusers included, because an audit trail someone can edit proves nothing."""

    list_display = (
        "created_at",
        "actor_username",
        "action",
        "what",
        "object_type",
        "object_id",
        "patient_public_id",
        "ip_address",
    )
    list_filter = ("action", "what", ("actor", admin.RelatedOnlyFieldListFilter))
    date_hierarchy = "created_at"
    search_fields = ("object_id", "actor_username")
    search_help_text = "Search by username, record id or reference, or a patient's public id."
    fields = (
        "created_at",
        "actor",
        "actor_username",
        "action",
        "what",
        "object_type",
        "object_id",
        "patient_public_id",
        "detail",
        "ip_address",
    )
    readonly_fields = fields
    show_full_result_count = False  # no second COUNT(*) over a table that only grows

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[AuditEvent], search_term: str
    ) -> tuple[QuerySet[AuditEvent], bool]:
        """Also find a patient's events by their public id (only when the term is a UUID:
        a UUID column cannot be searched for arbitrary text)."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            patient_public_id = uuid.UUID(search_term.strip())
        except ValueError:
            return found, may_have_duplicates
        return found | queryset.filter(patient_public_id=patient_public_id), may_have_duplicates
