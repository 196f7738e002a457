"""screening.web.logging: JSON lines, the redacting filter, the request id and error reports."""

from __future__ import annotations

import io
import json
import logging
import sys
import uuid

import pytest
from django.core import signing
from django.test import RequestFactory
from django.utils.log import log_response

from screening.reminders import links, unsubscribe
from screening.web.logging import (
    REDACTED,
    JsonFormatter,
    NoPostDataExceptionReporterFilter,
    RedactingFilter,
    RequestIdFilter,
    redact,
)

PUBLIC_ID = "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"


@pytest.fixture
def output():
    """The settings' console handler (JSON formatter, request id and redaction), writing
    to a buffer for the test: what production would print."""
    root = logging.getLogger()
    handler = next(h for h in root.handlers if isinstance(h.formatter, JsonFormatter))
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def format_record(record: logging.LogRecord) -> dict:
    RequestIdFilter().filter(record)
    RedactingFilter().filter(record)
    return json.loads(JsonFormatter().format(record))


def make_record(msg: str, *args, exc_info=None, **extra) -> logging.LogRecord:
    record = logging.LogRecord("screening.test", logging.INFO, __file__, 1, msg, args, exc_info)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


# --- redact -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sent to zebulon.quixotic@example.com", "sent to [email]"),
        ("sent to Zebulon.Q+b12@mail.example.co.uk.", "sent to [email]."),
        ("/staff/?q=zebulon.quixotic%40example.com", f"/staff/?q={REDACTED}"),
        (
            "/staff/?level=urgent&q=Zebulon+Quixotic&page=2",
            f"/staff/?level=urgent&q={REDACTED}&page=2",
        ),
        ("/login/?next=/staff/&email=a", f"/login/?next={REDACTED}&email={REDACTED}"),
        ("Authorization: Bearer ab12Cd34.xyzSECRETxyz", f"Authorization: Bearer {REDACTED}"),
    ],
)
def test_redact_emails_and_query_values(text, expected):
    assert redact(text) == expected


def test_redact_signed_link_tokens():
    reminder_like = type("R", (), {"public_id": uuid.UUID(PUBLIC_ID)})()
    timed = links.reminder_link_token(reminder_like)
    plain = unsubscribe.unsubscribe_token(reminder_like)
    dumped = signing.dumps({"draft": PUBLIC_ID})

    for token in (timed, plain, dumped):
        assert token not in redact(f"Bad Request: /x/{token}/")
    assert redact(f"GET /intake/resume/{timed}/ 400") == f"GET /intake/resume/{REDACTED}/ 400"
    assert redact(f"GET /follow-up/{timed}/urgent/") == f"GET /follow-up/{REDACTED}/urgent/"


def test_redact_link_path_even_when_the_token_is_altered():
    assert redact("GET /unsubscribe/abc:def/ 400") == f"GET /unsubscribe/{REDACTED}/ 400"
    assert redact("GET /follow-up/thank-you/ 200") == "GET /follow-up/thank-you/ 200"
    assert redact("GET /follow-up/get-help-now/") == "GET /follow-up/get-help-now/"


def test_redact_long_secrets_but_keeps_public_ids_and_words():
    session_key = "k3j5h6g7f8d9s0a1q2w3e4r5t6y7u8i9"
    api_token = "Ab3dEf6h.x_Y-z0123456789abcdefghijklmnopqrstuvwxyzAB"
    text = f"session {session_key} token {api_token} patient {PUBLIC_ID} task reminders_dispatch"

    assert redact(text) == (
        f"session {REDACTED} token Ab3dEf6h.{REDACTED} patient {PUBLIC_ID} task reminders_dispatch"
    )


def test_redact_leaves_ordinary_lines_alone():
    text = "GET /staff/submissions/3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b/ 200 at 12:00:00 in 35ms"
    assert redact(text) == text


# --- the filter and the formatter -----------------------------------------------------------


def test_formatter_writes_one_json_object_per_line():
    record = make_record("line one\nline two %s", "x")
    text = JsonFormatter().format(record)

    assert "\n" not in text
    line = json.loads(text)
    assert set(line) == {"time", "level", "logger", "message"}
    assert (line["level"], line["logger"], line["message"]) == (
        "INFO",
        "screening.test",
        "line one\nline two x",
    )
    assert line["time"].endswith("+00:00")


def test_filter_redacts_arguments_extras_and_tracebacks():
    try:
        raise ValueError("no patient zebulon.quixotic@example.com")
    except ValueError:
        record = make_record(
            "mail to %s failed",
            "zebulon.quixotic@example.com",
            exc_info=sys.exc_info(),
            path="/unsubscribe/abc:def/",
        )
    line = format_record(record)

    assert line["message"] == "mail to [email] failed"
    assert line["path"] == f"/unsubscribe/{REDACTED}/"
    assert "ValueError: no patient [email]" in line["exception"]
    assert "zebulon" not in json.dumps(line)


def test_formatter_writes_no_unknown_extras():
    """A request attached by Django's request logging is never written out."""
    request = RequestFactory().post("/intake/about-you/", {"full_name": "Zebulon Quixotic"})
    line = format_record(make_record("Bad Request: %s", "/intake/about-you/", request=request))

    assert set(line) == {"time", "level", "logger", "message"}
    assert "Zebulon" not in json.dumps(line)


