"""Writes to staff accounts that must be audited: passwords and credential resets.

A *reset* is an admin setting someone else's password or removing their second factor
(or creating their account with a temporary password). It removes every authenticator
and backup code of theirs and opens a `CredentialReset`: at their next sign-in they
must choose a new password and enrol a new authenticator before any staff or admin page
opens (screening.accounts.signin). Who may reset whom is decided by the caller
(screening.accounts.roles.may_reset_credentials).

Each public function is one transaction with its audit event (CHANGE, object_type
"user", object_id the user's id: never a name):
- "account.reset"     a reset opened (detail.reason, what was removed) or completed
- "account.password"  a password chosen by its owner (detail.how: "own" with the current
                      password, "after_reset" at the sign-in that follows a reset)
"""

from __future__ import annotations

from typing import Literal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from screening.domain.audit import audit_record
from screening.models import AuditEvent, CredentialReset

ResetReason = Literal["password", "totp", "backup_codes", "new_account"]


def credentials_reset(
    *, user: User, by: User | None, address: str | None, reason: ResetReason
) -> CredentialReset:
    """Remove `user`'s authenticators and backup codes and require a new password and a
    new authenticator at their next sign-in. Any session of theirs stops being verified
    at its next request (django-otp finds its device gone)."""
    with transaction.atomic():
        totp = TOTPDevice.objects.filter(user=user)
        static = StaticDevice.objects.filter(user=user)
        removed = {
            "authenticators_removed": totp.count(),
            "backup_code_sets_removed": static.count(),
        }
        totp.delete()
        static.delete()
        reset, _ = CredentialReset.objects.update_or_create(
            user=user,
            defaults={
                "requested_by": by,
                "requested_at": timezone.now(),
                "reason": reason,
                "password_changed_at": None,
            },
        )
        audit_record(
            by=by,
            address=address,
            action=AuditEvent.Action.CHANGE,
            what="account.reset",
            object_type="user",
            object_id=str(user.pk),
            detail={"reason": reason, **removed},
        )
    return reset


def credential_reset_pending(*, user: User) -> CredentialReset | None:
    """The open reset of this user, if any."""
    return CredentialReset.objects.filter(user=user).first()


def password_set(
    *, user: User, raw_password: str, address: str | None, how: Literal["own", "after_reset"]
) -> None:
    """The staff member chose a new password (the caller checked the current one, or the
    pending sign-in after a reset). Their other sessions end (Django's session hash)."""
    with transaction.atomic():
        user.set_password(raw_password)
        user.save(update_fields=["password"])
        if how == "after_reset":
            CredentialReset.objects.filter(user=user).update(password_changed_at=timezone.now())
        audit_record(
            by=user,
            address=address,
            action=AuditEvent.Action.CHANGE,
            what="account.password",
            object_type="user",
            object_id=str(user.pk),
            detail={"how": how},
        )


def credential_reset_complete(*, user: User, device: TOTPDevice, address: str | None) -> None:
    """A new authenticator was confirmed after a reset: any other authenticator (one an
    admin may have added since) goes, and the reset is closed. Call inside the
    enrolment's transaction."""
    with transaction.atomic():
        deleted, _ = CredentialReset.objects.filter(user=user).delete()
        if not deleted:
            return
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        audit_record(
            by=user,
            address=address,
            action=AuditEvent.Action.CHANGE,
            what="account.reset",
            object_type="user",
            object_id=str(user.pk),
            detail={"completed": True},
        )
