"""Reminder emails: one small function per kind.

Each renders the template trio `templates/emails/<kind>/subject.txt`, `body.txt` and
`body.html` in the recipient's language, and returns an unsent EmailMultiAlternatives
(`screening.reminders.delivery` sends it and records the outcome).

What the emails may say: patient emails carry no health information and no name (an
email can be read by someone else): only that the clinic has a message, the link, the
clinic's name and contact from the clinic settings as they are when the email is
rendered (phone numbers as `tel:` links in the HTML part), a link to
the privacy notice, and a one-click unsubscribe link (also in the List-Unsubscribe
headers, RFC 8058). The confirmation adds the form's reference, when the clinic aims to
reply, and the same general advice the confirmation page gives if symptoms get worse:
never the answers, the level or anything about the patient's health. Staff emails carry
no patient data: a count, a wait, and a link to /staff/.

The Message-ID is derived from the reminder's key, so a receiving system can spot a
duplicate of the same reminder.
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from screening import labels
from screening.engine import contract
from screening.models import Reminder
from screening.reminders.clinic_values import clinic_values
from screening.reminders.links import reminder_link_url
from screening.reminders.recheck import PATIENT_SUBMISSION_KINDS, client_waiting
from screening.reminders.unsubscribe import unsubscribe_url
from screening.web.phones import tel_links

Kind = Reminder.Kind


def recipient(reminder: Reminder) -> str:
    """The address a reminder goes to. A follow-up or blood test reminder follows its
    submission to the patient record it belongs to now (records can be merged)."""
    # Each kind's row names its recipient's row (scheduling stores it; CASCADE keeps it).
    if reminder.kind in PATIENT_SUBMISSION_KINDS:
        assert reminder.submission is not None
        return reminder.submission.patient.email
    if reminder.kind in (Kind.UNFINISHED_INTAKE, Kind.INTAKE_SAVED):
        assert reminder.draft is not None
        return reminder.draft.email
    assert reminder.staff_user is not None
    return reminder.staff_user.email


def message_id(reminder: Reminder) -> str:
    """Stable per reminder: the same key always gives the same Message-ID."""
    digest = hashlib.sha256(reminder.key.encode()).hexdigest()[:32]
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<reminder.{digest}@{domain}>"


def _site_url(route: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(route)


def _email(
    reminder: Reminder, context: dict[str, Any], *, unsubscribe: bool
) -> EmailMultiAlternatives:
    clinic = clinic_values()  # what a clinic admin saved (cached, shared; once a chunk)
    numbers = {
        "clinic_phone": clinic.phone,
        "emergency_number": clinic.emergency_number,
        "urgent_advice_number": clinic.urgent_advice_number,
    }
    context = {
        "clinic_name": clinic.name,
        **numbers,
        # The HTML part's numbers as tel: links (the text part shows them as they are).
        "tel": {name: tel_links(number) for name, number in numbers.items()},
        "privacy_url": _site_url("screening:privacy"),
        **context,
    }
    headers = {"Message-ID": message_id(reminder), "Auto-Submitted": "auto-generated"}
    if unsubscribe:
        url = unsubscribe_url(reminder)
        context["unsubscribe_url"] = url
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    folder = f"emails/{reminder.kind}"
    with translation.override(reminder.language):
        context["language_code"] = translation.get_language()
        subject = " ".join(render_to_string(f"{folder}/subject.txt", context).split())
        text = render_to_string(f"{folder}/body.txt", context).strip() + "\n"
        html = render_to_string(f"{folder}/body.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient(reminder)],
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    return message


# --- to patients ------------------------------------------------------------------


def follow_up(reminder: Reminder) -> EmailMultiAlternatives:
    """The follow-up check-in: a single-use link to the short follow-up form."""
    context = {
        "link": reminder_link_url(reminder, "screening:follow_up"),
        "link_days": settings.REMINDER_LINK_MAX_AGE_DAYS,
    }
    return _email(reminder, context, unsubscribe=True)


def blood_test(reminder: Reminder) -> EmailMultiAlternatives:
    """After a B12 test was ordered: please contact the clinic. It cannot say why."""
    return _email(reminder, {}, unsubscribe=True)


def unfinished_intake(reminder: Reminder) -> EmailMultiAlternatives:
    """A saved, unfinished intake: a single-use link to carry on. The same for the link
    sent as the patient saves (kind intake_saved, its own words: `emails/intake_saved/`)."""
    assert reminder.draft is not None  # an unfinished-intake row names its draft
    context = {
        "link": reminder_link_url(reminder, "screening:intake_resume"),
        # The saved answers may be kept for less time than a link lasts: promise the shorter.
        "link_days": max(
            1,
            min(
                settings.REMINDER_LINK_MAX_AGE_DAYS,
                (reminder.draft.expires_at - timezone.now()).days,
            ),
        ),
    }
    return _email(reminder, context, unsubscribe=True)


def confirmation(reminder: Reminder) -> EmailMultiAlternatives:
    """The patient sent their form: its reference, what happens next, when the clinic
    aims to reply, and what to do if they feel worse. Nothing about their answers."""
    assert reminder.submission is not None  # a confirmation row names its submission
    context = {
        "reference": reminder.submission.reference,
        "reply_working_days": clinic_values().reply_working_days,
    }
    return _email(reminder, context, unsubscribe=True)


def clinic_message(reminder: Reminder) -> EmailMultiAlternatives:
    """A clinician sent a message: a link to read it (after the date of birth). Never the
    message's text, its subject or who sent it."""
    context = {
        "link": reminder_link_url(reminder, "screening:message"),
        "link_days": settings.REMINDER_LINK_MAX_AGE_DAYS,
    }
    return _email(reminder, context, unsubscribe=True)


