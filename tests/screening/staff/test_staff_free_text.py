"""The patient's own words (other medicines, anything else) where staff read them: the
record page (escaped, line by line, for clinical roles only) and the patient's data export.
The review queue's CSV export holds no answers and no free text (screening.staff.exports)."""

from __future__ import annotations

import copy
import json

import pytest

from screening.domain.intake import intake_submit
from tests.conftest import PATIENT_DETAILS, VALID_ANSWERS

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("other")</script>'
IMAGE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def worded(frozen_day):
    return intake_submit(
        answers=copy.deepcopy(VALID_ANSWERS),
        patient_details=dict(PATIENT_DETAILS),
        idempotency_key="worded",
        language="en",
        free_text={
            "other_medicines": f"{SCRIPT}\nVitamin D",
            "anything_else": f"Please call after 6pm.\n{IMAGE}\u202e & more",
        },
    )


def _record(client, submission) -> str:
    response = client.get(f"/staff/submissions/{submission.public_id}/")
    assert response.status_code == 200
    return response.content.decode()


def test_record_page_shows_the_words_escaped_line_by_line(clinician_client, worded):
    page = _record(clinician_client, worded)
    assert "In the patient's own words (not read by the screening rules)" in page
    assert SCRIPT not in page
    assert IMAGE not in page
    assert (
        '<th scope="row">Other medicines</th><td><span class="patient-text">'
        "&lt;script&gt;alert(&quot;other&quot;)&lt;/script&gt;<br>Vitamin D</span></td>"
    ) in page
    # Stored without the bidi override: it cannot turn the rest of the page around.
    assert "Please call after 6pm.<br>&lt;img src=x onerror=alert(1)&gt; &amp; more" in page
    assert "\u202e" not in page


def test_record_page_says_not_given_when_there_are_no_words(clinician_client, frozen_day):
    submission = intake_submit(
        answers=copy.deepcopy(VALID_ANSWERS),
        patient_details=dict(PATIENT_DETAILS),
        idempotency_key="plain",
        language="en",
    )
    page = _record(clinician_client, submission)
    assert '<th scope="row">Other medicines</th><td>Not given</td>' in page
    assert (
        '<th scope="row">Anything else the patient wants the clinic to know</th><td>Not given</td>'
    ) in page


def test_receptionist_never_sees_the_words(receptionist_client, worded):
    assert receptionist_client.get(f"/staff/submissions/{worded.public_id}/").status_code == 403
    queue = receptionist_client.get("/staff/").content.decode()
    assert "Vitamin D" not in queue
    assert "call after 6pm" not in queue


def test_queue_csv_export_carries_no_free_text(clinician_client, worded):
    response = clinician_client.get("/staff/export.csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert worded.reference in body
    assert "Vitamin D" not in body
    assert "call after 6pm" not in body


def test_patient_export_carries_the_words_as_stored(clinician_client, worded):
    response = clinician_client.get(f"/staff/patients/{worded.patient.public_id}/export.json")
    (exported,) = json.loads(response.content)["submissions"]
    assert exported["free_text"] == {
        "other_medicines": f"{SCRIPT}\nVitamin D",
        "anything_else": f"Please call after 6pm.\n{IMAGE} & more",
    }
    assert "other_medicines" not in exported["answers"]
    assert "anything_else" not in exported["answers"]
