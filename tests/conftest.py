"""Shared fixtures: a frozen intake day, contract answers, and a patient walking the intake."""

from __future__ import annotations

import copy
import datetime
import os
import re
import zoneinfo

import pytest
from django.test import Client

from screening.engine import contract
from tests.clinical_safety import evidence

# The intake day for every test that walks the form: ages and "not in the future"
# checks depend on it. Midday in the clinic's time zone.
INTAKE_DAY = datetime.date(2025, 6, 15)
INTAKE_MOMENT = datetime.datetime(2025, 6, 15, 12, 0, tzinfo=zoneinfo.ZoneInfo("Europe/London"))

# The follow-up check-in's one symptoms page, every symptom answered no.
ALL_NO_SYMPTOMS = {f"{code}_present": "no" for code in contract.SYMPTOMS}
# The intake's symptoms checklist with nothing noticed: no details pages follow.
NO_SYMPTOMS_CHECKLIST = {"symptoms": ["none"]}
SYMPTOM_DETAILS_2_URL = "/intake/symptoms/details-2/"
# The follow-up check-in's one symptoms page (weeks), meaning VALID_ANSWERS' symptoms.
FOLLOW_UP_SYMPTOMS = {
    **ALL_NO_SYMPTOMS,
    "fatigue_present": "yes",
    "fatigue_severity": "7",
    "fatigue_duration": "12",
    "numbness_tingling_present": "yes",
    "numbness_tingling_severity": "4",
    "numbness_tingling_duration_unknown": "on",
    "numbness_tingling_sites": ["hands", "feet"],
    "numbness_tingling_both_sides": "yes",
}
ALL_NO_RED_FLAGS = {code: "no" for code in contract.RED_FLAGS}

# What a patient types on each page: a 35-year-old woman (born 3 April 1990).
VALID_PAGES = {
    "about-you": {
        "full_name": "Ann Example",
        "email": "Ann.Example@example.com",
        "phone": "01632 960 001",
        "dob_day": "3",
        "dob_month": "4",
        "dob_year": "1990",
        "sex": "female",
        "contact_consent": "yes",
    },
    "pregnancy": {"pregnant": "no", "breastfeeding": "no"},
    # Symptoms: the checklist, then how much and how long for those ticked (one page
    # for two symptoms; a second details page applies only to more than four).
    "symptoms": {"symptoms": ["fatigue", "numbness_tingling"]},
    "symptom-details-1": {
        "fatigue_severity": "7",
        "fatigue_duration_number": "12",
        "fatigue_duration_unit": "weeks",
        "numbness_tingling_severity": "4",
        "numbness_tingling_duration_unknown": "on",
        "numbness_tingling_sites": ["hands", "feet"],
        "numbness_tingling_both_sides": "yes",
    },
    "urgent": dict(ALL_NO_RED_FLAGS),
    "risk-factors": {
        "diet": "vegan",
        "alcohol_units_per_week": "4",
        "medicines": ["metformin", "proton_pump_inhibitor"],
        "conditions": ["none"],
        "family_history": "dont_know",
        "b12_treatment": "none",
    },
    "blood-tests": {
        "lab1_test": "total_b12",
        "lab1_value": "250",
        "lab1_unit": "ng/L",
        "lab1_day": "1",
        "lab1_month": "5",
        "lab1_year": "2025",
        "lab2_test": "haemoglobin",
        "lab2_value": "12.5",
        "lab2_unit": "g/dL",
        "lab2_day": "1",
        "lab2_month": "5",
        "lab2_year": "2025",
    },
    # Free text, optional: shown to clinicians, never screened.
    "anything-else": {"anything_else": "Mornings are hard for me: I work nights."},
}

# The contract answers those pages mean (what answers_from_steps must produce).
VALID_ANSWERS = {
    "age_years": 35,
    "sex": "female",
    "pregnant": "no",
    "breastfeeding": False,
    "symptoms": {
        **{code: {"present": False} for code in contract.SYMPTOMS},
        "fatigue": {"present": True, "severity": 7, "duration_weeks": 12},
        "numbness_tingling": {
            "present": True,
            "severity": 4,
            "sites": ["hands", "feet"],
            "both_sides": True,
        },
    },
    "red_flags": {code: False for code in contract.RED_FLAGS},
    "diet": "vegan",
    "alcohol_units_per_week": 4,
    "medicines": ["metformin", "proton_pump_inhibitor"],
    "conditions": [],
    "b12_treatment": "none",
    "labs": [
        {"test": "total_b12", "value": 250, "unit": "ng/L", "date": "2025-05-01"},
        {"test": "haemoglobin", "value": 12.5, "unit": "g/dL", "date": "2025-05-01"},
    ],
}

