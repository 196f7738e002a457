"""Simulated patients walking the intake over HTTP, as a browser does.

Each page is fetched (GET: the form, its CSRF token and hidden fields), filled in with
what the patient types (`pages`, the same answers as tests/conftest.py VALID_PAGES, from
the agreement ("Before you start") to "Anything else", with
the patient's own name and email and a recent blood test date), and posted; the redirect
says which page comes next. The check page's hidden idempotency key goes with the final
POST. A patient can also save and leave ("Save and come back later" on "How you feel").

`Retry` makes every request retry on a 5xx or a broken connection, as a patient
pressing the button again would: the same POST with the same fields (and so, for the
final POST, the same idempotency key).
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bench.harness import Browser, HTTPError, fill, page_form

START_PATH = "/intake/before-you-start/"  # the agreement comes first
CHECK_PATH = "/intake/check/"
DONE_PATH = "/intake/done/"
SAVED_PATH = "/intake/saved/"


def pages(index: int, run_id: str, today: datetime.date) -> dict[str, dict]:
    """What patient number `index` of run `run_id` types on each page."""
    from screening.engine import contract

    lab_day = today - datetime.timedelta(days=30)
    return {
        "before-you-start": {"care_consent": "yes"},
        "about-you": {
            "full_name": f"Load Patient {run_id} {index}",
            "email": patient_email(index, run_id),
            "phone": "01632 960 001",
            "dob_day": "3",
            "dob_month": "4",
            "dob_year": str(1990 - index % 40),
            "sex": ("female", "male", "female", "other")[index % 4],
            "contact_consent": "yes",
        },
        "pregnancy": {"pregnant": "no", "breastfeeding": "no"},
        # The checklist, then how much and how long for the two ticked (one details page).
        "symptoms": {"symptoms": ["fatigue", "numbness_tingling"]},
        "symptoms/details": {
            "fatigue_severity": "7",
            "fatigue_duration_number": "12",
            "fatigue_duration_unit": "weeks",
            "numbness_tingling_severity": "4",
            "numbness_tingling_duration_unknown": "on",
            "numbness_tingling_sites": ["hands", "feet"],
            "numbness_tingling_both_sides": "yes",
        },
        "urgent": {code: "no" for code in contract.RED_FLAGS},
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
            "lab1_day": str(lab_day.day),
            "lab1_month": str(lab_day.month),
            "lab1_year": str(lab_day.year),
            "lab2_test": "haemoglobin",
            "lab2_value": "12.5",
            "lab2_unit": "g/dL",
            "lab2_day": str(lab_day.day),
            "lab2_month": str(lab_day.month),
            "lab2_year": str(lab_day.year),
        },
        "anything-else": {"other_medicines": "", "anything_else": ""},
    }


def page_slug(path: str) -> str:
    """A page's key in `pages`: its path after /intake/ ("about-you", "symptoms/details")."""
    return path.removeprefix("/intake/").strip("/")


def patient_email(index: int, run_id: str) -> str:
    return f"load-{run_id}-{index}@example.com"


class JourneyError(Exception):
    """The app answered something a patient's journey does not expect (not a 5xx)."""


@dataclass
class Retry:
    """Retry a request that failed with a 5xx or a broken connection."""

    attempts: int = 1  # 1: no retry
    pause: float = 0.5
    errors: list[str] = field(default_factory=list)  # every failure seen, retried or not

    def __call__(self, send):
        for attempt in range(1, self.attempts + 1):
            try:
                return send()
            except HTTPError as error:
                self.errors.append(f"{time.time():.3f} {error}")
                if attempt == self.attempts:
                    raise
                time.sleep(self.pause * attempt)
        raise AssertionError("unreachable")


def _location(response) -> str:
    """The path a redirect goes to (no query string)."""
    if response.status_code != 302:
        raise JourneyError(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code}, expected a redirect"
        )
    return urlsplit(response.headers["location"]).path


@dataclass
class Prepared:
    """A patient on the check page: everything answered, the final POST ready to go."""

    browser: Browser
    email: str
    final_form: dict[str, list[str]]

    @property
    def idempotency_key(self) -> str:
        return self.final_form["idempotency_key"][0]


def walk_to_check(
    browser: Browser, answers: dict[str, dict], retry: Retry, *, save_at: str | None = None
) -> Prepared | None:
    """Answer every page that applies, following the redirects, up to the check page.
    With `save_at` (a page's slug), press "Save and come back later" there and leave
    (returns None)."""
    path = START_PATH
    while path != CHECK_PATH:
        slug = page_slug(path)
        if slug not in answers:
            raise JourneyError(f"unexpected page {path}")
        page = retry(lambda path=path: browser.get(path))
        if page.status_code != 200:
            raise JourneyError(f"GET {path}: {page.status_code}")
        data = fill(page_form(page.text, path), answers[slug])
        if slug == save_at:
            data["action"] = ["save"]
        response = retry(lambda path=path, data=data: browser.post(path, data))
        path = _location(response)
        if slug == save_at:
            if path != SAVED_PATH:
                raise JourneyError(f"save on {slug} went to {path}")
            retry(lambda: browser.get(SAVED_PATH))
            return None
    page = retry(lambda: browser.get(CHECK_PATH))
    if page.status_code != 200:
        raise JourneyError(f"GET {CHECK_PATH}: {page.status_code}")
    return Prepared(browser, answers["about-you"]["email"], page_form(page.text, CHECK_PATH))


def send(prepared: Prepared, retry: Retry) -> float:
    """The final POST (retried with the same idempotency key); seconds it took, the
    successful attempt only. Raises JourneyError unless it says "sent"."""
    timings = []

    def post():
        started = time.perf_counter()
        response = prepared.browser.post(CHECK_PATH, prepared.final_form)
        timings.append(time.perf_counter() - started)
        return response

    response = retry(post)
    if _location(response) != DONE_PATH:
        raise JourneyError(f"final POST went to {response.headers.get('location')}")
    return timings[-1]


def see_done(prepared: Prepared, retry: Retry) -> None:
    page = retry(lambda: prepared.browser.get(DONE_PATH))
    if page.status_code != 200:
        raise JourneyError(f"GET {DONE_PATH}: {page.status_code}")
