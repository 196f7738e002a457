"""Create a demo clinician (on duty), a demo clinic admin and demo intakes, for
`make run` on a developer machine.

    DJANGO_DEBUG=true python manage.py seed_demo                 # same logins as last time
    DJANGO_DEBUG=true python manage.py seed_demo --reset-logins  # new passwords and keys

Safe to run again: the demo intakes are stored once (by idempotency key), and both
logins stay the same across runs: the first run makes a password, an authenticator key
and five backup codes for each and keeps them in `var/demo-logins.json` (never
committed); every later run puts them back on the two accounts (a used backup code comes
back too) and prints them again. `--reset-logins`, or deleting that file, makes new
ones. Refuses to run unless DEBUG is on, so it can never add a known password to a
production database.
"""

from __future__ import annotations

import base64
import datetime
import json
import secrets
from pathlib import Path
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
DEMO_ADMIN_USERNAME = "demo.admin"
# username -> (email, groups, is_staff): the clinician works the queue and is on duty
# (urgent emails go to them); the clinic admin uses /admin/ (users, schedules, audit).
DEMO_ACCOUNTS = {
    DEMO_USERNAME: ("demo.clinician@example.com", (roles.CLINICIAN, roles.ON_DUTY), False),
    DEMO_ADMIN_USERNAME: ("demo.admin@example.com", (roles.CLINIC_ADMIN,), True),
}
LOGINS_FILE = "demo-logins.json"

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

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--reset-logins",
            action="store_true",
            help=f"Make new passwords, keys and backup codes (var/{LOGINS_FILE}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DJANGO_DEBUG=true.")
        logins = _logins(Path(settings.VAR_DIR) / LOGINS_FILE, reset=options["reset_logins"])
        with transaction.atomic():
            for username, login in logins.items():
                _account(username, login)
            created = self._intakes()
            follow_up_due = self._reviewed_demo(User.objects.get(username=DEMO_USERNAME))
        lines = [
            "",
            f"Demo data ready: {created} new demo intake(s), {len(DEMO_INTAKES)} in all.",
        ]
        for title, username, url in (
            ("Clinician (on duty)", DEMO_USERNAME, "http://127.0.0.1:8000/staff/"),
            ("Clinic admin", DEMO_ADMIN_USERNAME, "http://127.0.0.1:8000/admin/"),
        ):
            login = logins[username]
            lines += [
                f"{title}: {url}",
                f"  username:      {username}",
                f"  password:      {login['password']}",
                f"  authenticator: add the key {login['totp_key']} to an authenticator app,",
                f"  or use a one-time backup code: {', '.join(login['backup_codes'])}",
            ]
        lines += [
            f"  (the same every run; new ones: seed_demo --reset-logins, var/{LOGINS_FILE})",
            "Patient intake: http://127.0.0.1:8000/",
            "Reminders: a demo intake was reviewed and its follow-up email is due now;"
            if follow_up_due
            else "Reminders: the demo follow-up email was already sent or used;",
            "  the worker sends it within a minute. Every email, in full with its links:",
            "  http://127.0.0.1:8000/staff/dev/outbox/ (signed in), or the files in "
            f"{settings.EMAIL_FILE_PATH}",
            "",
        ]
        self.stdout.write("\n".join(lines))

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


def _new_login() -> dict[str, Any]:
    return {
        "password": secrets.token_urlsafe(12),
        "totp_hex": secrets.token_hex(20),
        "backup_codes": [secrets.token_hex(4) for _ in range(5)],
    }


def _logins(path: Path, *, reset: bool) -> dict[str, dict[str, Any]]:
    """Each demo account's password, authenticator key and backup codes: the ones kept
    in `path` (made there on the first run, or again with `reset`)."""
    kept: dict[str, dict[str, Any]] = {}
    if path.exists() and not reset:
        kept = json.loads(path.read_text())
    logins = {name: kept.get(name) or _new_login() for name in DEMO_ACCOUNTS}
    if logins != kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(logins, indent=2) + "\n")
        path.chmod(0o600)
    for login in logins.values():
        login["totp_key"] = _base32(bytes.fromhex(login["totp_hex"]))
    return logins


def _account(username: str, login: dict[str, Any]) -> User:
    """The demo account with exactly this login (its second factor confirmed)."""
    email, groups, is_staff = DEMO_ACCOUNTS[username]
    user, _ = User.objects.get_or_create(username=username, defaults={"email": email})
    user.set_password(login["password"])
    user.is_staff = is_staff
    user.is_active = True
    user.save()
    user.groups.add(*Group.objects.filter(name__in=groups))

    TOTPDevice.objects.filter(user=user).delete()
    TOTPDevice.objects.create(
        user=user, name="demo authenticator", key=login["totp_hex"], confirmed=True
    )
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="backup codes", confirmed=True)
    for code in login["backup_codes"]:
        static.token_set.create(token=code)
    return user