PATIENT_DETAILS = {
    "full_name": "Ann Example",
    "email": "Ann.Example@example.com",
    "phone": "01632 960 001",
    "date_of_birth": datetime.date(1990, 4, 3),
    "contact_consent": True,
}

STEP_URLS = {
    "about-you": "/intake/about-you/",
    "pregnancy": "/intake/pregnancy/",
    "symptoms": "/intake/symptoms/",
    "symptom-details-1": "/intake/symptoms/details/",
    "urgent": "/intake/urgent/",
    "risk-factors": "/intake/risk-factors/",
    "blood-tests": "/intake/blood-tests/",
    "anything-else": "/intake/anything-else/",
}
CONSENT_URL = "/intake/before-you-start/"
CHECK_URL = "/intake/check/"
DONE_URL = "/intake/done/"
ANSWERS_COPY_URL = "/intake/done/your-answers/"
HELP_URL = "/intake/get-help-now/"


def page_text(html: str) -> str:
    """A page's words without its markup, spaces run together: what a patient reads,
    whatever is a link (a phone number is a tel: link) or bold."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace(" .", ".").replace(" ,", ",")


POSTGRESQL_ENGINE = "django.db.backends.postgresql"


def postgres_or_stop(engine: str, *, required: bool) -> None:
    """For a `@pytest.mark.postgres` test: go on if the database is PostgreSQL; else skip
    with the reason, or fail when services are required (REQUIRE_SERVICES=1, CI)."""
    if engine == POSTGRESQL_ENGINE:
        return
    reason = (
        f"needs PostgreSQL as the database, not {engine.rsplit('.', 1)[-1]} "
        "(set DATABASE_URL=postgres://postgres@127.0.0.1:5432/<name>; docs/testing.md)"
    )
    if required:
        pytest.fail(f"REQUIRE_SERVICES=1 but the test {reason}", pytrace=False)
    pytest.skip(reason)


def restores_the_migrated_data(item) -> bool:
    """False for a transactional test (real transactions, the database flushed after it)
    that does not ask for serialized rollback.

    Such a test leaves the data migrations' rows (role groups, periodic tasks) gone and
    the content types made again under new ids by the flush; a serialized-rollback test
    after it then fails to load the saved rows ("UNIQUE constraint failed:
    django_content_type"), and any test after it misses the groups. With
    `serialized_rollback=True` every transactional test starts from the migrated data,
    whatever ran before it (random order, pytest-randomly).
    """
    marker = item.get_closest_marker("django_db")
    kwargs = marker.kwargs if marker is not None else {}
    fixtures = getattr(item, "fixturenames", ())
    transactional = kwargs.get("transaction") or {"transactional_db", "live_server"} & set(fixtures)
    restores = kwargs.get("serialized_rollback") or "django_db_serialized_rollback" in fixtures
    return bool(restores or not transactional)


def pytest_collection_modifyitems(config, items):
    """Every transactional test restores the migrated data (see restores_the_migrated_data)."""
    missing = [item.nodeid for item in items if not restores_the_migrated_data(item)]
    if missing:
        raise pytest.UsageError(
            "transactional tests without serialized_rollback=True (tests/conftest.py, "
            "restores_the_migrated_data):\n  " + "\n  ".join(missing)
        )


def pytest_configure(config):
    """The hazard log's cited tests must pass in a whole run (tests/clinical_safety/evidence.py)."""
    evidence.register(config)


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") is not None:
        from django.conf import settings

        postgres_or_stop(
            settings.DATABASES["default"]["ENGINE"],
            required=os.environ.get("REQUIRE_SERVICES") == "1",
        )


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: rate-limit counters (screening.web.ratelimit) and
    anything else cached by an earlier test are gone."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def frozen_day(time_machine):
    """Freeze the clock at midday on INTAKE_DAY (no ticking)."""
    time_machine.move_to(INTAKE_MOMENT, tick=False)
    return INTAKE_DAY


@pytest.fixture
def answers() -> dict:
    """A complete answers dict the intake form can produce (a fresh copy per test)."""
    return copy.deepcopy(VALID_ANSWERS)


@pytest.fixture
def patient_details() -> dict:
    return dict(PATIENT_DETAILS)


class Journey:
    """A patient's browser walking the intake; remembers every URL it saw."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.urls: list[str] = []

    def _record(self, response):
        self.urls.append(response.request["PATH_INFO"] + "?" + response.request["QUERY_STRING"])
        if response.has_header("Location"):
            self.urls.append(response["Location"])
        return response

    def get(self, url: str):
        return self._record(self.client.get(url))

    def post(self, url: str, data: dict):
        return self._record(self.client.post(url, data))

    def consent(self):
        """Agree to the use of the answers for care ("Before you start"): no question is
        asked before it."""
        return self.post(CONSENT_URL, {"care_consent": "yes"})

    def consented(self) -> bool:
        return bool(self.client.session.get("intake", {}).get("care_consent"))

    def answer(self, slug: str, **changes):
        """POST a page with the valid answers, changed by `changes` (agreeing first, as
        "Start now" leads to, when this browser has not)."""
        if slug == "about-you" and not self.consented():
            self.consent()
        return self.post(STEP_URLS[slug], {**VALID_PAGES[slug], **changes})

    def answer_all(self, *, until: str | None = None):
        """Answer every page in order (stopping before `until`), having agreed first;
        return the last response."""
        if not self.consented():
            self.consent()
        response = None
        for slug in STEP_URLS:
            if slug == until:
                break
            response = self.answer(slug)
        return response

    def idempotency_key(self) -> str:
        page = self.get(CHECK_URL).content.decode()
        return re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)

    def submit(self, key: str | None = None):
        return self.post(CHECK_URL, {"idempotency_key": key or self.idempotency_key()})


@pytest.fixture
def journey(client, frozen_day, db) -> Journey:
    return Journey(client)


# --- Staff personas -----------------------------------------------------------------
# clinician, receptionist, clinic admin and an outsider (a signed-in user with no role).
# `signed_in(client, user)` logs a persona in *with* a verified second factor, as the
# login flow would; `client.force_login` alone leaves the second factor unverified.

STAFF_PASSWORD = "correct horse battery staple"


def _staff_user(username: str, group: str | None, *, is_staff: bool = False):
    from django.contrib.auth.models import Group, User
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = User.objects.create_user(
        username=username, password=STAFF_PASSWORD, email=f"{username}@clinic.example"
    )
    user.is_staff = is_staff
    user.save()
    if group:
        # A test that flushes the tables itself loses the groups the data migrations
        # made (transactional tests get them back: restores_the_migrated_data);
        # roles_sync (idempotent) brings them back.
        from django.contrib.auth.models import Permission

        from screening.accounts.roles import roles_sync

        if not Group.objects.filter(name=group).exists():
            roles_sync(Group, Permission)
        user.groups.add(Group.objects.get(name=group))
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return user


def signed_in(client: Client, user) -> Client:
    from django_otp import DEVICE_ID_SESSION_KEY

    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = user.totpdevice_set.get().persistent_id
    session.save()
    return client


@pytest.fixture
def clinician(db):
    return _staff_user("clinician", "clinician")


@pytest.fixture
def receptionist(db):
    return _staff_user("receptionist", "receptionist")


@pytest.fixture
def clinic_admin(db):
    return _staff_user("clinicadmin", "clinic_admin", is_staff=True)


@pytest.fixture
def outsider(db):
    return _staff_user("outsider", None)


@pytest.fixture
def clinician_client(clinician) -> Client:
    return signed_in(Client(), clinician)


@pytest.fixture
def receptionist_client(receptionist) -> Client:
    return signed_in(Client(), receptionist)


@pytest.fixture
def outsider_client(outsider) -> Client:
    return signed_in(Client(), outsider)


@pytest.fixture
def admin_client(admin_user) -> Client:
    """pytest-django's superuser client, past the second factor: the admin asks for it too
    (screening.accounts.admin_site.ClinicAdminSite)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=admin_user, name="default", confirmed=True)
    return signed_in(Client(), admin_user)
