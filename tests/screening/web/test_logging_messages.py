"""A message from the clinic and the patient's reply never reach the logs: not the text,
not the link's token, not a date of birth or a reply sent by GET, not a failing reply."""

from __future__ import annotations

import datetime
import io
import json
import logging
import uuid

import pytest
from django.test import Client

from screening.domain import messages
from screening.intake import message_views
from screening.reminders import links
from screening.web.logging import JsonFormatter, redact
from tests.factories import PatientFactory, SubmissionFactory

pytestmark = pytest.mark.django_db

WORDS = "Zylofrax Bartholomew"
REPLY = "Quetiapine shingles"
FORBIDDEN = ["Zylofrax", "Bartholomew", "Quetiapine", "shingles"]


@pytest.fixture
def json_output():
    root = logging.getLogger()
    handler = next(h for h in root.handlers if isinstance(h.formatter, JsonFormatter))
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


@pytest.fixture
def token(frozen_day) -> str:
    submission = SubmissionFactory(patient=PatientFactory(date_of_birth=datetime.date(1980, 1, 1)))
    message, _created = messages.message_send(
        submission=submission,
        by=None,
        address=None,
        public_id=uuid.uuid4(),
        template=None,
        text=WORDS,
    )
    return links.reminder_link_token(message.reminder)


def _everything(caplog, json_output) -> str:
    records = [record.getMessage() for record in caplog.records]
    records += [record.exc_text or "" for record in caplog.records]
    return "\n".join([*records, json_output.getvalue()])


@pytest.mark.parametrize("name", ["reply", "text", "dob_day", "dob_month", "dob_year"])
def test_redact_hides_a_message_field_in_a_query_string(name):
    line = f"GET /message/x/read/?{name}=Quetiapine&page=2 HTTP/1.1"
    assert "Quetiapine" not in redact(line)


def test_redact_hides_the_token_of_a_message_link(token):
    assert redact(f"GET /message/{token}/read/") == "GET /message/[redacted]/read/"


def test_reading_and_replying_log_no_words_token_or_date(client, token, caplog, json_output):
    caplog.set_level(logging.DEBUG)
    url = f"/message/{token}/"
    client.get(url)
    client.get(f"{url}?dob_day=1&dob_month=1&dob_year=1980")
    client.post(url, {"dob_day": "1", "dob_month": "1", "dob_year": "1980"})
    client.get(f"{url}read/")
    client.get(f"{url}read/?reply={REPLY}")
    client.post(f"{url}read/", {"reply": REPLY})
    lines = json_output.getvalue().splitlines()
    assert sum(json.loads(line)["logger"] == "screening.request" for line in lines) >= 6
    everything = _everything(caplog, json_output)
    for word in [*FORBIDDEN, token, "1980"]:
        assert word not in everything, word


def test_a_reply_that_fails_logs_no_words(client, token, caplog, json_output, monkeypatch):
    caplog.set_level(logging.DEBUG)
    url = f"/message/{token}/"
    client.post(url, {"dob_day": "1", "dob_month": "1", "dob_year": "1980"})

    def fail(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(message_views.messages, "message_reply", fail)
    failing = Client(raise_request_exception=False)
    failing.cookies = client.cookies
    assert failing.post(f"{url}read/", {"reply": REPLY}).status_code == 500
    lines = json_output.getvalue().splitlines()
    assert any("RuntimeError" in json.loads(line).get("exception", "") for line in lines)
    everything = _everything(caplog, json_output)
    for word in [*FORBIDDEN, token]:
        assert word not in everything, word
