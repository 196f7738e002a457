"""Helpers for the outbox integration tests: making reminders, reading their fate, and
checking that an email says nothing about the patient's health."""

from __future__ import annotations

import datetime
import re
import secrets
from collections import Counter

from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from screening import labels
from screening.accounts import roles
from screening.engine import contract
from screening.models import IntakeDraft, Reminder, Review, Submission
from screening.reminders import emails, scheduling
from tests.conftest import STEP_URLS, VALID_PAGES, Journey
from tests.factories import (
    PatientFactory,
    ReviewFactory,
    SubmissionFactory,
    UserFactory,
)

FINAL = (Reminder.Status.SENT, Reminder.Status.FAILED, Reminder.Status.CANCELLED)


def unique_name() -> str:
    """A name no template could contain by chance: Zephyrine Quillby-7f3a."""
    return f"Zephyrine Quillby{secrets.token_hex(2)}"


def clinician_on_duty(username: str = "duty", email: str = "duty@clinic.example"):
    """A clinician in the on-duty group, with a second factor (tests.conftest.signed_in).

    The groups come from a data migration; serialized_rollback restores them after each
    transactional test's flush, and roles_sync (idempotent) makes sure of it."""
    from django.contrib.auth.models import Permission
    from django_otp.plugins.otp_totp.models import TOTPDevice

    roles.roles_sync(Group, Permission)
    user = UserFactory(username=username, email=email)
    user.groups.add(Group.objects.get(name=roles.CLINICIAN), Group.objects.get(name=roles.ON_DUTY))
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return user


def due_follow_ups(count: int, *, prefix: str = "p") -> list[Reminder]:
    """`count` follow-up reminders, each for its own patient (own address), due a minute
    ago: scheduled through the real scheduling call for a reviewed submission."""
    made = []
    for index in range(count):
        patient = PatientFactory(
            full_name=unique_name(), email=f"{prefix}{index}-{secrets.token_hex(3)}@example.com"
        )
        submission = SubmissionFactory(patient=patient, status="reviewed")
        review = ReviewFactory(submission=submission, outcomes=[Review.Outcome.NO_ACTION])
        made.append(scheduling.reminder_schedule_follow_up(submission=submission, review=review))
    make_due([reminder.pk for reminder in made])
    return list(Reminder.objects.filter(pk__in=[r.pk for r in made]).order_by("pk"))


def make_due(ids: list[int]) -> None:
    """The reminders' time has come (a minute ago)."""
    Reminder.objects.filter(pk__in=ids).update(
        due_at=timezone.now() - datetime.timedelta(minutes=1)
    )


def statuses(ids: list[int] | None = None) -> Counter:
    rows = Reminder.objects.all() if ids is None else Reminder.objects.filter(pk__in=ids)
    return Counter(rows.values_list("status", flat=True))


def all_final(ids: list[int]) -> bool:
    return not Reminder.objects.filter(pk__in=ids).exclude(status__in=FINAL).exists()


def describe(ids: list[int] | None = None) -> str:
    """Status counts and the unfinished rows, for a timeout message."""
    rows = Reminder.objects.all() if ids is None else Reminder.objects.filter(pk__in=ids)
    open_rows = rows.exclude(status__in=FINAL).values_list("pk", "status", "attempts")
    return f"statuses {dict(statuses(ids))}; unfinished {list(open_rows)[:20]}"


def message_ids(rows) -> dict[str, Reminder]:
    """Message-ID -> reminder (emails.message_id is derived from the reminder's key)."""
    return {emails.message_id(reminder): reminder for reminder in rows}


# --- patients on the web -------------------------------------------------------------


def patient_pages(name: str, address: str) -> dict:
    return {**VALID_PAGES["about-you"], "full_name": name, "email": address}


def intake_sent(name: str, address: str) -> Submission:
    """A patient fills in the whole intake on the web and sends it."""
    journey = Journey(Client())
    journey.answer("about-you", full_name=name, email=address)  # agreeing first
    for slug in list(STEP_URLS)[1:]:
        journey.answer(slug)
    response = journey.submit()
    assert response.status_code == 302, response.content[:500]
    return Submission.objects.get(patient__email=address.lower())


def intake_saved_for_later(name: str, address: str) -> IntakeDraft:
    """A patient answers the first pages and 'How you feel' (the checklist and its details
    page), then saves to finish later: the urgent page comes next."""
    journey = Journey(Client())
    journey.answer("about-you", full_name=name, email=address)  # agreeing first
    journey.answer("pregnancy")
    journey.answer("symptoms")
    details = STEP_URLS["symptom-details-1"]
    response = journey.post(details, {**VALID_PAGES["symptom-details-1"], "action": "save"})
    assert response.status_code == 302 and response["Location"].endswith("/intake/saved/")
    return IntakeDraft.objects.get(email=address.lower())


def urgent_intake(name: str, address: str) -> Submission:
    """A patient answers yes to chest pain: stored at once, urgent."""
    journey = Journey(Client())
    journey.answer("about-you", full_name=name, email=address)  # agreeing first
    journey.answer("pregnancy")
    journey.answer("symptoms")
    journey.answer("symptom-details-1")
    response = journey.answer("urgent", chest_pain="yes")
    assert response.status_code == 302
    return Submission.objects.get(patient__email=address.lower())


# --- health data ---------------------------------------------------------------------


def _words(mapping) -> list[str]:
    return [str(value) for value in mapping.values()]


# What no patient email may contain, whoever it is for: symptom and red flag names,
# level words, answer words (diet, medicines, conditions, B12 treatment, lab tests).
GENERIC_HEALTH_WORDS = [
    *_words(labels.SYMPTOM_LABELS),
    *contract.SYMPTOMS,
    *_words(labels.RED_FLAG_LABELS),
    *contract.RED_FLAGS,
    *_words(labels.LEVEL_LABELS),
    *contract.LEVELS,
    "review soon",
    *_words(labels.DIET_LABELS),
    *contract.DIETS,
    *_words(labels.MEDICINE_LABELS),
    *contract.MEDICINES,
    *_words(labels.CONDITION_LABELS),
    *contract.CONDITIONS,
    *_words(labels.LAB_TEST_LABELS),
    "tiredness",
    "fatigue",
    "numbness",
    "tingling",
    "vegan",
    "vegetarian",
    "metformin",
    "omeprazole",
    "anaemia",
    "deficiency",
    "B12",
    "vitamin",
    "symptom",
    "diagnosis",
    "screening",
]


def health_words_for(submission) -> list[str]:
    """The generic words plus this submission's own: reasons, answers, the name."""
    words = list(GENERIC_HEALTH_WORDS)
    patient = submission.patient
    words += [patient.full_name, *patient.full_name.split()]
    for result in submission.results.all():
        for reason in result.reasons:
            words += [reason.get("text", ""), reason.get("code", "")]
    words += [str(answer.code) for answer in submission.symptoms.filter(present=True)]
    words += [f"{lab.value.normalize():f}" for lab in submission.lab_results.all()]
    words += [submission.reference]
    return [word for word in words if word and len(str(word)) >= 3]


def health_words_found(text: str, words: list[str]) -> list[str]:
    """The words from `words` that `text` contains (case-insensitive, whole words)."""
    found = []
    for word in words:
        pattern = r"(?<![\w-])" + re.escape(str(word)) + r"(?![\w-])"
        if re.search(pattern, text, flags=re.IGNORECASE):
            found.append(str(word))
    return sorted(set(found))
