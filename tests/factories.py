"""factory-boy factories for the screening models. Defaults are a plausible, valid intake."""

from __future__ import annotations

import datetime
import secrets
from decimal import Decimal

import factory
from django.utils import timezone

from screening.engine import contract
from screening.engine.questionnaire import QUESTIONNAIRE_VERSION
from screening.models import (
    LabResult,
    Patient,
    RedFlagAnswer,
    Review,
    ScreeningResult,
    StatusChange,
    Submission,
    SymptomAnswer,
    Task,
    new_reference,
)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    full_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"patient{n}@example.com")
    date_of_birth = datetime.date(1980, 1, 1)
    contact_consent = True


class SubmissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Submission

    reference = factory.LazyFunction(new_reference)
    patient = factory.SubFactory(PatientFactory)
    questionnaire_version = QUESTIONNAIRE_VERSION
    is_complete = True
    completed_at = factory.LazyFunction(timezone.now)
    idempotency_key = factory.LazyFunction(lambda: secrets.token_urlsafe(32))
    age_years = 45
    sex = "female"
    diet = "omnivore"
    b12_treatment = "none"
    level = "no_flag"
    # The queue sorts on level_rank: keep it in step with level, as screening_result_add does.
    level_rank = factory.LazyAttribute(lambda submission: contract.LEVELS.index(submission.level))


class SymptomAnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SymptomAnswer

    submission = factory.SubFactory(SubmissionFactory)
    code = "fatigue"
    present = True
    severity = 5
    duration_weeks = 8


class RedFlagAnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RedFlagAnswer

    submission = factory.SubFactory(SubmissionFactory)
    code = "chest_pain"
    answer = False


class LabResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LabResult

    submission = factory.SubFactory(SubmissionFactory)
    patient = factory.SelfAttribute("submission.patient")
    test = "total_b12"
    value = Decimal("250")
    unit = "ng/L"
    date = datetime.date(2025, 5, 1)
    source = LabResult.Source.PATIENT


class ScreeningResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScreeningResult

    submission = factory.SubFactory(SubmissionFactory)
    rules_version = "test"
    level = "routine"
    possible_b12_deficiency = True
    red_flags = factory.LazyFunction(list)
    reasons = factory.LazyFunction(list)
    suggested_actions = factory.LazyFunction(list)
    b12_status = "not_tested"


class UserFactory(factory.django.DjangoModelFactory):
    """A plain user with no role; tests that sign staff in use the conftest personas."""

    class Meta:
        model = "auth.User"
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@clinic.example")


class StatusChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatusChange

    submission = factory.SubFactory(SubmissionFactory)
    from_status = Submission.Status.NEW
    to_status = Submission.Status.IN_REVIEW
    changed_by = factory.SubFactory(UserFactory)


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    submission = factory.SubFactory(SubmissionFactory)
    clinician = factory.SubFactory(UserFactory)
    outcomes = factory.LazyFunction(lambda: [Review.Outcome.NO_ACTION.value])
    note = ""


class TaskFactory(factory.django.DjangoModelFactory):
    """An open task; pass `owner` (a clinician persona) when the owner must sign in."""

    class Meta:
        model = Task

    submission = factory.SubFactory(SubmissionFactory, status=Submission.Status.TASKS_OPEN)
    kind = Task.Kind.CONTACT_PATIENT
    owner = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("owner")
    due_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=2))


class IntakeDraftFactory(factory.django.DjangoModelFactory):
    """A saved, unfinished intake ("Save and come back later"); `data` is a session draft."""

    class Meta:
        model = "screening.IntakeDraft"

    email = factory.Sequence(lambda n: f"draft{n}@example.com")
    data = factory.LazyFunction(dict)
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=14))


class ReminderFactory(factory.django.DjangoModelFactory):
    """An outbox row; defaults to a follow-up check-in about a reviewed submission."""

    class Meta:
        model = "screening.Reminder"

    key = factory.Sequence(lambda n: f"test:{n}")
    kind = "follow_up"
    status = "sent"
    due_at = factory.LazyFunction(timezone.now)
    submission = factory.SubFactory(SubmissionFactory, status=Submission.Status.REVIEWED)
    patient = factory.LazyAttribute(lambda row: row.submission.patient if row.submission else None)
