"""Everything logged while a patient with recognisable details sends a complete intake, a
clinician finds and opens it, and someone fails to sign in: none of the details appear.

Two views of the logs: every record as logged (caplog at DEBUG on the root logger, before
any formatting) and the JSON lines the settings' handler writes (after redaction).
"""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.test import Client

from screening.models import Submission
from screening.web.logging import JsonFormatter
from tests.conftest import STAFF_PASSWORD, signed_in

NAME = "Zebulon Quixotic"
EMAIL = "zebulon.quixotic@example.com"
PHONE = "07700 900123"
ABOUT_YOU = {"full_name": NAME, "email": EMAIL, "phone": PHONE}
FORBIDDEN = [
    "Zebulon",
    "Quixotic",
    "zebulon",
    "quixotic",
    EMAIL,
    "example.com",
    PHONE,
    "900123",
    "1990-04-03",  # the date of birth
    "vegan",  # answers
    "metformin",
    "proton_pump_inhibitor",
    "numbness",
    STAFF_PASSWORD,
    "wrong-password-typed",
]


@pytest.fixture
def json_output():
    root = logging.getLogger()
    handler = next(h for h in root.handlers if isinstance(h.formatter, JsonFormatter))
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def test_intake_staff_view_and_failed_login_log_no_personal_data(
    journey, clinician, caplog, json_output
):
    caplog.set_level(logging.DEBUG)  # the root logger and everything under it

    # A patient sends the whole intake.
    journey.answer("about-you", **ABOUT_YOU)
    for slug in (
        "pregnancy",
        "symptoms",
        "symptom-details-1",
        "urgent",
        "risk-factors",
        "blood-tests",
        "anything-else",
    ):
        journey.answer(slug)
    key = journey.idempotency_key()
    assert journey.submit(key).status_code == 302
    submission = Submission.objects.get()
    assert submission.patient.full_name == NAME
    session_key = journey.client.cookies["sessionid"].value

    # A clinician searches the queue by name and email, and opens the record and the patient.
    staff = signed_in(Client(), clinician)
    assert NAME in staff.get("/staff/", {"q": NAME}).content.decode()
    assert staff.get("/staff/", {"q": EMAIL}).status_code == 200
    assert staff.get(f"/staff/submissions/{submission.public_id}/").status_code == 200
    assert staff.get(f"/staff/patients/{submission.patient.public_id}/").status_code == 200

    # Someone fails to sign in, once with a known name and once with a typed email.
    for username in ("clinician", EMAIL):
        response = Client().post(
            "/staff/account/login/", {"username": username, "password": "wrong-password-typed"}
        )
        assert response.status_code == 200

    records = [record.getMessage() for record in caplog.records]
    lines = json_output.getvalue().splitlines()
    # Something was logged: one line per request at least, every line a JSON object.
    assert len(lines) >= 14
    assert all(json.loads(line)["message"] for line in lines)
    assert sum(json.loads(line)["logger"] == "screening.request" for line in lines) >= 14
    assert len(records) >= 14
    assert sum("login failure" in message for message in records) == 2  # axes, masked

    everything = "\n".join([*records, *lines])
    for secret in [*FORBIDDEN, key, submission.idempotency_key, session_key]:
        assert secret not in everything, secret
