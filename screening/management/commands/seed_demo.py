"""Create a demo clinician and demo intakes, for `make run` on a developer machine.

    DJANGO_DEBUG=true python manage.py seed_demo

Safe to run again: the demo intakes are stored once (by idempotency key) and the
clinician's password and backup codes are reset and printed each time. Refuses to run
unless DEBUG is on, so it can never add a known password to a production database.
"""

from __future__ import annotations

import base64
import datetime
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from screening.accounts import roles
from screening.domain.intake import intake_submit
from screening.domain.review import review_record
from screening.models import Reminder, Review, Submission

DEMO_USERNAME = "demo.clinician"

# The public worked examples of clinical.md, as intakes from made-up people.
DEMO_INTAKES = [
    (
        "Alex Demo",
        "alex.demo@example.com",
        datetime.date(1967, 3, 2),
        {
            "age_years": 58,
            "sex": "male",
            "symptoms": {
                "numbness_tingling": {
                    "present": True,
                    "severity": 5,
                    "duration_weeks": 10,
                    "sites": ["feet"],
                    "both_sides": True,
                }
            },
            "medicines": ["metformin"],
        },
    ),
    (
        "Sam Demo",
        "sam.demo@example.com",
        datetime.date(1995, 7, 14),
        {
            "age_years": 30,
            "sex": "female",
            "diet": "vegan",
            "symptoms": {"fatigue": {"present": True, "severity": 6, "duration_weeks": 12}},
        },
    ),
    (
        "Jo Demo",
        "jo.demo@example.com",
        datetime.date(1980, 1, 20),
        {
            "age_years": 45,
            "sex": "female",
            "diet": "omnivore",
            "medicines": [],
            "conditions": [],
            "symptoms": {
                "joint_pain": {
                    "present": True,
                    "severity": 7,
                    "duration_weeks": 20,
                    "sites": ["knees"],
                }
            },
        },
    ),
    (
        "Robin Demo",
        "robin.demo@example.com",
        datetime.date(1972, 11, 5),
        {
            "age_years": 53,
            "sex": "other",
            "symptoms": {
                "numbness_tingling": {"present": True, "severity": 8, "duration_weeks": 1}
            },
            "red_flags": {"saddle_numbness": True, "bladder_or_bowel_control_loss": False},
        },
    ),
    (
        "Kim Demo",
        "kim.demo@example.com",
        datetime.date(1990, 5, 30),
        {
            "age_years": 35,
            "sex": "female",
            "symptoms": {"fatigue": {"present": True, "severity": 5, "duration_weeks": 26}},
            "labs": [{"test": "total_b12", "value": 250, "unit": "ng/L", "date": "2026-10-01"}],
        },
    ),
]


class Command(BaseCommand):
    help = "Create a demo clinician and demo intakes (development only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DJANGO_DEBUG=true.")
        with transaction.atomic():
            password, totp_secret, backup_codes = self._clinician()
            created = self._intakes()
            follow_up_due = self._reviewed_demo(User.objects.get(username=DEMO_USERNAME))
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"Demo data ready: {created} new demo intake(s), {len(DEMO_INTAKES)} in all.",
                    "Clinician dashboard: http://127.0.0.1:8000/staff/",
                    f"  username:      {DEMO_USERNAME}",
                    f"  password:      {password}",
                    f"  authenticator: add the key {totp_secret} to an authenticator app,",
                    f"  or use a one-time backup code: {', '.join(backup_codes)}",
                    "Patient intake: http://127.0.0.1:8000/",
                    "Reminders: a demo intake was reviewed and its follow-up email is due now;"
                    if follow_up_due
                    else "Reminders: the demo follow-up email was already sent or used;",
                    "  the worker sends it within a minute, printed below with its link.",
                    "",
                ]
            )
        )

    def _clinician(self) -> tuple[str, str, list[str]]:
        user, _ = User.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"email": "demo.clinician@example.com"}
        )
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get(name=roles.CLINICIAN))

        TOTPDevice.objects.filter(user=user).delete()
        totp = TOTPDevice.objects.create(user=user, name="demo authenticator", confirmed=True)
        StaticDevice.objects.filter(user=user).delete()
        static = StaticDevice.objects.create(user=user, name="backup codes", confirmed=True)
        codes = [secrets.token_hex(4) for _ in range(5)]
        for code in codes:
            static.token_set.create(token=code)
        return password, _base32(totp.bin_key), codes

    def _reviewed_demo(self, clinician: User) -> bool:
        """Review the routine demo intake (no action) and make its follow-up reminder due
        now, so a newcomer sees a real follow-up email, and its link, in the worker's output.
        Returns whether a reminder is waiting to be sent."""
        submission = Submission.objects.get(idempotency_key="demo-intake-2")
        if submission.status == Submission.Status.NEW:
            review_record(
                submission=submission,
                by=clinician,
                outcomes=[Review.Outcome.NO_ACTION],
                note="Demo review.",
            )
        reminder = Reminder.objects.get(kind=Reminder.Kind.FOLLOW_UP, submission=submission)
        if reminder.status != Reminder.Status.PENDING:
            return False
        reminder.due_at = timezone.now()
        reminder.save(update_fields=["due_at"])
        return True

    def _intakes(self) -> int:
        created = 0
        for number, (name, email, date_of_birth, answers) in enumerate(DEMO_INTAKES, start=1):
            key = f"demo-intake-{number}"
            if Submission.objects.filter(idempotency_key=key).exists():
                continue
            intake_submit(
                answers=answers,
                patient_details={
                    "full_name": name,
                    "email": email,
                    "date_of_birth": date_of_birth,
                    "contact_consent": True,
                },
                idempotency_key=key,
                language="en",
            )
            created += 1
        return created


def _base32(key: bytes) -> str:
    return base64.b32encode(key).decode("ascii").rstrip("=")
