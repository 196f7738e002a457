"""The FHIR POST's body within DATA_UPLOAD_MAX_MEMORY_SIZE however it is sent
(screening/fhir/body.py), and the pull's paging links from SITE_URL, not from the
request's Host and port (screening/fhir/views.py, `bundle_search`)."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from fhir.resources.R4B.bundle import Bundle

from screening.models import Submission
from tests.factories import SubmissionFactory
from tests.security.support import FHIR_JSON, FHIR_POST_URL, api_token, bearer, fhir_payload

pytestmark = pytest.mark.django_db

PULL_URL = "/fhir/Bundle"
SINCE = "2025-06-01T09:00:00Z"


def _outcome(response) -> list[tuple[str, str]]:
    assert response["Content-Type"] == FHIR_JSON
    resource = json.loads(response.content)
    assert resource["resourceType"] == "OperationOutcome"
    return [(issue["code"], issue["diagnostics"]) for issue in resource["issue"]]


def _chunked_post(client, body: bytes, *, handed_over_whole: bool = True):
    """POST `body` as a server hands over a chunked request: no Content-Length, and with
    gunicorn's wsgi.input_terminated (the whole body readable from wsgi.input)."""
    environ = {
        "CONTENT_LENGTH": "",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),
    }
    if handed_over_whole:
        environ["wsgi.input_terminated"] = True
    return client.generic(
        "POST", FHIR_POST_URL, body, content_type=FHIR_JSON, **environ, **bearer(api_token())
    )


# --- The body's size --------------------------------------------------------------------


def test_a_chunked_body_over_the_limit_is_a_413_operation_outcome(client, settings):
    """Was read as empty: a 400 "Invalid JSON: EOF" for a body of any size."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({**fhir_payload(), "text": {"status": "generated", "div": "a" * 20_000}})

    response = _chunked_post(client, body.encode())

    assert response.status_code == 413
    assert _outcome(response) == [("too-costly", "The body is larger than 10,000 bytes")]
    assert Submission.objects.count() == 0


def test_a_chunked_body_within_the_limit_is_read_whole(client, frozen_day):
    response = _chunked_post(client, json.dumps(fhir_payload()).encode())

    assert response.status_code == 201
    assert Submission.objects.count() == 1


def test_a_body_of_exactly_the_limit_is_read(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    body = b" " * 1_000  # JSON whitespace: read whole, then refused as not a resource

    response = _chunked_post(client, body)

    assert response.status_code == 400
    assert [code for code, _text in _outcome(response)] == ["structure"]


def test_chunks_a_server_cannot_hand_over_are_a_411_not_an_empty_body(client):
    response = _chunked_post(client, json.dumps(fhir_payload()).encode(), handed_over_whole=False)

    assert response.status_code == 411
    assert _outcome(response) == [
        ("not-supported", "Send the resource with a Content-Length header")
    ]
    assert Submission.objects.count() == 0


def test_a_body_over_the_limit_with_its_content_length_is_a_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({**fhir_payload(), "text": {"status": "generated", "div": "a" * 20_000}})

    response = client.post(FHIR_POST_URL, body, content_type=FHIR_JSON, **bearer(api_token()))

    assert response.status_code == 413
    assert _outcome(response) == [("too-costly", "The body is larger than 10,000 bytes")]


# --- Paging links -----------------------------------------------------------------------


@pytest.fixture
def three_reviewed():
    at = datetime.datetime(2025, 6, 2, 9, 0, tzinfo=datetime.UTC)
    return [SubmissionFactory(status="reviewed", status_changed_at=at) for _ in range(3)]


def test_paging_links_are_built_from_site_url_not_the_requests_host(
    client, settings, three_reviewed
):
    """Behind a proxy the request arrives for the upstream's Host and port
    (127.0.0.1:8000 over http); the links must be the address EHRs use."""
    settings.SITE_URL = "https://intake.example.org/"
    response = client.get(
        PULL_URL,
        {"_since": SINCE, "_count": 1, "_offset": 1},
        HTTP_HOST="127.0.0.1:8000",
        **bearer(api_token()),
    )

    links = {link.relation: link.url for link in Bundle.model_validate_json(response.content).link}
    since = "_since=2025-06-01T09%3A00%3A00%2B00%3A00"
    assert links == {
        "self": f"https://intake.example.org/fhir/Bundle?{since}&_count=1&_offset=1",
        "next": f"https://intake.example.org/fhir/Bundle?{since}&_count=1&_offset=2",
    }
