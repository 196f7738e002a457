"""A receptionist's queue tells nothing about urgency (issue 12, "Receptionists").

The receptionist sees names, contact details and status only. Neither what a row shows nor
where it stands may tell an urgent submission from another: the page for an urgent intake
(stored early and never finished, or finished) is the page for a non-urgent one, once the
opaque reference is taken out, and the rows come in the order they were sent (newest first).
"""

from __future__ import annotations

import copy
import datetime
import re

import pytest
from django.db import transaction

from screening.domain import intake
from screening.models import Submission

pytestmark = pytest.mark.django_db

QUEUE_URL = "/staff/"
NOW = datetime.datetime(2025, 6, 15, 12, 0, tzinfo=datetime.UTC)
# The hidden CSRF token (the sign-out form) is masked afresh on every page.
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


def _urgent(answers: dict) -> dict:
    urgent = copy.deepcopy(answers)
    urgent["red_flags"]["saddle_numbness"] = True
    return urgent


def _so_far(answers: dict) -> dict:
    """What the red-flag page has stored when the patient answers a red flag yes."""
    kept = ("age_years", "sex", "pregnant", "breastfeeding", "symptoms", "red_flags")
    return {key: copy.deepcopy(answers[key]) for key in kept}


def _stored(kind: str, answers: dict, patient_details: dict, key: str) -> Submission:
    """A submission as the patient's own writes store it."""
    details = {"answers": answers, "patient_details": patient_details, "language": "en"}
    if kind == "non_urgent":
        return intake.intake_submit(idempotency_key=key, **details)
    urgent = _urgent(answers)
    stored = intake.intake_store_urgent(
        idempotency_key=key, **{**details, "answers": _so_far(urgent)}
    )
    if kind == "urgent_unfinished":
        return stored
    return intake.intake_submit(idempotency_key=key, **{**details, "answers": urgent})


def _receptionist_page(client, write) -> str:
    """The queue's HTML with only the submission `write` makes, the reference taken out;
    everything written is rolled back afterwards."""
    with transaction.atomic():
        submission = write()
        page = client.get(QUEUE_URL).content.decode()
        transaction.set_rollback(True)
    return CSRF_TOKEN.sub("", page.replace(submission.reference, "B12-XXXX-XXXX"))


@pytest.mark.parametrize("urgent_kind", ["urgent_unfinished", "urgent_finished"])
def test_receptionist_queue_page_same_for_urgent_and_non_urgent(
    receptionist_client, now, answers, patient_details, urgent_kind
):
    levels = {}

    def write(kind):
        def stored():
            submission = _stored(kind, answers, patient_details, key=f"key-{kind}")
            levels[kind] = submission.level
            return submission

        return stored

    urgent_page = _receptionist_page(receptionist_client, write(urgent_kind))
    other_page = _receptionist_page(receptionist_client, write("non_urgent"))

    assert levels[urgent_kind] == "urgent"
    assert levels["non_urgent"] != "urgent"
    assert patient_details["full_name"] in urgent_page  # the row is there
    assert urgent_page == other_page


def _queue_order(client) -> list[str]:
    response = client.get(QUEUE_URL)
    return [row.submission.reference for row in response.context["rows"]]


@pytest.mark.parametrize("urgent_first_sent", [True, False])
def test_receptionist_queue_order_is_the_order_sent(
    receptionist_client, time_machine, answers, patient_details, urgent_first_sent
):
    """Newest first, whichever was urgent: the order says nothing about the level."""
    kinds = ["urgent_finished", "non_urgent"]
    if not urgent_first_sent:
        kinds.reverse()
    sent = []
    for minutes, kind in enumerate(kinds):
        time_machine.move_to(NOW + datetime.timedelta(minutes=minutes), tick=False)
        details = {**patient_details, "email": f"{kind}@example.com"}
        sent.append(_stored(kind, answers, details, key=f"key-{kind}").reference)
    time_machine.move_to(NOW + datetime.timedelta(hours=1), tick=False)

    assert _queue_order(receptionist_client) == sent[::-1]


def test_clinician_queue_still_puts_urgent_first(
    clinician_client, time_machine, answers, patient_details
):
    time_machine.move_to(NOW, tick=False)
    older = _stored("non_urgent", answers, patient_details, key="key-older")
    time_machine.move_to(NOW + datetime.timedelta(minutes=5), tick=False)
    details = {**patient_details, "email": "urgent@example.com"}
    urgent = _stored("urgent_finished", answers, details, key="key-urgent")

    assert _queue_order(clinician_client) == [urgent.reference, older.reference]
