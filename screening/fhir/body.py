"""The body of a FHIR POST, read within DATA_UPLOAD_MAX_MEMORY_SIZE before it is parsed.

Over the limit the EHR gets a 413 OperationOutcome, never Django's bare 400 page: Django
checks the limit against Content-Length only, so a body sent in chunks (no Content-Length)
is read here, where the server hands it over whole (gunicorn sets wsgi.input_terminated),
one byte past the limit at most. Where the server does not (Django's runserver), Django
would read such a body as empty (a misleading "Invalid JSON"): the EHR is told to send a
Content-Length instead (411).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from screening.fhir.outcomes import outcome_response


def _chunked(request: HttpRequest) -> bool:
    """A body sent in chunks: Transfer-Encoding chunked, and no Content-Length."""
    encoding = request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    return "chunked" in encoding and not request.META.get("CONTENT_LENGTH")


def _too_large() -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return outcome_response(413, [("too-costly", f"The body is larger than {limit:,} bytes", None)])


def posted_body(request: HttpRequest) -> bytes | HttpResponse:
    """The request's body, or the OperationOutcome response that refuses it (413 over
    DATA_UPLOAD_MAX_MEMORY_SIZE, 411 for chunks this server cannot hand over)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if _chunked(request):
        if not request.META.get("wsgi.input_terminated"):
            return outcome_response(
                411, [("not-supported", "Send the resource with a Content-Length header", None)]
            )
        data: bytes = request.META["wsgi.input"].read(-1 if limit is None else limit + 1)
        return _too_large() if limit is not None and len(data) > limit else data
    try:
        return request.body
    except RequestDataTooBig:
        return _too_large()
