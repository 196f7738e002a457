"""Persistent database connections survive the server dropping them (CONN_HEALTH_CHECKS).

With DATABASE_CONN_MAX_AGE > 0 each web and worker process keeps its connection between
requests. When PostgreSQL drops it (a restart, a failover, pg_terminate_backend), the
next request must not fail: the connection is checked before it is reused, and
replaced. bench/load.py --faults shows the same on gunicorn (docs/performance.md).
"""

from __future__ import annotations

import psycopg
import pytest
from django.core.signals import request_finished, request_started
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_connections_are_checked_before_reuse(settings):
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def _terminate(pid: int) -> None:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    params.pop("server_side_binding", None)
    params["dbname"] = "postgres"
    with psycopg.connect(autocommit=True, **params) as other:
        other.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.mark.postgres  # SQLite has no server to drop the connection
def test_a_persistent_connection_dropped_by_the_server_is_replaced_for_the_next_request(
    monkeypatch,
):
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    request_started.send(sender=None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    request_finished.send(sender=None)  # the connection stays open between requests

    _terminate(pid)

    request_started.send(sender=None)  # the next request
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (new_pid,) = cursor.fetchone()
    request_finished.send(sender=None)
    assert new_pid != pid
