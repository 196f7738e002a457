"""screening.web.sessions: saving an existing session is one UPDATE; a database that drops the
connection meanwhile is a server error (500), not Django's 400 "session deleted"; a
session really deleted still is UpdateError."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.db import OperationalError
from django.db.models import QuerySet

from screening.web.sessions import SessionStore
from tests.conftest import STEP_URLS, VALID_PAGES


def test_the_session_engine_is_ours(settings):
    assert settings.SESSION_ENGINE == "screening.web.sessions"


def test_saving_an_existing_session_is_one_update(db, django_assert_num_queries):
    store = SessionStore()
    store["intake"] = {"step": 1}
    store.save()
    store["intake"] = {"step": 2}
    with django_assert_num_queries(1):
        store.save()
    assert SessionStore(session_key=store.session_key)["intake"] == {"step": 2}


def test_a_new_session_is_saved_as_django_saves_it(db):
    store = SessionStore()
    store["intake"] = {"step": 1}
    store.save()
    assert Session.objects.filter(session_key=store.session_key).exists()


def test_a_lost_connection_while_saving_is_a_server_error(journey):
    journey.answer("about-you")  # a session row exists
    dropped = OperationalError("terminating connection due to administrator command")
    with (
        mock.patch.object(QuerySet, "update", side_effect=dropped),
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