# --- to staff ---------------------------------------------------------------------


def escalation(reminder: Reminder) -> EmailMultiAlternatives:
    """An urgent submission waits unreviewed: to the clinicians on duty. Several from
    one client make one email with how many (`scheduling.reminders_schedule_escalations`);
    a count only, never which patients or what they answered."""
    context = {
        "minutes": settings.ESCALATION_AFTER_MINUTES,
        "queue_url": _site_url("staff:queue"),
        "count": client_waiting(reminder),
    }
    return _email(reminder, context, unsubscribe=False)


def urgent_new(reminder: Reminder) -> EmailMultiAlternatives:
    """An urgent submission has just arrived: to each clinician on duty, at once. Only
    that one waits and a staff link naming it by its opaque public id (sign-in needed):
    never the patient, the reference or what they answered."""
    assert reminder.submission is not None  # the notice names its submission
    context = {
        "submission_url": settings.SITE_URL.rstrip("/")
        + reverse("staff:submission", args=[reminder.submission.public_id]),
    }
    return _email(reminder, context, unsubscribe=False)


def digest(
    reminder: Reminder,
    *,
    counts: dict[str, int],
    total: int,
    oldest_submitted_at: datetime.datetime | None,
    now: datetime.datetime,
    tasks_overdue: int = 0,
    tasks_overdue_mine: int = 0,
    overdue_tasks: Sequence[tuple[uuid.UUID, datetime.date]] = (),
) -> EmailMultiAlternatives:
    """The daily queue digest: open submissions per level, the longest wait, and overdue
    tasks (the clinic's and the recipient's counts, links to the recipient's by their
    opaque ids with their due dates: no reference, kind of task, name or note)."""
    site = settings.SITE_URL.rstrip("/")
    context = {
        "level_counts": [(labels.LEVEL_LABELS[level], counts[level]) for level in contract.LEVELS],
        "total": total,
        "oldest_submitted_at": oldest_submitted_at,
        "now": now,
        "queue_url": _site_url("staff:queue"),
        "tasks_overdue": tasks_overdue,
        "tasks_overdue_mine": tasks_overdue_mine,
        "overdue_tasks": [
            (site + reverse("staff:task_close", args=[public_id]), due_on)
            for public_id, due_on in overdue_tasks
        ],
        "tasks_url": _site_url("staff:tasks"),
    }
    return _email(reminder, context, unsubscribe=False)
