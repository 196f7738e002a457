"""The audit trail: one append-only row per staff action on patient data."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEventQuerySet(models.QuerySet):
    """Append-only: bulk updates and deletes are refused."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError("Audit events cannot be changed.")

    def delete(self) -> NoReturn:
        raise PermissionError("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """One staff action on patient data: who, what, which record, when, from where.

    Append-only through the app: saving an existing row or deleting one raises. The
    record is named by opaque ids (public ids, references), never by personal data.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("View")
        CHANGE = "change", _("Change")
        EXPORT = "export", _("Export")
        LOGIN = "login", _("Login")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOGOUT = "logout", _("Logout")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    what = models.CharField(max_length=100)  # e.g. "submission.detail", "queue.export"
    object_type = models.CharField(max_length=50, blank=True)
    object_id = models.CharField(max_length=64, blank=True)  # public id or reference
    patient_public_id = models.UUIDField(null=True, blank=True, db_index=True)
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.what}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("Audit events cannot be deleted.")
