"""Rows about the running system, not about patients: the FHIR API's clients and the
periodic jobs' heartbeat."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiClient(models.Model):
    """A system (an EHR) that calls the FHIR API with a bearer token.

    The token is `<key_id>.<secret>`, shown once when the client is created
    (`manage.py create_api_client`). Only the SHA-256 of the secret is stored; `key_id`
    finds the row and the hashes are compared in constant time (`screening.fhir.api_auth`).
    """

    class Scope(models.TextChoices):
        READ = "read", _("Read: pull reviewed submissions as FHIR bundles")
        WRITE = "write", _("Write: post questionnaire responses as new submissions")

    name = models.CharField(_("name"), max_length=100, unique=True)
    key_id = models.CharField(max_length=16, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, editable=False)  # SHA-256 hex of the secret
    scopes = models.JSONField(_("scopes"), default=list)  # Scope values
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class Heartbeat(models.Model):
    """When a periodic job last ran: `screening.tasks.beat_heartbeat` (every minute, sent by
    beat and run by a worker) writes the "beat" row, and /health/ reports its age. Also
    the scheduler lease and each daily job's last run (screening/domain/scheduler.py)."""

    name = models.CharField(max_length=50, unique=True)
    at = models.DateTimeField()
    # The scheduler lease's holder (screening/domain/scheduler.py); empty on other rows.
    holder = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"
