"""The app's models, one module per subject.

- `patients`: the patient, and the tombstone left when a record is erased
- `submissions`: the intake (submission), its reference and the answer rows
- `results`: lab results and screening results
- `review`: status changes and clinicians' reviews
- `tasks`: what a decision leaves to do (an owner, a due date, an outcome)
- `audit`: the append-only audit trail
- `reminders`: the reminder outbox and email opt-outs
- `drafts`: intakes saved to finish later
- `system`: FHIR API clients and the periodic jobs' heartbeat
- `clinic`: the clinic's own settings, edited in the admin (one row)
- `messages`: the clinic's message templates and messages to patients, with replies
- `staff`: a pending reset of a staff member's password and second factor

Django finds the models of a models package only through this module, so every model is
imported here (with the names the rest of the app uses): import them from `screening.models`.
"""

from screening.models.audit import AuditEvent
from screening.models.clinic import ClinicSettings
from screening.models.drafts import IntakeDraft
from screening.models.messages import (
    MESSAGE_FREE_TEXT_MAX_LENGTH,
    MESSAGE_REPLY_MAX_LENGTH,
    MessageTemplate,
    PatientMessage,
)
from screening.models.patients import Patient, PatientTombstone
from screening.models.reminders import EmailOptOut, Reminder
from screening.models.results import LabResult, ScreeningResult
from screening.models.review import Review, StatusChange
from screening.models.staff import CredentialReset
from screening.models.submissions import (
    FREE_TEXT_MAX_LENGTHS,
    OPEN_STATUSES,
    REFERENCE_ALPHABET,
    REFERENCE_PREFIX,
    ConditionAnswer,
    MedicineAnswer,
    RedFlagAnswer,
    Submission,
    SymptomAnswer,
    new_reference,
)
from screening.models.system import ApiClient, Heartbeat
from screening.models.tasks import Task

__all__ = [
    "FREE_TEXT_MAX_LENGTHS",
    "OPEN_STATUSES",
    "REFERENCE_ALPHABET",
    "REFERENCE_PREFIX",
    "ApiClient",
    "AuditEvent",
    "ClinicSettings",
    "ConditionAnswer",
    "CredentialReset",
    "EmailOptOut",
    "Heartbeat",
    "IntakeDraft",
    "LabResult",
    "MESSAGE_FREE_TEXT_MAX_LENGTH",
    "MESSAGE_REPLY_MAX_LENGTH",
    "MessageTemplate",
    "MedicineAnswer",
    "Patient",
    "PatientMessage",
    "PatientTombstone",
    "RedFlagAnswer",
    "Reminder",
    "Review",
    "ScreeningResult",
    "StatusChange",
    "Submission",
    "SymptomAnswer",
    "Task",
    "new_reference",
]
