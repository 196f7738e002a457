"""A POST without a valid CSRF token (an expired session) gets a plain page, not Django's."""

import pytest
from django.test import Client


@pytest.mark.django_db
def test_post_without_csrf_token_shows_session_ended_page():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/intake/check/", {"idempotency_key": "x"})

    assert response.status_code == 403
    assert b"Your session has ended" in response.content
    assert b"CSRF" not in response.content
    assert b"Start again" in response.content
