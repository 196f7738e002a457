"""factory-boy factories for the screening models. Defaults are a plausible, valid intake."""

from __future__ import annotations

import datetime
import secrets
from decimal import Decimal

import factory
from django.utils import timezone

from screening.intake import QUESTIONNAIRE_VERSION
from screening.models import (
    LabResult,
    Patient,
    RedFlagAnswer,
    ScreeningResult,
    Submission,
    SymptomAnswer,
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
