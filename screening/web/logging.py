"""Structured logs: one JSON object per line, with no personal data and no secrets.

Every line has `time` (UTC, ISO 8601), `level`, `logger` and `message`, and `request_id`
while a request is being handled (the proxy's X-Request-ID when it is a plain token,
else one made here; sent back in the response's X-Request-ID). A few known extra fields
(`method`, `path`, `status_code`, `duration_ms`) are added when a record carries them;
no other attribute of a record is written, so a request object (with its POST data)
attached by Django's request logging never reaches the output.

Nothing in this app logs names, answers or contact details on purpose. `RedactingFilter`
is the second line of defence, on the handler: it replaces email addresses, signed link
tokens, bearer tokens, long random strings and the values of known query parameters in
the message, the extra fields and any traceback.

`RequestLogMiddleware` writes one line per request (method, path without its query
string, status, duration). `NoPostDataExceptionReporterFilter` hides every POST value
and every local variable's value from Django's error reports, in development too.

Configured in settings.LOGGING; this module imports no models, because logging is set
up before the apps are loaded.
"""

from __future__ import annotations

import contextvars
import datetime
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, ItemsView
from types import FrameType
from typing import Any

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse, QueryDict
from django.views.debug import SafeExceptionReporterFilter

REDACTED = "[redacted]"

# Every pattern here runs in time linear in the text: a request for a 4,000-character URL
# must not cost seconds of backtracking. _EMAIL starts only where a run of its first
# characters starts (a match found mid-run would have been found at the run's start).
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+(?:@|%40)"
    r"[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)
# django.core.signing: value[:timestamp]:signature, the signature 27+ URL-safe characters.
# A chain of segments joined by ":" (or "%3A") is redacted whole when a segment after a
# separator is 27+ characters long.
_CHAIN = re.compile(r"[A-Za-z0-9_\-.]+(?:(?::|%3A)[A-Za-z0-9_\-.]+)*", re.IGNORECASE)
_SIGNATURE = re.compile(r"(?::|%3A)[A-Za-z0-9_\-]{27}", re.IGNORECASE)


def _redact_signed(match: re.Match) -> str:
    chain = match.group()
    return REDACTED if _SIGNATURE.search(chain) else chain


_BEARER = re.compile(r"\b(bearer)\s+[^\s\"',;]+", re.IGNORECASE)
# The links in emails carry a token as a path segment; an altered one is hidden too.
_LINK_PATH = re.compile(
    r"(/(?:intake/resume|unsubscribe|follow-up|message)/)(?!thank-you/|get-help-now/)[^/\s?#\"']+"
)
# The patient's free text (other_medicines, anything_else, a message's reply) and a
# clinician's message (text) are never in a URL the app
# makes, but a form sent by GET (a page saved and reopened, a proxy) would put it there.
_QUERY_VALUE = re.compile(
    r"([?&;](?:token|key|secret|password|passwd|email|code|otp_token|q|sig|signature|"
    r"name|full_name|phone|next|other_medicines|anything_else|reply|text|dob_day|dob_month|"
    r"dob_year)=)[^&;\s#\"']*",
    re.IGNORECASE,
)
# A run of 32+ URL-safe characters with a letter and a digit (session keys, CSRF tokens,
# API secrets, hashes), unless it is a UUID: public ids are opaque and useful in logs.
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_LONG_SECRET = re.compile(
    r"(?<![A-Za-z0-9_\-])(?!" + _UUID + r"(?![A-Za-z0-9_\-]))"
    r"(?=[A-Za-z0-9_\-]*[0-9])(?=[A-Za-z0-9_\-]*[A-Za-z])[A-Za-z0-9_\-]{32,}(?![A-Za-z0-9_\-])"
)


def redact(text: str) -> str:
    """`text` with email addresses, tokens and known query values replaced."""
    text = _QUERY_VALUE.sub(lambda m: m.group(1) + REDACTED, text)
    text = _LINK_PATH.sub(lambda m: m.group(1) + REDACTED, text)
    text = _BEARER.sub(lambda m: m.group(1) + " " + REDACTED, text)
    text = _EMAIL.sub("[email]", text)
    text = _CHAIN.sub(_redact_signed, text)
    return _LONG_SECRET.sub(REDACTED, text)


# --- the request id ---------------------------------------------------------------------

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_INCOMING_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{8,64}$")


def current_request_id() -> str | None:
    return _request_id.get()


# --- filters and the formatter ------------------------------------------------------------

EXTRA_FIELDS = ("method", "path", "status_code", "duration_ms")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (None outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class RedactingFilter(logging.Filter):
    """Redacts the message (with its arguments merged in), the known extra fields and
    the traceback of every record. Put it on each handler that writes anywhere."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        for field in EXTRA_FIELDS:
            value = getattr(record, field, None)
            if isinstance(value, str):
                setattr(record, field, redact(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and request_id and the
    known extra fields when present, and the traceback as `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            line["request_id"] = request_id
        for field in EXTRA_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


# --- one line per request ---------------------------------------------------------------

request_logger = logging.getLogger("screening.request")


class RequestLogMiddleware:
    """First in MIDDLEWARE: gives the request its id and logs one line when it is done.
    The path is logged without its query string (the queue's search box is in it). The id
    stays set until Django sends request_finished."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _INCOMING_REQUEST_ID.match(incoming) else secrets.token_hex(8)
        # Kept until the request is finished (below): Django logs a 4xx or 5xx response
        # after the middleware has returned it.
        _request_id.set(request_id)
        started = time.monotonic()
        response = self.get_response(request)
        duration_ms = round((time.monotonic() - started) * 1000)
        request_logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status_code": response.status_code,
                "duration_ms": duration_ms,
            },
        )
        response["X-Request-ID"] = request_id
        return response


def _request_id_clear(**kwargs: Any) -> None:
    _request_id.set(None)


request_finished.connect(_request_id_clear, dispatch_uid="screening.web.logging.request_id_clear")


# --- Django's error reports ---------------------------------------------------------------


class NoPostDataExceptionReporterFilter(SafeExceptionReporterFilter):
    """Error reports (the debug page, any emailed report) show POST keys and the names of
    a frame's local variables, never their values: every POST in this app is a patient's
    answers, a clinician's note or a password, and the locals of a failing frame hold
    the same (a patient, a submission's answers, a draft)."""

    def is_active(self, request: HttpRequest | None) -> bool:
        return True

    def get_post_parameters(self, request: HttpRequest | None) -> QueryDict | dict[str, str]:
        if request is None:
            return {}
        cleansed = request.POST.copy()
        for key in cleansed:
            cleansed[key] = self.cleansed_substitute
        return cleansed

    def get_traceback_frame_variables(
        self, request: HttpRequest | None, tb_frame: FrameType
    ) -> ItemsView[str, str]:
        # (name, value) pairs, as Django's own filter returns them.
        return {name: self.cleansed_substitute for name in tb_frame.f_locals}.items()
