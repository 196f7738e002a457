"""Writing the audit trail: one call per staff action on patient data.

Every staff view of a patient's data, every change and every export calls
`audit_record`. Events name records by opaque ids only, so the audit log itself
holds no personal data beyond the staff member's username.
"""

from __future__ import annotations

from django.http import HttpRequest

from screening.models import AuditEvent, Patient


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from (REMOTE_ADDR). Behind a reverse proxy that is
    the proxy's address unless the proxy passes the client's through the PROXY protocol
    (docs/production.md); a client-supplied X-Forwarded-For header is never trusted here."""
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    request: HttpRequest,
    action: str,
    what: str,
    object_type: str = "",
    object_id: str = "",
    patient: Patient | None = None,
    detail: dict | None = None,
) -> AuditEvent:
    user = request.user if request.user.is_authenticated else None
    return AuditEvent.objects.create(
        actor=user,
        actor_username=user.get_username() if user else "",
        action=action,
        what=what,
        object_type=object_type,
        object_id=str(object_id),
        patient_public_id=patient.public_id if patient else None,
        detail=detail or {},
        ip_address=client_ip(request),
    )
