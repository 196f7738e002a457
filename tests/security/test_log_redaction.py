"""The log redaction (screening.web.logging.redact) runs in linear time: found by the fuzz
tests, where a request for a 100,000-character URL spent minutes in the regular
expressions that look for signed tokens and email addresses (quadratic backtracking on a
long run of token characters or of "a:a:a:" segments). Every request's path is logged,
so one long URL could hold a web worker for seconds: a cheap denial of service."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from screening.web.logging import REDACTED, redact

N = 100_000
LIMIT_SECONDS = 2.0  # linear: well under 0.1 s here; quadratic: minutes


@pytest.mark.parametrize(
    "text",
    [
        "x" * N,
        "GET /fhir/Questionnaire/" + "9" * N + " 404",
        "a." * (N // 2),
        "a@" * (N // 2),
        "a:" * (N // 2),
        "a%3A" * (N // 4),
        "ab:" * (N // 3),
        "b" * 30 + ":a" * (N // 2),
        "x@" + "a." * (N // 2),
        "a%40" * (N // 4),
        "?q=" * (N // 3),
        "bearer " * (N // 7),
        "/follow-up/" * (N // 11),
    ],
    ids=lambda text: repr(text[:12]),
)
def test_redaction_takes_linear_time(text):
    started = time.perf_counter()
    redact(text)
    assert time.perf_counter() - started < LIMIT_SECONDS


def test_a_signature_at_the_end_of_a_long_chain_is_still_redacted():
    signature = "S" * 27
    assert redact("a:" * 1000 + signature) == REDACTED
    assert redact("see " + "a:" * 1000 + signature + " here") == f"see {REDACTED} here"
    assert redact("a:" * 1000 + "short") == "a:" * 1000 + "short"


def test_a_request_for_a_very_long_url_is_answered_quickly(db):
    started = time.perf_counter()
    response = Client().get("/fhir/Questionnaire/" + "a:" * 4000)
    assert response.status_code == 404
    assert time.perf_counter() - started < LIMIT_SECONDS
