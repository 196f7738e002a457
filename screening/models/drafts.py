"""Intakes saved to finish later (save and resume)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class IntakeDraft(models.Model):
    """An intake the patient saved to finish later (save and resume). The draft is the
    session draft as JSON; the resume link in the email is signed and expires."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField()
    data = models.JSONField(default=dict)
    language = models.CharField(max_length=10, default="en")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"draft {self.public_id}"
