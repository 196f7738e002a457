"""Writing the audit trail: one event per staff action on patient data.

Every service that changes or exports patient data (`review`, `patients`, `retention`,
`exports`, `retries`, the EHR's intake in `intake`) writes its event itself, inside its own
transaction, so the change and its event are stored together or not at all. Staff reads
of a record (`screening.accounts.access`) and the pages that list patient data call
`audit_record` with the same two facts: who (`by`) and from which address (`address`, the
request's client address as a string; the domain never sees the request).

Events name records by opaque ids only, so the audit log itself holds no personal data
beyond the staff member's username.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User

from screening.models import AuditEvent, Patient


def audit_record(
    *,
    by: User | AnonymousUser | None,
    address: str | None = None,
    action: str,
    what: str,
    object_type: str = "",
    object_id: str = "",
    patient: Patient | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Store one event. `by` is the staff member (None or anonymous: no one signed in, such
    as an EHR with a token or the retention job); `address` their client address."""
    user = None if by is None or isinstance(by, AnonymousUser) else by
    return AuditEvent.objects.create(
        actor=user,
        actor_username=user.get_username() if user else "",
        action=action,
        what=what,
        object_type=object_type,
        object_id=str(object_id),
        patient_public_id=patient.public_id if patient else None,
        detail=detail or {},
        ip_address=address,
    )
