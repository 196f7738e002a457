"""Save and come back later: an unfinished intake kept for INTAKE_DRAFT_DAYS, with one
reminder carrying the resume link."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from screening.models import IntakeDraft, Reminder
from screening.reminders import links, scheduling


def _intake_draft_reusable(public_id: str | None) -> IntakeDraft | None:
    """The IntakeDraft this session saved before, if a new save should update it: not
    sent, and its resume link not used yet (after a resume, a new save makes a new draft,
    so the patient gets a new link)."""
    if not public_id:
        return None
    return (
        IntakeDraft.objects.select_for_update()
        .filter(public_id=public_id, submitted_at__isnull=True)
        .exclude(
            reminders__kind__in=links.RESUME_KINDS,
            reminders__link_used_at__isnull=False,
        )
        .first()
    )


def intake_draft_save(
    *, public_id: str | None, email: str, data: dict[str, Any], language: str
) -> IntakeDraft:
    """Keep an unfinished intake (the session draft as JSON) for INTAKE_DRAFT_DAYS, send
    the resume link at once (kind intake_saved) and schedule the one later reminder
    (unfinished_intake). Saving again updates the same row: the link already sent opens
    the answers saved last, so it is not sent again, and the reminder moves later.
    Returns the IntakeDraft."""
    now = timezone.now()
    with transaction.atomic():
        draft = _intake_draft_reusable(public_id)
        if draft is None:
            # The view names a new draft (and stores the name in the session) before this
            # runs, so a retry after a lost response updates this row instead of making a
            # second draft and a second reminder. A name already taken (a draft whose link
            # was used) gets a fresh one.
            name: str | uuid.UUID = uuid.uuid4()
            if public_id and not IntakeDraft.objects.filter(public_id=public_id).exists():
                name = public_id
            draft = IntakeDraft(created_at=now, public_id=name)
        draft.email = email.strip().lower()
        draft.data = data
        draft.language = language
        draft.updated_at = now
        draft.expires_at = now + timedelta(days=settings.INTAKE_DRAFT_DAYS)
        draft.save()
        scheduling.reminder_schedule_intake_saved(draft=draft)
        scheduling.reminder_schedule_unfinished_intake(draft=draft)
    return draft


def intake_draft_resume(*, reminder: Reminder) -> dict[str, Any]:
    """Use a resume link (once: links.LinkUsed if another request used it first) and
    return the saved answers. The row keeps no answers afterwards: they are back in the
    patient's session, and the link cannot be used again."""
    if reminder.draft_id is None:
        raise ValueError("This reminder is not about a saved intake.")
    with transaction.atomic():
        links.reminder_link_use(reminder)
        # The other link to this draft (sent at once, or the later reminder) is used with
        # it: the answers are leaving the row. A pending reminder is cancelled when due.
        Reminder.objects.filter(
            draft_id=reminder.draft_id, kind__in=links.RESUME_KINDS, link_used_at__isnull=True
        ).update(link_used_at=timezone.now())
        draft = IntakeDraft.objects.select_for_update().get(pk=reminder.draft_id)
        data: dict[str, Any] = draft.data
        draft.data = {}
        draft.updated_at = timezone.now()
        draft.save(update_fields=["data", "updated_at"])
    return data