# --- requests --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_request_is_one_line_with_its_id(client, output):
    response = client.get("/?q=Zebulon")

    request_lines = [line for line in lines(output) if line["logger"] == "screening.request"]
    assert len(request_lines) == 1
    line = request_lines[0]
    assert line["request_id"] == response["X-Request-ID"]
    assert len(line["request_id"]) == 16
    assert (line["method"], line["path"], line["status_code"]) == ("GET", "/", 200)
    assert line["message"] == "GET / 200"
    assert isinstance(line["duration_ms"], int)
    assert "Zebulon" not in output.getvalue()  # the query string is not logged


@pytest.mark.django_db
def test_request_id_from_the_proxy_is_kept_when_it_is_a_plain_token(client, output):
    kept = client.get("/", HTTP_X_REQUEST_ID="proxy-req-0123456789")
    replaced = client.get("/", HTTP_X_REQUEST_ID="zebulon@example.com")

    assert kept["X-Request-ID"] == "proxy-req-0123456789"
    assert replaced["X-Request-ID"] != "zebulon@example.com"
    assert "zebulon" not in output.getvalue()


@pytest.mark.django_db
def test_every_line_of_a_request_carries_its_id(client, output):
    response = client.get("/no-such-page/")

    request_ids = {line.get("request_id") for line in lines(output)}
    assert request_ids == {response["X-Request-ID"]}
    assert {line["logger"] for line in lines(output)} == {"django.request", "screening.request"}


def test_no_request_id_outside_a_request(output):
    logging.getLogger("screening.test").warning("from a worker")

    assert lines(output) == [
        {
            "time": lines(output)[0]["time"],
            "level": "WARNING",
            "logger": "screening.test",
            "message": "from a worker",
        }
    ]


def test_django_request_log_with_a_posted_body_writes_no_body(output):
    request = RequestFactory().post(
        "/intake/about-you/", {"full_name": "Zebulon Quixotic", "email": "z@example.com"}
    )
    from django.http import HttpResponseBadRequest

    log_response(
        "Bad Request: %s", request.path, response=HttpResponseBadRequest(), request=request
    )

    assert [(line["logger"], line["message"]) for line in lines(output)] == [
        ("django.request", "Bad Request: /intake/about-you/")
    ]
    assert lines(output)[0]["status_code"] == 400
    assert "Zebulon" not in output.getvalue()


def test_sql_is_not_logged_at_debug():
    assert logging.getLogger("django.db.backends").getEffectiveLevel() == logging.INFO


def test_django_logger_has_no_handler_of_its_own():
    """Django's defaults would send error emails with POST data and print a second, plain
    copy of each line in development."""
    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django.server").handlers == []
    assert logging.getLogger("django").propagate is True


# --- error reports -------------------------------------------------------------------------


def test_error_reports_hide_every_post_value(settings):
    settings.DEBUG = True  # the filter works in development too (the debug page)
    request = RequestFactory().post(
        "/intake/about-you/", {"full_name": "Zebulon Quixotic", "diet": "vegan"}
    )
    reporter_filter = NoPostDataExceptionReporterFilter()

    cleansed = reporter_filter.get_post_parameters(request)

    assert reporter_filter.is_active(request) is True
    assert cleansed.dict() == {
        "full_name": reporter_filter.cleansed_substitute,
        "diet": reporter_filter.cleansed_substitute,
    }


POSTED_NAME = "Zebulon " + "Quixotic"  # never written whole here: the page shows source lines


def _posted_intake_page():
    return RequestFactory().post("/intake/about-you/", {"full_name": POSTED_NAME})


def test_error_report_page_shows_no_post_value(settings):
    """The debug page of an error during an intake POST (the value is built outside the
    failing frame, whose source lines the page shows)."""
    from django.views.debug import ExceptionReporter

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        html = ExceptionReporter(_posted_intake_page(), *sys.exc_info()).get_traceback_html()

    assert "full_name" in html
    assert POSTED_NAME not in html


def _fail_with_a_patient_in_a_local(name_parts: list[str]) -> None:
    full_name = " ".join(name_parts)  # a local holding personal data, as a view's would
    raise RuntimeError(f"boom after {len(full_name)} characters")


def test_error_report_page_shows_no_local_variable_value(settings):
    """The debug page lists each frame's local variables: their names, never their
    values (a patient object, answers or a draft in a failing view)."""
    from django.views.debug import ExceptionReporter

    settings.DEBUG = True
    try:
        _fail_with_a_patient_in_a_local(["Zebulon", "Quixotic"])
    except RuntimeError:
        reporter = ExceptionReporter(_posted_intake_page(), *sys.exc_info())
        html = reporter.get_traceback_html()
        text = reporter.get_traceback_text()

    frame = reporter.get_traceback_frames()[-1]
    assert frame["function"] == "_fail_with_a_patient_in_a_local"
    assert dict(frame["vars"]) == {
        "name_parts": NoPostDataExceptionReporterFilter.cleansed_substitute,
        "full_name": NoPostDataExceptionReporterFilter.cleansed_substitute,
    }
    for page in (html, text):
        assert "full_name" in page
        assert POSTED_NAME not in page
        # the frame's source line shows the literal in double quotes; a value shown
        # would be its repr, in single quotes (escaped on the HTML page)
        assert "'Quixotic'" not in page
        assert "&#x27;Quixotic&#x27;" not in page
