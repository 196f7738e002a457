"""screening.sessions: a database that drops the connection while a session is saved
is a server error (500), not Django's 400 "session deleted"; a deleted session still is."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.db import OperationalError

from screening.sessions import SessionStore
from tests.conftest import STEP_URLS, VALID_PAGES


def test_the_session_engine_is_ours(settings):
    assert settings.SESSION_ENGINE == "screening.sessions"


def test_a_lost_connection_while_saving_is_a_server_error(journey):
    journey.answer("about-you")  # a session row exists
    dropped = OperationalError("terminating connection due to administrator command")
    with (
        mock.patch.object(Session, "save", side_effect=dropped),
        pytest.raises(OperationalError),
    ):
        journey.client.post(STEP_URLS["pregnancy"], VALID_PAGES["pregnancy"])


def test_a_deleted_session_is_still_an_update_error(db):
    store = SessionStore()
    store["intake"] = {"step": 1}
    store.save()
    Session.objects.filter(session_key=store.session_key).delete()
    store["intake"] = {"step": 2}
    with pytest.raises(UpdateError):
        store.save()
