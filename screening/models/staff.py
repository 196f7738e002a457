"""Rows about staff accounts (the accounts themselves are Django's users)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class CredentialReset(models.Model):
    """An admin set this staff member's password or removed their second factor (or made
    the account with a temporary password). Until the staff member has chosen a new
    password of their own and enrolled a new authenticator, their sign-in stops at those
    two steps: no staff page and no admin page opens for them. Deleted when both are done.

    The reset itself removed every authenticator and backup code of theirs, so an admin
    who knows the password they set still lacks the second factor of a session that the
    staff member finishes (screening.domain.staff_accounts)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=30)  # password, totp, backup_codes, new_account
    # When the staff member chose their new password (the first of the two steps).
    password_changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"credential reset for user {self.user_id}"
