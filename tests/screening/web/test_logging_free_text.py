"""The patient's own words never reach the logs: not from the pages that take them, not
from a request that fails while they are posted, not from a URL that carries them."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.test import Client

from screening.intake import views
from screening.web.logging import JsonFormatter, redact
from tests.conftest import CHECK_URL, STEP_URLS

OTHER = "Quetiapine Zylofrax"
NOTE = "Bartholomew's shingles story"
FORBIDDEN = ["Quetiapine", "Zylofrax", "Bartholomew", "shingles"]


@pytest.fixture
def json_output():
    root = logging.getLogger()
    handler = next(h for h in root.handlers if isinstance(h.formatter, JsonFormatter))
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def _everything(caplog, json_output) -> str:
    records = [record.getMessage() for record in caplog.records]
    records += [record.exc_text or "" for record in caplog.records]
    return "\n".join([*records, json_output.getvalue()])


@pytest.mark.parametrize("name", ["other_medicines", "anything_else"])
def test_redact_hides_the_free_text_in_a_query_string(name):
    line = f"GET /intake/anything-else/?{name}=Quetiapine+Zylofrax&page=2 HTTP/1.1"
    assert redact(line) == f"GET /intake/anything-else/?{name}=[redacted]&page=2 HTTP/1.1"


def test_free_text_pages_and_a_send_log_no_words(journey, caplog, json_output):
    caplog.set_level(logging.DEBUG)
    journey.answer_all(until="risk-factors")
    journey.answer("risk-factors", other_medicines=OTHER)
    journey.answer("blood-tests")
    journey.answer("anything-else", anything_else=NOTE)
    # A page sent by GET (the words in the query string) and an over-long one.
    journey.get(f"{STEP_URLS['anything-else']}?anything_else={NOTE}")
    journey.answer("anything-else", anything_else=NOTE + "x" * 1200)
    journey.answer("anything-else", anything_else=NOTE)
    assert journey.submit().status_code == 302

    lines = json_output.getvalue().splitlines()
    assert sum(json.loads(line)["logger"] == "screening.request" for line in lines) >= 10
    everything = _everything(caplog, json_output)
    for word in FORBIDDEN:
        assert word not in everything, word


def test_a_send_that_fails_with_the_words_posted_logs_no_words(
    journey, caplog, json_output, monkeypatch
):
    """An error while the intake is sent: Django logs the 500 with its traceback, and the
    words are in the session draft and the view's locals. None of them is written."""
    caplog.set_level(logging.DEBUG)
    journey.answer_all(until="risk-factors")
    journey.answer("risk-factors", other_medicines=OTHER)
    journey.answer("blood-tests")
    journey.answer("anything-else", anything_else=NOTE)
    key = journey.idempotency_key()

    def fail(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(views, "intake_send", fail)
    browser = journey.client
    failing = Client(raise_request_exception=False)
    failing.cookies = browser.cookies
    response = failing.post(CHECK_URL, {"idempotency_key": key})
    assert response.status_code == 500

    assert any(record.levelno == logging.ERROR for record in caplog.records)
    lines = json_output.getvalue().splitlines()
    assert any("RuntimeError" in json.loads(line).get("exception", "") for line in lines)
    everything = _everything(caplog, json_output)
    for word in FORBIDDEN:
        assert word not in everything, word
