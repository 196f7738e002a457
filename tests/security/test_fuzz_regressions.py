"""Server errors the fuzz tests found (tests/security/test_fuzz.py), one test each, so
they stay fixed. The log redaction's slowness has its own module (test_log_redaction.py)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.security.support import api_token, bearer

SINCE = "2025-06-01T09:00:00Z"


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("_count", "9" * 5000),  # int() refuses more than 4,300 digits
        ("_count", "²"),  # isdigit() but not a number int() reads
        ("_offset", "9" * 5000),
        ("_offset", "²"),
        ("_offset", "99999999999999999999"),  # beyond a 64-bit SQL integer
        ("_offset", "9223372036854775808"),
    ],
)
def test_bundle_paging_parameters_that_are_not_small_numbers_are_400(db, param, value):
    response = Client().get(
        "/fhir/Bundle", {"_since": SINCE, param: value}, **bearer(api_token(scopes=("read",)))
    )
    assert response.status_code == 400
    issues = json.loads(response.content)["issue"]
    assert [issue["expression"] for issue in issues] == [[param]]
