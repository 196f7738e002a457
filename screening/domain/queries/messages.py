"""Messages to patients: the reads (the record's section, the templates offered, a link's
message, the export)."""

from __future__ import annotations

from django.db.models import QuerySet

from screening.models import MessageTemplate, Patient, PatientMessage, Reminder, Submission


def submission_messages(*, submission: Submission) -> list[PatientMessage]:
    """The messages sent about a submission, oldest first, with who sent them and their
    email's outbox row (one query)."""
    return list(
        PatientMessage.objects.filter(submission=submission).select_related("sent_by", "reminder")
    )


def templates_offered() -> QuerySet[MessageTemplate]:
    """The templates a clinician may choose from."""
    return MessageTemplate.objects.filter(active=True).order_by("name")


def message_for_link(*, reminder: Reminder) -> PatientMessage | None:
    """The message a link's outbox row is for, with its submission and patient."""
    return (
        PatientMessage.objects.select_related("submission__patient")
        .filter(reminder=reminder)
        .first()
    )


def patient_messages(*, patient: Patient) -> list[PatientMessage]:
    """Every message about a patient's submissions (for the patient's export)."""
    return list(
        PatientMessage.objects.filter(submission__patient=patient)
        .select_related("submission", "sent_by")
        .order_by("created_at", "pk")
    )
